#!/usr/bin/env python3
"""Reminders sent per second by one worker: a real `manage.py db_worker` running the sweep, file backends.

    DATABASE_URL=mysql://root@127.0.0.1:3306/medly_bench_reminders \\
        .venv/bin/python bench/reminders.py --appointments 1000

1. Migrates the database named by DATABASE_URL (use one for benchmarks only) and adds
   one doctor and N patients, each with an email and SMS consent, each with an
   appointment starting within the reminder window: 2 N reminders are due.
2. Enqueues the sweep task and starts one worker (`db_worker --batch`) with the file
   SMS backend (REMINDER_FILE_PATH, a temporary folder) and Django's in-memory mail
   backend for the emails the sweep queues; it exits when no task is left.
3. Reports reminders sent per second over the sweep (first to last ``sent_at``), the
   worker's wall time including start-up and the emails it then sent, and checks that
   every reminder is sent and each SMS was written exactly once.
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from collections import Counter
from datetime import timedelta
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "medly.settings")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--appointments", type=int, default=1000)
    args = parser.parse_args()
    if not os.environ.get("DATABASE_URL", "").startswith("mysql://"):
        sys.exit("set DATABASE_URL to a MySQL database for benchmarks only")

    import django

    django.setup()
    from django.core.management import call_command
    from django.utils import timezone

    call_command("migrate", verbosity=0)
    from accounts.models import Role, User
    from reminders.models import Reminder, ReminderConsent
    from reminders.tasks import send_due_reminders
    from scheduling.models import Appointment, Slot, SlotStatus

    run = timezone.now().strftime("%Y%m%d%H%M%S")
    doctor = User.objects.create_user(
        email=f"bench-reminders-doctor-{run}@medly.test", password=None, role=Role.DOCTOR, first_name="Bench"
    )
    patients = User.objects.bulk_create(
        User(
            email=f"bench-reminders-{run}-{n}@medly.test", phone="+529990000000", first_name=f"P{n}", role=Role.PATIENT
        )
        for n in range(args.appointments)
    )
    now = timezone.now()
    ReminderConsent.objects.bulk_create(
        ReminderConsent(patient=patient, sms_reminders_opt_in_at=now, recorded_by=patient) for patient in patients
    )
    first_start = now.replace(microsecond=0) + timedelta(minutes=30)
    slots = Slot.objects.bulk_create(
        Slot(
            doctor=doctor,
            starts_at=first_start + timedelta(seconds=n),
            ends_at=first_start + timedelta(seconds=n, minutes=30),
            status=SlotStatus.BOOKED,
        )
        for n in range(args.appointments)
    )
    appointments = Appointment.objects.bulk_create(
        Appointment(
            slot=slot,
            live_slot=slot,
            patient=patient,
            doctor=doctor,
            starts_at=slot.starts_at,
            ends_at=slot.ends_at,
            booked_by=patient,
        )
        for slot, patient in zip(slots, patients, strict=True)
    )
    send_due_reminders.enqueue()

    folder = Path(tempfile.mkdtemp(prefix="medly-bench-reminders-"))
    env = {
        **os.environ,
        "REMINDER_MINUTES_BEFORE": "60",
        "REMINDER_SMS_BACKEND": "reminders.backends.file.FileBackend",
        "REMINDER_FILE_PATH": str(folder),
        "EMAIL_BACKEND": "django.core.mail.backends.locmem.EmailBackend",
    }
    started = time.monotonic()
    worker = subprocess.run(  # noqa: S603 - our own manage.py
        [sys.executable, str(REPO / "manage.py"), "db_worker", "--batch", "--no-startup-delay"],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    wall = time.monotonic() - started
    if worker.returncode != 0:
        sys.exit(f"the worker failed:\n{worker.stderr[-2000:]}")

    reminders = Reminder.objects.filter(appointment__in=appointments)
    states = Counter(reminders.values_list("state", flat=True))
    sent_times = sorted(reminders.values_list("sent_at", flat=True))
    sweep_seconds = (sent_times[-1] - sent_times[0]).total_seconds()
    sms = Counter(json.loads(line)["reminder_id"] for line in (folder / "sms.jsonl").read_text().splitlines())
    print(f"reminders due: {2 * args.appointments}, states: {dict(states)}")
    print(
        f"sweep: {len(sent_times)} reminders in {sweep_seconds:.2f} s = {(len(sent_times) - 1) / sweep_seconds:.0f}/s"
    )
    print(f"worker wall time (start-up, sweep, then the {args.appointments} queued emails): {wall:.2f} s")
    duplicates = sum(count - 1 for count in sms.values())
    print(f"SMS lines: {sum(sms.values())}, duplicates: {duplicates}")
    return 0 if states == {"sent": 2 * args.appointments} and duplicates == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
