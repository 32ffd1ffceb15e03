#!/usr/bin/env python3
"""The public pages read from a MariaDB replica vs from the primary, on a private pair set up here.

    .venv/bin/python bench/replica.py                      # 2 rounds x 10 s per page, 20 connections
    .venv/bin/python bench/replica.py --rounds 3 --json /tmp/replica.json

It starts a private MariaDB primary (binlog + GTID, port 3316) and a replica replicating from it
(port 3317, MASTER_USE_GTID=slave_pos), both in a temporary directory (medly/tests/mariadb_pair.py;
the system MariaDB on 3306 is not touched), the embedded MongoDB, migrates Medly onto the primary
and loads the demo data, then serves it with two gunicorn instances in production mode: one with
DATABASE_REPLICA_URL (port 8106), one without (port 8107). wrk loads the login page (the floor),
the directory and the demo doctor's page on each, the rounds interleaved. The replica's own
SELECT counter shows the reads really went there. Everything is torn down at the end, on Ctrl-C
and on failure.
"""

import argparse
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "bench"))

from _wrk import run_wrk  # noqa: E402

from medly.tests.mariadb_pair import MariaDBPair  # noqa: E402

PYTHON = str(REPO / ".venv/bin/python")
GUNICORN = str(REPO / ".venv/bin/gunicorn")
DATABASE = "medly"
PAGES = {"login (floor)": "/accounts/login/", "directory": "/doctors/", "doctor page": None}


def wait_for_port(port, deadline_s=30):
    deadline = time.monotonic() + deadline_s
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"nothing listens on {port}")


def get(url, deadline_s=90):
    """GET, retried while the workers boot (slow on a busy machine)."""
    deadline = time.monotonic() + deadline_s
    while True:
        try:
            with urllib.request.urlopen(url, timeout=30) as response:  # noqa: S310 - loopback
                return response.status, response.read().decode()
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.5)


def manage(env, *args):
    subprocess.run(  # noqa: S603 - our own manage.py
        [PYTHON, "manage.py", *args], cwd=REPO, env=env, check=True, stdout=subprocess.DEVNULL
    )


