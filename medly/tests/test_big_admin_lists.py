"""Admin lists of the tables that grow with the clinic: no COUNT(*) of the whole table, no query per row."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.models import ConsentChannel, PrivacyConsent
from accounts.tests.factories import AdminFactory, DoctorFactory, PatientFactory, ReceptionFactory
from medly.admin_lists import EstimatedCountPaginator
from medly.queries import estimated_rows
from scheduling.models import Slot
from scheduling.tests.factories import AppointmentFactory, SlotFactory

pytestmark = pytest.mark.django_db


def test_an_unfiltered_list_of_a_big_table_is_counted_from_the_estimate_and_a_filtered_one_exactly(monkeypatch):
    slots = SlotFactory.create_batch(3)
    monkeypatch.setattr(EstimatedCountPaginator, "ESTIMATE_FROM", 0)
    estimate = estimated_rows(Slot)

    assert estimate is not None
    with CaptureQueriesContext(connection) as unfiltered:
        assert EstimatedCountPaginator(Slot.objects.all(), 100).count == estimate
    assert not any("COUNT(" in query["sql"].upper() for query in unfiltered.captured_queries)
    assert EstimatedCountPaginator(Slot.objects.filter(doctor=slots[0].doctor), 100).count == 1


def test_a_small_table_is_counted_exactly():
    SlotFactory.create_batch(3)

    assert EstimatedCountPaginator(Slot.objects.all(), 100).count == 3


def consents(count):
    for _ in range(count):
        PrivacyConsent.objects.create(
            user=PatientFactory(),
            notice_version="2026-11",
            channel=ConsentChannel.IN_PERSON,
            recorded_by=ReceptionFactory(),
        )


@pytest.mark.parametrize("rows", [1, 6])
def test_the_consent_list_costs_the_same_queries_whatever_its_length(client, rows, django_assert_num_queries):
    consents(rows)
    client.force_login(AdminFactory())
    client.get("/admin/accounts/privacyconsent/")  # the session and second factor, read once

    # The user, the device, the notice versions to filter by, the count, the page of consents, their patients
    # and their recorders (and savepoint bookkeeping): the same 9 for one row or six, never a query per row.
    with django_assert_num_queries(9):
        response = client.get("/admin/accounts/privacyconsent/")
    assert response.status_code == 200


def test_the_appointment_list_filters_by_doctors_only(client):
    appointment = AppointmentFactory()
    other_doctor = DoctorFactory(last_name="Sinagenda")
    client.force_login(AdminFactory())

    response = client.get("/admin/scheduling/appointment/")

    doctor_filter = next(spec for spec in response.context["cl"].filter_specs if spec.field_path == "doctor")
    listed = {pk for pk, _label in doctor_filter.lookup_choices}
    assert {appointment.doctor_id, other_doctor.pk} <= listed
    assert appointment.patient_id not in listed


def test_a_filtered_appointment_list_does_not_count_the_whole_table_too(client):
    appointment = AppointmentFactory()
    AppointmentFactory()
    client.force_login(AdminFactory())
    client.get("/admin/scheduling/appointment/")

    with CaptureQueriesContext(connection) as captured:
        response = client.get(f"/admin/scheduling/appointment/?doctor__id__exact={appointment.doctor_id}")

    assert response.status_code == 200
    counts = [query["sql"] for query in captured.captured_queries if "COUNT(" in query["sql"].upper()]
    assert len(counts) == 1
    assert "WHERE" in counts[0].upper()
