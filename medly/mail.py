"""Medly's outgoing mail: every message is a task, enqueued when the transaction commits.

A request never waits on SMTP. The worker sends the message; a failure is
retried with exponential backoff (``EMAIL_RETRY_BASE_SECONDS``, doubling) up to
``EMAIL_MAX_ATTEMPTS`` attempts, each attempt a task of its own.
"""

import logging
from datetime import timedelta

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.tasks import task
from django.utils import timezone

logger = logging.getLogger(__name__)


def queue_email(*, to, subject, text, html="", attachments=()):
    """Send the message once the current transaction commits (at once outside a transaction).

    ``attachments`` are ``(filename, content, mimetype)`` with text content, so the
    task's arguments stay JSON. Recipients without an address (a patient registered at the desk
    without email) are left out; with none left, nothing is sent.
    """
    to = [address for address in to if address]
    if not to:
        return
    arguments = {
        "to": to,
        "subject": subject,
        "text": text,
        "html": html,
        "attachments": [list(attachment) for attachment in attachments],
    }
    transaction.on_commit(lambda: send_email.enqueue(**arguments))


def retry_delay(attempt):
    """How long to wait before attempt ``attempt + 1`` (attempt counts from 1)."""
    return timedelta(seconds=settings.EMAIL_RETRY_BASE_SECONDS * 2 ** (attempt - 1))


@task
def send_email(*, to, subject, text, html="", attachments=(), attempt=1):
    deliver(to=to, subject=subject, text=text, html=html, attachments=attachments, attempt=attempt)


def deliver(*, to, subject, text, html="", attachments=(), attempt=1):
    """Send the message now, from a task; on failure a ``send_email`` task retries it later, as it is."""
    message = EmailMultiAlternatives(subject=subject, body=text, to=to)
    if html:
        message.attach_alternative(html, "text/html")
    for filename, content, mimetype in attachments:
        message.attach(filename, content, mimetype)
    try:
        message.send()
    except Exception as exc:  # SMTP refused, timed out, DNS...: try again later, the message is kept
        if attempt >= settings.EMAIL_MAX_ATTEMPTS:
            logger.error("giving up on mail %r to %s after %d attempts: %s", subject, to, attempt, exc)
            raise
        logger.warning("mail %r to %s failed (attempt %d), retrying: %s", subject, to, attempt, exc)
        send_email.using(run_after=timezone.now() + retry_delay(attempt)).enqueue(
            to=to,
            subject=subject,
            text=text,
            html=html,
            attachments=[list(attachment) for attachment in attachments],
            attempt=attempt + 1,
        )
