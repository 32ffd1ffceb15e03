#!/usr/bin/env python3
"""Booking vs an authenticated page: the same logged-in patients GET /appointments/, then book.

Issue 12's goal: booking ≥ 80 % of the requests/s the same clients get from an
authenticated GET of /appointments/. One run, one server, the same N clients
(one cookie jar each, one request at a time each, N at once):

    MAX_FUTURE_APPOINTMENTS=1000 PORT=8104 bench/serve.sh          # in another terminal
    .venv/bin/python bench/booking_ratio.py http://127.0.0.1:8104 \\
        --max-future-appointments 1000 --database-url mysql://root@127.0.0.1:3306/medly_bench

1. Sign-up: N patients (``<prefix>-<n>@medly.test``) register and stay logged in.
2. Bench doctors: ``manage.py shell`` with the server's environment ($CONTROL_DIR/env,
   written by serve.sh) creates ``<prefix>-dr<i>@medly.test`` doctors and opens
   30-minute slots from tomorrow, every day 07:00–21:00, enough for ``--bookings``.
   Every run has its own prefix, so its own fresh slots and patients.
3. Phase A: every client GETs /appointments/ in a loop for ``--seconds``.
4. Phase B: the same clients book distinct slots, each its own list in a loop,
   every booking one the app must accept (no overlap, one per doctor per day,
   at most ``--max-future-appointments``: the server's MAX_FUTURE_APPOINTMENTS;
   lift it on the server for a long phase B — the limit query still runs).
5. Both rates, their ratio and latencies; then the 302s and, with
   ``--database-url``, the database: no double booking anywhere, and every slot
   of the run holds exactly the appointments the HTTP answers said.

Exit status: 0 clean; 1 a double booking; 3 the database disagrees otherwise;
4 a request of phase A or B failed; 2 the run could not be set up.
"""

import argparse
import json
import math
import sys
import threading
import time
from collections import Counter
from datetime import datetime
from pathlib import Path

from _accounts import sign_up_patients
from _cli import SetupError, run_main
from _client import OpenSlot
from _manage import REPO, server_environment
from _report import counts_text, latency_text, rounded_percentiles_ms
from _slots import book
from booking import assign_distinct, report_database_check

