#!/usr/bin/env python3
"""Booking benchmark for a running Medly server: races for one slot, and bulk booking of distinct slots.

Stdlib only (plus MySQLdb from the project's venv for the optional database
check). Run it with the project's Python against a server you started
yourself, e.g. with bench/serve.sh:

    .venv/bin/python bench/booking.py http://127.0.0.1:8100 \\
        --patients 50 --race-slots 5 --concurrency 20 --distinct 200 \\
        --open-slots 30 --database-url mysql://root@127.0.0.1:3306/medly_bench

What it does:

1. Sign-up: N patients (``<prefix>-<n>@medly.test``) register through
   /accounts/register/, each with its own cookie jar. A patient that already
   exists (same prefix, earlier run) logs in instead; logins only ever use the
   password the account was created with, and the first failed login stops
   the run, so django-axes never locks the address.
2. Optional ``--open-slots DAYS``: the demo doctor logs in and opens 30-minute
   slots every day between ``--open-from`` and ``--open-until`` through
   /schedule/availability/ (idempotent: existing slots are left alone).
3. Slots are read from /doctors/ and /doctors/<id>/ (the book forms); the
   latest ones are used, so none starts during the run.
4. Race: for each of K slots, all N patients POST /slots/<id>/book/ at the
   same instant (a threading.Barrier). Exactly one may win.
5. Throughput: D other slots are booked at concurrency C, spread over the
   patients so that no patient gets two bookings within an hour of each
   other (the app refuses overlapping appointments for one patient), more
   than one with a doctor on one day, or more than --max-future-appointments
   (the server's MAX_FUTURE_APPOINTMENTS): the booking limits. Every request
   the bench sends is one the app should accept if the slot is still free.
6. Report per phase: bookings (302 to /appointments/), 409s by reason,
   other statuses, errors and timeouts, bookings/s, p50/p95/p99 latency; then
   double bookings in the database (``--database-url mysql://...``) and a
   check that every slot raced or booked holds exactly as many live
   appointments as the HTTP answers said.

Exit status: 0 clean; 1 a double booking was found; 3 the database disagrees
with the HTTP answers in another way; 2 the run could not be set up.
"""

import argparse
import json
import sys
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import timedelta

from _accounts import sign_up_patients
from _cli import SetupError, add_shared_arguments, check_shared_arguments, connect_mysql, run_main
from _client import doctor_ids, open_slots
from _report import counts_text, latency_text, rounded_percentiles_ms
from _slots import book, open_more_slots

LIVE = "'scheduled', 'closing', 'completed'"  # appointment statuses that hold their slot
DOUBLE_BOOKINGS_SQL = f"""
    SELECT slot_id, COUNT(*) FROM scheduling_appointment
    WHERE status IN ({LIVE}) GROUP BY slot_id HAVING COUNT(*) > 1"""  # noqa: S608 (constants only)
LIVE_PER_SLOT_SQL = f"""
    SELECT s.id, s.status, COUNT(a.id) FROM scheduling_slot s
    LEFT JOIN scheduling_appointment a ON a.slot_id = s.id AND a.status IN ({LIVE})
    WHERE s.id IN ({{ids}}) GROUP BY s.id, s.status"""  # noqa: S608 (constants; ids are %s placeholders)
MAX_SLOT_MINUTES = 60  # the longest slot the app offers: starts an hour apart never overlap
EXIT_DOUBLE_BOOKING, EXIT_MISMATCH = 1, 3  # 2: the run could not be set up (_cli.EXIT_SETUP)


@dataclass
class Phase:
    name: str
    attempts: list = field(default_factory=list)
    wall_seconds: float = 0.0
    notes: list = field(default_factory=list)
    race_seconds: list = field(default_factory=list)  # per raced slot: from "go" to the last answer

    def booked(self):
        return [attempt for attempt in self.attempts if attempt.outcome == "booked"]


