from io import StringIO

import pytest
from django.conf import settings
from django.core.management import call_command
from django.urls import reverse

from accounts.models import PatientProfile, PrivacyConsent, User
from accounts.tests.factories import PatientFactory
from records import repository
from records.models import Operation, OperationState

REGISTER_URL = reverse("accounts:register")


def registration_data(**overrides):
    data = {
        "email": "Lucia.Canul@Example.test",
        "first_name": "Lucía",
        "last_name": "Canul",
        "date_of_birth": "1991-03-08",
        "sex": "F",
        "password1": "tortuga-marina-2026",
        "password2": "tortuga-marina-2026",
        "blood_type": "A+",
        "allergies": "penicilina, cacahuate , ",
        "accept_privacy": "on",
    }
    data.update(overrides)
    return data


@pytest.mark.django_db
def test_it_creates_the_user_profile_consent_and_record_and_logs_in(client):
    response = client.post(REGISTER_URL, registration_data())

    assert response.status_code == 302
    user = User.objects.get()
    assert user.email == "lucia.canul@example.test"
    assert user.role == "patient"
    assert client.session["_auth_user_id"] == str(user.pk)
    profile = PatientProfile.objects.get(user=user)
    assert str(profile.date_of_birth) == "1991-03-08"
    assert profile.curp is None
    consent = PrivacyConsent.objects.get(user=user)
    assert consent.notice_version == settings.PRIVACY_NOTICE_VERSION
    assert consent.accepted_at is not None
    record = repository.get_patient_record(patient_id=user.pk)
    assert record["blood_type"] == "A+"
    assert record["allergies"] == ["penicilina", "cacahuate"]


@pytest.mark.django_db
def test_it_accepts_a_valid_curp_and_refuses_a_malformed_one(client):
    bad = client.post(REGISTER_URL, registration_data(curp="ABCD123456HDFRRR09"))
    assert bad.status_code == 200
    assert "valid CURP" in bad.content.decode()
    assert not User.objects.exists()

    good = client.post(REGISTER_URL, registration_data(curp="gomc910308mynnnr01"))
    assert good.status_code == 302
    assert PatientProfile.objects.get().curp == "GOMC910308MYNNNR01"


@pytest.mark.django_db
def test_a_duplicate_email_writes_nothing_and_says_why(client):
    existing = PatientFactory(email="lucia.canul@example.test")

    response = client.post(REGISTER_URL, registration_data())

    assert response.status_code == 200
    assert "An account with this email already exists." in response.content.decode()
    assert list(User.objects.all()) == [existing]
    assert repository.get_patient_record(patient_id=existing.pk + 1) is None


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"password1": "short", "password2": "short"}, "This password is too short"),
        ({"password1": "1234567890123", "password2": "1234567890123"}, "entirely numeric"),
        ({"password1": "password1234", "password2": "password1234"}, "too common"),
        ({"password2": "something-else-entirely"}, "The two passwords do not match."),
        ({"accept_privacy": ""}, "You must accept the privacy notice"),
        ({"date_of_birth": "2999-01-01"}, "cannot be in the future"),
        ({"sex": "Q"}, "Select a valid choice"),
        ({"blood_type": "C+"}, "Select a valid choice"),
    ],
)
def test_bad_input_is_explained_and_writes_nothing(client, overrides, message):
    response = client.post(REGISTER_URL, registration_data(**overrides))

    assert response.status_code == 200
    assert message in response.content.decode()
    assert not User.objects.exists()
    assert not PrivacyConsent.objects.exists()


@pytest.mark.django_db
def test_with_mongodb_stopped_the_account_is_made_and_reconcile_creates_the_record_later(client, stoppable_mongo):
    stoppable_mongo.stop()

    response = client.post(REGISTER_URL, registration_data())

    assert response.status_code == 302
    user = User.objects.get()
    operation = Operation.objects.get(patient=user)
    assert operation.state == OperationState.PREPARED

    stoppable_mongo.start()
    assert repository.get_patient_record(patient_id=user.pk) is None
    call_command("reconcile", stdout=StringIO())

    assert repository.get_patient_record(patient_id=user.pk)["allergies"] == ["penicilina", "cacahuate"]
    operation.refresh_from_db()
    assert operation.state == OperationState.DONE


@pytest.mark.django_db
def test_a_logged_in_user_is_sent_home_from_the_sign_up_page(client):
    client.force_login(PatientFactory())

    assert client.get(REGISTER_URL).status_code == 302


@pytest.mark.django_db
def test_the_privacy_notice_has_its_own_page_with_its_version(client):
    response = client.get(reverse("accounts:privacy"))

    assert response.status_code == 200
    assert settings.PRIVACY_NOTICE_VERSION in response.content.decode()
