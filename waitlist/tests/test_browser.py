"""A waiting patient joins from the doctor page, gets the freed slot and books it, in a real browser."""

from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from accounts.tests.factories import PatientFactory
from medly.tests.browser import by_label, log_in, nav, switch_language, text, url_is
from scheduling import services as scheduling_services
from scheduling.models import Appointment
from waitlist import services
from waitlist.forms import JoinWaitlistForm
from waitlist.models import WaitlistEntry
from waitlist.tests.helpers import booked_slot

pytestmark = pytest.mark.browser


@pytest.mark.parametrize("language", ["en", "es-mx"])
def test_join_get_the_offer_and_book_it(page, live_server, language):
    appointment = booked_slot(hour=10)
    patient = PatientFactory()
    page.goto(live_server.url)
    if language != "en":
        switch_language(page, language)
    log_in(page, patient, language)
    page.goto(f"{live_server.url}/doctors/{appointment.doctor_id}/")

    today = timezone.localdate()
    by_label(page, JoinWaitlistForm, "from_date", language).fill(today.isoformat())
    by_label(page, JoinWaitlistForm, "to_date", language).fill((today + timedelta(days=7)).isoformat())
    by_label(page, JoinWaitlistForm, "part_of_day", language).select_option("morning")
    page.get_by_role("button", name=text("Join the waitlist", language), exact=True).click()

    expect(page).to_have_url(url_is("waitlist:mine"))
    entry = WaitlistEntry.objects.get(patient=patient)
    assert entry.part_of_day == "morning"

    scheduling_services.cancel_appointment(appointment_id=appointment.pk, actor=appointment.patient)
    services.offer_slot(appointment.slot_id)
    nav(page, language).get_by_role("link", name=text("My waitlist", language), exact=True).click()
    page.get_by_role("button", name=text("Book this slot", language), exact=True).click()

    expect(page).to_have_url(url_is("scheduling:appointments"))
    expect(page.get_by_role("status")).to_contain_text(text("The slot is yours: your appointment is booked.", language))
    assert Appointment.objects.get(live_slot_id=appointment.slot_id).patient == patient