# --- command line -----------------------------------------------------------


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("url", help="base URL of the running server, e.g. http://127.0.0.1:8100")
    parser.add_argument("--patients", type=int, default=50, help="patients signing up and racing (default 50)")
    parser.add_argument("--race-slots", type=int, default=5, help="slots every patient races for (default 5)")
    parser.add_argument("--distinct", type=int, default=200, help="distinct slots booked in the throughput phase")
    parser.add_argument("--concurrency", type=int, default=20, help="parallel requests in sign-up and throughput")
    parser.add_argument(
        "--max-future-appointments",
        type=int,
        default=4,
        metavar="N",
        help="the server's MAX_FUTURE_APPOINTMENTS: no patient is sent more bookings (default 4)",
    )
    add_shared_arguments(parser, "bench")
    parser.add_argument("--database-url", help="mysql://user:pass@host:port/db to count live appointments per slot")
    parser.add_argument("--json", metavar="FILE", help="also write the summary as JSON to FILE")
    args = parser.parse_args(argv)
    if (
        args.patients < 2
        or args.race_slots < 0
        or args.distinct < 0
        or args.concurrency < 1
        or args.max_future_appointments < 1
    ):
        parser.error(
            "need --patients >= 2, --race-slots >= 0, --distinct >= 0, --concurrency >= 1, "
            "--max-future-appointments >= 1"
        )
    check_shared_arguments(parser, args)
    return args


# --- slots ------------------------------------------------------------------


def find_slots(patient, needed):
    """The ``needed`` latest open slots across all doctors, in time order."""
    found = [slot for doctor_id in doctor_ids(patient.session) for slot in open_slots(patient.session, doctor_id)]
    print(f"slots: {len(found)} open slots found on the doctors' pages; this run needs {needed}")
    if len(found) < needed:
        raise SetupError(
            f"only {len(found)} open slots, {needed} needed: run seed_demo, or pass --open-slots DAYS "
            "(e.g. --open-slots 30 opens about 840 slots for the demo doctor)"
        )
    found.sort(key=lambda slot: (slot.starts_at, slot.slot_id))
    return found[len(found) - needed :]


def overlaps(slot, held):
    gap = timedelta(minutes=MAX_SLOT_MINUTES)
    return any(abs(slot.starts_at - other.starts_at) < gap for other in held)


def may_hold(slot, held, limit):
    """Whether a patient holding ``held`` may book ``slot`` under the app's rules: no overlap, the limits."""
    same_doctor_same_day = any(
        other.doctor_id == slot.doctor_id and other.starts_at.date() == slot.starts_at.date() for other in held
    )
    return len(held) < limit and not same_doctor_same_day and not overlaps(slot, held)


def assign_distinct(patients, slots, limit):
    """[(patient, slot)], round-robin over patients, each job one the app accepts (see ``may_hold``)."""
    jobs, skipped, turn = [], 0, 0
    for slot in slots:
        for step in range(len(patients)):
            patient = patients[(turn + step) % len(patients)]
            if may_hold(slot, [*patient.held, *(s for p, s in jobs if p is patient)], limit):
                jobs.append((patient, slot))
                turn = (turn + step + 1) % len(patients)
                break
        else:
            skipped += 1
    return jobs, skipped


# --- booking ----------------------------------------------------------------


def race_for(slot, patients):
    """All patients POST the same slot at once; returns (attempts, seconds from the start to the last answer)."""
    barrier = threading.Barrier(len(patients) + 1)
    attempts = [None] * len(patients)

    def contender(index, patient):
        barrier.wait(timeout=120)
        attempts[index] = book(patient, slot.slot_id)

    threads = [threading.Thread(target=contender, args=(i, p)) for i, p in enumerate(patients)]
    for thread in threads:
        thread.start()
    barrier.wait(timeout=120)  # everyone is ready: go
    started = time.perf_counter()
    for thread in threads:
        thread.join()
    return attempts, time.perf_counter() - started


