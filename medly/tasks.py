"""Medly's own periodic tasks.

The crontask scheduler (`manage.py crontask`) imports ``<app>.tasks`` of every
installed app; each ``@cron(...)`` above a ``@task`` there registers a periodic
job. Put an app's periodic work in its own ``tasks.py`` (``records.tasks``
reconciles every minute, ``scheduling.tasks`` sends the doctors' digests; the
reminders sweep registers itself the same way from its app's ``tasks.py``).
"""

from crontask import cron
from django.core.management import call_command
from django.tasks import task

# Finished task results are kept this long (days) for anyone looking into a failure, then deleted.
TASK_RESULTS_KEPT_DAYS = 14


@cron("30 3 * * *")
@task
def prune_task_results():
    """Delete finished task results older than TASK_RESULTS_KEPT_DAYS from every queue."""
    call_command("prune_db_task_results", "--queue-name", "*", "--min-age-days", str(TASK_RESULTS_KEPT_DAYS))
