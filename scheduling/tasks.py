"""Periodic work of the scheduling app, loaded by the crontask scheduler (`manage.py crontask`)."""

from datetime import date

from crontask import cron
from django.db import transaction
from django.tasks import task
from django.utils import timezone

from accounts.services import claim_daily_digest
from scheduling import notifications, queries


# 07:00 in the clinic's time zone (TIME_ZONE; crontask reads cron times in it).
@cron("0 7 * * *")
@task
def send_daily_digests():
    """Enqueue the morning digest of every doctor who asked for one."""
    day = timezone.localdate()
    for profile in queries.digest_subscribers():
        send_daily_digest.enqueue(doctor_profile_id=profile.pk, day=day.isoformat())


@task
def send_daily_digest(*, doctor_profile_id, day):
    """One doctor's digest of ``day``, at most once however often this runs."""
    day = date.fromisoformat(day)
    with transaction.atomic():
        # The claim and the queued mail commit together: never a day claimed without its mail.
        if not claim_daily_digest(doctor_profile_id, day):
            return
        profile = queries.digest_subscribers().get(pk=doctor_profile_id)
        notifications.queue_daily_digest(profile.user, day=day, appointments=queries.doctor_day(profile.user, day))