def race_phase(patients, slots, limit):
    phase = Phase("race")
    for slot in slots:
        contenders = [patient for patient in patients if may_hold(slot, patient.held, limit)]
        if len(contenders) < 2:
            phase.notes.append(f"slot {slot.slot_id}: not raced, fewer than 2 patients may still book it")
            continue
        attempts, seconds = race_for(slot, contenders)
        phase.attempts.extend(attempts)
        phase.wall_seconds += seconds
        phase.race_seconds.append(seconds)
        for attempt in attempts:
            if attempt.outcome == "booked":
                attempt.patient.held.append(slot)
        counts = Counter(attempt.outcome for attempt in attempts)
        phase.notes.append(
            f"slot {slot.slot_id} ({slot.starts_at:%Y-%m-%d %H:%M}), {len(contenders)} contenders: "
            f"{counts_text(counts)}; all answered in {seconds * 1000:.0f} ms"
        )
    return phase


def distinct_phase(patients, slots, concurrency, limit):
    jobs, skipped = assign_distinct(patients, slots, limit)
    phase = Phase("throughput")
    if skipped:
        phase.notes.append(
            f"{skipped} slots left out: no patient could book them within the app's rules "
            f"(overlap, one per doctor per day, at most {limit} upcoming): pass more --patients"
        )
    started = time.perf_counter()
    with ThreadPoolExecutor(concurrency) as pool:
        phase.attempts = list(pool.map(lambda job: book(job[0], job[1].slot_id), jobs))
    phase.wall_seconds = time.perf_counter() - started
    for (patient, slot), attempt in zip(jobs, phase.attempts, strict=True):
        if attempt.outcome == "booked":
            patient.held.append(slot)
    return phase


# --- report -----------------------------------------------------------------


def summarize(phase):
    counts = Counter(attempt.outcome for attempt in phase.attempts)
    booked = counts.get("booked", 0)
    summary = {
        "phase": phase.name,
        "requests": len(phase.attempts),
        "booked": booked,
        "refused_409": sum(n for outcome, n in counts.items() if outcome.startswith("409")),
        "outcomes": dict(sorted(counts.items())),
        "wall_seconds": round(phase.wall_seconds, 3),
        "bookings_per_second": round(booked / phase.wall_seconds, 2) if phase.wall_seconds else None,
        "requests_per_second": round(len(phase.attempts) / phase.wall_seconds, 2) if phase.wall_seconds else None,
        "latency_ms": rounded_percentiles_ms([a.response.seconds for a in phase.attempts]),
    }
    if phase.race_seconds:
        summary["slowest_race_ms"] = round(max(phase.race_seconds) * 1000, 1)
    return summary


def print_summary(summary, notes):
    latency = summary["latency_ms"]
    print(f"\n== {summary['phase']}: {summary['requests']} requests in {summary['wall_seconds']:.2f} s")
    for note in notes:
        print(f"   {note}")
    print(
        f"   booked {summary['booked']}, 409 {summary['refused_409']}; by outcome: "
        f"{counts_text(Counter(summary['outcomes']))}"
    )
    print(f"   {summary['bookings_per_second']} bookings/s, {summary['requests_per_second']} requests/s")
    if "slowest_race_ms" in summary:
        print(f"   slowest race: every contender had its answer within {summary['slowest_race_ms']:.0f} ms")
    if latency["p50"] is not None:
        print(f"   latency ms: {latency_text(latency)}")


def http_double_bookings(phase):
    """Slots for which more than one request was told "booked"."""
    per_slot = Counter(attempt.slot_id for attempt in phase.booked())
    return {slot_id: n for slot_id, n in per_slot.items() if n > 1}


# --- database check ---------------------------------------------------------


