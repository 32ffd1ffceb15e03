"""Every patient through register_patient: created at the desk (the service) and in Django admin (a real POST)."""

import pytest
from django.conf import settings
from django.contrib.auth.models import Permission
from django.db import transaction
from django.urls import reverse

from accounts.exceptions import NotAllowed
from accounts.models import ConsentChannel, PatientProfile, PrivacyConsent, Role, User
from accounts.services import register_patient
from accounts.tests.factories import AdminFactory, DoctorFactory, ReceptionFactory
from records import repository
from records.models import AuditEvent, Operation, OperationState
from scheduling.tests.factories import AppointmentFactory

ADD_URL = reverse("admin:accounts_user_add")


def admin_add_form(**overrides):
    data = {
        "email": "Walk.In@Example.test",
        "first_name": "Chabelo",
        "last_name": "Poot",
        "role": Role.PATIENT,
        "usable_password": "false",
        "password1": "",
        "password2": "",
        "date_of_birth": "1979-02-11",
        "sex": "M",
        "curp": "",
        "phone": "999 123 4567",
        "blood_type": "O-",
        "allergies": "sulfas, ibuprofeno",
        "privacy_notice_given": "on",
    }
    data.update(overrides)
    return data


def user_permissions(*codenames):
    return Permission.objects.filter(content_type__app_label="accounts", codename__in=codenames)


def assert_patient_is_complete(patient, *, staff, blood_type, allergies):
    profile = PatientProfile.objects.get(user=patient)
    assert profile.date_of_birth is not None and profile.sex
    consent = PrivacyConsent.objects.get(user=patient)
    assert (consent.channel, consent.recorded_by, consent.notice_version) == (
        ConsentChannel.IN_PERSON,
        staff,
        settings.PRIVACY_NOTICE_VERSION,
    )
    record = repository.get_patient_record(patient_id=patient.pk)
    assert (record["blood_type"], record["allergies"]) == (blood_type, allergies)
    assert Operation.objects.get(patient=patient).state == OperationState.DONE
    event = AuditEvent.objects.get(action="patient.register")
    assert (event.user, event.role, event.patient) == (staff, staff.role, patient)
    assert event.detail["registered_by"] == {"id": staff.pk, "name": staff.get_full_name()}


def assert_pages_answer(client, patient):
    client.force_login(AdminFactory())
    assert client.get(f"/patients/{patient.pk}/record/").status_code == 200
    appointment = AppointmentFactory(patient=patient)
    client.force_login(appointment.doctor)
    consultation = client.get(f"/appointments/{appointment.pk}/consultation/")
    assert consultation.status_code == 200
    assert "sulfas" in consultation.content.decode()


# Transactional: the service's durable transaction would refuse to run inside admin's own.
@pytest.mark.django_db(transaction=True)
def test_a_patient_created_in_admin_has_profile_record_and_consent_and_their_pages_answer(client):
    admin = AdminFactory()
    client.force_login(admin)

    response = client.post(ADD_URL, admin_add_form())

    assert response.status_code == 302
    patient = User.objects.get(email="walk.in@example.test")
    assert (patient.role, patient.phone, patient.has_usable_password()) == (Role.PATIENT, "999 123 4567", False)
    assert_patient_is_complete(patient, staff=admin, blood_type="O-", allergies=["sulfas", "ibuprofeno"])
    assert_pages_answer(client, patient)


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("missing", "message"),
    [
        ("date_of_birth", "A patient&#x27;s date of birth is required."),
        ("sex", "A patient&#x27;s sex is required."),
        ("privacy_notice_given", "Give the privacy notice in person and tick this box."),
    ],
)
def test_an_admin_patient_without_what_the_service_needs_is_explained_and_nothing_is_written(client, missing, message):
    client.force_login(AdminFactory())

    response = client.post(ADD_URL, admin_add_form(**{missing: ""}))

    assert response.status_code == 200
    assert message in response.content.decode()
    assert not User.objects.filter(role=Role.PATIENT).exists()
    assert not Operation.objects.exists()


