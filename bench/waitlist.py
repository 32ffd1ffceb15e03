#!/usr/bin/env python3
"""Waitlist benchmark on the service layer: a burst of cancellations refilled from the waitlist.

Run it with the project's Python against a database of its own (it migrates
it and adds its own doctors and patients, named ``wlbench-<run>-...``):

    DATABASE_URL=mysql://root@127.0.0.1:3306/medly_bench_waitlist \\
        .venv/bin/python bench/waitlist.py --cancellations 50 --waiting 200

What it does:

1. Set-up: ``--doctors`` doctors, ``--cancellations`` booked appointments
   spread over them (days 2 and 3, from 08:00 every 30 minutes), and
   ``--waiting`` patients on their waitlists (days 1..10, part of day mixed:
   half any, a quarter mornings, a quarter afternoons), joined one after the other.
2. Burst: every booked patient cancels at the same instant
   (``scheduling.services.cancel_appointment`` in ``--threads`` threads); each
   cancel enqueues its offer task on commit.
3. Refill: ``--workers`` real ``manage.py db_worker --batch`` processes run the
   queued tasks (the offers and their mails). Each patient holding an offer
   then answers it in ``--threads`` threads (``waitlist.services``): one in
   ``--decline-every`` declines (the slot passes on at once), the others accept
   through ``book_slot``. This repeats until no offer is live.
4. Report: offers made, accepted, declined; slots refilled out of those freed;
   time from the burst to the last slot refilled; time from a slot's cancel to
   its first offer and to its refill (p50/p95/max); accept latency; and a check
   of the database: no slot with two live appointments, no slot with two live
   offers, no entry offered one slot twice.

Exit status 0 when clean, 1 when the database check finds a double booking or offer.
"""

import argparse
import itertools
import os
import subprocess
import sys
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(REPO), str(Path(__file__).resolve().parent)]
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "medly.settings")
os.environ.setdefault("EMAIL_BACKEND", "django.core.mail.backends.locmem.EmailBackend")

import django  # noqa: E402

django.setup()

from _report import counts_text, latency_text, percentiles_ms  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.db.models import Count, Min  # noqa: E402
from django.utils import timezone  # noqa: E402
from django_tasks_db.models import DBTaskResult  # noqa: E402

from accounts.models import DoctorProfile, PatientProfile, Role, Sex, User  # noqa: E402
from scheduling import services as scheduling_services  # noqa: E402
from scheduling.models import Appointment, Slot, SlotStatus  # noqa: E402
from scheduling.queries import local_day_bounds  # noqa: E402
from waitlist import services  # noqa: E402
from waitlist.models import OfferStatus, PartOfDay, WaitlistEntry, WaitlistOffer  # noqa: E402

PARTS = [PartOfDay.ANY, PartOfDay.MORNING, PartOfDay.ANY, PartOfDay.AFTERNOON]


def arguments():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cancellations", type=int, default=50)
    parser.add_argument("--waiting", type=int, default=200)
    parser.add_argument("--doctors", type=int, default=5)
    parser.add_argument("--threads", type=int, default=10)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--decline-every", type=int, default=5, help="one answer in N is a decline (0: none)")
    return parser.parse_args()


def make_user(run, role, n, **fields):
    user = User(
        email=f"wlbench-{run}-{role}-{n}@medly.test",
        first_name=f"{role.title()}{n}",
        last_name="Bench",
        role=role,
        **fields,
    )
    user.set_unusable_password()
    user.save()
    return user


