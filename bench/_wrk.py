"""Run wrk against one URL and read its summary: requests/s, latency percentiles, failures.

Standard library only, so any bench script can copy this file unchanged::

    from _wrk import run_wrk
    result = run_wrk("http://127.0.0.1:8100/accounts/login/", connections=20, duration_s=10)
    result["requests_per_s"], result["p99_ms"]

For a page behind a login pass the session cookie; a DEBUG=0 server also needs
``X-Forwarded-Proto: https`` (it stands behind a TLS proxy, see the contract)::

    run_wrk(url, connections=50, duration_s=10,
            headers={"Cookie": "medly=...", "X-Forwarded-Proto": "https"})

``python bench/_wrk.py`` runs the parser's self-check.
"""

import os
import re
import shutil
import subprocess

WRK = "/usr/bin/wrk"

_UNIT_MS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0, "h": 3_600_000.0}
_PERCENTILE_RE = re.compile(r"^\s*(50|75|90|99)(?:\.0+)?%\s+([\d.]+)(us|ms|s|m|h)\s*$", re.MULTILINE)
_RATE_RE = re.compile(r"^Requests/sec:\s+([\d.]+)", re.MULTILINE)
_TOTAL_RE = re.compile(r"^\s*(\d+) requests in ([\d.]+)(us|ms|s|m|h)", re.MULTILINE)
_SOCKET_ERRORS_RE = re.compile(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)")
_NON_2XX_RE = re.compile(r"Non-2xx or 3xx responses: (\d+)")


class WrkError(RuntimeError):
    """wrk is missing, failed, or printed something this module cannot read."""


def wrk_path():
    """The wrk binary, or WrkError saying how to install it."""
    path = WRK if os.access(WRK, os.X_OK) else shutil.which("wrk")
    if not path:
        raise WrkError("wrk is not installed: apt-get install wrk")
    return path


def run_wrk(url, *, connections, duration_s, threads=2, headers=None, timeout_s=30):
    """Load ``url`` with wrk for ``duration_s`` seconds over ``connections`` keep-alive connections.

    Returns ``requests_per_s``, ``p50_ms``, ``p90_ms``, ``p99_ms``, ``requests``, ``non_2xx``
    (wrk counts answers with status >= 400; redirects count as successes) and ``errors``
    (connect, read, write and timeout socket errors together; ``socket_errors`` has each).
    """
    threads = max(1, min(threads, connections))  # wrk refuses more threads than connections
    command = [
        wrk_path(),
        "--latency",
        f"--threads={threads}",
        f"--connections={connections}",
        f"--duration={int(duration_s)}s",
        f"--timeout={int(timeout_s)}s",
    ]
    for name, value in (headers or {}).items():
        command += ["--header", f"{name}: {value}"]
    command.append(url)
    finished = subprocess.run(  # noqa: S603 - the fixed wrk binary, arguments from the caller
        command, capture_output=True, text=True, timeout=duration_s + timeout_s + 30, check=False
    )
    if finished.returncode != 0:
        raise WrkError(f"wrk exited with {finished.returncode}: {finished.stderr.strip() or finished.stdout.strip()}")
    return parse_wrk_output(finished.stdout)


def _milliseconds(value, unit):
    return float(value) * _UNIT_MS[unit]


def parse_wrk_output(text):
    """The figures of one ``wrk --latency`` run (see run_wrk)."""
    rate = _RATE_RE.search(text)
    total = _TOTAL_RE.search(text)
    percentiles = {int(p): _milliseconds(value, unit) for p, value, unit in _PERCENTILE_RE.findall(text)}
    if not rate or not total or not {50, 90, 99} <= percentiles.keys():
        raise WrkError(f"cannot read wrk's output (was --latency given?):\n{text}")
    socket_errors = dict.fromkeys(("connect", "read", "write", "timeout"), 0)
    found = _SOCKET_ERRORS_RE.search(text)
    if found:
        socket_errors = dict(zip(socket_errors, map(int, found.groups()), strict=True))
    non_2xx = _NON_2XX_RE.search(text)
    return {
        "requests_per_s": float(rate.group(1)),
        "requests": int(total.group(1)),
        "duration_s": _milliseconds(total.group(2), total.group(3)) / 1000,
        "p50_ms": percentiles[50],
        "p75_ms": percentiles.get(75),
        "p90_ms": percentiles[90],
        "p99_ms": percentiles[99],
        "non_2xx": int(non_2xx.group(1)) if non_2xx else 0,
        "errors": sum(socket_errors.values()),
        "socket_errors": socket_errors,
    }


_SAMPLE = """\
Running 10s test @ http://127.0.0.1:8104/accounts/login/
  2 threads and 20 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency    22.51ms    8.02ms 112.40ms   81.20%
    Req/Sec   446.10     60.31   565.00     71.00%
  Latency Distribution
     50%  850.00us
     75%   25.10ms
     90%   31.72ms
     99%    1.12s
  8893 requests in 10.02s, 41.91MB read
  Socket errors: connect 0, read 2, write 0, timeout 3
  Non-2xx or 3xx responses: 7
Requests/sec:    887.54
Transfer/sec:      4.18MB
"""


def _self_check():
    result = parse_wrk_output(_SAMPLE)
    assert result["requests_per_s"] == 887.54, result
    assert result["requests"] == 8893 and abs(result["duration_s"] - 10.02) < 1e-9, result
    assert abs(result["p50_ms"] - 0.85) < 1e-9 and result["p90_ms"] == 31.72 and result["p99_ms"] == 1120.0, result
    assert result["non_2xx"] == 7 and result["errors"] == 5, result
    assert result["socket_errors"] == {"connect": 0, "read": 2, "write": 0, "timeout": 3}, result
    clean = parse_wrk_output(
        _SAMPLE.replace("  Socket errors: connect 0, read 2, write 0, timeout 3\n", "").replace(
            "  Non-2xx or 3xx responses: 7\n", ""
        )
    )
    assert clean["non_2xx"] == 0 and clean["errors"] == 0, clean
    try:
        parse_wrk_output("Running 10s test\n")
    except WrkError:
        pass
    else:
        raise AssertionError("unreadable output must raise WrkError")
    print("bench/_wrk.py: self-check passed")


if __name__ == "__main__":
    _self_check()
