"""The first history (historia clínica, NOM-004 6.1): filled once, amended by addenda, shown on the record."""

import pytest
from django.test import Client

from accounts.models import Sex
from accounts.tests.factories import PatientFactory
from records import repository, services
from records.models import AuditEvent
from records.tests.helpers import appointment_with_record
from records.tests.history_helpers import (
    GYNECO_FORM,
    HISTORY_FORM,
    filled_history,
    history_addenda_url,
    history_content,
    history_form,
    history_url,
)
from records.tests.view_helpers import record_url, shown_messages

pytestmark = pytest.mark.django_db


def doctor_client(appointment):
    client = Client()
    client.force_login(appointment.doctor)
    return client


def test_it_fills_the_history_once_with_its_author_and_time_and_shows_it_above_the_consultations():
    appointment = appointment_with_record()
    client = doctor_client(appointment)
    form_page = client.get(history_url(appointment.patient_id))
    history_id = form_page.context["form"]["history_id"].initial

    response = client.post(history_url(appointment.patient_id), history_form(history_id=history_id))

    assert response.status_code == 302
    assert response["Location"] == f"{record_url(appointment.patient_id)}#history"
    history = repository.get_history(patient_id=appointment.patient_id)
    assert history["fill_id"] == history_id
    assert history["author"] == {"id": appointment.doctor.pk, "name": appointment.doctor.get_full_name()}
    assert history["created_at"] is not None
    assert history["family"] == HISTORY_FORM["family"]
    assert history["pathological"]["surgeries"] == "Appendectomy in 2010."
    assert history["non_pathological"]["tobacco"] == "Never smoked."
    assert history["vitals"]["systolic"] == 118.0
    assert history["vitals"]["bmi"] == 24.6
    page = client.get(record_url(appointment.patient_id)).content.decode()
    assert page.index("Appendectomy in 2010.") < page.index("Consultations")
    assert appointment.doctor.get_full_name() in page


def test_a_second_fill_is_refused_clearly_with_the_addendum_form_instead_and_changes_nothing():
    appointment = filled_history()
    before = repository.get_history(patient_id=appointment.patient_id)
    client = doctor_client(appointment)

    response = client.post(history_url(appointment.patient_id), history_form(family="Something else entirely."))

    assert response.status_code == 409
    page = response.content.decode()
    assert "already filled in, and it is never filled in again" in page
    assert f'action="{history_addenda_url(appointment.patient_id)}"' in page
    assert "Something else entirely." not in page
    assert repository.get_history(patient_id=appointment.patient_id) == before
    assert AuditEvent.objects.filter(action="history.fill").count() == 1


def test_opening_the_form_of_a_filled_history_shows_it_with_the_addendum_form():
    appointment = filled_history()

    response = doctor_client(appointment).get(history_url(appointment.patient_id))

    assert response.status_code == 200
    assert "records/history_filled.html" in [t.name for t in response.templates]
    assert "Add an addendum to the clinical history" in response.content.decode()


def test_the_same_form_sent_twice_fills_the_history_once():
    appointment = appointment_with_record()
    client = doctor_client(appointment)
    form = history_form(history_id=repository.new_history_id())

    first = client.post(history_url(appointment.patient_id), form)
    second = client.post(history_url(appointment.patient_id), form)

    assert (first.status_code, second.status_code) == (302, 302)
    assert shown_messages(second)[-1] == "This clinical history was already saved."
    assert AuditEvent.objects.filter(action="history.fill").count() == 1


def test_an_incomplete_history_is_drawn_again_with_clear_messages_and_nothing_is_written():
    appointment = appointment_with_record()
    form = history_form(current_illness="  ", systolic="", pregnancies="1", births="1", caesareans="1")

    response = doctor_client(appointment).post(history_url(appointment.patient_id), form)

    assert response.status_code == 200
    page = response.content.decode()
    assert "The clinical history was not saved. Please check:" in page
    assert "Births, caesareans and abortions together cannot be more than the pregnancies." in page
    assert page.count("This field is required.") >= 2
    assert HISTORY_FORM["family"] in page  # what was typed stays
    assert repository.get_history(patient_id=appointment.patient_id) is None
    assert not AuditEvent.objects.filter(action="history.fill").exists()


def test_a_date_in_the_future_is_refused():
    appointment = appointment_with_record()

    response = doctor_client(appointment).post(
        history_url(appointment.patient_id), history_form(last_pap_smear="2999-01-01")
    )

    assert "Enter a date between 1900 and today." in response.content.decode()
    assert repository.get_history(patient_id=appointment.patient_id) is None


@pytest.mark.parametrize(("sex", "asked"), [(Sex.FEMALE, True), (Sex.OTHER, True), ("", True), (Sex.MALE, False)])
def test_the_gyneco_obstetric_section_is_asked_of_women_and_sex_x_and_never_of_men(sex, asked):
    appointment = appointment_with_record(patient=PatientFactory(profile__sex=sex))
    client = doctor_client(appointment)

    form_page = client.get(history_url(appointment.patient_id)).content.decode()
    client.post(history_url(appointment.patient_id), history_form())

    assert ("Last menstrual period" in form_page) is asked
    assert ("Gyneco-obstetric history" in form_page) is asked
    gyneco = repository.get_history(patient_id=appointment.patient_id)["gyneco_obstetric"]
    if asked:
        assert gyneco["pregnancies"] == 2
        assert gyneco["last_pap_smear"] == "2025-06-10"
        assert gyneco["last_mammography"] == ""
    else:
        assert gyneco is None
    record_page = client.get(record_url(appointment.patient_id)).content.decode()
    assert ("Copper IUD since 2022." in record_page) is asked


