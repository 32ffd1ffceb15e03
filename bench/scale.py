"""Every page on the demo data and at a clinic network's size, side by side, with EXPLAIN of what they run.

One command (from the repository root):

    .venv/bin/python bench/scale.py --generate --json var/scale.json     # build both databases, then measure
    .venv/bin/python bench/scale.py --reuse --json var/scale.json        # measure the databases built before

Two MariaDB databases (``--demo-db``, ``--scale-db``): the first holds ``seed_demo``
only, the second ``seed_demo`` plus ``seed_scale`` (100,000 patients, 500 doctors,
1,000,000 slots, 200,000 appointments by default; ``--fraction 0.1`` for a tenth).
Pages are requested in-process through Django's test ``Client`` against the real
MariaDB, Redis and an embedded MongoDB that this script starts (memory engine),
one subprocess per database: the median of ``--requests`` requests per page
after two warm-up requests, and the ratio scale/demo (goal ≤ 1.5).
Each page runs as the demo user of its role in both databases; at the network
size the busiest generated doctor and patient run the pages of their role too
("… (busiest)" rows, compared with the demo row of the same page).

Every SQL statement of one request of each page is captured and EXPLAINed; a
full scan (``type: ALL``) or a filesort over one of the big tables is flagged.

The embedded MongoDB cannot take 100,000s of inserts in reasonable time, so by
default the network-size database gets no MongoDB documents
(``seed_scale --without-documents``; ``--with-documents`` against a real MongoDB
with ``--mongo-uri``): the pages time their SQL at full size, and MongoDB reads
hit the demo patients' documents only.
"""

import argparse
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
PYTHON = sys.executable


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def environment(args, database, mongo_uri):
    env = dict(os.environ)
    env.update(
        DATABASE_URL=f"{args.mysql_url.rstrip('/')}/{database}",
        REDIS_URL=args.redis_url,
        MONGO_URI=f"{mongo_uri.rstrip('/')}/{database}" if mongo_uri.count("/") == 2 else mongo_uri,
        DEBUG="1",
        ALLOWED_HOSTS="testserver,127.0.0.1,localhost",
    )
    return env


def manage(env, *command):
    started = time.monotonic()
    print(f"  $ manage.py {' '.join(command)}", flush=True)
    subprocess.run([PYTHON, "manage.py", *command], cwd=REPO, env=env, check=True)  # noqa: S603 (our own manage.py)
    return time.monotonic() - started


def mysql(args, statement):
    host_part = args.mysql_url.split("://", 1)[1]
    credentials, _, address = host_part.rpartition("@")
    user = credentials.split(":", 1)[0] or "root"
    host, _, port = address.rstrip("/").partition(":")
    subprocess.run(  # noqa: S603 (the bench's own statements)
        ["mysql", f"-u{user}", f"-h{host}", f"-P{port or 3306}", "-e", statement],  # noqa: S607 (the mysql client on PATH)
        check=True,
        capture_output=True,
    )


def generate(args, env, database, scale):
    mysql(
        args,
        f"DROP DATABASE IF EXISTS `{database}`; "
        f"CREATE DATABASE `{database}` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci",
    )
    timings = {"migrate": manage(env, "migrate", "-v0"), "seed_demo": manage(env, "seed_demo")}
    if scale:
        sizes = {name: max(1, round(value * args.fraction)) for name, value in SIZES.items()}
        command = ["seed_scale", *[f"--{name}={value}" for name, value in sizes.items()]]
        if not args.with_documents:
            command.append("--without-documents")
        timings["seed_scale"] = manage(env, *command)
        timings["sizes"] = sizes
    return timings


SIZES = {"patients": 100_000, "doctors": 500, "slots": 1_000_000, "appointments": 200_000}


