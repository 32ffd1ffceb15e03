import logging

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext


@pytest.mark.django_db
def test_sql_statements_never_reach_the_log_even_with_debug_on(settings, caplog):
    settings.DEBUG = True  # Django logs every query at DEBUG level when DEBUG is on
    caplog.set_level(logging.DEBUG)
    caplog.set_level(logging.DEBUG, logger="django")  # someone turning Django's own logging up

    with CaptureQueriesContext(connection):
        connection.cursor().execute("SELECT 1")

    assert not [record for record in caplog.records if record.name == "django.db.backends"]
