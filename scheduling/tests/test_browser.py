"""Booking and cancelling in a real browser (Playwright driving Debian's Chromium).

As in accounts/tests/test_browser.py, every visible text the tests look for is
read through Django's translation machinery in the language the page is in,
and dates and times are formatted the way the site formats them (clinic time
zone, the language's formats), so the tests follow the es_MX catalog instead
of pinning its wording. Form inputs are found by their <label>.
"""

import re

import pytest
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import expect

from accounts.tests.factories import DoctorFactory, PatientFactory
from medly.tests.browser import log_in, nav, switch_language, text, url_is, when
from medly.tests.tasks import run_queued_tasks
from scheduling.models import Appointment, AppointmentStatus, SlotStatus
from scheduling.tests.factories import SlotFactory, SpecialtyFactory

pytestmark = pytest.mark.browser


# --- helpers -------------------------------------------------------------------


def listed_time(moment, language):
    """How the appointments list shows a start: the language's date and time format."""
    return when(moment, language)


def expect_title(page, message, language):
    title = text(message, language)
    expect(page.get_by_role("heading", level=1)).to_have_text(title)
    expect(page).to_have_title(f"{title} · Medly")


def table_after(page, heading):
    """The table that directly follows the <h2> `heading` (the appointments page has one per section)."""
    return page.get_by_role("heading", level=2, name=heading, exact=True).locator("xpath=following-sibling::*[1]")


# --- patients: find a doctor, book, cancel -----------------------------------------


def find_book_and_cancel(page, mailoutbox, language):
    cardiology = SpecialtyFactory(name="Cardiología")
    dermatology = SpecialtyFactory(name="Dermatología")
    doctor = DoctorFactory(first_name="Itzel", last_name="Chablé Uc")
    doctor.doctor_profile.specialties.add(cardiology)
    other = DoctorFactory(first_name="Rodrigo", last_name="Pool Canché")
    other.doctor_profile.specialties.add(dermatology)
    first_slot, second_slot = SlotFactory(doctor=doctor), SlotFactory(doctor=doctor)
    SlotFactory(doctor=other)
    patient = PatientFactory(first_name="Lucía", last_name="Canul Pech")

    page.goto(reverse("home"))
    if language != "en":
        switch_language(page, language)
    log_in(page, patient, language)

    # The directory, filtered by specialty.
    nav(page, language).get_by_role("link", name=text("Find a doctor", language), exact=True).click()
    expect(page).to_have_url(url_is("scheduling:directory"))
    expect_title(page, "Find a doctor", language)
    expect(page.get_by_role("link", name=other.get_full_name(), exact=True)).to_be_visible()
    page.get_by_label(text("Specialty", language), exact=True).select_option(label=cardiology.name)
    page.get_by_role("search").get_by_role("button", name=text("Search", language), exact=True).click()
    expect(page).to_have_url(re.compile(rf"[?&]specialty={cardiology.pk}(&|$)"))
    expect(page.get_by_label(text("Specialty", language), exact=True)).to_have_value(str(cardiology.pk))
    expect(page.get_by_role("link", name=other.get_full_name(), exact=True)).to_have_count(0)
    page.get_by_role("link", name=doctor.get_full_name(), exact=True).click()

    # The doctor's page: free slots by day in the clinic's time, each a link to its confirmation.
    expect(page).to_have_url(re.compile(rf"{re.escape(reverse('scheduling:doctor', args=[doctor.pk]))}$"))
    expect(page.get_by_role("heading", level=1)).to_have_text(doctor.get_full_name())
    expect(page.get_by_role("main")).to_contain_text(cardiology.name)
    slot_time = when(first_slot.starts_at, language, "TIME_FORMAT")
    slot_day = when(timezone.localdate(first_slot.starts_at), language, "DATE_FORMAT")
    expect(page.get_by_role("heading", level=3).first).to_have_text(slot_day)
    book_first = page.get_by_role(
        "link", name=text("%(time)s, %(day)s", language, time=slot_time, day=slot_day), exact=True
    )
    expect(book_first).to_have_text(slot_time)
    book_first.click()
    expect(page).to_have_url(url_is(reverse("scheduling:book", args=[first_slot.pk])))
    page.get_by_role("button", name=text("Book this appointment", language), exact=True).click()

    # Booked: on "My appointments", upcoming, in the clinic's time.
    expect(page).to_have_url(url_is("scheduling:appointments"))
    expect_title(page, "My appointments", language)
    expect(page.get_by_role("status")).to_contain_text(
        text("Your appointment is booked. We have sent you a confirmation email.", language)
    )
    appointment = Appointment.objects.get(patient=patient)
    assert appointment.slot_id == first_slot.pk
    assert appointment.status == AppointmentStatus.SCHEDULED
    first_slot.refresh_from_db()
    assert first_slot.status == SlotStatus.BOOKED
    second_slot.refresh_from_db()
    assert second_slot.status == SlotStatus.OPEN
    # The worker sends the confirmation while the appointment is still booked (a later one skips it).
    run_queued_tasks()

    upcoming = table_after(page, text("Upcoming", language)).get_by_role("row").filter(has_text=doctor.get_full_name())
    expect(upcoming).to_have_count(1)
    expect(upcoming.get_by_role("cell").nth(0)).to_have_text(listed_time(first_slot.starts_at, language))
    expect(upcoming).to_contain_text(text("Scheduled", language))
    expect(page.get_by_text(text("Nothing here yet.", language), exact=True)).to_be_visible()

    # Cancelled: gone from upcoming, listed under "Past and cancelled", the slot open again.
    upcoming.get_by_role("button", name=text("Cancel", language), exact=True).click()
    expect(page).to_have_url(url_is("scheduling:appointments"))
    expect(page.get_by_role("status")).to_contain_text(text("The appointment was cancelled.", language))
    expect(page.get_by_text(text("You have no upcoming appointments.", language), exact=True)).to_be_visible()
    past = (
        table_after(page, text("Past and cancelled", language))
        .get_by_role("row")
        .filter(has_text=doctor.get_full_name())
    )
    expect(past).to_have_count(1)
    expect(past.get_by_role("cell").nth(0)).to_have_text(listed_time(first_slot.starts_at, language))
    expect(past.get_by_role("cell").nth(2)).to_have_text(text("Cancelled", language))
    expect(past.get_by_role("button")).to_have_count(0)

    appointment.refresh_from_db()
    assert appointment.status == AppointmentStatus.CANCELLED
    assert appointment.cancelled_by == patient
    assert appointment.live_slot_id is None
    first_slot.refresh_from_db()
    assert first_slot.status == SlotStatus.OPEN
    # Then the cancellation; both in the language the patient booked in.
    run_queued_tasks()
    assert [(message.to, message.subject) for message in mailoutbox] == [
        ([patient.email], text("Your Medly appointment is booked", language)),
        ([patient.email], text("Your Medly appointment was cancelled", language)),
    ]


def test_a_patient_finds_a_doctor_by_specialty_books_and_cancels(page, mailoutbox):
    find_book_and_cancel(page, mailoutbox, "en")


def test_a_patient_books_and_cancels_in_spanish(page, mailoutbox):
    find_book_and_cancel(page, mailoutbox, "es-mx")


# The doctor's journey (availability, the week, the day, the consultation): test_browser_doctor.py.
