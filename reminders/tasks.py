from crontask import cron
from django.tasks import task

from reminders import services


@cron("* * * * *")
@task
def send_due_reminders():
    """Every minute: send each reminder whose time has come (see reminders/services.py)."""
    finished = services.send_due_reminders()
    return {str(state): count for state, count in finished.items()}
