"""An operation that needs attention shows in admin, check_consistency, /healthz and the doctor's agenda."""

import json
from io import StringIO
from urllib.parse import urlencode

import pytest
from django.core.management import call_command
from django.utils import timezone

from accounts.tests.factories import AdminFactory
from records import coordinator
from records.models import AuditEvent
from records.tests.helpers import appointment_with_record, consultation_payload, poisoned_close

pytestmark = pytest.mark.django_db


@pytest.fixture
def stuck(settings):
    """A close that failed once, with OPERATION_ATTENTION_AFTER = 1: it needs attention at once."""
    settings.OPERATION_ATTENTION_AFTER = 1
    appointment = appointment_with_record()
    operation = poisoned_close(appointment)
    assert operation.needs_attention
    return appointment, operation


def agenda_of(client, appointment):
    client.force_login(appointment.doctor)
    day = timezone.localtime(appointment.starts_at).date().isoformat()
    return client.get(f"/appointments/?{urlencode({'day': day})}").content.decode()


def test_it_is_listed_in_admin_with_its_error_and_a_filter(client, stuck):
    _, operation = stuck
    fine = appointment_with_record()
    coordinator.close_consultation(appointment_id=fine.pk, doctor=fine.doctor, payload=consultation_payload())
    client.force_login(AdminFactory())

    page = client.get("/admin/records/operation/", {"needs_attention__exact": "1"})

    assert page.status_code == 200
    assert [o.pk for o in page.context["cl"].result_list] == [operation.pk]
    text = page.content.decode()
    assert "ValueError: Invalid isoformat string" in text
    assert "needs_attention__exact=0" in text  # the filter is offered both ways


def test_check_consistency_reports_it_and_exits_1(stuck):
    _, operation = stuck
    out = StringIO()

    with pytest.raises(SystemExit) as exit_:
        call_command("check_consistency", stdout=out, stderr=StringIO())

    assert exit_.value.code == 1
    assert f"operation {operation.pk} (close_consultation) needs attention after 1 failed attempt(s)" in out.getvalue()


def test_healthz_reports_it_without_leaving_rotation(client, stuck):
    response = client.get("/healthz")

    assert response.status_code == 200
    assert json.loads(response.content) == {"mysql": "ok", "mongo": "ok", "redis": "ok", "operations": "attention"}


def test_healthz_reports_operations_ok_when_none_needs_attention(client):
    assert json.loads(client.get("/healthz").content)["operations"] == "ok"


def test_the_doctors_agenda_says_the_note_is_kept_but_stuck(client, stuck):
    appointment, _ = stuck

    page = agenda_of(client, appointment)

    assert "Your note is saved, but the records store keeps refusing it; an administrator has been alerted." in page


def test_the_doctors_agenda_says_when_a_close_was_undone(client):
    appointment = appointment_with_record()
    with pytest.raises(coordinator.ConsultationRejected):
        coordinator.close_consultation(
            appointment_id=appointment.pk, doctor=appointment.doctor, payload=consultation_payload(diagnosis="x" * 5000)
        )

    page = agenda_of(client, appointment)

    assert "The records store refused your last note for this appointment; nothing was saved." in page


def test_the_agenda_shows_no_notice_once_a_later_close_succeeded(client):
    appointment = appointment_with_record()
    with pytest.raises(coordinator.ConsultationRejected):
        coordinator.close_consultation(
            appointment_id=appointment.pk, doctor=appointment.doctor, payload=consultation_payload(diagnosis="x" * 5000)
        )
    coordinator.close_consultation(
        appointment_id=appointment.pk, doctor=appointment.doctor, payload=consultation_payload()
    )

    page = agenda_of(client, appointment)

    assert "refused your last note" not in page
    assert "keeps refusing" not in page


def test_opening_an_operation_in_admin_is_audited(client, stuck):
    appointment, operation = stuck
    admin_user = AdminFactory()
    client.force_login(admin_user)

    page = client.get(f"/admin/records/operation/{operation.pk}/change/")

    assert page.status_code == 200
    assert "Acute pharyngitis" in page.content.decode()  # the whole note is on the page
    event = AuditEvent.objects.get(action="admin.view")
    assert (event.user, event.patient_id, event.encounter_id) == (
        admin_user,
        appointment.patient_id,
        operation.encounter_id,
    )
    assert event.detail == {"object": f"records.operation:{operation.pk}"}
