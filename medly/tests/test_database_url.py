"""DATABASE_URL: every option a mysql:// URL carries is honoured, none is dropped."""

import time

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.db import OperationalError, connection
from django.db.backends.mysql.base import DatabaseWrapper

from medly.env import database_from_url

FALLBACK = "var/unused.sqlite3"


def parse(url):
    return database_from_url(url, sqlite_fallback=FALLBACK)


def test_a_plain_url_gets_medlys_defaults():
    database = parse("mysql://medly:secret@db.internal:3307/medly")

    assert (database["USER"], database["PASSWORD"], database["HOST"], database["PORT"], database["NAME"]) == (
        "medly",
        "secret",
        "db.internal",
        "3307",
        "medly",
    )
    assert (database["CONN_MAX_AGE"], database["CONN_HEALTH_CHECKS"]) == (60, True)
    assert database["OPTIONS"] == {
        "charset": "utf8mb4",
        "isolation_level": "read committed",
        "connect_timeout": 5,
        "read_timeout": 30,
        "write_timeout": 30,
        "init_command": "SET sql_mode='STRICT_TRANS_TABLES', innodb_lock_wait_timeout=5",
    }
    assert database["TEST"] == {"CHARSET": "utf8mb4", "COLLATION": "utf8mb4_unicode_ci"}


def test_tls_timeouts_and_connection_age_in_the_url_are_honoured():
    database = parse(
        "mysql://medly:s%40cret@db:3306/medly?ssl_mode=VERIFY_IDENTITY&ssl-ca=/etc/mysql/ca.pem"
        "&ssl-cert=/etc/mysql/client.pem&ssl-key=/etc/mysql/client.key"
        "&connect_timeout=10&read_timeout=20&write_timeout=25&conn_max_age=300&lock_wait_timeout=3"
    )

    assert database["PASSWORD"] == "s@cret"
    assert database["CONN_MAX_AGE"] == 300
    options = database["OPTIONS"]
    assert options["ssl_mode"] == "VERIFY_IDENTITY"
    assert options["ssl"] == {
        "ca": "/etc/mysql/ca.pem",
        "cert": "/etc/mysql/client.pem",
        "key": "/etc/mysql/client.key",
    }
    assert (options["connect_timeout"], options["read_timeout"], options["write_timeout"]) == (10, 20, 25)
    assert options["init_command"] == "SET sql_mode='STRICT_TRANS_TABLES', innodb_lock_wait_timeout=3"
    assert "conn_max_age" not in options and "lock_wait_timeout" not in options


def test_conn_max_age_zero_and_health_checks_off_are_honoured():
    database = parse("mysql://u@db/medly?conn_max_age=0&conn_health_checks=false")

    assert (database["CONN_MAX_AGE"], database["CONN_HEALTH_CHECKS"]) == (0, False)


def test_mariadb_is_a_name_for_mysql():
    assert parse("mariadb://u@db/medly")["ENGINE"] == "django.db.backends.mysql"


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("mysql://u@db/medly?read_timout=5", "options MySQL does not know: read_timout"),
        ("mysql://u@db/medly?read_timeout=soon", "read_timeout must be a whole number"),
        ("mysql://u@db/medly?conn_max_age=true", "conn_max_age must be a whole number"),
        ("mysql://u@db/medly?conn_health_checks=2", "conn_health_checks must be true or false"),
        ("mysql://u@db/medly?init_command=SET%20x=1", "cannot set init_command"),
        ("mysql://u@db/", "must name a database"),
        ("mysql://u@db:port/medly", "DATABASE_URL cannot be read"),
        ("postgres://u@db/medly", "not supported"),
    ],
)
def test_a_url_medly_cannot_honour_stops_start_up_with_a_message(url, message):
    with pytest.raises(ImproperlyConfigured, match=message):
        parse(url)


def test_sqlite_urls_and_no_url_give_sqlite():
    assert parse("sqlite:////var/lib/medly.sqlite3")["NAME"] == "//var/lib/medly.sqlite3"
    assert parse("") == {"ENGINE": "django.db.backends.sqlite3", "NAME": FALLBACK}


@pytest.mark.mysql
@pytest.mark.django_db
def test_the_read_timeout_reaches_the_mysql_connection():
    current = connection.settings_dict
    url = f"mysql://{current['USER']}@{current['HOST']}:{current['PORT']}/{current['NAME']}?read_timeout=1"
    database = {**parse(url), "PASSWORD": current["PASSWORD"], "TIME_ZONE": None, "AUTOCOMMIT": True}
    wrapper = DatabaseWrapper({**current, **database}, alias="read_timeout_probe")
    started = time.monotonic()
    try:
        with pytest.raises(OperationalError), wrapper.cursor() as cursor:
            cursor.execute("SELECT SLEEP(5)")
    finally:
        wrapper.close()

    assert time.monotonic() - started < 4


def test_the_settings_defaults_apply_when_the_url_sets_no_connection_age():
    database = database_from_url(
        "mysql://u@db/medly", sqlite_fallback=FALLBACK, conn_max_age=0, conn_health_checks=False
    )

    assert (database["CONN_MAX_AGE"], database["CONN_HEALTH_CHECKS"]) == (0, False)


def test_the_url_wins_over_the_settings_defaults():
    database = database_from_url(
        "mysql://u@db/medly?conn_max_age=300&conn_health_checks=true",
        sqlite_fallback=FALLBACK,
        conn_max_age=0,
        conn_health_checks=False,
    )

    assert (database["CONN_MAX_AGE"], database["CONN_HEALTH_CHECKS"]) == (300, True)
