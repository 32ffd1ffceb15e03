"""Periodic work of the records app, loaded by the crontask scheduler (`manage.py crontask`)."""

from crontask import cron
from django.core.management import call_command
from django.tasks import task


@cron("* * * * *")
@task
def reconcile():
    """Finish or undo the cross-store writes a crash or an outage interrupted (what `manage.py reconcile` does)."""
    call_command("reconcile")
