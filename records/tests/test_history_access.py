"""Who may read and write the first history, the audit events it leaves, and what happens with the store down."""

import pytest
from django.test import Client
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from accounts.tests.factories import AdminFactory, DoctorFactory, PatientFactory, ReceptionFactory
from records import repository
from records.models import AuditEvent
from records.tests.helpers import appointment_with_record
from records.tests.history_helpers import (
    filled_history,
    history_addenda_url,
    history_form,
    history_url,
)
from records.tests.view_helpers import record_url

pytestmark = pytest.mark.django_db

HISTORY_TEXT = "Headache."  # the filled history's current illness


@pytest.fixture
def people():
    appointment = filled_history()
    other_patient = PatientFactory()
    repository.create_patient_record(patient_id=other_patient.pk, blood_type="", allergies=[])
    AuditEvent.objects.all().delete()
    return appointment.patient, {
        "the patient": appointment.patient,
        "another patient": other_patient,
        "the treating doctor": appointment.doctor,
        "another doctor": DoctorFactory(),
        "reception": ReceptionFactory(),
        "admin": AdminFactory(),
    }


ADDENDUM = {"reason": "Update", "text": "New allergy to latex."}
# (route, who) -> (status, audit action); everyone else gets an audited 403.
ALLOWED = {
    ("history", "the treating doctor"): (200, "history.view"),
    ("addendum", "the treating doctor"): (302, "history.addendum"),
}


@pytest.mark.parametrize("route", ["history", "addendum"])
@pytest.mark.parametrize(
    "who", ["the patient", "another patient", "the treating doctor", "another doctor", "reception", "admin"]
)
def test_only_a_doctor_with_access_opens_and_amends_the_history_and_every_refusal_is_audited(people, route, who):
    patient, everyone = people
    client = Client()
    client.force_login(everyone[who])

    if route == "history":
        response = client.get(history_url(patient.pk))
    else:
        response = client.post(history_addenda_url(patient.pk), ADDENDUM)

    status, action = ALLOWED.get((route, who), (403, "record.access_denied"))
    assert response.status_code == status
    assert AuditEvent.objects.filter(action=action, user=everyone[who], patient=patient).count() == 1
    if status == 403:
        assert HISTORY_TEXT not in response.content.decode()
        assert repository.get_history(patient_id=patient.pk)["addenda"] == []


def test_a_refused_fill_writes_nothing(people):
    patient, everyone = people
    other = appointment_with_record()
    client = Client()
    client.force_login(everyone["another doctor"])

    response = client.post(history_url(other.patient_id), history_form())

    assert response.status_code == 403
    assert repository.get_history(patient_id=other.patient_id) is None
    assert list(AuditEvent.objects.values_list("action", flat=True)) == ["record.access_denied"]


@pytest.mark.parametrize(
    ("who", "url", "sees_addendum_form"),
    [
        ("the patient", "/me/record/", False),
        ("the treating doctor", "record", True),
        ("admin", "record", False),
    ],
)
def test_the_record_page_shows_the_history_to_those_who_read_the_record(people, who, url, sees_addendum_form):
    patient, everyone = people
    client = Client()
    client.force_login(everyone[who])

    response = client.get(record_url(patient.pk) if url == "record" else url)

    page = response.content.decode()
    assert response.status_code == 200
    assert HISTORY_TEXT in page
    assert ("Add an addendum to the clinical history" in page) is sees_addendum_form
    event = AuditEvent.objects.get(action="record.view")
    assert (event.user, event.patient, event.detail["history"]) == (everyone[who], patient, True)


def test_reception_never_sees_the_history(people):
    patient, everyone = people
    client = Client()
    client.force_login(everyone["reception"])

    for url in (record_url(patient.pk), history_url(patient.pk), "/me/record/"):
        response = client.get(url)
        assert response.status_code == 403, url
        assert HISTORY_TEXT not in response.content.decode()


