#!/usr/bin/env python3
"""Serving: gunicorn worker classes, worker/thread counts and persistent MySQL connections, side by side.

For every configuration this starts bench/serve.sh (DEBUG=0, MariaDB, Redis, the
embedded MongoDB) on one port, waits for it, and measures on the same data:

- the login page (Django's floor: a template and a CSRF token) with wrk;
- an authenticated page, GET /appointments/ of a logged-in patient, with wrk;
- booking: bench/booking_ratio.py's two phases with the same logged-in patients
  (phase A: GET /appointments/ in a loop; phase B: each books distinct slots).

Then it stops the server and starts the next configuration. One command:

    .venv/bin/python bench/serving.py                      # the default configurations
    .venv/bin/python bench/serving.py --config sync:5:1:60 --config gthread:2:8:60 --json /tmp/serving.json

A configuration is CLASS:WORKERS:THREADS:CONN_MAX_AGE (CONN_MAX_AGE 0: a new MySQL
connection per request). The patients sign up once and keep their sessions
(Redis) across the restarts: every server gets the same SECRET_KEY; the embedded
MongoDB keeps its data in a file (MONGO_DATA=file). Settings: --port (8104),
--bench-db (medly_bench_serving), --redis-db (13), --mongo-port (27404).
"""

import argparse
import json
import os
import secrets
import signal
import subprocess
import sys
import time
import types
from pathlib import Path

from _accounts import sign_up_patients
from _cli import SetupError, run_main
from _client import Session
from _wrk import run_wrk
from booking import assign_distinct
from booking_ratio import bench_slots, booking_phase, page_phase

REPO = Path(__file__).resolve().parent.parent
DEFAULT_CONFIGS = [
    "sync:5:1:60",  # gunicorn.conf.py's old default: 2 × cores + 1 sync workers
    "sync:5:1:0",  # the same without persistent connections
    "sync:3:1:60",
    "gthread:2:4:60",
    "gthread:2:8:60",
    "gthread:3:4:60",
    "gthread:2:8:0",
]
BOOKING_LIMIT = 1000  # MAX_FUTURE_APPOINTMENTS for the bench servers: phase B books dozens per patient


def parse_config(text):
    try:
        worker_class, workers, threads, conn_max_age = text.split(":")
        config = {
            "worker_class": worker_class,
            "workers": int(workers),
            "threads": int(threads),
            "conn_max_age": int(conn_max_age),
        }
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r}: want CLASS:WORKERS:THREADS:CONN_MAX_AGE") from None
    if worker_class not in ("sync", "gthread") or config["workers"] < 1 or config["threads"] < 1:
        raise argparse.ArgumentTypeError(f"{text!r}: CLASS is sync or gthread, WORKERS and THREADS >= 1")
    return config


def label(config):
    threads = f"×{config['threads']}t" if config["worker_class"] == "gthread" else ""
    return f"{config['worker_class']} {config['workers']}w{threads} age={config['conn_max_age']}"


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--config", type=parse_config, action="append", help="CLASS:WORKERS:THREADS:CONN_MAX_AGE")
    parser.add_argument("--port", type=int, default=8104)
    parser.add_argument("--bench-db", default="medly_bench_serving")
    parser.add_argument("--redis-db", type=int, default=13)
    parser.add_argument("--mongo-port", type=int, default=27404)
    parser.add_argument("--patients", type=int, default=50, help="logged-in clients of the booking phases")
    parser.add_argument("--seconds", type=float, default=10.0, help="length of each wrk run and of phase A")
    parser.add_argument("--bookings", type=int, default=1000, help="bookings in phase B per configuration")
    parser.add_argument("--login-connections", type=int, default=20, help="wrk connections for the login page")
    parser.add_argument("--page-connections", type=int, default=50, help="wrk connections for /appointments/")
    parser.add_argument("--prefix", default=f"serving-{int(time.time())}", help="email prefix of the bench accounts")
    parser.add_argument("--password", default="Tortuga-azul-2026-bench")
    parser.add_argument("--json", metavar="FILE", help="also write the results as JSON to FILE")
    args = parser.parse_args(argv)
    args.config = args.config or [parse_config(text) for text in DEFAULT_CONFIGS]
    return args


