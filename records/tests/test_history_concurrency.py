"""Two doctors filling in the same patient's first history at the same instant: one history, never two."""

import pytest

from accounts.tests.factories import DoctorFactory
from medly.tests.racing import race
from records import audit, repository, services
from records.models import AuditEvent
from records.tests.helpers import appointment_with_record
from records.tests.history_helpers import history_content
from scheduling.tests.factories import AppointmentFactory

pytestmark = [pytest.mark.mysql, pytest.mark.django_db(transaction=True)]


def test_two_doctors_filling_at_once_leave_one_history_and_the_other_is_told():
    appointment = appointment_with_record()
    second_doctor = DoctorFactory()
    AppointmentFactory(patient=appointment.patient, slot__doctor=second_doctor)

    def fill(doctor, family):
        return lambda: services.fill_history(
            doctor=doctor,
            patient_id=appointment.patient_id,
            history_id=repository.new_history_id(),
            history=history_content(family=family),
        )

    outcomes = race(fill(appointment.doctor, "First doctor"), fill(second_doctor, "Second doctor"))

    assert sorted(type(outcome).__name__ for outcome in outcomes) == ["HistoryExists", "bool"]
    assert True in outcomes
    history = repository.get_history(patient_id=appointment.patient_id)
    winner = "First doctor" if outcomes[0] is True else "Second doctor"
    assert history["family"] == winner
    # The loser may have been stopped before auditing anything, or audited and then told it was not written.
    fills = AuditEvent.objects.filter(action=audit.HISTORY_FILL).count()
    not_written = AuditEvent.objects.filter(action=audit.HISTORY_FILL_NOT_WRITTEN).count()
    assert fills - not_written == 1
