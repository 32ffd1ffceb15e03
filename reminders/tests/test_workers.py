"""Real `manage.py db_worker` processes: two sweeps at once send each reminder once; SIGKILL loses none."""

import json
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest
from django.db import connection

from reminders.models import Reminder, ReminderState
from reminders.tasks import send_due_reminders
from reminders.tests.factories import appointment_in, phone_patient

pytestmark = pytest.mark.django_db(transaction=True)

ROOT = Path(__file__).resolve().parents[2]


def worker(folder, *arguments, **environment):
    """A real worker process on this test's database, its output in ``folder``."""
    database_url = urlsplit(os.environ["DATABASE_URL"])
    env = {
        **os.environ,
        "DATABASE_URL": urlunsplit(database_url._replace(path="/" + connection.settings_dict["NAME"])),
        "REMINDER_MINUTES_BEFORE": "60",
        "REMINDER_FILE_PATH": str(folder),
        "EMAIL_BACKEND": "django.core.mail.backends.locmem.EmailBackend",
        **environment,
    }
    log = (folder / f"worker-{time.monotonic_ns()}.log").open("w")
    return subprocess.Popen(
        [sys.executable, str(ROOT / "manage.py"), "db_worker", "--no-startup-delay", *arguments],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )


def sms_lines(folder):
    path = folder / "sms.jsonl"
    return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []


def due_phone_reminders(count):
    """``count`` appointments due for a reminder whose patients have no email: one SMS each."""
    for n in range(count):
        patient = phone_patient()
        patient.email = f"phone-only-{n}@example.test"
        patient.save()
        appointment_in(30 + n % 20, patient=patient)


def finish(process, timeout=60):
    try:
        return process.wait(timeout=timeout)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()


def test_two_workers_sweeping_at_once_send_each_reminder_once(tmp_path):
    due_phone_reminders(40)
    send_due_reminders.enqueue()
    send_due_reminders.enqueue()

    workers = [
        worker(tmp_path, "--batch", "--max-tasks", "1", REMINDER_SMS_BACKEND="reminders.tests.backends.SlowFileBackend")
        for _ in range(2)
    ]
    assert [finish(process) for process in workers] == [0, 0]

    lines = sms_lines(tmp_path)
    sms_ids = set(Reminder.objects.filter(channel="sms").values_list("pk", flat=True))
    assert Counter(line["reminder_id"] for line in lines) == dict.fromkeys(sms_ids, 1)
    assert len(sms_ids) == 40
    # Both sweeps really ran at the same time: each worker sent some of them.
    assert {line["body"] for line in lines} == {f"pid={process.pid}" for process in workers}
    assert set(Reminder.objects.values_list("state", flat=True)) == {ReminderState.SENT}


def test_a_worker_killed_mid_batch_loses_none_and_repeats_at_most_the_one_in_flight(tmp_path):
    due_phone_reminders(12)
    send_due_reminders.enqueue()
    killed = worker(
        tmp_path, REMINDER_SMS_BACKEND="reminders.tests.backends.BlockingFileBackend", TEST_REMINDER_BLOCK_AT="5"
    )
    deadline = time.monotonic() + 60
    while not (tmp_path / "blocked").exists():
        assert killed.poll() is None and time.monotonic() < deadline, "the worker never reached the 5th message"
        time.sleep(0.05)
    in_flight = int((tmp_path / "blocked").read_text())
    killed.send_signal(signal.SIGKILL)
    killed.wait()
    assert Reminder.objects.get(pk=in_flight).state == ReminderState.SENDING

    time.sleep(1.1)  # the killed worker's claim is older than the second worker's timeout
    send_due_reminders.enqueue()
    second = worker(
        tmp_path,
        "--batch",
        REMINDER_SMS_BACKEND="reminders.backends.file.FileBackend",
        REMINDER_CLAIM_TIMEOUT_SECONDS="1",
    )
    assert finish(second) == 0

    sent = Counter(line["reminder_id"] for line in sms_lines(tmp_path))
    sms_ids = set(Reminder.objects.filter(channel="sms").values_list("pk", flat=True))
    # The in-flight message had reached the provider but was never marked sent: it alone goes twice.
    assert sent == {pk: 2 if pk == in_flight else 1 for pk in sms_ids}
    assert set(Reminder.objects.values_list("state", flat=True)) == {ReminderState.SENT}