class BenchServer:
    """bench/serve.sh in its own process group, started and stopped by us."""

    def __init__(self, args, config, secret_key, log_path):
        self.url = f"http://127.0.0.1:{args.port}"
        self.control_dir = f"/tmp/medly-bench-{args.port}"  # noqa: S108 (serve.sh's default CONTROL_DIR)
        env = dict(os.environ)
        env.update(
            PORT=str(args.port),
            BENCH_DB=args.bench_db,
            REDIS_DB=str(args.redis_db),
            MONGO_PORT=str(args.mongo_port),
            MONGO_DATA="file",
            WORKERS=str(config["workers"]),
            WORKER_CLASS=config["worker_class"],
            THREADS=str(config["threads"]),
            DATABASE_CONN_MAX_AGE=str(config["conn_max_age"]),
            MAX_FUTURE_APPOINTMENTS=str(BOOKING_LIMIT),
            SECRET_KEY=secret_key,
        )
        self.log = open(log_path, "ab")  # noqa: SIM115 (closed in stop())
        self.process = subprocess.Popen(  # noqa: S603 (this repository's script)
            [str(REPO / "bench" / "serve.sh")],
            cwd=REPO,
            env=env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def wait_ready(self, timeout=300):
        deadline = time.monotonic() + timeout
        probe = Session(self.url, timeout=5)
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise SetupError(f"serve.sh exited with {self.process.returncode}; see {self.log.name}")
            if probe.get("/accounts/login/").status == 200:
                return
            time.sleep(1)
        raise SetupError(f"the server did not answer within {timeout} s; see {self.log.name}")

    def stop(self):
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()
        self.log.close()


def wrk_figures(result):
    keys = ("requests_per_s", "p50_ms", "p90_ms", "p99_ms", "non_2xx", "errors")
    return {key: result[key] for key in keys}


def measure(args, server, patients, round_number):
    """The three loads on a running server: {"login": ..., "page": ..., "booking": ...}.

    wrk's /appointments/ is the last patient's, who never books: the page stays the same size across the
    configurations. The booking clients' own list grows by bookings/patients per configuration (phase A).
    """
    reader, patients = patients[-1], patients[:-1]
    cookie = f"medly={reader.session.cookie('medly')}"
    load_before = os.getloadavg()[0]
    login = run_wrk(f"{server.url}/accounts/login/", connections=args.login_connections, duration_s=args.seconds)
    page = run_wrk(
        f"{server.url}/appointments/",
        connections=args.page_connections,
        duration_s=args.seconds,
        headers={"Cookie": cookie, "Accept-Language": "en"},
    )
    slot_args = types.SimpleNamespace(
        prefix=f"{args.prefix}-r{round_number}",
        bookings=args.bookings,
        days=20,
        server_env=None,
        control_dir=server.control_dir,
    )
    slots = bench_slots(slot_args)
    jobs, _skipped = assign_distinct(patients, slots, BOOKING_LIMIT)
    page_a = page_phase(patients, args.seconds)
    booking, _attempts = booking_phase(patients, jobs[: args.bookings])
    return {
        "load_1min_before": round(load_before, 2),
        "login": wrk_figures(login),
        "page": wrk_figures(page),
        "phase_a_page_per_s": page_a["per_second"],
        "phase_a_failed": page_a["requests"] - page_a["succeeded"],
        "booking_per_s": booking["per_second"],
        "booking_failed": booking["requests"] - booking["succeeded"],
        "booking_latency_ms": booking["latency_ms"],
        "booking_vs_page": round(booking["per_second"] / page_a["per_second"], 3) if page_a["per_second"] else None,
    }


def print_table(rows):
    header = (
        f"{'configuration':<24} {'login/s':>8} {'p99ms':>6} {'page/s':>7} {'p99ms':>6} "
        f"{'A get/s':>8} {'B book/s':>9} {'B/A':>6} {'book p99':>9} {'fail':>5} {'load':>5}"
    )
    print("\n" + header)
    print("-" * len(header))
    for row in rows:
        m = row["result"]
        failed = (
            m["login"]["non_2xx"]
            + m["login"]["errors"]
            + m["page"]["non_2xx"]
            + m["page"]["errors"]
            + m["phase_a_failed"]
            + m["booking_failed"]
        )
        print(
            f"{row['label']:<24} {m['login']['requests_per_s']:>8.0f} {m['login']['p99_ms']:>6.0f} "
            f"{m['page']['requests_per_s']:>7.0f} {m['page']['p99_ms']:>6.0f} {m['phase_a_page_per_s']:>8.1f} "
            f"{m['booking_per_s']:>9.1f} {m['booking_vs_page'] or 0:>6.2f} {m['booking_latency_ms']['p99']:>9.0f} "
            f"{failed:>5} {m['load_1min_before']:>5.1f}"
        )


def run(args):
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # stop the server we started (finally) on a kill
    secret_key = secrets.token_urlsafe(50)
    log_path = f"/tmp/medly-serving-{args.port}.log"  # noqa: S108 (a bench log, like serve.sh's CONTROL_DIR)
    print(f"medly serving bench on port {args.port}: {len(args.config)} configurations; server log {log_path}")
    patients, rows = None, []
    for round_number, config in enumerate(args.config):
        server = BenchServer(args, config, secret_key, log_path)
        try:
            server.wait_ready()
            if patients is None:
                signup = types.SimpleNamespace(
                    url=server.url,
                    patients=args.patients + 1,  # the last one only reads, for wrk
                    prefix=args.prefix,
                    password=args.password,
                    timeout=30.0,
                    concurrency=10,
                )
                patients = sign_up_patients(signup)
            result = measure(args, server, patients, round_number)
        finally:
            server.stop()
        rows.append({"label": label(config), "config": config, "result": result})
        print(
            f"{label(config)}: login {result['login']['requests_per_s']:.0f}/s, page "
            f"{result['page']['requests_per_s']:.0f}/s, booking {result['booking_per_s']}/s "
            f"vs GET {result['phase_a_page_per_s']}/s = {result['booking_vs_page']}"
        )
    print_table(rows)
    print(f"\nmachine: {os.cpu_count()} CPUs; load averages now {', '.join(f'{x:.1f}' for x in os.getloadavg())}")
    if args.json:
        Path(args.json).write_text(json.dumps({"args": vars(args), "rows": rows}, indent=2, default=str))
    return 0


def main(argv=None):
    return run_main(parse_args, run, argv)


if __name__ == "__main__":
    sys.exit(main())
