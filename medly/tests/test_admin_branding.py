"""Django admin as Medly's: branded, in Spanish for a Spanish-speaking administrator, readable audit actions,
clinic-time dates, and the favicon."""

from datetime import UTC, datetime

import pytest
from axes.models import AccessAttempt
from django.urls import reverse

from accounts.tests.factories import AdminFactory, PatientFactory
from records import audit
from records.models import AuditEvent

pytestmark = pytest.mark.django_db

SPANISH = {"Accept-Language": "es-MX"}


@pytest.fixture
def admin_client(client):
    client.force_login(AdminFactory())
    return client


def test_the_admin_is_branded_medly_in_english(admin_client):
    page = admin_client.get(reverse("admin:index")).text

    assert "Medly administration" in page
    assert "Clinic administration" in page
    assert "Django administration" not in page
    assert "| Medly admin</title>" in page


def test_the_admin_reads_in_spanish_django_axes_and_the_task_backend_included(admin_client):
    index = admin_client.get(reverse("admin:index"), headers=SPANISH).text
    attempts = admin_client.get(reverse("admin:axes_accessattempt_changelist"), headers=SPANISH).text

    assert "Administración de Medly" in index
    assert "Administración de la clínica" in index
    assert "Intentos de inicio de sesión" in index and "Intentos de acceso" in index
    assert "Tareas en segundo plano" in index
    assert "Cerrar sesión" in index
    assert "Seleccione intento de acceso a modificar" in attempts
    for english in ("Access attempts", "Tasks Database Backend", "Log out"):
        assert english not in index + attempts


def test_the_login_attempts_list_shows_spanish_headers_with_a_row(admin_client):
    AccessAttempt.objects.create(
        username="x@example.test", ip_address="203.0.113.9", user_agent="test", failures_since_start=1
    )

    page = admin_client.get(reverse("admin:axes_accessattempt_changelist"), headers=SPANISH).text

    assert "Inicios de sesión fallidos" in page
    assert "203.0.113.9" in page


def test_audit_actions_are_shown_as_labels_and_filtered_by_them(admin_client):
    patient = PatientFactory()
    audit.record(user=AdminFactory(), action=audit.RECORD_VIEW, patient_id=patient.pk)
    audit.record(user=AdminFactory(), action=audit.PRESCRIPTION_PRINT, patient_id=patient.pk)
    audit.record(user=AdminFactory(), action="something.new")
    url = reverse("admin:records_auditevent_changelist")

    english = admin_client.get(url).text
    spanish = admin_client.get(url, headers=SPANISH).text
    filtered = admin_client.get(url, {"action": audit.RECORD_VIEW})

    assert "Viewed a clinical record" in english and "Printed a prescription" in english
    assert "something.new" in english
    assert "Consultó un expediente clínico" in spanish and "Imprimió una receta" in spanish
    assert [event.action for event in filtered.context["cl"].result_list] == [audit.RECORD_VIEW]
    assert AuditEvent.objects.filter(action=audit.RECORD_VIEW).count() == 1


def test_admin_lists_and_details_show_clinic_time_not_utc(admin_client, settings):
    settings.TIME_ZONE = "America/Merida"
    event = audit.record(user=AdminFactory(), action=audit.RECORD_VIEW, patient_id=PatientFactory().pk)
    AuditEvent.objects.filter(pk=event.pk).update(created_at=datetime(2026, 3, 10, 18, 30, tzinfo=UTC))

    listing = admin_client.get(reverse("admin:records_auditevent_changelist")).text
    detail = admin_client.get(reverse("admin:records_auditevent_change", args=[event.pk])).text

    for page in (listing, detail):
        assert "12:30" in page  # 24-hour times, in the clinic's time zone
        assert "18:30" not in page
    assert "2026-03-10 12:30:00 Viewed a clinical record" in detail
    assert "18:30" not in detail


def test_the_favicon_is_linked_from_the_site_and_the_admin(client, admin_client):
    for page in (client.get(reverse("home")).text, admin_client.get(reverse("admin:index")).text):
        assert 'rel="icon" href="/static/img/medly.svg" type="image/svg+xml"' in page
        assert 'href="/static/img/favicon-32.png" type="image/png"' in page


def test_the_bare_favicon_address_leads_to_the_icon(client):
    response = client.get("/favicon.ico")

    assert response.status_code == 301
    assert response["Location"] == "/static/img/favicon.ico"
