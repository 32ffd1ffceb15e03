"""The clinic's own details as patients meet them: in the footer, in "call the clinic" messages, on a map."""

from urllib.parse import urlencode

from django.utils.translation import gettext as _

from medly.outages import REDIS_NOT_NOW
from records.models import ClinicDetails

MAPS_SEARCH_URL = "https://www.google.com/maps/search/"


def clinic_details():
    try:
        return ClinicDetails.cached()
    except REDIS_NOT_NOW:
        # A cache that cannot answer, or only read (a replica during a failover), does not take pages down.
        return ClinicDetails.current()


def maps_url(clinic):
    """A map search for the clinic's address ("how to get there"), or "" when it has none."""
    lines = clinic.address_lines
    if not lines:
        return ""
    return f"{MAPS_SEARCH_URL}?{urlencode({'api': 1, 'query': ', '.join([clinic.name, *lines])})}"


def with_clinic_phone(message):
    """``message`` (which asks the patient to call the clinic) followed by the number to call, when there is one."""
    phone = clinic_details().phone
    if not phone:
        return str(message)
    sentence = _("The clinic’s phone number is %(phone)s.") % {"phone": phone}
    return f"{message} {sentence}"
