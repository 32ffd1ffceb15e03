"""Small helpers shared by the scheduling tests."""

from datetime import datetime, time, timedelta

from django.contrib.messages import get_messages
from django.utils import timezone


def local(day, hour=9, minute=0):
    """An aware datetime at ``hour:minute`` clinic time on ``day``."""
    return timezone.make_aware(datetime.combine(day, time(hour, minute)))


def days_ahead(days, hour=9, minute=0):
    """Clinic time ``days`` from today at ``hour:minute``."""
    return local(timezone.localdate() + timedelta(days=days), hour, minute)


def starting_in(**delta):
    """Now plus ``delta``, to the second: for appointments about to start or just started."""
    return (timezone.now() + timedelta(**delta)).replace(microsecond=0)


def shown_messages(response):
    """The texts of the flash messages that the next page would show."""
    return [str(message) for message in get_messages(response.wsgi_request)]


def next_weekday(weekday, *, after=None):
    """The first date after ``after`` (default: today) that falls on ``weekday`` (0 = Monday)."""
    day = (after or timezone.localdate()) + timedelta(days=1)
    return day + timedelta(days=(weekday - day.weekday()) % 7)
