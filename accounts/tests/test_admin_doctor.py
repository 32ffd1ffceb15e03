"""Admin's one page for a new doctor: account, profile and specialties together, audited, with a set-password mail."""

import io
import re
from urllib.parse import urlsplit

import pytest
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django_tasks_db.models import DBTaskResult
from PIL import Image

from accounts.models import DoctorProfile, Role, User
from accounts.services import DOCTOR_CREATE
from accounts.tests.factories import AdminFactory, DoctorFactory, UserFactory
from medly.tests.tasks import run_queued_tasks
from records.models import AuditEvent
from scheduling.tests.factories import SpecialtyFactory

ADD_DOCTOR_URL = reverse("admin:accounts_user_add_doctor")
PASSWORD = "una-Contraseña-bastante-larga-2026"


def doctor_form(**overrides):
    return {
        "email": "Lucia.Chable@Example.test",
        "first_name": "Lucía",
        "last_name": "Chablé",
        "password_choice": "mail",
        "password1": "",
        "password2": "",
        "license_number": "12345678",
        "degree_institution": "Universidad Autónoma de Yucatán",
        "specialty_certificate": "CMC-998",
        "consultation_fee": "900",
        "languages": ["es", "yua"],
        "bio": "Cardióloga.",
        **overrides,
    }


@pytest.fixture
def admin_client(client):
    admin = AdminFactory()
    client.force_login(admin)
    client.admin = admin
    return client


@pytest.mark.django_db(transaction=True)
def test_an_admin_creates_a_doctor_in_one_page_and_the_doctor_gets_a_link_to_choose_a_password(admin_client):
    cardiology, pediatrics = SpecialtyFactory(name="Cardiología"), SpecialtyFactory(name="Pediatría")

    response = admin_client.post(ADD_DOCTOR_URL, doctor_form(specialties=[cardiology.pk, pediatrics.pk]))

    doctor = User.objects.get(email="lucia.chable@example.test")
    assert response.status_code == 302
    assert response["Location"] == reverse("admin:accounts_user_change", args=[doctor.pk])
    assert doctor.role == Role.DOCTOR and not doctor.has_usable_password()
    profile = doctor.doctor_profile
    assert (profile.license_number, profile.degree_institution, profile.specialty_certificate) == (
        "12345678",
        "Universidad Autónoma de Yucatán",
        "CMC-998",
    )
    assert set(profile.specialties.all()) == {cardiology, pediatrics}
    assert (str(profile.consultation_fee), profile.languages, profile.bio) == ("900.00", ["es", "yua"], "Cardióloga.")
    event = AuditEvent.objects.get(action=DOCTOR_CREATE)
    assert event.user == admin_client.admin
    assert event.detail["subject_id"] == doctor.pk and event.detail["password_mail"] is True

    run_queued_tasks()
    (message,) = mail.outbox
    assert message.to == ["lucia.chable@example.test"]
    link = re.search(r"http://\S+/accounts/reset/\S+/", message.body).group(0)
    form_page = admin_client.get(urlsplit(link).path, follow=True)
    assert form_page.context["validlink"] is True


@pytest.mark.django_db
def test_an_admin_may_set_the_password_instead(admin_client, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        admin_client.post(ADD_DOCTOR_URL, doctor_form(password_choice="set", password1=PASSWORD, password2=PASSWORD))

    doctor = User.objects.get(email="lucia.chable@example.test")
    assert doctor.check_password(PASSWORD)
    assert not DBTaskResult.objects.filter(task_path="medly.mail.send_email").exists()


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"password_choice": "set"}, "password1"),
        ({"password_choice": "set", "password1": PASSWORD, "password2": PASSWORD + "x"}, "password2"),
        ({"password_choice": "set", "password1": "12345", "password2": "12345"}, "password1"),
        ({"license_number": ""}, "license_number"),
        ({"email": "not-an-email"}, "email"),
        ({"consultation_fee": "-5"}, "consultation_fee"),
        ({"languages": ["xx"]}, "languages"),
        ({"specialties": ["999999999"]}, "specialties"),
    ],
)
def test_bad_input_is_shown_on_the_page_and_creates_nothing(admin_client, overrides, field):
    response = admin_client.post(ADD_DOCTOR_URL, doctor_form(**overrides))

    assert response.status_code == 200
    assert field in response.context["adminform"].form.errors
    assert not User.objects.filter(role=Role.DOCTOR).exists()
    assert not AuditEvent.objects.filter(action=DOCTOR_CREATE).exists()


