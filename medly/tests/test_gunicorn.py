"""gunicorn.conf.py, as the Docker image and the README use it: real gunicorn processes."""

import os
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from conftest import free_port

ROOT = Path(__file__).resolve().parents[2]
GUNICORN = Path(sys.executable).parent / "gunicorn"


def read_config(**env):
    """The settings as gunicorn itself resolves them from gunicorn.conf.py."""
    result = subprocess.run(
        [str(GUNICORN), "-c", "gunicorn.conf.py", "--print-config", "medly.wsgi:application"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    lines = (line.partition("=") for line in result.stdout.splitlines() if "=" in line)
    return {name.strip(): value.strip() for name, _, value in lines}


SERVING_VARIABLES = {"WEB_CONCURRENCY", "GUNICORN_THREADS", "GUNICORN_WORKER_CLASS"}


def test_threaded_workers_follow_the_cpu_count_unless_the_environment_says_otherwise():
    env = {key: value for key, value in os.environ.items() if key not in SERVING_VARIABLES}

    config = read_config(**env)
    assert (config["worker_class"], config["workers"], config["threads"]) == (
        "gthread",
        str(max(2, len(os.sched_getaffinity(0)))),
        "8",
    )
    config = read_config(**env, WEB_CONCURRENCY="5", GUNICORN_THREADS="1", GUNICORN_WORKER_CLASS="sync")
    assert (config["worker_class"], config["workers"], config["threads"]) == ("sync", "5", "1")


def test_workers_are_recycled_with_jitter_beat_in_memory_and_open_no_control_socket():
    config = read_config(**os.environ)

    assert (config["max_requests"], config["max_requests_jitter"]) == ("1000", "100")
    assert config["worker_tmp_dir"] == "/dev/shm"  # noqa: S108
    assert config["control_socket_disable"] == "True"
    assert config["access_log_format"] == '%(h)s %(t)s "%(m)s %(U)s %(H)s" %(s)s %(B)s %(M)sms "%(a)s"'


def start_gunicorn(port, home, log):
    env = {
        **{key: value for key, value in os.environ.items() if key not in {"XDG_RUNTIME_DIR", "DEBUG", "SECRET_KEY"}},
        "HOME": str(home),
        "WEB_CONCURRENCY": "1",
    }
    return subprocess.Popen(
        [str(GUNICORN), "-c", "gunicorn.conf.py", "--bind", f"127.0.0.1:{port}", "medly.wsgi:application"],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )


def get(url, deadline):
    while True:
        try:
            with urllib.request.urlopen(url, timeout=2) as response:  # noqa: S310 - loopback
                return response.status, response.read()
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)


def test_two_instances_on_one_host_both_serve_and_log_paths_without_query_strings(tmp_path):
    ports = [free_port(), free_port()]
    logs = [open(tmp_path / f"gunicorn-{port}.log", "w+b") for port in ports]  # noqa: SIM115
    servers = [start_gunicorn(port, tmp_path, log) for port, log in zip(ports, logs, strict=True)]
    try:
        deadline = time.monotonic() + 30
        for port in ports:
            assert get(f"http://127.0.0.1:{port}/livez?q=Maria+Lopez", deadline) == (200, b"ok")
        assert all(server.poll() is None for server in servers), "an instance exited"
    finally:
        for server in servers:
            server.terminate()
            server.wait(timeout=30)

    for log in logs:
        log.seek(0)
        text = log.read().decode()
        log.close()
        assert '"GET /livez HTTP/1.1" 200' in text
        assert "Maria" not in text and "q=" not in text
    # No control socket at the fixed per-user path that two instances would fight over.
    assert not (tmp_path / ".gunicorn").exists()
