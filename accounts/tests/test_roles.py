"""Roles: only superusers change them, the change is audited, and admin access (is_staff) follows the role."""

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse

from accounts.exceptions import NotAllowed
from accounts.models import Role, User
from accounts.services import change_role
from accounts.tests.factories import AdminFactory, DoctorFactory, PatientFactory, ReceptionFactory
from records.models import AuditEvent

pytestmark = pytest.mark.django_db


def change_url(user):
    return reverse("admin:accounts_user_change", args=[user.pk])


def change_form(user, **overrides):
    data = {
        "email": user.email,
        "first_name": user.first_name,
        "last_name": user.last_name,
        "phone": user.phone,
        "role": user.role,
        "is_active": "on",
        "date_joined_0": "2026-11-30",
        "date_joined_1": "10:00:00",
    }
    data.update(overrides)
    return data


def staff_clerk():
    clerk = AdminFactory(is_superuser=False)
    clerk.user_permissions.add(*Permission.objects.filter(codename__in=["change_user", "view_user"]))
    return clerk


def test_a_superuser_changes_a_role_in_admin_and_it_is_audited_with_before_and_after(client):
    superuser = AdminFactory()
    receptionist = ReceptionFactory()
    client.force_login(superuser)

    response = client.post(change_url(receptionist), change_form(receptionist, role=Role.ADMIN))

    assert response.status_code == 302
    receptionist.refresh_from_db()
    assert (receptionist.role, receptionist.is_staff) == (Role.ADMIN, True)
    event = AuditEvent.objects.get(action="user.role_change")
    assert (event.user, event.ip_address) == (superuser, "127.0.0.1")
    assert event.detail == {"subject_id": receptionist.pk, "before": {"role": "reception"}, "after": {"role": "admin"}}


def test_for_other_staff_the_role_is_read_only_in_admin_and_a_posted_role_is_ignored(client):
    doctor = DoctorFactory()
    client.force_login(staff_clerk())

    page = client.get(change_url(doctor)).content.decode()
    response = client.post(change_url(doctor), change_form(doctor, role=Role.ADMIN, first_name="Renamed"))

    assert 'name="role"' not in page
    assert 'name="is_superuser"' not in page
    assert response.status_code == 302
    doctor.refresh_from_db()
    assert (doctor.first_name, doctor.role, doctor.is_staff) == ("Renamed", Role.DOCTOR, False)
    assert not AuditEvent.objects.filter(action="user.role_change").exists()


def test_the_service_refuses_a_role_change_by_anyone_but_a_superuser():
    doctor = DoctorFactory()

    with pytest.raises(NotAllowed):
        change_role(user_id=doctor.pk, role=Role.ADMIN, changed_by=staff_clerk())

    doctor.refresh_from_db()
    assert doctor.role == Role.DOCTOR
    assert not AuditEvent.objects.exists()


@pytest.mark.parametrize(("factory", "role"), [(PatientFactory, Role.DOCTOR), (DoctorFactory, Role.PATIENT)])
def test_a_patient_never_becomes_staff_nor_staff_a_patient(client, factory, role):
    user = factory()
    client.force_login(AdminFactory())

    response = client.post(change_url(user), change_form(user, role=role))

    assert response.status_code == 200
    assert "A patient account cannot become a staff account" in response.content.decode()
    with pytest.raises(NotAllowed):
        change_role(user_id=user.pk, role=role, changed_by=AdminFactory())
    assert User.objects.get(pk=user.pk).role == user.role
    assert not AuditEvent.objects.filter(action="user.role_change").exists()


def test_admin_access_follows_the_role_even_after_a_bulk_update(client):
    admin, doctor = AdminFactory(), DoctorFactory()

    User.objects.filter(pk=admin.pk).update(role=Role.RECEPTION)
    User.objects.filter(pk=doctor.pk).update(role=Role.ADMIN)

    assert [User.objects.get(pk=admin.pk).is_staff, User.objects.get(pk=doctor.pk).is_staff] == [False, True]
    client.force_login(admin)
    assert client.get(reverse("admin:index")).status_code == 302
    # Promoted to administrator, the doctor passes the second factor every administrator needs.
    client.force_login(User.objects.get(pk=doctor.pk))
    assert client.get(reverse("admin:index")).status_code == 200


def test_is_staff_cannot_be_set_apart_from_the_role():
    with pytest.raises(AttributeError):
        User(role=Role.DOCTOR, is_staff=True)
