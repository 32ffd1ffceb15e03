#!/usr/bin/env python3
"""Public pages under wrk, against the login page as the floor, for a running Medly server.

Stdlib only (plus wrk: ``apt-get install wrk`` if /usr/bin/wrk is missing). Start a server
first, e.g. ``PORT=8101 BENCH_DB=medly_bench_pagecache REDIS_DB=11 bench/serve.sh``, then:

    .venv/bin/python bench/pages.py http://127.0.0.1:8101 --open-slots 4
    .venv/bin/python bench/pages.py http://127.0.0.1:8101 --connections 20 50 --duration 15 --json out.json

What it does:

1. Optional ``--open-slots DAYS``: the demo doctor opens 30-minute slots from tomorrow,
   ``--open-from`` to ``--open-until`` every day (4 days of 07:00-21:00 give the ~110 open
   slots the issue measures); idempotent.
2. Picks the doctor whose page lists the most open slots (or ``--doctor-id``) and checks every
   page answers 200 (which also warms the server's caches: a run measures the steady state).
3. For each connection count, ``--rounds`` times, runs wrk on each page in turn: the login page
   (a template and a CSRF token, no query: the floor), the directory, the directory with ``?q=``,
   the doctor page. Rounds interleave the pages, so a load swing on a shared machine hits them alike.
4. Prints requests/s, p50/p99 latency, non-2xx answers and socket errors, and each page's ratio
   to the login page's requests/s in the same round; the summary gives the medians over the
   rounds. ``--json FILE`` writes the summary and every round.

The machine is usually shared: run it a couple of times and compare ratios, not absolute figures.
Exit status: 0 done; 2 the run could not be set up.
"""

import argparse
import json
import re
import statistics
import sys
import time
import urllib.parse

from _cli import SetupError, add_shared_arguments, check_shared_arguments, run_main
from _client import Session, doctor_ids
from _slots import open_more_slots
from _wrk import WrkError, run_wrk, wrk_path

SLOT_LINK_RE = re.compile(r'<a class="slot-link" href="/slots/\d+/book/"')
# The goals of issue 12 for these pages.
GOAL_RATIO = 0.70
GOAL_DOCTOR_P99_MS = 50.0


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("url", help="the running server, e.g. http://127.0.0.1:8101")
    parser.add_argument("--connections", type=int, nargs="+", default=[20], help="wrk connection counts (default 20)")
    parser.add_argument("--duration", type=int, default=10, help="seconds of wrk per page and round (default 10)")
    parser.add_argument("--rounds", type=int, default=3, help="rounds of all pages per connection count (default 3)")
    parser.add_argument("--threads", type=int, default=2, help="wrk threads (default 2)")
    parser.add_argument("--query", default="card", help="the directory search measured (default 'card')")
    parser.add_argument("--doctor-id", type=int, help="the doctor page measured (default: the one with most slots)")
    parser.add_argument("--json", metavar="FILE", help="also write the results as JSON")
    add_shared_arguments(parser, "bench-pages")
    args = parser.parse_args(argv)
    check_shared_arguments(parser, args)
    return args


def slot_count(session, doctor_id):
    response = session.get(f"/doctors/{doctor_id}/")
    if response.status != 200:
        raise SetupError(f"GET /doctors/{doctor_id}/ answered {response.status} {response.error}")
    return len(SLOT_LINK_RE.findall(response.body))


def pick_doctor(session, args):
    if args.doctor_id:
        return args.doctor_id, slot_count(session, args.doctor_id)
    counts = {doctor_id: slot_count(session, doctor_id) for doctor_id in doctor_ids(session)}
    if not counts:
        raise SetupError("the directory lists no doctor: was seed_demo run (bench/serve.sh does)?")
    doctor_id = max(counts, key=counts.get)
    return doctor_id, counts[doctor_id]


def pages_to_measure(session, args, doctor_id):
    pages = {
        "login": "/accounts/login/",
        "directory": "/doctors/",
        "directory ?q=": f"/doctors/?{urllib.parse.urlencode({'q': args.query})}",
        "doctor page": f"/doctors/{doctor_id}/",
    }
    for name, path in pages.items():
        response = session.get(path)
        if response.status != 200:
            raise SetupError(f"{name}: GET {path} answered {response.status} {response.error}")
    return pages


