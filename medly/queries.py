"""What the administrator's home shows of the clinic's machinery: one aggregate query per store of work."""

from datetime import timedelta

from django.db import connection
from django.db.models import Count, Q
from django.tasks import TaskResultStatus
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from records.models import UNFINISHED_STATES, Operation
from reminders.models import Reminder, ReminderState

MAIL_TASK_PATH = "medly.mail.send_email"
# An unfinished cross-store operation untouched this long is stuck: reconcile runs every minute.
STUCK_AFTER = timedelta(minutes=15)


def operational_state(*, now=None):
    """Counts of what needs a person: operations needing attention or stuck, reminders that failed
    or were skipped, mail given up on, and any other background task that failed. Three queries."""
    now = now or timezone.now()
    # Each aggregate reads only the rows its WHERE picks through the state index: finished operations and
    # sent reminders are almost every row at a clinic network's size, and never counted.
    operations = Operation.objects.filter(state__in=UNFINISHED_STATES).aggregate(
        attention=Count("pk", filter=Q(needs_attention=True)),
        stuck=Count("pk", filter=Q(needs_attention=False, updated_at__lt=now - STUCK_AFTER)),
    )
    reminders = Reminder.objects.filter(state__in=(ReminderState.FAILED, ReminderState.SKIPPED)).aggregate(
        failed=Count("pk", filter=Q(state=ReminderState.FAILED)),
        skipped=Count("pk", filter=Q(state=ReminderState.SKIPPED)),
    )
    failed_tasks = DBTaskResult.objects.filter(status=TaskResultStatus.FAILED).aggregate(
        mail=Count("pk", filter=Q(task_path=MAIL_TASK_PATH)),
        other=Count("pk", filter=~Q(task_path=MAIL_TASK_PATH)),
    )
    needing_a_person = (
        operations["attention"]
        + operations["stuck"]
        + reminders["failed"]
        + failed_tasks["mail"]
        + failed_tasks["other"]
    )
    return {
        "needing_a_person": needing_a_person,
        "operations_attention": operations["attention"],
        "operations_stuck": operations["stuck"],
        "reminders_failed": reminders["failed"],
        "reminders_skipped": reminders["skipped"],
        "mail_failed": failed_tasks["mail"],
        "tasks_failed": failed_tasks["other"],
        "mail_task_path": MAIL_TASK_PATH,
    }


def estimated_rows(model):
    """The database's own estimate of how many rows the model's table holds (None where it keeps none).

    MariaDB keeps it in information_schema from its statistics: close, not exact, and free, where
    COUNT(*) reads a whole index.
    """
    if connection.vendor != "mysql":
        return None
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT table_rows FROM information_schema.tables WHERE table_schema = DATABASE() AND table_name = %s",
            [model._meta.db_table],
        )
        row = cursor.fetchone()
    return None if row is None or row[0] is None else int(row[0])
