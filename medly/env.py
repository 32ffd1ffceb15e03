"""Typed readers for settings that come from the environment.

Bad values fail loudly at start-up instead of turning into surprising
behaviour later.
"""

import os
from urllib.parse import unquote, urlsplit

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

TRUE_WORDS = {"1", "true", "yes", "on"}
FALSE_WORDS = {"0", "false", "no", "off", ""}


def env_str(name, default=None):
    return os.environ.get(name, default)


def env_bool(name, default):
    raw = os.environ.get(name)
    if raw is None:
        return default
    word = raw.strip().lower()
    if word in TRUE_WORDS:
        return True
    if word in FALSE_WORDS:
        return False
    raise ImproperlyConfigured(f"{name} must be a boolean (1/0, true/false), got {raw!r}")


def env_int(name, default):
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        return int(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be an integer, got {raw!r}") from None


def env_list(name, default):
    raw = os.environ.get(name)
    if raw is None:
        return list(default)
    return [item.strip() for item in raw.split(",") if item.strip()]


# Query options of a mysql:// DATABASE_URL that Medly reads itself, not MySQLdb.
MEDLY_DATABASE_OPTIONS = {"lock_wait_timeout", "conn_max_age", "conn_health_checks"}
# Options passed on to MySQLdb.connect(); anything else is a typo that would
# only fail at the first connection.
MYSQL_CONNECT_OPTIONS = {
    "connect_timeout", "read_timeout", "write_timeout", "ssl", "ssl_mode", "charset", "isolation_level",
    "unix_socket", "compress", "auth_plugin", "server_public_key_path", "local_infile",
}  # fmt: skip
MYSQL_INTEGER_OPTIONS = {"connect_timeout", "read_timeout", "write_timeout", "lock_wait_timeout", "conn_max_age"}
# ssl-ca=... (dj-database-url's name) and its siblings become MySQLdb's ssl={...}.
MYSQL_SSL_FILES = ("ca", "cert", "key", "capath", "cipher")
MYSQL_DEFAULTS = {
    "charset": "utf8mb4",
    "isolation_level": "read committed",
    "connect_timeout": 5,
    # A query that hangs (a dead server, a lost network) fails instead of holding a worker.
    "read_timeout": 30,
    "write_timeout": 30,
}


def _mysql_from_url(url, *, conn_max_age, conn_health_checks):
    parsed = dj_database_url.parse(url.replace("mariadb://", "mysql://", 1))
    options = parsed.pop("OPTIONS", {})
    if not parsed["NAME"]:
        raise ImproperlyConfigured("DATABASE_URL must name a database, e.g. mysql://user:pass@host:3306/medly")
    ssl = dict(options.pop("ssl", {}))
    for name in MYSQL_SSL_FILES:
        for spelling in (f"ssl-{name}", f"ssl_{name}"):
            if spelling in options:
                ssl[name] = options.pop(spelling)
    if ssl:
        options["ssl"] = ssl
    if "init_command" in options:
        raise ImproperlyConfigured("DATABASE_URL cannot set init_command: Medly sets the SQL mode and lock wait")
    unknown = set(options) - MYSQL_CONNECT_OPTIONS - MEDLY_DATABASE_OPTIONS
    if unknown:
        raise ImproperlyConfigured(f"DATABASE_URL has options MySQL does not know: {', '.join(sorted(unknown))}")
    for name in MYSQL_INTEGER_OPTIONS & set(options):
        if isinstance(options[name], bool) or not isinstance(options[name], int):
            raise ImproperlyConfigured(f"DATABASE_URL option {name} must be a whole number, got {options[name]!r}")
    lock_wait_seconds = options.pop("lock_wait_timeout", 5)
    conn_max_age = options.pop("conn_max_age", conn_max_age)
    conn_health_checks = options.pop("conn_health_checks", conn_health_checks)
    if not isinstance(conn_health_checks, bool):
        raise ImproperlyConfigured("DATABASE_URL option conn_health_checks must be true or false")
    return {
        **parsed,
        "HOST": parsed["HOST"] or "127.0.0.1",
        "PORT": str(parsed["PORT"] or 3306),
        "CONN_MAX_AGE": conn_max_age,
        "CONN_HEALTH_CHECKS": conn_health_checks,
        "OPTIONS": {
            **MYSQL_DEFAULTS,
            **options,
            # A busy row gives a clear answer within seconds, never a hang.
            "init_command": f"SET sql_mode='STRICT_TRANS_TABLES', innodb_lock_wait_timeout={lock_wait_seconds}",
        },
        "TEST": {"CHARSET": "utf8mb4", "COLLATION": "utf8mb4_unicode_ci"},
    }


def database_from_url(url, *, sqlite_fallback, conn_max_age=60, conn_health_checks=True):
    """Turn DATABASE_URL into a Django DATABASES entry.

    Only MySQL/MariaDB and SQLite are supported: those are the stores Medly
    is built and tested on. A mysql:// URL's query options (TLS, timeouts,
    conn_max_age, lock_wait_timeout) are all honoured; see MYSQL_DEFAULTS for
    what they default to. ``conn_max_age`` and ``conn_health_checks`` are the defaults when the
    URL does not set them (settings reads them from DATABASE_CONN_MAX_AGE / DATABASE_CONN_HEALTH_CHECKS).
    """
    if not url:
        return {"ENGINE": "django.db.backends.sqlite3", "NAME": str(sqlite_fallback)}
    parts = urlsplit(url)
    if parts.scheme == "sqlite":
        return {"ENGINE": "django.db.backends.sqlite3", "NAME": unquote(parts.path) or str(sqlite_fallback)}
    if parts.scheme not in {"mysql", "mariadb"}:
        raise ImproperlyConfigured(f"DATABASE_URL scheme {parts.scheme!r} is not supported; use mysql:// or sqlite://")
    try:
        return _mysql_from_url(url, conn_max_age=conn_max_age, conn_health_checks=conn_health_checks)
    except ValueError as exc:  # dj-database-url's ParseError, a port that is not a number
        raise ImproperlyConfigured(f"DATABASE_URL cannot be read: {exc}") from None


def replica_database(url, *, primary):
    """DATABASE_REPLICA_URL as a Django DATABASES entry: a MySQL server holding the primary's rows."""
    if primary["ENGINE"] != "django.db.backends.mysql" or urlsplit(url).scheme not in {"mysql", "mariadb"}:
        raise ImproperlyConfigured("DATABASE_REPLICA_URL needs a mysql:// DATABASE_URL and a mysql:// replica")
    replica = database_from_url(
        url,
        sqlite_fallback=None,
        conn_max_age=primary.get("CONN_MAX_AGE", 0),
        conn_health_checks=primary.get("CONN_HEALTH_CHECKS", False),
    )
    # Tests run against the primary's test database: the replica holds the same rows.
    replica["TEST"] = {**replica["TEST"], "MIRROR": "default"}
    return replica


def redis_sentinels(raw):
    """REDIS_SENTINELS ("host:port,host:port") as [(host, port), ...]; [] when empty."""
    sentinels = []
    for item in (part.strip() for part in raw.split(",")):
        if not item:
            continue
        host, _, port = item.rpartition(":")
        if not host or not port.isdigit() or not 0 < int(port) < 65536:
            raise ImproperlyConfigured(f"REDIS_SENTINELS must be host:port,host:port, got {item!r}")
        sentinels.append((host.strip("[]"), int(port)))
    return sentinels


def sentinel_location(redis_url, master):
    """django-redis' Sentinel LOCATION: redis://[password@]<master name>/<db>, keeping REDIS_URL's db and password."""
    if not master:
        raise ImproperlyConfigured("REDIS_SENTINEL_MASTER must name the master the sentinels watch")
    parts = urlsplit(redis_url or "redis:///0")
    password = f":{parts.password}@" if parts.password else ""
    database = parts.path.lstrip("/") or "0"
    if not database.isdigit():
        raise ImproperlyConfigured(f"REDIS_URL must end in a database number, got {redis_url!r}")
    return f"redis://{password}{master}/{database}"
