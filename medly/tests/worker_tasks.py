"""Tasks that only the worker tests enqueue: each run leaves a row keyed by its number."""

import time

from django.db import connection
from django.tasks import task

RUNS_TABLE = "test_worker_task_run"


@task
def record_run(number):
    # Long enough that both workers are busy at once.
    time.sleep(0.05)
    with connection.cursor() as cursor:
        cursor.execute(f"INSERT INTO {RUNS_TABLE} (number) VALUES (%s)", [number])  # noqa: S608