EXIT_FAILED_REQUESTS = 4
SLOTS_PER_DAY = 28  # 07:00–21:00 in 30-minute slots
MAX_DAYS = 58
# Run by `manage.py shell` with the server's environment: bench doctors and their open slots, as JSON.
BENCH_DOCTORS_SCRIPT = """
import datetime, json
from django.utils import timezone
from accounts.models import DoctorProfile, Role, User
from scheduling.availability import open_slots
from scheduling.models import Slot, SlotStatus, Specialty

prefix, count, days = {prefix!r}, {count}, {days}
first = timezone.localdate() + datetime.timedelta(days=1)
doctors = []
for i in range(count):
    email = f"{{prefix}}-dr{{i}}@medly.test"
    doctor = User.objects.filter(email=email).first()
    if doctor is None:
        doctor = User.objects.create_user(email, None, first_name="Bench", last_name=f"Doctor {{i}}", role=Role.DOCTOR)
        DoctorProfile.objects.create(user=doctor).specialties.add(Specialty.objects.get(name="Medicina General"))
    open_slots(doctor=doctor, start_date=first, end_date=first + datetime.timedelta(days=days - 1),
               weekdays=range(7), start_time=datetime.time(7), end_time=datetime.time(21), slot_minutes=30)
    doctors.append(doctor.pk)
rows = Slot.objects.filter(doctor_id__in=doctors, status=SlotStatus.OPEN, starts_at__gt=timezone.now())
print("BENCH-SLOTS " + json.dumps([
    [pk, doctor_id, timezone.localtime(starts_at).replace(tzinfo=None).isoformat()]
    for pk, doctor_id, starts_at in rows.order_by("starts_at", "pk").values_list("pk", "doctor_id", "starts_at")
]))
"""


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("url", help="base URL of the running server, e.g. http://127.0.0.1:8104")
    parser.add_argument("--patients", type=int, default=50, help="logged-in clients, in both phases (default 50)")
    parser.add_argument("--seconds", type=float, default=10.0, help="length of phase A (default 10)")
    parser.add_argument("--bookings", type=int, default=1500, help="bookings sent in phase B (default 1500)")
    parser.add_argument("--days", type=int, default=MAX_DAYS, help=f"days of bench slots (default {MAX_DAYS})")
    parser.add_argument(
        "--max-future-appointments",
        type=int,
        default=4,
        metavar="N",
        help="the server's MAX_FUTURE_APPOINTMENTS: no patient is sent more bookings (default 4)",
    )
    parser.add_argument("--prefix", default=f"ratio-{int(time.time())}", help="email prefix of this run's accounts")
    parser.add_argument("--password", default="Tortuga-azul-2026-bench", help="the bench patients' password")
    parser.add_argument("--timeout", type=float, default=30.0, help="seconds before a request counts as timed out")
    parser.add_argument("--concurrency", type=int, default=10, help="parallel sign-ups (default 10)")
    parser.add_argument("--control-dir", help="serve.sh's CONTROL_DIR (default /tmp/medly-bench-<port of url>)")
    parser.add_argument("--server-env", help="file of `export` lines with the server's environment")
    parser.add_argument("--database-url", help="mysql://user:pass@host:port/db to check the bookings")
    parser.add_argument("--json", metavar="FILE", help="also write the summary as JSON to FILE")
    args = parser.parse_args(argv)
    if args.patients < 1 or args.seconds <= 0 or args.bookings < 1 or not 1 <= args.days <= MAX_DAYS:
        parser.error(f"need --patients >= 1, --seconds > 0, --bookings >= 1, 1 <= --days <= {MAX_DAYS}")
    if args.control_dir is None:
        port = args.url.rstrip("/").rsplit(":", 1)[-1]
        args.control_dir = f"/tmp/medly-bench-{port if port.isdigit() else 8100}"  # noqa: S108 (serve.sh's default)
    return args