def set_up(args, run):
    doctors = []
    for n in range(args.doctors):
        doctor = make_user(run, Role.DOCTOR, n)
        DoctorProfile.objects.create(user=doctor, license_number=f"{run % 10**6:06d}{n:02d}", degree_institution="UNAM")
        doctors.append(doctor)
    today = timezone.localdate()
    appointments = []
    for n in range(args.cancellations):
        doctor = doctors[n % args.doctors]
        index = n // args.doctors
        day = today + timedelta(days=2 + index % 2)
        starts_at = local_day_bounds(day)[0] + timedelta(hours=8, minutes=30 * (index // 2))
        slot = Slot.objects.create(
            doctor=doctor, starts_at=starts_at, ends_at=starts_at + timedelta(minutes=30), status=SlotStatus.BOOKED
        )
        patient = make_user(run, Role.PATIENT, f"booked{n}")
        PatientProfile.objects.create(user=patient, date_of_birth="1990-01-01", sex=Sex.FEMALE)
        appointments.append(
            Appointment.objects.create(
                slot=slot,
                live_slot=slot,
                patient=patient,
                doctor=doctor,
                starts_at=starts_at,
                ends_at=slot.ends_at,
                booked_by=patient,
            )
        )
    joined = timezone.now() - timedelta(hours=1)
    for n in range(args.waiting):
        patient = make_user(run, Role.PATIENT, f"waiting{n}")
        PatientProfile.objects.create(user=patient, date_of_birth="1990-01-01", sex=Sex.MALE)
        doctor = doctors[n % args.doctors]
        WaitlistEntry.objects.create(
            patient=patient,
            doctor=doctor,
            waiting_doctor=doctor,
            from_date=today + timedelta(days=1),
            to_date=today + timedelta(days=10),
            part_of_day=PARTS[n % len(PARTS)],
            joined_at=joined + timedelta(seconds=n),
        )
    return doctors, appointments


def run_workers(count):
    """Run the real worker processes until the queue holds nothing due."""
    env = dict(os.environ)
    while DBTaskResult.objects.ready().exists():
        workers = [
            subprocess.Popen(
                [sys.executable, "manage.py", "db_worker", "--batch", "--no-startup-delay"],
                cwd=REPO,
                env=env,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            for _ in range(count)
        ]
        for worker in workers:
            worker.wait()


def threaded(calls, threads):
    def run(call):
        try:
            return call()
        except Exception as exc:  # every outcome is counted
            return exc
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=threads) as pool:
        return list(pool.map(run, calls))


def answer_live_offers(offer_ids, args, answered, accept_seconds):
    def answer(offer_id):
        offer = WaitlistOffer.objects.select_related("patient").get(pk=offer_id)
        if args.decline_every and next(answered) % args.decline_every == 0:
            services.decline_offer(patient=offer.patient, offer_id=offer_id)
            return "declined"
        started = time.perf_counter()
        services.accept_offer(patient=offer.patient, offer_id=offer_id)
        accept_seconds.append(time.perf_counter() - started)
        return "accepted"

    return threaded([lambda offer_id=offer_id: answer(offer_id) for offer_id in offer_ids], args.threads)


def refused_text(answers):
    refusals = Counter(f"{type(a).__name__}: {a}" for a in answers if isinstance(a, Exception))
    return f": {counts_text(refusals)}" if refusals else ""


def main():
    args = arguments()
    call_command("migrate", verbosity=0)
    run = int(time.time())
    DBTaskResult.objects.ready().delete()  # an earlier run's leftovers would run in this one
    doctors, appointments = set_up(args, run)
    slot_ids = [appointment.slot_id for appointment in appointments]
    print(f"set up: {args.doctors} doctors, {len(appointments)} booked slots, {args.waiting} waiting patients")

    burst_started = time.perf_counter()
    burst_at = timezone.now()
    outcomes = threaded(
        [
            lambda a=a: scheduling_services.cancel_appointment(appointment_id=a.pk, actor=a.patient)
            for a in appointments
        ],
        args.threads,
    )
    errors = [outcome for outcome in outcomes if isinstance(outcome, Exception)]
    burst_seconds = time.perf_counter() - burst_started
    print(f"burst: {len(appointments) - len(errors)} cancellations in {burst_seconds:.2f} s ({len(errors)} failed)")

    answered, accept_seconds, answers = itertools.count(1), [], []
    rounds = 0
    while True:
        run_workers(args.workers)
        live = list(
            WaitlistOffer.objects.filter(slot_id__in=slot_ids, status=OfferStatus.OFFERED).values_list("pk", flat=True)
        )
        if not live:
            break
        rounds += 1
        answers += answer_live_offers(live, args, answered, accept_seconds)
    refill_seconds = time.perf_counter() - burst_started

    offers = WaitlistOffer.objects.filter(slot_id__in=slot_ids)
    refilled = Appointment.objects.filter(live_slot_id__in=slot_ids)
    first_offer = dict(offers.values("slot_id").annotate(first=Min("offered_at")).values_list("slot_id", "first"))
    refilled_at = dict(refilled.values_list("slot_id", "created_at"))
    to_offer = [(first - burst_at).total_seconds() for first in first_offer.values()]
    to_refill = [(at - burst_at).total_seconds() for at in refilled_at.values()]
    print(
        f"offers made: {offers.count()} ({answers.count('accepted')} accepted, "
        f"{answers.count('declined')} declined, {sum(isinstance(a, Exception) for a in answers)} refused) "
        f"in {rounds} answer rounds"
    )
    print(f"slots refilled: {refilled.count()} of {len(slot_ids)}; all answered {refill_seconds:.2f} s after the burst")
    if to_offer:
        print(f"cancel burst -> first offer per slot (ms): {latency_text(percentiles_ms(to_offer))}")
    if to_refill:
        print(f"cancel burst -> slot refilled (ms):        {latency_text(percentiles_ms(to_refill))}")
    if accept_seconds:
        print(f"accept_offer latency (ms):                 {latency_text(percentiles_ms(accept_seconds))}")

    double_booked = refilled.values("slot_id").annotate(n=Count("pk")).filter(n__gt=1).count()
    double_live = offers.filter(status=OfferStatus.OFFERED).values("slot_id").annotate(n=Count("pk")).filter(n__gt=1)
    offered_twice = offers.values("slot_id", "entry_id").annotate(n=Count("pk")).filter(n__gt=1).count()
    print(
        f"check: {double_booked} double-booked slots, {double_live.count()} slots with two live offers, "
        f"{offered_twice} entries offered one slot twice"
    )
    return 1 if double_booked or double_live.exists() or offered_twice else 0


if __name__ == "__main__":
    sys.exit(main())
