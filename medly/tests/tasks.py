"""Running queued tasks from a test the way the worker does: django-tasks-db's own db_worker."""

from io import StringIO

from django.core.management import call_command


def run_queued_tasks():
    """Run every task that is due, in this process, with the real worker loop; returns its output."""
    out = StringIO()
    call_command("db_worker", "--batch", "--no-startup-delay", stdout=out, stderr=out)
    return out.getvalue()