def replica_selects(pair):
    return int(pair.replica.query("SHOW GLOBAL STATUS LIKE 'Com_select'")[0][1])


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--duration", type=int, default=10, help="seconds per wrk run")
    parser.add_argument("--connections", type=int, default=20)
    parser.add_argument("--workers", type=int, default=3, help="gunicorn workers per instance")
    parser.add_argument("--primary-port", type=int, default=3316)
    parser.add_argument("--replica-port", type=int, default=3317)
    parser.add_argument("--web-ports", type=int, nargs=2, default=[8106, 8107], metavar=("REPLICA", "PRIMARY"))
    parser.add_argument("--mongo-port", type=int, default=27416)
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/6")
    parser.add_argument("--json", help="also write the results to this file")
    args = parser.parse_args()

    # SIGTERM tears down like Ctrl-C.
    signal.signal(signal.SIGTERM, lambda *_: (_ for _ in ()).throw(KeyboardInterrupt()))
    children = []
    static_root = tempfile.mkdtemp(prefix="medly-replica-static-")
    pair = MariaDBPair(primary_port=args.primary_port, replica_port=args.replica_port)
    try:
        print(f"starting MariaDB primary :{args.primary_port} and replica :{args.replica_port} ...", flush=True)
        pair.start()
        pair.primary.query(f"CREATE DATABASE {DATABASE} CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci")
        mongo = subprocess.Popen(  # noqa: S603 - our own manage.py
            [PYTHON, "manage.py", "embedded_mongo", "--port", str(args.mongo_port)],
            cwd=REPO,
            stdout=subprocess.DEVNULL,
        )
        children.append(mongo)
        wait_for_port(args.mongo_port)
        env = {
            **os.environ,
            "DATABASE_URL": pair.primary.url(DATABASE),
            "REDIS_URL": args.redis_url,
            "CACHE_KEY_PREFIX": f"medly-replica-bench-{os.getpid()}",
            "MONGO_URI": f"mongodb://127.0.0.1:{args.mongo_port}/{DATABASE}",
            "DEBUG": "0",
            "SECRET_KEY": secrets.token_urlsafe(50),
            "ALLOWED_HOSTS": "127.0.0.1,localhost",
            "MEDLY_PLAIN_HTTP": "1",
            "STATIC_ROOT": static_root,
            "WEB_CONCURRENCY": str(args.workers),
            "EMAIL_BACKEND": "django.core.mail.backends.locmem.EmailBackend",
        }
        replica_env = {**env, "DATABASE_REPLICA_URL": pair.replica.url(DATABASE)}
        print("migrating Medly onto the primary and loading the demo data ...", flush=True)
        manage(env, "migrate", "--noinput")
        manage(env, "collectstatic", "--noinput")
        manage(env, "seed_demo")
        # The fence a schedule change would leave: the replica is used once it has applied this.
        manage(replica_env, "shell", "-c", "from medly.replicas import remember_primary_position as r; r()")
        pair.wait_until_replica_caught_up(60)
        doctor_id = pair.primary.query(
            "SELECT id FROM accounts_user WHERE email = 'doctor@medly.test'", database=DATABASE
        )[0][0]
        PAGES["doctor page"] = f"/doctors/{doctor_id}/"

        servers = {}
        for reads_from, port, server_env in (
            ("replica", args.web_ports[0], replica_env),
            ("primary", args.web_ports[1], env),
        ):
            process = subprocess.Popen(  # noqa: S603 - the venv's gunicorn
                [GUNICORN, "-c", "gunicorn.conf.py", "--bind", f"127.0.0.1:{port}", "medly.wsgi:application"],
                cwd=REPO,
                env={**server_env, "HOME": tempfile.mkdtemp(prefix=f"medly-gunicorn-{port}-")},
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            children.append(process)
            servers[reads_from] = port
        for port in servers.values():
            wait_for_port(port)
            for path in PAGES.values():
                status, _ = get(f"http://127.0.0.1:{port}{path}")
                assert status == 200, (port, path, status)

        results = {name: {"primary": [], "replica": []} for name in PAGES}
        replica_select_delta = {"primary": 0, "replica": 0}
        for round_number in range(1, args.rounds + 1):
            for name, path in PAGES.items():
                for reads_from, port in servers.items():
                    before = replica_selects(pair)
                    result = run_wrk(
                        f"http://127.0.0.1:{port}{path}", connections=args.connections, duration_s=args.duration
                    )
                    replica_select_delta[reads_from] += replica_selects(pair) - before
                    results[name][reads_from].append(result)
                    print(
                        f"round {round_number} {name:14} {reads_from:8} {result['requests_per_s']:8.1f} req/s  "
                        f"p99 {result['p99_ms']:7.1f} ms  non-2xx {result['non_2xx']}  errors {result['errors']}",
                        flush=True,
                    )
        summary = summarise(results, replica_select_delta, args)
        print(json.dumps(summary, indent=2))
        if args.json:
            Path(args.json).write_text(json.dumps({"summary": summary, "runs": results}, indent=2))
    except KeyboardInterrupt:
        print("interrupted: tearing down", file=sys.stderr)
        return 130
    finally:
        for child in reversed(children):
            child.terminate()
        for child in children:
            try:
                child.wait(timeout=20)
            except subprocess.TimeoutExpired:
                child.kill()
        pair.stop()
        shutil.rmtree(static_root, ignore_errors=True)
    return 0


def summarise(results, replica_select_delta, args):
    def best(runs):
        return max(run["requests_per_s"] for run in runs)

    floor = {reads_from: best(results["login (floor)"][reads_from]) for reads_from in ("primary", "replica")}
    pages = {}
    for name in ("directory", "doctor page"):
        replica_rate, primary_rate = best(results[name]["replica"]), best(results[name]["primary"])
        pages[name] = {
            "replica_req_per_s": replica_rate,
            "primary_req_per_s": primary_rate,
            "replica_over_primary": round(replica_rate / primary_rate, 2),
            "replica_p99_ms": min(run["p99_ms"] for run in results[name]["replica"]),
            "primary_p99_ms": min(run["p99_ms"] for run in results[name]["primary"]),
            "replica_over_floor": round(replica_rate / floor["replica"], 2),
            "primary_over_floor": round(primary_rate / floor["primary"], 2),
        }
    return {
        "connections": args.connections,
        "duration_s": args.duration,
        "rounds": args.rounds,
        "workers_per_instance": args.workers,
        "floor_req_per_s": floor,
        "pages": pages,
        "selects_on_the_replica_while_loading": replica_select_delta,
        "load_average_at_end": os.getloadavg(),
    }


if __name__ == "__main__":
    sys.exit(main())