def report_database_check(database_url, expected_live, result, status):
    """Print and record what the database says of ``expected_live`` ({slot id: live appointments the HTTP
    answers imply}); the run's exit status, made worse by a double booking or a disagreement."""
    if not database_url:
        print("   database: not checked (pass --database-url mysql://...)")
        return status
    doubles, mismatches = check_database(database_url, expected_live)
    print(f"   database: slots with more than one live appointment (whole table): {doubles or 'none'}")
    print(
        f"   database: {len(expected_live)} slots of this run checked against the HTTP answers: "
        f"{len(mismatches)} disagreements"
    )
    for line in mismatches[:20]:
        print(f"     {line}")
    result.update(db_double_bookings=doubles, db_mismatches=mismatches)
    if doubles:
        return EXIT_DOUBLE_BOOKING
    if mismatches and not status:
        return EXIT_MISMATCH
    return status


def check_database(url, expected_live):
    """Return (double bookings anywhere, mismatches on our slots). ``expected_live``: {slot_id: HTTP bookings}."""
    connection = connect_mysql(url)
    try:
        cursor = connection.cursor()
        cursor.execute(DOUBLE_BOOKINGS_SQL)
        doubles = dict(cursor.fetchall())
        mismatches = []
        if expected_live:
            slot_ids = sorted(expected_live)
            id_placeholders = ", ".join(["%s"] * len(slot_ids))
            cursor.execute(LIVE_PER_SLOT_SQL.format(ids=id_placeholders), slot_ids)
            rows = {slot_id: (status, live) for slot_id, status, live in cursor.fetchall()}
            for slot_id in slot_ids:
                status, live = rows.get(slot_id, ("missing", 0))
                wanted = expected_live[slot_id]
                if live != wanted or (status == "booked") != (live > 0):
                    mismatches.append(
                        f"slot {slot_id}: HTTP said {wanted} booking(s), database has {live} live "
                        f"appointment(s), slot status {status}"
                    )
        return doubles, mismatches
    finally:
        connection.close()


def expected_live_per_slot(phases, slots):
    expected = {slot.slot_id: 0 for slot in slots}
    for phase in phases:
        for attempt in phase.booked():
            expected[attempt.slot_id] += 1
    return expected


# --- main -------------------------------------------------------------------


def run(args):
    print(
        f"medly booking bench against {args.url}: {args.patients} patients, {args.race_slots} race slots, "
        f"{args.distinct} distinct slots at concurrency {args.concurrency}"
    )
    if args.open_slots:
        open_more_slots(args)
    patients = sign_up_patients(args)
    slots = find_slots(patients[0], args.race_slots + args.distinct)
    race_slots, distinct_slots = slots[: args.race_slots], slots[args.race_slots :]
    phases = []
    if race_slots:
        phases.append(race_phase(patients, race_slots, args.max_future_appointments))
    if distinct_slots:
        phases.append(distinct_phase(patients, distinct_slots, args.concurrency, args.max_future_appointments))
    summaries = [summarize(phase) for phase in phases]
    for phase, summary in zip(phases, summaries, strict=True):
        print_summary(summary, phase.notes)
    return verdict(args, phases, summaries, slots)


def verdict(args, phases, summaries, slots):
    status = 0
    http_doubles = {slot_id: n for phase in phases for slot_id, n in http_double_bookings(phase).items()}
    result = {"summaries": summaries, "http_double_bookings": http_doubles}
    print("\n== checks")
    print(f"   HTTP: slots answered 'booked' more than once: {http_doubles or 'none'}")
    if http_doubles:
        status = EXIT_DOUBLE_BOOKING
    status = report_database_check(args.database_url, expected_live_per_slot(phases, slots), result, status)
    if args.json:
        with open(args.json, "w", encoding="utf-8") as out:
            json.dump({"args": vars(args), **result}, out, indent=2, default=str)
    print(f"\nresult: {'OK' if status == 0 else 'FAILED'} (exit {status})")
    return status


def main(argv=None):
    return run_main(parse_args, run, argv)


if __name__ == "__main__":
    sys.exit(main())