def measure(args, pages):
    """Per connection count, ``--rounds`` rounds of every page in turn, so a load swing on a shared
    machine hits all pages alike; each page's figures are the medians over the rounds."""
    measured = []
    for connections in args.connections:
        runs = {name: [] for name in pages}
        for round_number in range(1, args.rounds + 1):
            for name, path in pages.items():
                try:
                    result = run_wrk(
                        args.url.rstrip("/") + path,
                        connections=connections,
                        duration_s=args.duration,
                        threads=args.threads,
                        headers={"Accept-Language": "en"},
                    )
                except WrkError as error:
                    raise SetupError(str(error)) from error
                runs[name].append(result)
            floor = runs["login"][-1]["requests_per_s"]
            for name in pages:
                result = runs[name][-1]
                result["ratio_to_login"] = result["requests_per_s"] / floor if floor else None
                print(f"  {connections:>4} conn  round {round_number}  {row(name, result)}", flush=True)
        measured.append(
            {"connections": connections, "pages": {name: combined(runs[name]) for name in pages}, "runs": runs}
        )
    return measured


def combined(runs):
    ratios = [run["ratio_to_login"] for run in runs if run["ratio_to_login"] is not None]
    return {
        "requests_per_s": statistics.median(run["requests_per_s"] for run in runs),
        "p50_ms": statistics.median(run["p50_ms"] for run in runs),
        "p99_ms": statistics.median(run["p99_ms"] for run in runs),
        "requests": sum(run["requests"] for run in runs),
        "non_2xx": sum(run["non_2xx"] for run in runs),
        "errors": sum(run["errors"] for run in runs),
        "ratio_to_login": statistics.median(ratios) if ratios else None,
        "stalled_rounds": sum(1 for run in runs if run["requests"] == 0),
    }


def row(name, result):
    ratio = result["ratio_to_login"] or 0.0
    return (
        f"{name:<14} {result['requests_per_s']:>8.1f} req/s  p50 {result['p50_ms']:>7.2f} ms  "
        f"p99 {result['p99_ms']:>7.2f} ms  non-2xx {result['non_2xx']:>4}  errors {result['errors']:>3}  "
        f"ratio {ratio:.2f}"
    )


def summary(rounds):
    lines = ["", "Summary (medians over the rounds; ratio = page req/s / login page req/s in the same round):"]
    for measured in rounds:
        pages = measured["pages"]
        lines.append(f"  {measured['connections']} connections:")
        for name, result in pages.items():
            lines.append(f"    {row(name, result)}")
        verdicts = [
            f"{name} {'meets' if (result['ratio_to_login'] or 0) >= GOAL_RATIO else 'misses'} >= {GOAL_RATIO:.2f}"
            for name, result in pages.items()
            if name != "login"
        ]
        doctor_p99 = pages["doctor page"]["p99_ms"]
        verdicts.append(
            f"doctor page p99 {doctor_p99:.1f} ms {'meets' if doctor_p99 < GOAL_DOCTOR_P99_MS else 'misses'} "
            f"< {GOAL_DOCTOR_P99_MS:.0f} ms"
        )
        lines.append("    goals: " + "; ".join(verdicts))
        stalled = [name for name, result in pages.items() if result["stalled_rounds"]]
        if stalled:
            lines.append(
                f"    WARNING: {', '.join(stalled)} got no answer for a whole round: the server stalled "
                "(all workers restarting at once after max_requests?); run it again"
            )
    return "\n".join(lines)


def run(args):
    print(f"wrk: {wrk_path()}")
    session = Session(args.url, timeout=args.timeout)
    if args.open_slots:
        open_more_slots(args)
    doctor_id, slots = pick_doctor(session, args)
    print(f"doctor page: /doctors/{doctor_id}/ with {slots} open slots")
    pages = pages_to_measure(session, args, doctor_id)
    started = time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime())
    rounds = measure(args, pages)
    print(summary(rounds))
    if args.json:
        report = {
            "started": started,
            "url": args.url,
            "duration_s": args.duration,
            "threads": args.threads,
            "doctor_id": doctor_id,
            "doctor_page_slots": slots,
            "rounds": rounds,
        }
        with open(args.json, "w", encoding="utf-8") as out:
            json.dump(report, out, indent=2)
        print(f"wrote {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(run_main(parse_args, run))
