import json
import os
from pathlib import Path

from django.conf import settings
from django.utils import timezone


class FileBackend:
    """Development and tests: each message as one JSON line in ``REMINDER_FILE_PATH/<channel>.jsonl``.

    One ``write`` of a line under ``O_APPEND`` per message, so several workers can share the folder.
    """

    def __init__(self, path=None):
        self.path = Path(path or settings.REMINDER_FILE_PATH)

    def send(self, message):
        self.path.mkdir(parents=True, exist_ok=True)
        line = json.dumps({**message.as_dict(), "written_at": timezone.now().isoformat()}, ensure_ascii=False)
        descriptor = os.open(self.path / f"{message.channel}.jsonl", os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o640)
        try:
            os.write(descriptor, (line + "\n").encode())
        finally:
            os.close(descriptor)