def start_mongo(args):
    if args.mongo_uri:
        return None, args.mongo_uri
    port = free_port()
    process = subprocess.Popen(  # noqa: S603 (our own manage.py)
        [PYTHON, "manage.py", "embedded_mongo", "--port", str(port)],
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    line = process.stdout.readline()
    if "listening" not in line:
        process.terminate()
        raise SystemExit(f"embedded MongoDB did not start: {line!r}")
    return process, f"mongodb://127.0.0.1:{port}"


def measure(args, env, label):
    with tempfile.NamedTemporaryFile(suffix=".json", delete=False) as out:
        path = out.name
    print(f"measuring pages on {label} ({args.requests} requests each)…", flush=True)
    subprocess.run(  # noqa: S603 (this script)
        [PYTHON, __file__, "--measure-pages", path, "--requests", str(args.requests)],
        cwd=REPO,
        env=env,
        check=True,
    )
    result = json.loads(Path(path).read_text(encoding="utf-8"))
    Path(path).unlink()
    return result


def load_average():
    try:
        return os.getloadavg()
    except OSError:
        return None


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--generate", action="store_true", help="(re)build both databases first (drops them)")
    parser.add_argument("--reuse", action="store_true", help="measure the databases built by an earlier --generate")
    parser.add_argument("--fraction", type=float, default=1.0, help="network size × this (0.1 to debug)")
    parser.add_argument("--requests", type=int, default=15, help="timed requests per page (median reported)")
    parser.add_argument("--json", help="write the whole result here")
    parser.add_argument("--demo-db", default="medly_bench_demo")
    parser.add_argument("--scale-db", default="medly_bench_scale")
    parser.add_argument("--mysql-url", default="mysql://root@127.0.0.1:3306")
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/5")
    parser.add_argument("--mongo-uri", help="a running MongoDB (default: start the embedded one, memory engine)")
    parser.add_argument("--with-documents", action="store_true", help="seed_scale writes MongoDB documents too")
    parser.add_argument("--measure-pages", metavar="OUT", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure_pages:
        from _scale_pages import run

        run(args.measure_pages, args.requests)
        return
    if args.generate == args.reuse:
        parser.error("say --generate (build the databases) or --reuse (measure the ones built before)")

    mongo, mongo_uri = start_mongo(args)
    try:
        result = {"date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()), "load_before": load_average()}
        envs = {
            "demo": environment(args, args.demo_db, mongo_uri),
            "scale": environment(args, args.scale_db, mongo_uri),
        }
        if args.generate:
            result["generation"] = {}
            for label, database in (("demo", args.demo_db), ("scale", args.scale_db)):
                print(f"generating {label} database {database}…", flush=True)
                result["generation"][label] = generate(args, envs[label], database, scale=label == "scale")
        result["demo"] = measure(args, envs["demo"], "the demo data")
        result["scale"] = measure(args, envs["scale"], "the network size")
        result["load_after"] = load_average()
    finally:
        if mongo is not None:
            mongo.terminate()
            mongo.wait(timeout=10)
    report(result)
    if args.json:
        Path(args.json).write_text(json.dumps(result, indent=2, ensure_ascii=False), encoding="utf-8")
        print(f"written to {args.json}")


def report(result):
    demo = {page["name"]: page for page in result["demo"]["pages"]}
    print()
    print(f"{'page':<48} {'demo ms':>8} {'scale ms':>9} {'ratio':>6}  {'queries':>9}  status")
    failing = []
    for page in result["scale"]["pages"]:
        base = demo.get(page["compare_with"])
        base_ms = base["median_ms"] if base else None
        ratio = page["median_ms"] / base_ms if base_ms and page["median_ms"] else None
        page["ratio"] = round(ratio, 2) if ratio else None
        mark = "" if ratio is None or ratio <= 1.5 else "  > 1.5×"
        if mark:
            failing.append(page["name"])
        queries = f"{base['queries'] if base else '-'}→{page['queries']}"
        statuses = f"{base['status'] if base else '-'}/{page['status']}"
        print(
            f"{page['name']:<48} {base_ms if base_ms is not None else '-':>8} {page['median_ms'] or '-':>9} "
            f"{(f'{ratio:.2f}' if ratio else '-'):>6}  {queries:>9}  {statuses}{mark}"
        )
    print()
    flagged = [plan for plan in result["scale"]["explains"] if plan["flags"]]
    print(
        f"EXPLAIN at the network size: {len(result['scale']['explains'])} distinct statements, {len(flagged)} flagged"
    )
    for plan in flagged:
        print(f"- [{', '.join(plan['pages'][:3])}] {'; '.join(plan['flags'])}")
        print(f"    {plan['sql'][:300]}")
    print()
    print(f"pages over 1.5×: {', '.join(failing) or 'none'}")
    print(f"load average before {result['load_before']}, after {result['load_after']}")


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    main()
