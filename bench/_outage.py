"""The embedded MongoDB that bench/serve.sh supervises: stopped and started again for ``--outage``."""

import os
import signal
import socket
import time
from pathlib import Path

from _cli import SetupError


class MongoControl:
    """Stops and starts the embedded MongoDB that bench/serve.sh supervises (files in its CONTROL_DIR)."""

    def __init__(self, directory, kind):
        self.dir = Path(directory)
        self.kind = kind
        self.frozen_pid = None
        try:
            self.port = int(self._read("mongo.port"))
            self.data_path = self._read("mongo.path")
        except (OSError, ValueError) as exc:
            raise SetupError(
                f"--outage: {self.dir} has no mongo.port/mongo.path ({exc}); start the server with "
                "bench/serve.sh (same PORT), or pass --control-dir"
            ) from exc
        if kind == "kill" and not self.data_path:
            raise SetupError(
                "--outage-kind kill: the embedded MongoDB keeps its data in memory, so a restart "
                "would lose every record; start serve.sh with MONGO_DATA=file, or use "
                "--outage-kind freeze"
            )
        self.pid()  # fails early when it is not running

    def _read(self, name):
        return (self.dir / name).read_text(encoding="utf-8").strip()

    def pid(self):
        try:
            return int(self._read("mongo.pid"))
        except (OSError, ValueError) as exc:
            raise SetupError(f"{self.dir}/mongo.pid: the embedded MongoDB is not running ({exc})") from exc

    def accepts(self):
        try:
            socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
        except OSError:
            return False
        return True

    def stop(self):
        pid = self.pid()
        if self.kind == "freeze":
            os.kill(pid, signal.SIGSTOP)
            self.frozen_pid = pid
            return f"froze the embedded MongoDB (pid {pid}, SIGSTOP): it accepts connections but never answers"
        (self.dir / "mongo.hold").touch()
        os.kill(pid, signal.SIGTERM)
        deadline = time.monotonic() + 30
        while self.accepts():
            if time.monotonic() > deadline:
                raise RuntimeError(f"the embedded MongoDB (pid {pid}) still answers 30 s after SIGTERM")
            time.sleep(0.1)
        return f"stopped the embedded MongoDB (pid {pid}, SIGTERM); port {self.port} refuses connections"

    def start(self):
        if self.kind == "freeze":
            if self.frozen_pid is not None:
                os.kill(self.frozen_pid, signal.SIGCONT)
                pid, self.frozen_pid = self.frozen_pid, None
                return f"thawed the embedded MongoDB (pid {pid}, SIGCONT)"
            return "the embedded MongoDB was not frozen"
        (self.dir / "mongo.hold").unlink(missing_ok=True)
        deadline = time.monotonic() + 60
        while not ((self.dir / "mongo.pid").exists() and self.accepts()):
            if time.monotonic() > deadline:
                raise RuntimeError("serve.sh did not restart the embedded MongoDB within 60 s")
            time.sleep(0.1)
        return f"serve.sh restarted the embedded MongoDB (pid {self.pid()}) from {self.data_path}"
