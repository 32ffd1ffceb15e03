"""The task worker and the scheduler as they run in production."""

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from apscheduler.triggers.cron import CronTrigger
from django.db import connection
from django.tasks import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from medly.tests.worker_tasks import RUNS_TABLE, record_run

ROOT = Path(__file__).resolve().parents[2]


def worker_database_url():
    settings = connection.settings_dict
    password = f":{settings['PASSWORD']}" if settings["PASSWORD"] else ""
    return f"mysql://{settings['USER']}{password}@{settings['HOST']}:{settings['PORT'] or 3306}/{settings['NAME']}"


def start_worker(worker_id):
    return subprocess.Popen(
        [sys.executable, str(ROOT / "manage.py"), "db_worker", "--worker-id", worker_id, "--interval", "0.1"],
        cwd=ROOT,
        env={**os.environ, "DATABASE_URL": worker_database_url()},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def wait_until_started(worker):
    output = []
    for line in worker.stdout:
        if "Starting worker" in line:
            return
        output.append(line)
    raise AssertionError("the worker exited before it started:\n" + "".join(output))


@pytest.fixture
def runs_table():
    with connection.cursor() as cursor:
        cursor.execute(f"CREATE TABLE {RUNS_TABLE} (number INT PRIMARY KEY)")
    yield
    with connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE {RUNS_TABLE}")


@pytest.mark.django_db(transaction=True)
def test_two_worker_processes_run_each_task_of_a_batch_exactly_once(runs_table):
    workers = [start_worker("worker-a"), start_worker("worker-b")]
    try:
        for worker in workers:
            wait_until_started(worker)
        batch = 60
        for number in range(batch):
            record_run.enqueue(number)
        deadline = time.monotonic() + 60
        while DBTaskResult.objects.finished().count() < batch:
            assert time.monotonic() < deadline, "the workers did not finish the batch"
            time.sleep(0.1)
    finally:
        for worker in workers:
            worker.terminate()
        for worker in workers:
            worker.wait(timeout=20)
    results = DBTaskResult.objects.all()
    # A task run twice would have hit the primary key and failed.
    assert {result.status for result in results} == {TaskResultStatus.SUCCESSFUL}
    assert all(len(result.worker_ids) == 1 for result in results)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT number FROM {RUNS_TABLE} ORDER BY number")  # noqa: S608
        assert [row[0] for row in cursor.fetchall()] == list(range(batch))
    # Both really shared the batch.
    assert {result.worker_ids[0] for result in results} == {"worker-a", "worker-b"}


def scheduled_jobs():
    """The periodic jobs `manage.py crontask` would run, after it loads every app's tasks module."""
    from crontask import scheduler
    from crontask.management.commands.crontask import Command

    Command(stdout=open(os.devnull, "w")).load_tasks({})  # noqa: SIM115
    return {job.name: job for job in scheduler.get_jobs()}


def fields(trigger):
    assert isinstance(trigger, CronTrigger)
    return {field.name: str(field) for field in trigger.fields if not field.is_default}


def test_the_scheduler_reconciles_every_minute():
    from records.tasks import reconcile

    job = scheduled_jobs()[reconcile.name]
    assert job.func == reconcile.enqueue
    assert fields(job.trigger) == {"minute": "*", "hour": "*", "day": "*", "month": "*", "day_of_week": "*"}


def test_the_scheduler_prunes_old_task_results_daily():
    from medly.tasks import prune_task_results

    job = scheduled_jobs()[prune_task_results.name]
    assert job.func == prune_task_results.enqueue
    assert fields(job.trigger) == {"minute": "30", "hour": "3", "day": "*", "month": "*", "day_of_week": "*"}


def test_the_scheduler_sends_the_doctors_digests_at_seven_in_the_morning_clinic_time(settings):
    from scheduling.tasks import send_daily_digests

    job = scheduled_jobs()[send_daily_digests.name]
    assert job.func == send_daily_digests.enqueue
    assert fields(job.trigger) == {"minute": "0", "hour": "7", "day": "*", "month": "*", "day_of_week": "*"}
    assert str(job.trigger.timezone) == settings.TIME_ZONE