@pytest.mark.django_db
def test_a_doctor_created_in_admin_gets_no_patient_rows_and_an_audit_event(client):
    admin = AdminFactory()
    client.force_login(admin)

    response = client.post(
        ADD_URL,
        admin_add_form(
            email="nueva@medly.test",
            role=Role.DOCTOR,
            date_of_birth="",
            sex="",
            privacy_notice_given="",
            usable_password="true",
            password1="a-sturdy-passphrase-77",
            password2="a-sturdy-passphrase-77",
        ),
    )

    assert response.status_code == 302
    doctor = User.objects.get(email="nueva@medly.test")
    assert (doctor.role, doctor.is_staff, doctor.check_password("a-sturdy-passphrase-77")) == (Role.DOCTOR, False, True)
    assert not PatientProfile.objects.exists() and not Operation.objects.exists()
    event = AuditEvent.objects.get(action="user.create")
    assert (event.user, event.detail) == (admin, {"subject_id": doctor.pk, "role_given": Role.DOCTOR})


@pytest.mark.django_db
def test_staff_who_are_not_superusers_can_only_register_patients_in_admin(client):
    clerk = AdminFactory(is_superuser=False)
    clerk.user_permissions.add(*user_permissions("add_user", "change_user", "view_user"))
    client.force_login(clerk)

    refused = client.post(ADD_URL, admin_add_form(email="boss@medly.test", role=Role.ADMIN))
    allowed = client.post(ADD_URL, admin_add_form())

    assert refused.status_code == 200
    assert "Select a valid choice" in refused.content.decode()
    assert allowed.status_code == 302
    assert list(User.objects.exclude(pk=clerk.pk).values_list("email", "role")) == [
        ("walk.in@example.test", Role.PATIENT)
    ]


@pytest.mark.django_db
def test_a_desk_patient_has_profile_record_and_consent_naming_the_receptionist_and_their_pages_answer(client):
    receptionist = ReceptionFactory()

    patient = register_patient(
        email="desk@example.test",
        first_name="Rigoberto",
        last_name="Ek",
        date_of_birth="1960-07-01",
        sex="M",
        phone="999 765 4321",
        blood_type="A+",
        allergies=["sulfas"],
        ip_address="10.0.0.7",
        registered_by=receptionist,
        privacy_notice_given=True,
    )

    assert (patient.phone, patient.has_usable_password()) == ("999 765 4321", False)
    assert_patient_is_complete(patient, staff=receptionist, blood_type="A+", allergies=["sulfas"])
    assert AuditEvent.objects.get(action="patient.register").ip_address == "10.0.0.7"
    assert_pages_answer(client, patient)


@pytest.mark.django_db
def test_a_desk_patient_without_the_privacy_notice_given_is_refused_and_nothing_is_written():
    with pytest.raises(NotAllowed):
        register_patient(
            email="desk@example.test",
            first_name="Rigoberto",
            last_name="Ek",
            date_of_birth="1960-07-01",
            sex="M",
            registered_by=ReceptionFactory(),
            privacy_notice_given=False,
        )

    assert not User.objects.filter(role=Role.PATIENT).exists()
    assert not Operation.objects.exists() and not AuditEvent.objects.exists()


@pytest.mark.django_db
def test_self_registration_records_an_online_consent_without_a_staff_member():
    patient = register_patient(
        email="self@example.test",
        password="tortuga-marina-2026",
        first_name="Lucía",
        last_name="Canul",
        date_of_birth="1991-03-08",
        sex="F",
    )

    consent = PrivacyConsent.objects.get(user=patient)
    assert (consent.channel, consent.recorded_by) == (ConsentChannel.ONLINE, None)
    assert not AuditEvent.objects.filter(action="patient.register").exists()


@pytest.mark.django_db(transaction=True)
def test_registration_refuses_to_run_inside_someone_elses_transaction():
    with pytest.raises(RuntimeError, match="durable"), transaction.atomic():
        register_patient(
            email="nested@example.test",
            first_name="A",
            last_name="B",
            date_of_birth="1990-01-01",
            sex="F",
            registered_by=DoctorFactory(),
            privacy_notice_given=True,
        )

    assert not User.objects.filter(role=Role.PATIENT).exists()


@pytest.mark.django_db
def test_the_admin_add_page_asks_for_what_a_patient_needs_and_a_patients_change_page_answers(client):
    client.force_login(AdminFactory())
    patient = register_patient(
        email="p@example.test", first_name="Ana", last_name="Uc", date_of_birth="1990-01-01", sex="F"
    )

    add_page = client.get(ADD_URL)
    change_page = client.get(reverse("admin:accounts_user_change", args=[patient.pk]))

    assert add_page.status_code == 200
    for name in ("date_of_birth", "sex", "curp", "blood_type", "allergies", "privacy_notice_given"):
        assert f'name="{name}"' in add_page.content.decode()
    assert change_page.status_code == 200
    assert 'name="patient_profile-0-date_of_birth"' in change_page.content.decode()
