"""Booking, cancelling and opening availability in a real browser (Playwright driving Debian's Chromium).

As in accounts/tests/test_browser.py, every visible text the tests look for is
read through Django's translation machinery in the language the page is in,
and dates and times are formatted the way the site formats them (clinic time
zone, the language's formats), so the tests follow the es_MX catalog instead
of pinning its wording. Form inputs are found by their <label>.
"""

import re
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone, translation
from playwright.sync_api import expect

from accounts.tests.factories import DoctorFactory, PatientFactory
from medly.tests.browser import by_label, log_in, nav, switch_language, text, url_is, when
from medly.tests.tasks import run_queued_tasks
from scheduling import services
from scheduling.forms import AgendaForm, AvailabilityForm
from scheduling.models import Appointment, AppointmentStatus, Slot, SlotStatus
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
    # The worker sends what the booking and the cancellation queued, in the language the patient booked in.
    run_queued_tasks()
    assert [(message.to, message.subject) for message in mailoutbox] == [
        ([patient.email], text("Your Medly appointment is booked", language)),
        ([patient.email], text("Your Medly appointment was cancelled", language)),
    ]


def test_a_patient_finds_a_doctor_by_specialty_books_and_cancels(page, mailoutbox):
    find_book_and_cancel(page, mailoutbox, "en")


def test_a_patient_books_and_cancels_in_spanish(page, mailoutbox):
    find_book_and_cancel(page, mailoutbox, "es-mx")


# --- doctors: a month of availability, then the week -------------------------------


def test_a_doctor_opens_a_month_of_availability_and_sees_the_week(page):
    language = "en"
    doctor = DoctorFactory(first_name="Itzel", last_name="Chablé Uc")
    patient = PatientFactory(first_name="Lucía", last_name="Canul Pech")
    today = timezone.localdate()
    start_date, end_date = today + timedelta(days=1), today + timedelta(days=30)
    weekdays = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday"]

    page.goto(reverse("home"))
    log_in(page, doctor, language)
    nav(page, language).get_by_role("link", name=text("Availability", language), exact=True).click()
    expect(page).to_have_url(url_is("scheduling:availability"))
    expect_title(page, "My availability", language)
    expect(page.get_by_text(text("You have no upcoming slots.", language), exact=True)).to_be_visible()

    by_label(page, AvailabilityForm, "start_date", language).fill(start_date.isoformat())
    by_label(page, AvailabilityForm, "end_date", language).fill(end_date.isoformat())
    with translation.override(language):
        legend = str(AvailabilityForm.base_fields["weekdays"].label)
    days_group = page.get_by_role("group", name=re.compile(rf"^{re.escape(legend)}\s*:?$"))
    for day in weekdays:
        days_group.get_by_role("checkbox", name=text(day, language), exact=True).check()
    by_label(page, AvailabilityForm, "start_time", language).fill("09:00")
    by_label(page, AvailabilityForm, "end_time", language).fill("12:00")
    by_label(page, AvailabilityForm, "slot_minutes", language).select_option("30")
    page.get_by_role("main").get_by_role("button", name=text("Open slots", language), exact=True).click()

    # The page reports what the form did before the database is read.
    expect(page).to_have_url(url_is("scheduling:availability"))
    expect(page.get_by_role("status")).to_contain_text(re.compile(r"\d"))

    # Mondays to Fridays of the month, six half-hour slots from 09:00 to 12:00 clinic time.
    working_days = [start_date + timedelta(days=n) for n in range(30) if (start_date + timedelta(days=n)).weekday() < 5]
    expected = len(working_days) * 6
    slots = list(Slot.objects.filter(doctor=doctor).order_by("starts_at"))
    assert len(slots) == expected > 0
    assert sorted({timezone.localdate(slot.starts_at) for slot in slots}) == working_days
    assert {timezone.localtime(slot.starts_at).strftime("%H:%M") for slot in slots} == {
        "09:00",
        "09:30",
        "10:00",
        "10:30",
        "11:00",
        "11:30",
    }
    assert all(slot.ends_at - slot.starts_at == timedelta(minutes=30) for slot in slots)
    assert all(slot.status == SlotStatus.OPEN for slot in slots)

    expect(page.get_by_role("status")).to_contain_text(
        text(
            "%(opened)d slots opened; %(existing)d already existed and were left as they were.",
            language,
            opened=len(slots),
            existing=0,
        )
    )
    first_day = timezone.localdate(slots[0].starts_at)
    expect(page.get_by_role("group", name=when(first_day, language, "l j F Y"), exact=True)).to_be_visible()

    # A patient books the first slot; the doctor's week shows it.
    services.book_slot(patient=patient, slot_id=slots[0].pk)
    nav(page, language).get_by_role("link", name=text("My agenda", language), exact=True).click()
    expect(page).to_have_url(url_is("scheduling:appointments"))
    expect_title(page, "My agenda", language)
    by_label(page, AgendaForm, "day", language).fill(first_day.isoformat())
    by_label(page, AgendaForm, "view", language).select_option("week")
    page.get_by_role("button", name=text("Show", language), exact=True).click()

    expect(page).to_have_url(re.compile(r"[?&]view=week(&|$)"))
    monday = first_day - timedelta(days=first_day.weekday())
    week = [monday + timedelta(days=n) for n in range(7)]
    expect(page.get_by_role("heading", level=2)).to_have_text([when(day, language, "l j F Y") for day in week])
    booked_day = page.locator("section").filter(
        has=page.get_by_role("heading", level=2, name=when(first_day, language, "l j F Y"), exact=True)
    )
    row = booked_day.get_by_role("row").filter(has_text=patient.get_full_name())
    expect(row).to_have_count(1)
    expect(row.get_by_role("cell").nth(0)).to_have_text(
        f"{when(slots[0].starts_at, language, 'H:i')}–{when(slots[0].ends_at, language, 'H:i')}"
    )
    expect(row).to_contain_text(text("Scheduled", language))