@pytest.mark.django_db
def test_an_email_already_in_use_is_refused_whatever_its_case(admin_client):
    UserFactory(email="lucia.chable@example.test")

    response = admin_client.post(ADD_DOCTOR_URL, doctor_form(email="LUCIA.chable@example.test"))

    assert response.status_code == 200
    assert "already exists" in response.text


@pytest.mark.django_db
def test_only_a_superuser_may_create_a_doctor(client):
    staff = AdminFactory(is_superuser=False)
    client.force_login(staff)

    assert client.get(ADD_DOCTOR_URL).status_code == 403
    assert client.post(ADD_DOCTOR_URL, doctor_form()).status_code == 403
    assert not User.objects.filter(role=Role.DOCTOR).exists()


@pytest.mark.django_db
@pytest.mark.parametrize("factory", [DoctorFactory, UserFactory])
def test_non_staff_are_sent_to_the_admin_login(client, factory):
    client.force_login(factory())

    response = client.post(ADD_DOCTOR_URL, doctor_form())

    assert response.status_code == 302
    assert reverse("admin:login") in response["Location"]
    assert not User.objects.filter(email="lucia.chable@example.test").exists()


@pytest.mark.django_db
def test_the_page_is_linked_from_the_user_list_and_reads_in_spanish(admin_client):
    user_list = admin_client.get(reverse("admin:accounts_user_changelist"))
    page = admin_client.get(ADD_DOCTOR_URL, headers={"Accept-Language": "es-MX"})

    assert ADD_DOCTOR_URL in user_list.text
    assert "Añadir un médico" in page.text
    assert "Cédula profesional" in page.text
    assert "no-store" in page["Cache-Control"]


@pytest.mark.django_db
def test_the_new_doctor_is_in_the_directory(admin_client):
    cardiology = SpecialtyFactory(name="Cardiología")
    admin_client.post(ADD_DOCTOR_URL, doctor_form(specialties=[cardiology.pk]))

    response = admin_client.get(reverse("scheduling:directory"), {"q": "cardiologia"})

    assert [doctor.get_full_name() for doctor in response.context["page"].object_list] == ["Lucía Chablé"]


@pytest.mark.django_db
def test_a_doctors_admin_page_shows_the_photo_through_the_photo_view_and_re_encodes_a_new_one(
    admin_client, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path
    doctor = DoctorFactory()
    url = reverse("admin:accounts_user_change", args=[doctor.pk])
    page = admin_client.get(url)
    form = page.context["adminform"].form
    data = {
        **{name: value for name, value in form.initial.items() if name in form.fields and value is not None},
        "password": "",
        "last_login": "",
    }
    buffer = io.BytesIO()
    Image.new("RGB", (800, 600), "#123456").save(buffer, format="PNG")
    inline = {
        "doctor_profile-TOTAL_FORMS": "1",
        "doctor_profile-INITIAL_FORMS": "1",
        "doctor_profile-MIN_NUM_FORMS": "0",
        "doctor_profile-MAX_NUM_FORMS": "1",
        "doctor_profile-0-id": str(doctor.doctor_profile.pk),
        "doctor_profile-0-user": str(doctor.pk),
        "doctor_profile-0-license_number": "1234567",
        "doctor_profile-0-degree_institution": "UADY",
        "doctor_profile-0-languages": ["es"],
        "doctor_profile-0-photo": SimpleUploadedFile("p.png", buffer.getvalue(), content_type="image/png"),
    }
    data = {key: value for key, value in data.items() if not isinstance(value, (list, tuple)) or value}
    data["date_joined_0"], data["date_joined_1"] = "2026-01-01", "10:00:00"
    data.pop("date_joined", None)
    data.pop("groups", None)
    data.pop("user_permissions", None)

    response = admin_client.post(url, {**data, **inline})

    assert response.status_code == 302, response.context["adminform"].form.errors if response.context else ""
    profile = DoctorProfile.objects.get(user=doctor)
    with profile.photo.open("rb") as stored, Image.open(stored) as image:
        assert (image.format, image.size) == ("JPEG", (400, 400))
    page = admin_client.get(url).text
    assert f"{reverse('scheduling:doctor_photo', args=[doctor.pk])}?v={profile.photo_version}" in page
    assert '<label for="id_doctor_profile-0-photo"' in page


@pytest.mark.django_db
@pytest.mark.parametrize("specialties", [2, 12])
def test_the_page_costs_the_same_queries_however_many_specialties(admin_client, django_assert_num_queries, specialties):
    for n in range(specialties):
        SpecialtyFactory(name=f"Especialidad {n}")

    # The signed-in user, the second factor's device, the admin sidebar's "may add clinic details?" and the
    # specialties to choose from.
    with django_assert_num_queries(4):
        admin_client.get(ADD_DOCTOR_URL)
