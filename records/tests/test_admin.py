"""Django admin: audit events and the operation log are read-only; users with clinical records stay."""

import html
import re

import pytest
from django.db.models import ProtectedError

from accounts.models import User
from accounts.tests.factories import AdminFactory
from records import audit
from records.models import AuditEvent, ClinicDetails, Operation
from records.tests.view_helpers import closed_encounter

pytestmark = pytest.mark.django_db


@pytest.fixture
def superuser_client(client):
    client.force_login(AdminFactory())
    return client


@pytest.fixture
def closed():
    appointment, encounter_id = closed_encounter()
    audit.record(
        user=appointment.doctor, action=audit.RECORD_VIEW, patient_id=appointment.patient_id, ip_address="10.0.0.7"
    )
    return appointment, encounter_id


def test_the_audit_events_list_loads_with_its_filters(superuser_client, closed):
    response = superuser_client.get("/admin/records/auditevent/")

    assert response.status_code == 200
    page = response.content.decode()
    assert "encounter.close" in page
    assert "10.0.0.7" in page
    assert 'id="changelist-filter"' in page
    for lookup in ("action=record.view", "role=doctor"):
        assert lookup in page


def test_the_audit_events_list_filters_by_action_and_by_day(superuser_client, closed):
    changelist = superuser_client.get("/admin/records/auditevent/").content.decode()
    today_link = html.unescape(re.search(r'href="(\?created_at__gte=[^"]+)"', changelist).group(1))

    by_action = superuser_client.get("/admin/records/auditevent/", {"action": "record.view"})
    today = superuser_client.get(f"/admin/records/auditevent/{today_link}")

    assert by_action.status_code == today.status_code == 200
    assert by_action.context["cl"].result_count == 1
    assert today.context["cl"].result_count == AuditEvent.objects.count()


def test_audit_events_cannot_be_added_changed_or_deleted_even_by_a_superuser(superuser_client, closed):
    event = AuditEvent.objects.get(action="record.view")
    base = f"/admin/records/auditevent/{event.pk}"

    assert superuser_client.get("/admin/records/auditevent/add/").status_code == 403
    assert superuser_client.post("/admin/records/auditevent/add/", {"action": "forged"}).status_code == 403
    assert superuser_client.post(f"{base}/change/", {"action": "forged", "role": "admin"}).status_code == 403
    assert superuser_client.get(f"{base}/delete/").status_code == 403
    assert superuser_client.post(f"{base}/delete/", {"post": "yes"}).status_code == 403
    bulk = superuser_client.post(
        "/admin/records/auditevent/", {"action": "delete_selected", "_selected_action": [event.pk], "post": "yes"}
    )
    assert bulk.status_code in (200, 302, 403)

    event.refresh_from_db()
    assert event.action == "record.view"
    assert AuditEvent.objects.count() == 2


def test_an_audit_event_opens_read_only(superuser_client, closed):
    event = AuditEvent.objects.get(action="record.view")

    response = superuser_client.get(f"/admin/records/auditevent/{event.pk}/change/")

    assert response.status_code == 200
    page = response.content.decode()
    assert 'name="_save"' not in page
    assert "10.0.0.7" in page


def test_the_operation_log_is_read_only_in_admin(superuser_client, closed):
    operation = Operation.objects.get()

    assert superuser_client.get("/admin/records/operation/").status_code == 200
    assert superuser_client.get("/admin/records/operation/add/").status_code == 403
    assert superuser_client.post(f"/admin/records/operation/{operation.pk}/delete/", {"post": "yes"}).status_code == 403
    assert Operation.objects.filter(pk=operation.pk).exists()


@pytest.mark.parametrize("who", ["patient", "doctor"])
def test_users_with_clinical_records_cannot_be_deleted_in_admin(superuser_client, closed, who):
    user = getattr(closed[0], who)

    single = superuser_client.post(f"/admin/accounts/user/{user.pk}/delete/", {"post": "yes"})
    changelist = superuser_client.get("/admin/accounts/user/")
    superuser_client.post(
        "/admin/accounts/user/", {"action": "delete_selected", "_selected_action": [user.pk], "post": "yes"}
    )

    assert single.status_code == 403
    assert "delete_selected" not in changelist.content.decode()
    assert User.objects.filter(pk=user.pk, is_active=True).exists()


def test_the_database_refuses_to_delete_a_patient_with_clinical_history(closed):
    appointment, _ = closed

    with pytest.raises(ProtectedError):
        appointment.patient.delete()


def test_a_user_with_records_is_deactivated_instead(superuser_client, closed):
    patient = closed[0].patient
    page = superuser_client.get(f"/admin/accounts/user/{patient.pk}/change/").content.decode()

    assert 'name="is_active"' in page


def test_the_clinic_details_are_edited_once_in_admin_and_never_deleted(superuser_client):
    form = {
        "name": "Clínica Medly",
        "address": "Calle 60 #491, Mérida",
        "legal_owner": "Medly S.A. de C.V.",
        "clues": "YNSSA000123",
        "phone": "",
    }

    created = superuser_client.post("/admin/records/clinicdetails/add/", form)
    second_add = superuser_client.get("/admin/records/clinicdetails/add/")
    delete = superuser_client.post("/admin/records/clinicdetails/1/delete/", {"post": "yes"})

    assert created.status_code == 302
    assert second_add.status_code == 403
    assert delete.status_code == 403
    assert ClinicDetails.current().name == "Clínica Medly"


def test_opening_an_audit_event_with_its_before_and_after_is_itself_audited(superuser_client, closed):
    appointment, _ = closed
    change = audit.record(
        user=appointment.doctor,
        action=audit.RECORD_UPDATE,
        patient_id=appointment.patient_id,
        reason="Card",
        before={"blood_type": "O+", "allergies": []},
        after={"blood_type": "A+", "allergies": ["látex"]},
    )

    page = superuser_client.get(f"/admin/records/auditevent/{change.pk}/change/")

    assert page.status_code == 200
    assert "látex" in page.content.decode()
    viewed = AuditEvent.objects.get(action="admin.view")
    assert (viewed.user, viewed.patient, viewed.detail) == (
        page.wsgi_request.user,
        appointment.patient,
        {"object": f"records.auditevent:{change.pk}"},
    )


def test_lists_in_admin_are_not_audited_as_reads_of_a_note(superuser_client, closed):
    superuser_client.get("/admin/records/operation/")
    superuser_client.get("/admin/records/auditevent/")

    assert not AuditEvent.objects.filter(action="admin.view").exists()
