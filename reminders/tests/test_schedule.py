"""crontask finds the sweep in reminders/tasks.py and enqueues it every minute."""

from io import StringIO

import crontask
from apscheduler.triggers.cron import CronTrigger
from crontask.management.commands.crontask import Command


def test_the_scheduler_loads_the_reminder_sweep_every_minute():
    output = StringIO()
    Command(stdout=output).load_tasks({})

    assert "Loaded tasks from reminders." in output.getvalue()
    [job] = [job for job in crontask.scheduler.get_jobs() if job.name == "send_due_reminders"]
    assert isinstance(job.trigger, CronTrigger)
    assert all(str(field) == "*" for field in job.trigger.fields if field.name in ("minute", "hour", "day"))
    assert job.func.__self__.module_path == "reminders.tasks.send_due_reminders"
