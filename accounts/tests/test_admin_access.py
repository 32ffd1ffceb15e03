import pytest
from django.urls import reverse

from accounts.models import Role, User
from accounts.tests.factories import AdminFactory, DoctorFactory, PatientFactory, ReceptionFactory

ADMIN_URL = reverse("admin:index")


@pytest.mark.django_db
def test_an_admin_reaches_django_admin(client):
    client.force_login(AdminFactory())

    assert client.get(ADMIN_URL).status_code == 200


@pytest.mark.django_db
@pytest.mark.parametrize("factory", [PatientFactory, DoctorFactory, ReceptionFactory])
def test_other_roles_are_sent_to_the_admin_login(client, factory):
    client.force_login(factory())

    response = client.get(ADMIN_URL)

    assert response.status_code == 302
    assert "/admin/login/" in response["Location"]


@pytest.mark.django_db
def test_anonymous_visitors_are_sent_to_the_admin_login(client):
    response = client.get(ADMIN_URL)

    assert response.status_code == 302
    assert "/admin/login/" in response["Location"]


@pytest.mark.django_db
def test_an_admin_creates_a_doctor_account_in_admin(client):
    client.force_login(AdminFactory())

    response = client.post(
        reverse("admin:accounts_user_add"),
        {
            "email": "New.Doctor@Medly.test",
            "first_name": "Nueva",
            "last_name": "Doctora",
            "role": Role.DOCTOR,
            "usable_password": "true",
            "password1": "a-sturdy-passphrase-77",
            "password2": "a-sturdy-passphrase-77",
        },
    )

    assert response.status_code == 302
    doctor = User.objects.get(email="new.doctor@medly.test")
    assert doctor.role == Role.DOCTOR
    assert not doctor.is_staff
    assert doctor.check_password("a-sturdy-passphrase-77")


@pytest.mark.django_db
def test_accounts_cannot_be_deleted_in_admin_only_deactivated(client):
    patient = PatientFactory()
    client.force_login(AdminFactory())

    response = client.post(reverse("admin:accounts_user_delete", args=[patient.pk]), {"post": "yes"})

    assert response.status_code == 403
    assert User.objects.filter(pk=patient.pk).exists()


@pytest.mark.django_db
def test_an_admin_sets_a_doctors_notices_and_digest_on_the_user_page(client):
    doctor = DoctorFactory()
    client.force_login(AdminFactory())

    page = client.get(reverse("admin:accounts_user_change", args=[doctor.pk])).content.decode()

    assert 'name="doctor_profile-0-notify_on_booking"' in page
    assert 'name="doctor_profile-0-daily_digest"' in page
    assert "calendar_token" not in page, "the feed secret is the doctor's own, not shown in admin"
