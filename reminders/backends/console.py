import json
import sys


class ConsoleBackend:
    """Development: each message as one JSON line on standard output."""

    def __init__(self, stream=None):
        self.stream = stream or sys.stdout

    def send(self, message):
        self.stream.write(json.dumps(message.as_dict(), ensure_ascii=False) + "\n")
        self.stream.flush()
