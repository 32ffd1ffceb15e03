"""Channel backends for tests that run a real worker process (named in REMINDER_SMS_BACKEND)."""

import os
import time
from pathlib import Path

from django.conf import settings

from reminders.backends.file import FileBackend

SENT_IN_THIS_PROCESS = []


class SlowFileBackend(FileBackend):
    """Writes each message with the worker's pid, then takes a while, so two workers' sweeps overlap."""

    def send(self, message):
        super().send(type(message)(**{**message.as_dict(), "body": f"pid={os.getpid()}"}))
        time.sleep(float(os.environ.get("TEST_REMINDER_SEND_SECONDS", "0.05")))


class BlockingFileBackend(FileBackend):
    """Writes each message; after the Nth (TEST_REMINDER_BLOCK_AT) it says so in a file and never returns."""

    def send(self, message):
        super().send(message)
        SENT_IN_THIS_PROCESS.append(message.reminder_id)
        if len(SENT_IN_THIS_PROCESS) == int(os.environ["TEST_REMINDER_BLOCK_AT"]):
            Path(settings.REMINDER_FILE_PATH, "blocked").write_text(str(message.reminder_id))
            while True:
                time.sleep(1)