def bench_slots(args):
    """Create this run's doctors and slots through the server's own code; [OpenSlot] in time order."""
    import subprocess  # noqa: PLC0415 (only the set-up needs it)

    doctors = math.ceil(args.bookings / (args.days * SLOTS_PER_DAY)) + 1
    env, _ = server_environment(args)
    script = BENCH_DOCTORS_SCRIPT.format(prefix=args.prefix, count=doctors, days=args.days)
    started = time.perf_counter()
    done = subprocess.run(  # noqa: S603 (this repository's manage.py, our own script)
        [sys.executable, "manage.py", "shell", "-c", script],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    line = next((x for x in done.stdout.splitlines() if x.startswith("BENCH-SLOTS ")), None)
    if done.returncode != 0 or line is None:
        raise SetupError(f"creating the bench doctors failed (exit {done.returncode}):\n{done.stderr[-2000:]}")
    slots = [
        OpenSlot(pk, doctor_id, datetime.fromisoformat(starts_at))
        for pk, doctor_id, starts_at in json.loads(line.removeprefix("BENCH-SLOTS "))
    ]
    print(f"doctors: {doctors} bench doctors, {len(slots)} open slots in {time.perf_counter() - started:.1f} s")
    return slots


def run_clients(patients, work):
    """``work(index, patient)`` in one thread per patient, all started together; (results, wall seconds)."""
    barrier = threading.Barrier(len(patients) + 1)
    results = [None] * len(patients)

    def client(index, patient):
        barrier.wait(timeout=120)
        results[index] = work(index, patient)

    threads = [threading.Thread(target=client, args=(i, p)) for i, p in enumerate(patients)]
    for thread in threads:
        thread.start()
    barrier.wait(timeout=120)
    started = time.perf_counter()
    for thread in threads:
        thread.join()
    return results, time.perf_counter() - started


def page_phase(patients, seconds):
    """Phase A: every client GETs /appointments/ until the time is up."""
    deadline = time.perf_counter() + seconds

    def loop(_index, patient):
        answers = []
        while time.perf_counter() < deadline:
            answers.append(patient.session.get("/appointments/"))
        return answers

    per_client, wall = run_clients(patients, loop)
    answers = [answer for client in per_client for answer in client]
    outcomes = Counter("ok" if a.status == 200 else f"HTTP {a.status} {a.error}".strip() for a in answers)
    return phase_summary("A: GET /appointments/", outcomes, "ok", [a.seconds for a in answers], wall)


def booking_phase(patients, jobs):
    """Phase B: every client books its own slots, one after the other."""
    per_patient = {id(patient): [] for patient in patients}
    for patient, slot in jobs:
        per_patient[id(patient)].append(slot)
    attempts, wall = run_clients(
        patients, lambda _index, patient: [book(patient, slot.slot_id) for slot in per_patient[id(patient)]]
    )
    attempts = [attempt for client in attempts for attempt in client]
    slots = {slot.slot_id: slot for _patient, slot in jobs}
    for attempt in attempts:
        if attempt.outcome == "booked":
            attempt.patient.held.append(slots[attempt.slot_id])  # a later phase must not overlap them
    outcomes = Counter(attempt.outcome for attempt in attempts)
    summary = phase_summary(
        "B: POST /slots/<id>/book/", outcomes, "booked", [a.response.seconds for a in attempts], wall
    )
    return summary, attempts


def phase_summary(name, outcomes, success, latencies, wall):
    done = outcomes.get(success, 0)
    return {
        "phase": name,
        "requests": sum(outcomes.values()),
        "succeeded": done,
        "outcomes": dict(sorted(outcomes.items())),
        "wall_seconds": round(wall, 3),
        "per_second": round(done / wall, 1) if wall else None,
        "latency_ms": rounded_percentiles_ms(latencies),
    }


def print_phase(summary):
    print(f"\n== {summary['phase']}: {summary['requests']} requests in {summary['wall_seconds']:.2f} s")
    print(f"   {counts_text(Counter(summary['outcomes']))}")
    print(f"   {summary['per_second']} per second;  latency ms: {latency_text(summary['latency_ms'])}")


def run(args):
    print(
        f"medly booking vs page bench against {args.url}: {args.patients} clients, phase A {args.seconds:g} s, "
        f"phase B {args.bookings} bookings"
    )
    patients = sign_up_patients(args)
    slots = bench_slots(args)
    jobs, skipped = assign_distinct(patients, slots, args.max_future_appointments)
    jobs = jobs[: args.bookings]
    if len(jobs) < args.bookings:
        print(
            f"note: only {len(jobs)} bookings fit the limits ({skipped} slots left out): start the server with a "
            "larger MAX_FUTURE_APPOINTMENTS and pass the same --max-future-appointments"
        )
    page = page_phase(patients, args.seconds)
    booking, attempts = booking_phase(patients, jobs)
    ratio = round(booking["per_second"] / page["per_second"], 3) if page["per_second"] else None
    for summary in (page, booking):
        print_phase(summary)
    print(f"\n== ratio: booking {booking['per_second']}/s ÷ page {page['per_second']}/s = {ratio}")
    return verdict(args, page, booking, ratio, attempts, [slot for _patient, slot in jobs])


def verdict(args, page, booking, ratio, attempts, slots):
    status = 0
    failed = (page["requests"] - page["succeeded"]) + (booking["requests"] - booking["succeeded"])
    print("\n== checks")
    print(f"   HTTP: {failed} answers other than 200 (A) / 302 to /appointments/ (B)")
    if failed:
        status = EXIT_FAILED_REQUESTS
    result = {"page": page, "booking": booking, "ratio": ratio}
    expected = {slot.slot_id: 0 for slot in slots}
    for attempt in attempts:
        if attempt.outcome == "booked":
            expected[attempt.slot_id] += 1
    status = report_database_check(args.database_url, expected, result, status)
    if args.json:
        Path(args.json).write_text(json.dumps({"args": vars(args), **result}, indent=2, default=str), encoding="utf-8")
    print(f"\nresult: {'OK' if status == 0 else 'FAILED'} (exit {status})")
    return status


def main(argv=None):
    return run_main(parse_args, run, argv)


if __name__ == "__main__":
    sys.exit(main())
