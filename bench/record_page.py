"""Time a patient's record page with a small and a large record, over HTTP against a running Medly.

    PORT=8102 WORKERS=2 BENCH_DB=medly_bench_recordflat REDIS_DB=10 MONGO_PORT=27412 MONGO_DATA=file \
        bench/serve.sh                                                                   # terminal 1
    .venv/bin/python bench/record_page.py --url http://127.0.0.1:8102 --control-dir /tmp/medly-bench-8102

The engine measured is the one ``make run`` uses: mongoeco's SQLite engine, which serve.sh gives the
embedded server with ``MONGO_DATA=file`` (a SQLite file in CONTROL_DIR, removed by ``serve.sh drop``).
The script reads CONTROL_DIR/mongo.path and refuses a server on the memory engine (serve.sh's default,
which uses no index at all) unless ``--memory-engine`` says that is what is meant.

Set-up (idempotent, in this process, with the server's environment from $CONTROL_DIR/env): one doctor
and two patients (``--small`` and ``--large`` final encounters, default 10 and 5,000), each with a
record document; the encounters are written in bulk straight into the server's embedded MongoDB with
valid chain links and the chain head in MySQL (records/tests/bulk_helpers.py), so the page shows them
verified. Writing 5,000 into the embedded server takes a few minutes the first time.

Timing: each patient logs in over HTTP and reads ``/me/record/`` ``--requests`` times, the two
alternating so that a busy moment of the machine hits both; after ``--warm-up`` reads each (the
chain's verified mark is then in Redis, as on every view but the first). Prints median and p95 of
each, and the ratio large/small of the medians; ``--json FILE`` writes the same.
"""

import argparse
import json
import os
import shlex
import statistics
import sys
import time
from pathlib import Path

from _client import Session
from _report import rounded_percentiles_ms

REPO = Path(__file__).resolve().parent.parent
PASSWORD = "bench-record-page-2026"  # noqa: S105 (bench accounts on a bench database)
DOCTOR_EMAIL = "bench-record-doctor@medly.test"
# Made-up appointment ids of the bulk encounters: far above any real appointment of the bench database.
APPOINTMENT_IDS = {"small": 900_000_000, "large": 910_000_000}


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--url", default="http://127.0.0.1:8102")
    parser.add_argument(
        "--control-dir",
        default="/tmp/medly-bench-8102",  # noqa: S108 (bench/serve.sh's CONTROL_DIR for PORT=8102)
        help="bench/serve.sh's CONTROL_DIR",
    )
    parser.add_argument("--small", type=int, default=10, help="encounters of the small record")
    parser.add_argument("--large", type=int, default=5000, help="encounters of the large record")
    parser.add_argument("--requests", type=int, default=200, help="timed reads of each page")
    parser.add_argument("--warm-up", type=int, default=5, help="untimed reads of each page first")
    parser.add_argument("--json", metavar="FILE")
    parser.add_argument(
        "--memory-engine",
        action="store_true",
        help="measure a server whose embedded MongoDB keeps its data in memory (serve.sh without MONGO_DATA=file)",
    )
    return parser.parse_args(argv)


def mongo_engine(control_dir):
    """ "sqlite" when serve.sh gave the embedded MongoDB a file (as make run does), else "memory"."""
    path = Path(control_dir, "mongo.path")
    return "sqlite" if path.is_file() and path.read_text(encoding="utf-8").strip() else "memory"


def load_server_environment(control_dir):
    env_file = Path(control_dir, "env")
    if not env_file.is_file():
        sys.exit(f"{env_file} not found: start bench/serve.sh first (same CONTROL_DIR / PORT)")
    for line in env_file.read_text(encoding="utf-8").splitlines():
        name, _, value = line.removeprefix("export ").partition("=")
        os.environ[name] = shlex.split(value)[0] if value else ""
    # Bulk writes into the embedded server are slow, and it answers no heartbeat meanwhile: the set-up
    # waits for them (options in the URI win over Medly's defaults), the server does not.
    uri = os.environ["MONGO_URI"]
    os.environ["MONGO_URI"] = f"{uri}{'&' if '?' in uri else '?'}connectTimeoutMS=600000&socketTimeoutMS=600000"
    os.environ["MONGO_TIMEOUT_MS"] = "600000"


