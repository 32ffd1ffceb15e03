"""manage.py commands for the consultation benchmark, with the server's environment.

``check_consistency`` and ``reconcile`` must read the stores the server
uses: bench/serve.sh writes its environment as `export` lines to
$CONTROL_DIR/env, and ``server_environment`` adds them to ours.
"""

import os
import shlex
import subprocess
import time
from pathlib import Path

from _cli import SetupError

REPO = Path(__file__).resolve().parent.parent


def server_environment(args):
    """The environment for check_consistency / reconcile: ours, plus the server's `export` lines if given."""
    env = dict(os.environ)
    path = args.server_env
    if path is None and Path(args.control_dir, "env").is_file():
        path = str(Path(args.control_dir, "env"))
    if path:
        try:
            lines = Path(path).read_text(encoding="utf-8").splitlines()
        except OSError as exc:
            raise SetupError(f"--server-env {path}: {exc}") from exc
        for line in lines:
            words = shlex.split(line, comments=True)
            if words[:1] == ["export"]:
                words = words[1:]
            for word in words:
                name, _, value = word.partition("=")
                env[name] = value
    missing = [name for name in ("DATABASE_URL", "MONGO_URI") if not env.get(name)]
    if missing:
        raise SetupError(
            f"{', '.join(missing)} not set: check_consistency would read other stores than the server. "
            "Run `. $CONTROL_DIR/env` (written by bench/serve.sh) first, or pass --server-env FILE."
        )
    return env, path


def run_command(command, env, label, *, limit=15):
    """Run a manage.py command from the repository root; print its output; return (exit code, lines)."""
    started = time.perf_counter()
    try:
        # The operator's own command line (an option of this script), run without a shell.
        done = subprocess.run(  # noqa: S603
            shlex.split(command),
            cwd=REPO,
            env=env,
            capture_output=True,
            text=True,
            timeout=600,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        print(f"   {label}: could not run `{command}`: {exc}")
        return None, [str(exc)]
    lines = (done.stdout + done.stderr).splitlines()
    print(f"   {label}: `{command}` exit {done.returncode} in {time.perf_counter() - started:.1f} s")
    shown = lines if len(lines) <= limit else [*lines[: limit - 1], f"... {len(lines) - limit} more lines", lines[-1]]
    for line in shown:
        print(f"     {line}")
    return done.returncode, lines
