"""Mail is a task: enqueued on commit, never on rollback, retried with backoff when SMTP fails."""

from datetime import timedelta

import pytest
from django.core import mail
from django.db import transaction
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from medly import mail as medly_mail
from medly.tests.tasks import run_queued_tasks

pytestmark = pytest.mark.django_db(transaction=True)


def queue_one(**overrides):
    message = {"to": ["ana@example.test"], "subject": "Hello", "text": "Plain", "html": "<p>Rich</p>"}
    medly_mail.queue_email(**{**message, **overrides})


def test_a_message_is_enqueued_when_the_transaction_commits_and_sent_by_the_worker():
    with transaction.atomic():
        queue_one(attachments=[("visit.ics", "BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n", "text/calendar")])
        assert DBTaskResult.objects.count() == 0

    assert DBTaskResult.objects.count() == 1
    assert mail.outbox == []
    run_queued_tasks()

    [sent] = mail.outbox
    assert (sent.to, sent.subject, sent.body) == (["ana@example.test"], "Hello", "Plain")
    assert sent.alternatives[0].content == "<p>Rich</p>"
    assert sent.attachments[0][0] == "visit.ics"


def test_a_rolled_back_transaction_enqueues_nothing():
    with pytest.raises(RuntimeError), transaction.atomic():
        queue_one()
        raise RuntimeError("the booking failed")

    assert DBTaskResult.objects.count() == 0


class RefusingBackend:
    def __init__(self, *args, **kwargs):
        pass

    def send_messages(self, messages):
        raise ConnectionRefusedError("SMTP is down")


def test_a_failed_send_is_retried_later_with_a_doubling_wait(settings):
    settings.MAILERS = {"default": {"BACKEND": "medly.tests.test_mail.RefusingBackend"}}
    settings.EMAIL_RETRY_BASE_SECONDS = 60
    queue_one()

    run_queued_tasks()

    retry = DBTaskResult.objects.order_by("-enqueued_at").first()
    assert retry.args_kwargs["kwargs"]["attempt"] == 2
    assert timedelta(seconds=55) < retry.run_after - timezone.now() <= timedelta(seconds=60)
    assert medly_mail.retry_delay(3) == timedelta(seconds=240)


def test_the_last_attempt_gives_up(settings):
    settings.MAILERS = {"default": {"BACKEND": "medly.tests.test_mail.RefusingBackend"}}
    settings.EMAIL_MAX_ATTEMPTS = 1
    queue_one()

    run_queued_tasks()

    assert DBTaskResult.objects.count() == 1
    assert DBTaskResult.objects.get().status == "FAILED"
