"""Install the Debian packages `make run` / `make test` need before the virtualenv is built.

    python3.13 bin/system_packages.py run|test

Runs before `.venv` exists, so it uses the standard library only. As root it
installs what is missing with apt-get; as anyone else it stops at once and
prints the exact command to run. On a machine without dpkg (not Debian) it
says so and lets the build go on: there the packages have other names.
"""

import os
import shutil
import subprocess
import sys
import sysconfig

# What building the pinned requirements needs: mysqlclient compiles against
# MariaDB's client library and finds it through pkg-config.
BUILD_PACKAGES = ("build-essential", "pkg-config", "default-libmysqlclient-dev")
# The browser tests drive Debian's Chromium at /usr/bin/chromium.
TEST_PACKAGES = ("chromium",)
PURPOSES = ("run", "test")


def required_packages(purpose, python_prefix, python_version):
    """The Debian packages `make <purpose>` needs, with this Python interpreter."""
    if purpose not in PURPOSES:
        raise ValueError(f"purpose must be one of {', '.join(PURPOSES)}, not {purpose!r}")
    packages = list(BUILD_PACKAGES)
    if python_prefix == "/usr":
        # Debian's own Python ships venv (ensurepip) and its C headers separately;
        # a pyenv or python.org build carries both itself.
        packages += [f"python{python_version}-venv", f"python{python_version}-dev"]
    if purpose == "test":
        packages += TEST_PACKAGES
    return packages


def installed_packages(dpkg_query_output):
    """Names dpkg reports as installed, from `dpkg-query -W -f='${Package}\\t${db:Status-Abbrev}\\n'`.

    The status's second letter is the current state: "i" is installed; "rc"
    (removed, configuration left) and "un" are not.
    """
    installed = set()
    for line in dpkg_query_output.splitlines():
        name, _, status = line.partition("\t")
        if len(status) >= 2 and status[1] == "i":
            installed.add(name.split(":", 1)[0])
    return installed


def missing_packages(required, installed):
    return [package for package in required if package not in installed]


def install_commands(missing):
    """The commands that install `missing`, in order (as root)."""
    return [
        ["apt-get", "update", "-qq"],
        ["apt-get", "install", "-y", "-qq", "--no-install-recommends", *missing],
    ]


def plan(*, missing, is_root, has_dpkg):
    """What to do: ("nothing", None), ("install", commands) or ("stop", message)."""
    if not has_dpkg:
        return "nothing", None
    if not missing:
        return "nothing", None
    if is_root:
        return "install", install_commands(missing)
    command = "sudo apt-get update && sudo apt-get install -y --no-install-recommends " + " ".join(missing)
    message = (
        f"Medly needs these Debian packages, which are not installed: {' '.join(missing)}\n"
        f"Install them, then run make again:\n\n    {command}\n"
    )
    return "stop", message


def query_dpkg(packages):
    result = subprocess.run(  # noqa: S603 - fixed program, package names from this file
        ["dpkg-query", "-W", "-f=${Package}\\t${db:Status-Abbrev}\\n", *packages],  # noqa: S607
        capture_output=True,
        text=True,
        check=False,
    )
    # dpkg-query exits 1 when some name is unknown to it; the known ones are still listed.
    return result.stdout


def main(argv):
    if len(argv) != 2 or argv[1] not in PURPOSES:
        print(f"usage: {argv[0]} {'|'.join(PURPOSES)}", file=sys.stderr)
        return 2
    purpose = argv[1]
    has_dpkg = shutil.which("dpkg-query") is not None
    required = required_packages(purpose, sys.base_prefix, sysconfig.get_python_version())
    missing = missing_packages(required, installed_packages(query_dpkg(required)) if has_dpkg else set())
    action, detail = plan(missing=missing, is_root=os.geteuid() == 0, has_dpkg=has_dpkg)
    if not has_dpkg:
        print(f"system-packages: no dpkg here; make sure the equivalents of {' '.join(required)} are installed")
    if action == "stop":
        print(detail, file=sys.stderr)
        return 1
    if action == "install":
        print(f"system-packages: installing {' '.join(missing)}")
        env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        for command in detail:
            if subprocess.run(command, env=env, check=False).returncode != 0:  # noqa: S603
                print(f"system-packages: {' '.join(command)} failed", file=sys.stderr)
                return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