def test_a_male_patients_history_needs_no_gyneco_obstetric_answers():
    appointment = appointment_with_record(patient=PatientFactory(profile__sex=Sex.MALE))

    response = doctor_client(appointment).post(history_url(appointment.patient_id), dict(HISTORY_FORM))

    assert response.status_code == 302
    assert repository.get_history(patient_id=appointment.patient_id)["gyneco_obstetric"] is None
    assert set(GYNECO_FORM).isdisjoint(repository.get_history(patient_id=appointment.patient_id))


def test_an_addendum_carries_its_author_time_and_reason_and_is_added_once():
    appointment = filled_history()
    client = doctor_client(appointment)
    addendum = {"addendum_id": repository.new_history_id(), "reason": "Forgot an allergy", "text": "Asthma since 2019."}

    first = client.post(history_addenda_url(appointment.patient_id), addendum)
    second = client.post(history_addenda_url(appointment.patient_id), addendum)

    assert first["Location"] == f"{record_url(appointment.patient_id)}#history"
    assert shown_messages(second)[-1] == "This addendum was already added."
    [stored] = repository.get_history(patient_id=appointment.patient_id)["addenda"]
    assert (stored["author_id"], stored["author_name"], stored["reason"], stored["text"]) == (
        appointment.doctor.pk,
        appointment.doctor.get_full_name(),
        "Forgot an allergy",
        "Asthma since 2019.",
    )
    assert stored["created_at"] is not None
    event = AuditEvent.objects.get(action="history.addendum")
    assert (event.user, event.patient_id, event.detail["reason"]) == (
        appointment.doctor,
        appointment.patient_id,
        "Forgot an allergy",
    )
    page = client.get(record_url(appointment.patient_id)).content.decode()
    assert "Asthma since 2019." in page
    assert "Forgot an allergy" in page
    assert "Headache." in page  # the original stays readable


def test_an_addendum_without_reason_or_text_is_refused_with_a_message():
    appointment = filled_history()

    response = doctor_client(appointment).post(history_addenda_url(appointment.patient_id), {"reason": "", "text": ""})

    assert shown_messages(response) == ["An addendum needs a reason and a text."]
    assert repository.get_history(patient_id=appointment.patient_id)["addenda"] == []


def test_an_addendum_before_the_history_is_filled_sends_the_doctor_to_fill_it_and_writes_nothing():
    appointment = appointment_with_record()

    response = doctor_client(appointment).post(
        history_addenda_url(appointment.patient_id), {"reason": "Update", "text": "Text"}
    )

    assert response["Location"] == history_url(appointment.patient_id)
    assert repository.get_history(patient_id=appointment.patient_id) is None
    assert not AuditEvent.objects.filter(action="history.addendum").exists()


def test_another_doctors_history_can_be_filled_only_once_even_by_the_service():
    appointment = filled_history()

    with pytest.raises(services.HistoryExists):
        services.fill_history(
            doctor=appointment.doctor,
            patient_id=appointment.patient_id,
            history_id=repository.new_history_id(),
            history=history_content(family="Second"),
        )

    assert repository.get_history(patient_id=appointment.patient_id)["family"] == ""


def test_the_store_refuses_a_second_history_for_the_same_patient_whatever_the_caller():
    appointment = filled_history()
    document = {
        **history_content(),
        "patient_id": appointment.patient_id,
        "author": {"id": 1, "name": "X"},
    }

    with pytest.raises(services.HistoryExists):
        repository.insert_history(history_id=repository.new_history_id(), document=document)


@pytest.mark.parametrize(
    "change",
    [
        {"vitals": {"systolic": 120}},
        {"pathological": {"surgeries": ""}},
        {"gyneco_obstetric": {"pregnancies": -1}},
        {"family": None},
        {"patient_id": "7"},
    ],
)
def test_the_repository_refuses_a_history_of_the_wrong_shape(change):
    document = {**history_content(), "patient_id": 7, "author": {"id": 1, "name": "X"}, **change}

    with pytest.raises(repository.InvalidRecord):
        repository.insert_history(history_id=repository.new_history_id(), document=document)

    assert repository.get_history(patient_id=7) is None


def test_the_unique_patient_index_is_one_of_the_indexes_migrate_creates():
    assert ("patient_id_unique", [("patient_id", 1)], True) in repository.INDEXES["histories"]
    assert "histories.patient_id_unique" not in repository.missing_indexes()


def test_a_form_id_copied_from_another_patients_history_still_fills_this_patients_own():
    other = appointment_with_record()
    client = doctor_client(other)
    used_id = repository.new_history_id()
    client.post(history_url(other.patient_id), history_form(history_id=used_id))
    appointment = appointment_with_record(slot__doctor=other.doctor)

    response = client.post(history_url(appointment.patient_id), history_form(history_id=used_id))

    assert response.status_code == 302
    assert repository.get_history(patient_id=appointment.patient_id)["fill_id"] == used_id
    assert repository.get_history(patient_id=other.patient_id)["fill_id"] == used_id


def test_a_damaged_form_id_is_replaced_rather_than_shown_to_the_doctor_as_an_error():
    appointment = appointment_with_record()

    response = doctor_client(appointment).post(history_url(appointment.patient_id), history_form(history_id="x" * 50))

    assert response.status_code == 302
    assert len(repository.get_history(patient_id=appointment.patient_id)["fill_id"]) == 24