def set_up(sizes):
    """{size name: patient email}, each patient holding exactly the asked number of final encounters."""
    sys.path.insert(0, str(REPO))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "medly.settings")
    import django

    django.setup()
    from accounts.models import DoctorProfile, PatientProfile, Role, Sex, User
    from records import repository
    from records.models import RecordChainHead
    from records.tests.bulk_helpers import add_final_encounters, remove_encounters

    repository.ensure_indexes()
    doctor = _user(User, DOCTOR_EMAIL, Role.DOCTOR, "Bench", "Record Doctor")
    DoctorProfile.objects.get_or_create(user=doctor, defaults={"license_number": "90000001"})
    emails = {}
    for name, count in sizes.items():
        email = f"bench-record-{name}-{count}@medly.test"
        patient = _user(User, email, Role.PATIENT, "Bench", f"Record {count}")
        PatientProfile.objects.get_or_create(user=patient, defaults={"date_of_birth": "1980-01-01", "sex": Sex.FEMALE})
        repository.create_patient_record(patient_id=patient.pk, blood_type="O+", allergies=[])
        head = RecordChainHead.objects.filter(patient_id=patient.pk).first()
        if head is None or head.sequence != count:
            # A set-up cut off half-way, or another size asked: start this patient again.
            remove_encounters(patient_id=patient.pk)
            started = time.perf_counter()
            print(f"writing {count} encounters for {email} ...", flush=True)
            add_final_encounters(
                patient_id=patient.pk, doctor=doctor, count=count, appointment_ids_from=APPOINTMENT_IDS[name]
            )
            print(f"  done in {time.perf_counter() - started:.0f} s", flush=True)
        emails[name] = email
    return emails


def _user(User, email, role, first_name, last_name):
    user = User.objects.filter(email=email).first()
    if user is None:
        user = User.objects.create_user(email=email, password=PASSWORD, role=role)
        user.first_name, user.last_name = first_name, last_name
        user.save()
    return user


def log_in(url, email):
    session = Session(url, timeout=60)
    response = session.submit_form("/accounts/login/", {"username": email, "password": PASSWORD})
    if response.status != 302:
        sys.exit(f"login as {email} answered {response.status} {response.error}")
    return session


def time_pages(sessions, *, requests, warm_up):
    """{name: [seconds]} of ``/me/record/``, the sessions taking turns."""
    for session in sessions.values():
        for _ in range(warm_up):
            _read(session)
    seconds = {name: [] for name in sessions}
    for _ in range(requests):
        for name, session in sessions.items():
            seconds[name].append(_read(session))
    return seconds


def _read(session):
    response = session.get("/me/record/")
    if response.status != 200:
        sys.exit(f"/me/record/ answered {response.status} {response.error}")
    if "Record verified" not in response.body:
        sys.exit("the record page did not verify the chain: the bench data is not what the page expects")
    return response.seconds


def main(argv=None):
    args = parse_args(argv)
    load_server_environment(args.control_dir)
    engine = mongo_engine(args.control_dir)
    if engine == "memory" and not args.memory_engine:
        sys.exit(
            "the embedded MongoDB runs on the memory engine: start serve.sh with MONGO_DATA=file (the SQLite "
            "engine, as make run), or pass --memory-engine to measure that one"
        )
    sizes = {"small": args.small, "large": args.large}
    emails = set_up(sizes)
    sessions = {name: log_in(args.url, email) for name, email in emails.items()}
    load_before = os.getloadavg()
    seconds = time_pages(sessions, requests=args.requests, warm_up=args.warm_up)
    load_after = os.getloadavg()
    summary = {
        "url": args.url,
        "mongo_engine": engine,
        "requests_each": args.requests,
        "load_average_1m": [round(load_before[0], 2), round(load_after[0], 2)],
        "pages": {
            name: {"encounters": sizes[name], "median_ms": round(statistics.median(s) * 1000, 1)}
            | {f"{k}_ms": v for k, v in rounded_percentiles_ms(s).items()}
            for name, s in seconds.items()
        },
    }
    small, large = summary["pages"]["small"], summary["pages"]["large"]
    summary["ratio_median"] = round(large["median_ms"] / small["median_ms"], 2)
    summary["ratio_p95"] = round(large["p95_ms"] / small["p95_ms"], 2)
    load = f"load average {load_before[0]:.2f} -> {load_after[0]:.2f}"
    print(f"record page ({engine} engine), {args.requests} reads each, {load}")
    for page in summary["pages"].values():
        print(f"  {page['encounters']:>6} encounters: median {page['median_ms']:.1f} ms  p95 {page['p95_ms']:.1f} ms")
    print(f"  ratio {args.large}/{args.small}: median {summary['ratio_median']}  p95 {summary['ratio_p95']}")
    if args.json:
        Path(args.json).write_text(json.dumps(summary, indent=2) + "\n", encoding="utf-8")
    return summary


if __name__ == "__main__":
    main()
