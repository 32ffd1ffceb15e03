"""bin/system_packages.py: what `make run` / `make test` install on a fresh Debian machine."""

import importlib.util
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "bin" / "system_packages.py"
_spec = importlib.util.spec_from_file_location("system_packages", SCRIPT)
system_packages = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(system_packages)

BUILD = ["build-essential", "pkg-config", "default-libmysqlclient-dev"]


def test_run_needs_only_what_building_the_requirements_needs():
    assert system_packages.required_packages("run", "/root/.pyenv/versions/3.13.0", "3.13") == BUILD


def test_test_also_needs_chromium_for_the_browser_tests():
    assert system_packages.required_packages("test", "/opt/python", "3.13") == [*BUILD, "chromium"]


def test_debians_own_python_also_needs_its_venv_and_headers_packages():
    assert system_packages.required_packages("run", "/usr", "3.13") == [*BUILD, "python3.13-venv", "python3.13-dev"]


def test_an_unknown_purpose_is_refused():
    with pytest.raises(ValueError, match="run, test"):
        system_packages.required_packages("deploy", "/usr", "3.13")


def test_only_packages_in_the_installed_state_count_as_installed():
    output = (
        "build-essential\tii \n"
        "pkg-config\trc \n"  # removed, configuration files left
        "default-libmysqlclient-dev:amd64\tii \n"
        "chromium\tun \n"
        "libfoo\thi \n"  # held, installed
    )

    assert system_packages.installed_packages(output) == {"build-essential", "default-libmysqlclient-dev", "libfoo"}


def test_missing_keeps_the_required_order():
    assert system_packages.missing_packages([*BUILD, "chromium"], {"pkg-config"}) == [
        "build-essential",
        "default-libmysqlclient-dev",
        "chromium",
    ]


def test_nothing_missing_means_nothing_to_do_as_root_or_not():
    assert system_packages.plan(missing=[], is_root=True, has_dpkg=True) == ("nothing", None)
    assert system_packages.plan(missing=[], is_root=False, has_dpkg=True) == ("nothing", None)


def test_root_installs_exactly_the_missing_packages_after_an_update():
    action, commands = system_packages.plan(missing=["pkg-config", "chromium"], is_root=True, has_dpkg=True)

    assert action == "install"
    assert commands == [
        ["apt-get", "update", "-qq"],
        ["apt-get", "install", "-y", "-qq", "--no-install-recommends", "pkg-config", "chromium"],
    ]


def test_anyone_else_is_stopped_with_the_exact_command_to_run():
    action, message = system_packages.plan(missing=["pkg-config", "chromium"], is_root=False, has_dpkg=True)

    assert action == "stop"
    assert "sudo apt-get update && sudo apt-get install -y --no-install-recommends pkg-config chromium" in message


def test_a_machine_without_dpkg_is_not_stopped():
    assert system_packages.plan(missing=["pkg-config"], is_root=False, has_dpkg=False) == ("nothing", None)


def _fake_tools(tmp_path, dpkg_output):
    """A PATH whose dpkg-query answers `dpkg_output` and whose apt-get only logs its arguments."""
    tools = tmp_path / "bin"
    tools.mkdir()
    log = tmp_path / "apt-get.log"
    (tools / "dpkg-query").write_text(f"#!/bin/sh\nprintf '{dpkg_output}'\nexit 1\n")
    (tools / "apt-get").write_text(f'#!/bin/sh\necho "$DEBIAN_FRONTEND $*" >> {log}\n')
    for tool in tools.iterdir():
        tool.chmod(tool.stat().st_mode | stat.S_IEXEC)
    return {**os.environ, "PATH": f"{tools}:/usr/bin:/bin"}, log


@pytest.mark.skipif(os.geteuid() != 0, reason="the install path runs only as root")
def test_as_root_the_script_installs_what_dpkg_reports_missing(tmp_path):
    env, log = _fake_tools(tmp_path, "build-essential\\tii \\npkg-config\\tii \\nchromium\\trc \\n")

    result = subprocess.run([sys.executable, str(SCRIPT), "test"], env=env, capture_output=True, text=True, check=False)

    assert result.returncode == 0, result.stderr
    assert log.read_text().splitlines() == [
        "noninteractive update -qq",
        "noninteractive install -y -qq --no-install-recommends default-libmysqlclient-dev chromium",
    ]


def test_the_script_does_nothing_when_every_package_is_installed(tmp_path):
    installed = "".join(f"{name}\\tii \\n" for name in [*BUILD, "chromium"])
    env, log = _fake_tools(tmp_path, installed)

    result = subprocess.run([sys.executable, str(SCRIPT), "test"], env=env, capture_output=True, text=True, check=False)

    assert result.returncode == 0, result.stderr
    assert not log.exists()


def test_the_makefile_checks_the_packages_before_building_the_venv_and_adds_chromium_for_test():
    def dry_run(target):
        result = subprocess.run(["make", "-n", "-B", target], cwd=ROOT, capture_output=True, text=True, check=True)
        return result.stdout.splitlines()

    for target in ("run", "test"):
        lines = dry_run(target)
        check = next(index for index, line in enumerate(lines) if "bin/system_packages.py" in line)
        venv = next(index for index, line in enumerate(lines) if "-m venv" in line)
        assert check < venv
        assert lines[check].endswith(f"bin/system_packages.py {target}")


def test_ci_leaves_installing_to_make_test():
    script = (ROOT / ".ci" / "run").read_text()

    assert "apt-get install" not in script and "apt-get update" not in script
    assert "make test" in script
