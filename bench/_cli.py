"""What the benchmark scripts share around their command line.

The options both take (patients' prefix and password, timeout, the doctor
opening slots), ``SetupError`` with the ``main()`` that turns it into exit
status 2, and the connection behind ``--database-url``.
"""

import sys
import time
import urllib.parse

EXIT_SETUP = 2  # the run could not be set up (both scripts)
MAX_OPEN_DAYS = 58  # the doctor page lists the next 60 days


class SetupError(Exception):
    """The run cannot start: the message says what to do."""


def add_shared_arguments(parser, prefix_stem):
    """The options between the script's own ones: bench patients, timeout, the doctor and his slots."""
    parser.add_argument(
        "--prefix",
        default=f"{prefix_stem}-{int(time.time())}",
        help=f"email prefix: patients are <prefix>-<n>@medly.test (default {prefix_stem}-<unix time>)",
    )
    parser.add_argument("--password", default="Tortuga-azul-2026-bench", help="the bench patients' password")
    parser.add_argument("--timeout", type=float, default=30.0, help="seconds before a request counts as timed out")
    parser.add_argument(
        "--open-slots",
        type=int,
        default=0,
        metavar="DAYS",
        help=f"first let the doctor open slots for DAYS days from tomorrow (max {MAX_OPEN_DAYS})",
    )
    parser.add_argument("--open-from", default="07:00", help="first slot of each opened day (HH:MM)")
    parser.add_argument("--open-until", default="21:00", help="end of the last slot of each opened day (HH:MM)")
    parser.add_argument("--doctor-email", default="doctor@medly.test")
    parser.add_argument("--doctor-password", default="medly-demo-2026")


def check_shared_arguments(parser, args):
    if not 0 <= args.open_slots <= MAX_OPEN_DAYS:
        parser.error(f"--open-slots must be 0..{MAX_OPEN_DAYS} days (the doctor page lists the next 60 days)")


def run_main(parse_args, run, argv=None):
    """Parse the command line and run; a SetupError ends the run with its message and exit status 2."""
    args = parse_args(argv)
    try:
        return run(args)
    except SetupError as error:
        print(f"bench: {error}", file=sys.stderr)
        return EXIT_SETUP


def connect_mysql(url):
    """A MySQLdb connection for ``--database-url mysql://user:pass@host:port/database``."""
    import MySQLdb  # the project's venv has mysqlclient; only needed for the database checks

    parts = urllib.parse.urlsplit(url)
    if parts.scheme not in ("mysql", "mariadb"):
        raise SetupError("--database-url must be mysql://user:pass@host:port/database")
    return MySQLdb.connect(
        host=parts.hostname or "127.0.0.1",
        port=parts.port or 3306,
        user=urllib.parse.unquote(parts.username or ""),
        password=urllib.parse.unquote(parts.password or ""),
        database=urllib.parse.unquote(parts.path.lstrip("/")),
        charset="utf8mb4",
    )