def test_a_record_without_a_history_says_so_and_offers_the_doctor_the_form():
    appointment = appointment_with_record()
    doctor, patient = Client(), Client()
    doctor.force_login(appointment.doctor)
    patient.force_login(appointment.patient)

    doctors_page = doctor.get(record_url(appointment.patient_id)).content.decode()
    patients_page = patient.get("/me/record/").content.decode()

    assert "The clinical history has not been filled in yet." in doctors_page
    assert f'href="{history_url(appointment.patient_id)}"' in doctors_page
    assert "The clinical history has not been filled in yet." in patients_page
    assert history_url(appointment.patient_id) not in patients_page


def test_opening_the_empty_form_and_filling_it_leave_a_view_and_a_fill_event():
    appointment = appointment_with_record()
    client = Client()
    client.force_login(appointment.doctor)

    client.get(history_url(appointment.patient_id))
    client.post(history_url(appointment.patient_id), history_form())

    events = list(AuditEvent.objects.order_by("pk").values_list("action", "user", "patient", "ip_address"))
    assert events == [
        ("history.view", appointment.doctor.pk, appointment.patient_id, "127.0.0.1"),
        ("history.fill", appointment.doctor.pk, appointment.patient_id, "127.0.0.1"),
    ]


def test_the_record_page_reads_in_a_fixed_number_of_queries_with_a_history(django_assert_num_queries):
    appointment = filled_history()
    client = Client()
    client.force_login(appointment.doctor)
    client.get(record_url(appointment.patient_id))  # session and translations warmed up

    # user, patient, the viewer's rights (asked once), the audit insert, the chain head, pending
    # operations (twice), clinic details: the history itself comes from MongoDB in one read.
    with django_assert_num_queries(8):
        response = client.get(record_url(appointment.patient_id))

    assert HISTORY_TEXT in response.content.decode()


def test_with_the_records_store_stopped_the_pages_say_so_and_nothing_is_written(stoppable_mongo, settings):
    settings.MONGO_TIMEOUT_MS = 500
    appointment = appointment_with_record()
    client = Client(raise_request_exception=False)
    client.force_login(appointment.doctor)
    AuditEvent.objects.all().delete()
    stoppable_mongo.stop()

    form_page = client.get(history_url(appointment.patient_id))
    sent = client.post(history_url(appointment.patient_id), history_form(family="Typed while the store was down."))
    addendum = client.post(history_addenda_url(appointment.patient_id), ADDENDUM)

    assert form_page.status_code == 503
    assert "Medly is temporarily unavailable" in form_page.content.decode()
    assert sent.status_code == 503
    assert "The records store is not answering right now, so the clinical history was not saved." in (
        sent.content.decode()
    )
    assert "Typed while the store was down." in sent.content.decode()
    assert addendum.status_code == 503
    assert "Traceback" not in addendum.content.decode()
    assert not AuditEvent.objects.exists()
    stoppable_mongo.start()
    assert repository.get_history(patient_id=appointment.patient_id) is None


TEXT = st.text(st.characters(codec="utf-8"), max_size=300)
FIELDS = ["current_illness", "family", "surgeries", "menarche_age", "pregnancies", "last_pap_smear", "systolic"]


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(hostile=st.dictionaries(st.sampled_from([*FIELDS, "history_id", "weight_kg"]), TEXT, max_size=4))
def test_hostile_input_gets_a_clear_answer_and_only_a_valid_history_is_written(hostile):
    appointment = appointment_with_record()
    client = Client()
    client.force_login(appointment.doctor)

    response = client.post(history_url(appointment.patient_id), history_form(**hostile))

    stored = repository.get_history(patient_id=appointment.patient_id)
    if response.status_code == 302:
        repository.validate_history(stored)
    else:
        assert response.status_code == 200
        assert "The clinical history was not saved. Please check:" in response.content.decode()
        assert stored is None
