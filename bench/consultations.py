#!/usr/bin/env python3
"""Consultation benchmark for a running Medly server: doctors close N consultations, then check_consistency.

Stdlib only (plus MySQLdb from the project's venv for the optional database
check). Run it with the project's Python from the repository root, against a
server you started yourself with bench/serve.sh, with that server's
environment (serve.sh writes it to $CONTROL_DIR/env):

    . /tmp/medly-bench-8100/env
    .venv/bin/python bench/consultations.py http://127.0.0.1:8100 \\
        --consultations 100 --concurrency 4 --double-submits 10 --open-slots 58 \\
        --database-url mysql://root@127.0.0.1:3306/medly_bench

What it does:

1. Setup: N + D patients (``<prefix>-<n>@medly.test``, no allergies) sign up
   (or log in if they exist); the demo doctor's latest N + D open slots are
   read from his page (optionally ``--open-slots DAYS`` first) and each
   patient books one of them. The doctor's week agendas
   (/appointments/?view=week) give the appointment ids
   (/appointments/<id>/consultation/ links), matched by day and time.
2. Closing: C threads, each with its own logged-in session of the doctor,
   GET the consultation form and POST it (diagnosis J02.9, vitals, two
   prescription lines) for the N appointments. A close is good when it
   answers 302 to /patients/<patient>/record/.
3. Double submits: for D more appointments, two sessions of the doctor GET
   the form and POST it at the same instant (a threading.Barrier); exactly
   one must be told "closed", the other "already closed".
4. ``--outage``: the N closes run in three parts; the embedded MongoDB is
   stopped (``--outage-kind kill``: killed and held down; ``freeze``:
   SIGSTOP) for the middle part and started again before the last. Closes
   during the outage must answer 302 with "Your note is saved safely"
   (after confirming the allergy check the page could not make) and leave
   the appointment "closing"; check_consistency must then report them;
   ``manage.py reconcile`` rolls them forward and check_consistency must be
   clean.
5. Checks: the doctor's agenda shows every appointment "completed"; every
   patient's record page shows exactly one final encounter carrying this
   run's diagnosis and nothing pending; with ``--database-url`` every
   appointment is ``completed`` with its own 24-hex ``encounter_id``; finally
   ``--check-command`` (``manage.py check_consistency``) must exit 0.

Exit status: 0 clean; 1 check_consistency failed (or could not run); 3 a
close failed or a check disagreed; 2 the run could not be set up.
"""

import argparse
import json
import os
import sys
import time
import urllib.parse

from _cli import add_shared_arguments, check_shared_arguments, run_main
from _consultations_checks import check_agenda, check_database, check_records
from _consultations_close import close_phase, double_submit_phase, print_summary, summarize
from _consultations_setup import doctor_sessions, setup
from _manage import run_command, server_environment
from _outage import MongoControl

EXIT_INCONSISTENT, EXIT_FAILED = 1, 3  # 2: the run could not be set up (_cli.EXIT_SETUP)


# --- command line -----------------------------------------------------------


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("url", help="base URL of the running server, e.g. http://127.0.0.1:8100")
    parser.add_argument("--consultations", "-n", type=int, default=100, help="consultations closed (default 100)")
    parser.add_argument("--concurrency", "-c", type=int, default=4, help="doctor sessions closing at once (default 4)")
    parser.add_argument(
        "--double-submits",
        type=int,
        default=10,
        help="more consultations each posted twice at the same instant (default 10)",
    )
    parser.add_argument("--setup-concurrency", type=int, default=10, help="parallel sign-ups and bookings")
    add_shared_arguments(parser, "consult")
    parser.add_argument("--database-url", help="mysql://user:pass@host:port/db to check the appointments in MySQL")
    parser.add_argument(
        "--check-command",
        default=".venv/bin/python manage.py check_consistency",
        help="run from the repository root with the server's environment (default: %(default)s)",
    )
    parser.add_argument(
        "--reconcile-command",
        default=".venv/bin/python manage.py reconcile",
        help="with --outage: run after the store is back (default: %(default)s)",
    )
    parser.add_argument(
        "--server-env",
        metavar="FILE",
        help="`export NAME=value` lines for the two commands (serve.sh writes $CONTROL_DIR/env; "
        "used by default when it exists); otherwise they inherit this environment",
    )
    parser.add_argument("--control-dir", help="serve.sh's CONTROL_DIR (default /tmp/medly-bench-<port of url>)")
    parser.add_argument(
        "--outage",
        action="store_true",
        help="stop the embedded MongoDB during the middle third of the closes, then reconcile",
    )
    parser.add_argument(
        "--outage-kind",
        choices=["kill", "freeze"],
        default="kill",
        help="kill: stop the process and restart it (needs MONGO_DATA=file serve.sh); "
        "freeze: SIGSTOP/SIGCONT it (any data mode)",
    )
    parser.add_argument("--json", metavar="FILE", help="also write the summary as JSON to FILE")
    args = parser.parse_args(argv)
    if args.consultations < 1 or args.double_submits < 0 or args.concurrency < 1 or args.setup_concurrency < 1:
        parser.error("need --consultations >= 1, --double-submits >= 0, --concurrency >= 1")
    if args.outage and args.consultations < 3:
        parser.error("--outage needs --consultations >= 3 (before, during and after the outage)")
    check_shared_arguments(parser, args)
    if args.control_dir is None:
        args.control_dir = f"/tmp/medly-bench-{urllib.parse.urlsplit(args.url).port or 80}"  # noqa: S108
    return args


