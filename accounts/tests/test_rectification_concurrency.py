"""Two receptionists deciding one request at once: exactly one decision counts, on MariaDB with real threads."""

import pytest

from accounts import services
from accounts.exceptions import InvalidRectification
from accounts.models import RectificationRequest, RectificationStatus
from accounts.tests.factories import PatientFactory, ReceptionFactory
from medly.tests.racing import race
from records.models import AuditEvent

pytestmark = [pytest.mark.mysql, pytest.mark.django_db(transaction=True)]


def test_a_confirm_and_a_reject_at_once_leave_exactly_one_decision():
    patient = PatientFactory(first_name="Ana")
    rectification = services.request_rectification(patient=patient, field="first_name", value="Anita")
    first, second = ReceptionFactory(), ReceptionFactory()

    outcomes = race(
        lambda: services.confirm_rectification(rectification_id=rectification.pk, decided_by=first),
        lambda: services.reject_rectification(rectification_id=rectification.pk, decided_by=second),
    )

    refused = [outcome for outcome in outcomes if isinstance(outcome, InvalidRectification)]
    decided = [outcome for outcome in outcomes if isinstance(outcome, RectificationRequest)]
    assert (len(refused), len(decided)) == (1, 1), outcomes
    rectification.refresh_from_db()
    assert rectification.status == decided[0].status
    patient.refresh_from_db()
    assert patient.first_name == ("Anita" if rectification.status == RectificationStatus.CONFIRMED else "Ana")
    decisions = AuditEvent.objects.filter(action__in=["rectification.confirm", "rectification.reject"])
    assert decisions.count() == 1
