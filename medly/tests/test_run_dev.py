"""`make run` (bin/run-dev) starts the worker and the scheduler beside the server and stops them on exit.

The script runs for real in a copy of the tree whose `.venv/bin/python` is a stand-in:
each `manage.py` command it is asked for writes its pid, and the long-running
ones stay up until they are sent SIGTERM.
"""

import os
import shutil
import signal
import subprocess
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
LONG_RUNNING = ("embedded_mongo", "db_worker", "crontask")

STAND_IN_PYTHON = """#!/bin/sh
[ "$1" = bin/wait-for-port ] && exit 0
command="$2"
echo "$$" > "var/$command.pid"
case "$command" in
  embedded_mongo|db_worker|crontask)
    trap 'echo "$*" > "var/$command.stopped"; exit 0' TERM
    while :; do sleep 0.05; done ;;
  runserver)
    [ -f var/server-dies ] && exit 1
    while :; do sleep 0.05; done ;;
esac
exit 0
"""


@pytest.fixture
def tree(tmp_path):
    (tmp_path / "bin").mkdir()
    shutil.copy(ROOT / "bin" / "run-dev", tmp_path / "bin" / "run-dev")
    python = tmp_path / ".venv" / "bin" / "python"
    python.parent.mkdir(parents=True)
    python.write_text(STAND_IN_PYTHON)
    python.chmod(0o755)
    (tmp_path / "var").mkdir()
    return tmp_path


def run_dev(tree):
    env = {key: value for key, value in os.environ.items() if key != "MONGO_URI"}
    return subprocess.Popen(
        ["sh", str(tree / "bin" / "run-dev")],
        cwd=tree,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )


def wait_for(path, timeout=10):
    deadline = time.monotonic() + timeout
    while not path.exists():
        assert time.monotonic() < deadline, f"{path.name} never appeared"
        time.sleep(0.05)


def alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def assert_all_stopped(tree):
    for command in LONG_RUNNING:
        assert (tree / "var" / f"{command}.stopped").exists(), f"{command} was not sent SIGTERM"
        pid = int((tree / "var" / f"{command}.pid").read_text())
        assert not alive(pid), f"{command} still runs"


def test_it_starts_the_worker_and_the_scheduler_beside_the_server_and_stops_them_on_ctrl_c(tree):
    script = run_dev(tree)
    try:
        wait_for(tree / "var" / "runserver.pid")
        for command in LONG_RUNNING:
            pid = int((tree / "var" / f"{command}.pid").read_text())
            assert alive(pid), f"{command} is not running beside the server"
        # Ctrl-C in a terminal signals the whole foreground process group.
        os.killpg(script.pid, signal.SIGINT)
        assert script.wait(timeout=10) == 130
    finally:
        if script.poll() is None:
            os.killpg(script.pid, signal.SIGKILL)
    assert_all_stopped(tree)


def test_it_stops_the_worker_and_the_scheduler_when_the_server_dies(tree):
    (tree / "var" / "server-dies").touch()
    script = run_dev(tree)
    try:
        assert script.wait(timeout=10) == 1
    finally:
        if script.poll() is None:
            os.killpg(script.pid, signal.SIGKILL)
    assert_all_stopped(tree)