# --- main -----------------------------------------------------------------------


def run(args):
    print(
        f"medly consultation bench against {args.url}: {args.consultations} closes at concurrency "
        f"{args.concurrency}, {args.double_submits} double submits"
        + (f", MongoDB outage ({args.outage_kind}) during the middle third" if args.outage else "")
        + f"; load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}"
    )
    env, env_file = server_environment(args)
    print(
        f"check_consistency environment: {env_file or 'inherited'} (DATABASE_URL={env['DATABASE_URL']}, "
        f"MONGO_URI={env['MONGO_URI']})"
    )
    control = MongoControl(args.control_dir, args.outage_kind) if args.outage else None
    baseline, _ = run_command(args.check_command, env, "before the run")
    doctor, visits = setup(args)
    measured, doubles = visits[: args.consultations], visits[args.consultations :]
    sessions = doctor_sessions(args, args.concurrency)
    pair = doctor_sessions(args, 2) if doubles else []
    tag = args.prefix
    result = {
        "args": {k: v for k, v in vars(args).items() if k != "password"},
        "baseline_check_exit": baseline,
        "load_average_start": os.getloadavg(),
    }
    print(
        f"doctor sessions: {len(sessions)} closing, {len(pair)} for double submits; "
        f"load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}"
    )

    phases, problems, interim = [], [], {}

    def done(phase):
        phases.append(phase)
        print_summary(summarize(phase), phase.notes)

    if control is None:
        done(close_phase("close", measured, sessions, tag))
    else:
        third = len(measured) // 3
        before, during, after = measured[:third], measured[third : 2 * third], measured[2 * third :]
        done(close_phase("before the outage", before, sessions, tag))
        outage_started = time.perf_counter()
        try:
            print(f"\noutage: {control.stop()}")
            done(
                close_phase(
                    "during the outage",
                    during,
                    sessions,
                    tag,
                    expected="saved safely",
                    confirm_unchecked=True,
                    read_message=True,
                )
            )
            print("\noutage: while the store is still down")
            interim["agenda"] = check_agenda(doctor, during, "closing")
            if args.database_url:
                interim["database"] = check_database(args.database_url, during, expected="closing")
        finally:
            print(f"outage: {control.start()} after {time.perf_counter() - outage_started:.1f} s down\n")
        problems += interim.get("agenda", []) + interim.get("database", [])
        done(close_phase("after the outage", after, sessions, tag))
    if doubles:
        done(double_submit_phase(doubles, pair, tag))
    result["load_average_end"] = os.getloadavg()

    summaries = [summarize(phase) for phase in phases]
    failed_closes = sum(s["closes"] - s["good"] for s in summaries if "pairs" not in s)
    failed_closes += sum(s["pairs"] - s["pairs_ok"] for s in summaries if "pairs" in s)

    print("\n== checks")
    if control is not None:
        code, lines = run_command(args.check_command, env, "before reconcile (expected: exit 1, the closing ones)")
        still = sum(1 for line in lines if line.endswith(" is still closing"))
        print(f"     -> {still} appointments reported 'still closing' (the outage left {len(phases[1].closes)})")
        result["check_before_reconcile"] = {"exit": code, "still_closing": still}
        if still != len(phases[1].closes):
            problems.append(
                f"check_consistency before reconcile named {still} closing appointments, "
                f"expected {len(phases[1].closes)}"
            )
        code, lines = run_command(args.reconcile_command, env, "reconcile")
        result["reconcile"] = {"exit": code, "summary": lines[-1:]}
        if code != 0:
            problems.append(f"reconcile exited {code}")
    problems += check_agenda(doctor, visits, "completed")
    problems += check_records(sessions, visits, tag)
    if args.database_url:
        problems += check_database(args.database_url, visits)
    else:
        print("   database: not checked (pass --database-url mysql://...)")
    for problem in problems[:20]:
        print(f"     {problem}")
    final, lines = run_command(args.check_command, env, "check_consistency")
    result.update(summaries=summaries, problems=problems, interim=interim, check_exit=final, check_output=lines[:50])

    status = 0
    if failed_closes or problems:
        status = EXIT_FAILED
    if final != 0:
        status = EXIT_INCONSISTENT
    if args.json:
        with open(args.json, "w", encoding="utf-8") as out:
            json.dump(result, out, indent=2, default=str)
    print(
        f"\nresult: {'OK' if status == 0 else 'FAILED'} (exit {status}): {failed_closes} failed closes, "
        f"{len(problems)} check problems, check_consistency exit {final}"
    )
    return status


def main(argv=None):
    return run_main(parse_args, run, argv)


if __name__ == "__main__":
    sys.exit(main())
