"""Links into the desk that other apps build too (after booking, from /appointments/)."""

from django.urls import reverse
from django.utils.http import urlencode


def desk_day_url(day=None, *, patient_id=None):
    """The reception desk on ``day`` (today when None), with ``patient_id``'s appointments picked out."""
    params = {}
    if day is not None:
        params["date"] = day.isoformat()
    if patient_id is not None:
        params["patient"] = patient_id
    url = reverse("desk:day")
    return f"{url}?{urlencode(params)}" if params else url


def desk_booking_url(*, patient_id=None, doctor_id=None, day=None):
    params = {"patient": patient_id, "doctor": doctor_id, "date": day and day.isoformat()}
    query = urlencode({name: value for name, value in params.items() if value is not None})
    url = reverse("desk:book")
    return f"{url}?{query}" if query else url
