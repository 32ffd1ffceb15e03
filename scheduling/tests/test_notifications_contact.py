"""The appointment emails say how to reach the clinic and until when the patient may change the visit online."""

from datetime import timedelta

import pytest
from django.core import mail

from accounts.tests.factories import PatientFactory
from medly.tests.browser import text, when
from medly.tests.tasks import run_queued_tasks
from records.models import ClinicDetails
from scheduling.services import book_slot
from scheduling.tests.factories import SlotFactory
from scheduling.tests.helpers import days_ahead

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.mark.parametrize("language", ["en", "es-mx"])
def test_the_booking_email_gives_the_date_once_the_deadline_the_phone_and_the_reason(
    language, django_capture_on_commit_callbacks, settings
):
    settings.PATIENT_CHANGE_CUTOFF_MINUTES = 120
    ClinicDetails(name="Clínica Ceiba", address="Calle 60 #123", legal_owner="X", phone="999 123 4567").save()
    patient = PatientFactory(language=language)
    slot = SlotFactory(starts_at=days_ahead(3, 10))

    with django_capture_on_commit_callbacks(execute=True):
        book_slot(patient=patient, slot_id=slot.pk, reason="Dolor de rodilla")
    run_queued_tasks()

    (message,) = mail.outbox
    deadline = when(slot.starts_at - timedelta(hours=2), language)
    expected_line = text(
        "You can cancel or move it online until %(deadline)s. After that, please call the clinic at %(phone)s.",
        language,
        deadline=deadline,
        phone="999 123 4567",
    )
    for body in (message.body, message.alternatives[0].content):
        assert when(slot.starts_at, language, "DATE_FORMAT") in body
        assert expected_line in body
        assert "Dolor de rodilla" in body
    assert f"{when(slot.starts_at, language, 'l')}, {when(slot.starts_at, language, 'l')}" not in message.body
