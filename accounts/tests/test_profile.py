"""The profile page: what each user keeps up to date, in the language they choose, audited."""

import datetime

import pytest
from django.conf import settings
from django.urls import reverse

from accounts.models import RectificationRequest, User
from accounts.tests.factories import DoctorFactory, PatientFactory, ReceptionFactory
from records.models import AuditEvent

pytestmark = pytest.mark.django_db

PROFILE_URL = reverse("accounts:profile")


def profile_data(user, **overrides):
    data = {"first_name": user.first_name, "last_name": user.last_name, "phone": user.phone, "language": "en"}
    data.update(overrides)
    return data


def test_a_patient_saves_phone_and_language_and_the_page_switches_language(client):
    patient = PatientFactory(language="en")
    client.force_login(patient)

    response = client.post(PROFILE_URL, profile_data(patient, phone=" 999  123 4567 ", language="es-mx"))

    assert response.status_code == 302
    patient.refresh_from_db()
    assert (patient.phone, patient.language) == ("999 123 4567", "es-mx")
    assert response.cookies[settings.LANGUAGE_COOKIE_NAME].value == "es-mx"
    page = client.get(PROFILE_URL)
    assert page.content.decode().count('lang="es-mx"') >= 1
    assert "Su perfil se guardó." in page.content.decode()
    event = AuditEvent.objects.get(action="user.profile_update")
    assert event.patient_id == patient.pk
    assert event.detail["before"] == {"phone": "", "language": "en"}
    assert event.detail["after"] == {"phone": "999 123 4567", "language": "es-mx"}


def test_a_patient_cannot_change_their_name_here(client):
    patient = PatientFactory(first_name="Ana", last_name="Pech")
    client.force_login(patient)

    client.post(PROFILE_URL, profile_data(patient, first_name="Mallory", last_name="Evil", phone="9991234567"))

    patient.refresh_from_db()
    assert (patient.first_name, patient.last_name, patient.phone) == ("Ana", "Pech", "9991234567")
    assert AuditEvent.objects.get().detail["after"] == {"phone": "9991234567"}


def test_staff_change_their_own_name(client):
    doctor = DoctorFactory(first_name="Jorge")
    client.force_login(doctor)

    client.post(PROFILE_URL, profile_data(doctor, first_name="Jorge Luis"))

    doctor.refresh_from_db()
    assert doctor.first_name == "Jorge Luis"
    assert "jorge luis" in doctor.search_text
    event = AuditEvent.objects.get(action="user.profile_update")
    assert (event.user_id, event.patient_id) == (doctor.pk, None)


def test_saving_nothing_new_writes_no_audit_event(client):
    patient = PatientFactory()
    client.force_login(patient)

    assert client.post(PROFILE_URL, profile_data(patient)).status_code == 302
    assert not AuditEvent.objects.exists()


@pytest.mark.parametrize("overrides", [{"phone": "call me maybe"}, {"language": "fr"}, {"phone": "9" * 41}])
def test_bad_input_is_explained_and_changes_nothing(client, overrides):
    patient = PatientFactory()
    client.force_login(patient)

    response = client.post(PROFILE_URL, profile_data(patient, **overrides))

    assert response.status_code == 200
    assert response.context["form"].errors
    assert User.objects.get(pk=patient.pk).phone == ""
    assert not AuditEvent.objects.exists()


def test_the_page_links_the_reminder_choices_and_the_password_change(client):
    client.force_login(PatientFactory())

    page = client.get(PROFILE_URL).content.decode()

    assert reverse("reminders:mine") in page
    assert reverse("accounts:password_change") in page


def test_staff_see_no_identity_corrections(client):
    client.force_login(ReceptionFactory())

    page = client.get(PROFILE_URL)

    assert page.context["rectification_form"] is None
    assert reverse("reminders:mine") not in page.content.decode()


def test_the_nav_links_to_the_profile(client):
    client.force_login(DoctorFactory())

    assert f'href="{PROFILE_URL}"' in client.get(reverse("home")).content.decode()


def test_the_patients_page_takes_a_fixed_number_of_queries(client, django_assert_num_queries):
    patient = PatientFactory()
    for field, value in [("first_name", "Ana"), ("date_of_birth", "1990-05-18"), ("sex", "X")]:
        RectificationRequest.objects.create(patient=patient, field=field, old_value="", new_value=value)
    client.force_login(patient)
    client.get(PROFILE_URL)

    # session user, profile, requests
    with django_assert_num_queries(3):
        page = client.get(PROFILE_URL)

    assert page.status_code == 200
    assert datetime.date(1990, 5, 18).strftime("%Y") in page.content.decode()


def test_anonymous_visitors_are_sent_to_log_in(client):
    response = client.get(PROFILE_URL)

    assert response.status_code == 302
    assert response.url.startswith(reverse("accounts:login"))
