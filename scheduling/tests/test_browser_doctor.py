"""The doctor's day in a real browser, in both languages, on a desktop and a phone.

Log in → the doctor home → availability (open a week as ranges) → the agenda's week → the day →
the consultation page. Every page is screenshotted and checked with axe-core (check_page).
"""

import re
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import ngettext
from playwright.sync_api import expect

from accounts.tests.factories import DoctorFactory, PatientFactory
from medly.tests.browser import by_label, check_page, log_in, nav, switch_language, text, url_is, when
from records import repository
from scheduling import services
from scheduling.forms import AvailabilityForm
from scheduling.models import AppointmentStatus, Slot, SlotStatus
from scheduling.tests.factories import AppointmentFactory
from scheduling.tests.helpers import days_ahead

pytestmark = pytest.mark.browser

WEEKDAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]


def open_a_week(page, language, first_day):
    by_label(page, AvailabilityForm, "start_date", language).fill(first_day.isoformat())
    by_label(page, AvailabilityForm, "end_date", language).fill((first_day + timedelta(days=6)).isoformat())
    with translation.override(language):
        legend = str(AvailabilityForm.base_fields["weekdays"].label)
    days_group = page.get_by_role("group", name=re.compile(rf"^{re.escape(legend)}\s*:?$"))
    for day in WEEKDAYS:
        days_group.get_by_role("checkbox", name=text(day, language), exact=True).check()
    by_label(page, AvailabilityForm, "start_time", language).fill("09:00")
    by_label(page, AvailabilityForm, "end_time", language).fill("12:00")
    by_label(page, AvailabilityForm, "slot_minutes", language).select_option("30")
    page.get_by_role("main").get_by_role("button", name=text("Open slots", language), exact=True).click()


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("size", ["desktop", "phone"])
@pytest.mark.parametrize("language", ["en", "es-mx"])
def test_a_doctor_opens_a_week_reads_the_week_and_the_day_and_opens_a_consultation(request, language, size):
    page = request.getfixturevalue("page" if size == "desktop" else "phone_page")
    name = f"{language}-{size}"
    doctor = DoctorFactory(first_name="Itzel", last_name="Chablé Uc")
    patient = PatientFactory(first_name="Lucía", last_name="Canul Pech")
    repository.create_patient_record(patient_id=patient.pk, blood_type="O+", allergies=["penicilina"])
    AppointmentFactory(
        slot__doctor=doctor, patient=patient, slot__starts_at=days_ahead(-40, 9), status=AppointmentStatus.COMPLETED
    )
    tomorrow = timezone.localdate() + timedelta(days=1)

    page.goto(reverse("home"))
    if language != "en":
        switch_language(page, language)
    log_in(page, doctor, language)
    expect(page.get_by_role("heading", level=2, name=text("In the waiting room", language))).to_be_visible()
    check_page(page, f"doctor-home-{name}")

    # Availability: a week of mornings, shown back as one range a day.
    nav(page, language).get_by_role("link", name=text("Availability", language), exact=True).click()
    expect(page).to_have_url(url_is("scheduling:availability"))
    check_page(page, f"doctor-availability-empty-{name}")
    open_a_week(page, language, tomorrow)
    with translation.override(language):
        opened = ngettext(
            "%(opened)d slot opened; %(existing)d already existed and were left as they were.",
            "%(opened)d slots opened; %(existing)d already existed and were left as they were.",
            42,
        ) % {"opened": 42, "existing": 0}
    expect(page.get_by_role("status")).to_contain_text(opened)
    assert Slot.objects.filter(doctor=doctor, status=SlotStatus.OPEN).count() == 42
    first_day = page.locator(f"#day-{tomorrow.isoformat()}")
    expect(first_day).to_contain_text("09:00–12:00")
    expect(first_day).to_contain_text(text("%(minutes)s-minute slots", language, minutes=30))
    check_page(page, f"doctor-availability-{name}")

    # A patient books tomorrow at 09:00; the week shows it with the patient's facts.
    first_slot = Slot.objects.filter(doctor=doctor, status=SlotStatus.OPEN).order_by("starts_at").first()
    appointment = services.book_slot(patient=patient, slot_id=first_slot.pk)
    nav(page, language).get_by_role("link", name=text("My agenda", language), exact=True).click()
    expect(page).to_have_url(url_is("scheduling:appointments"))
    agenda_nav = page.get_by_role("navigation", name=text("Agenda dates and views", language))
    agenda_nav.get_by_role("link", name=text("Week", language), exact=True).click()
    expect(page).to_have_url(re.compile(r"[?&]view=week(&|$)"))
    if tomorrow.weekday() == 0:  # today is Sunday: tomorrow is in next week
        agenda_nav.get_by_role("link", name=re.compile(re.escape(text("Next week", language)))).click()
        expect(page).to_have_url(re.compile(rf"[?&]day={tomorrow.isoformat()}(&|$)"))
    expect(page.locator("section.agenda-column")).to_have_count(7)
    column = page.locator("section.agenda-column").filter(has_text=patient.get_full_name())
    expect(column).to_contain_text(text("Follow-up", language))
    expect(column).to_contain_text("penicilina")
    check_page(page, f"doctor-agenda-week-{name}")

    # Tomorrow's heading opens its day view.
    column.get_by_role("heading", level=2).get_by_role("link").click()
    expect(page).to_have_url(re.compile(rf"[?&]day={tomorrow.isoformat()}(&|$)"))
    expect(page.get_by_role("main")).to_contain_text(
        f"{when(first_slot.starts_at, language, 'H:i')}–{when(first_slot.ends_at, language, 'H:i')}"
    )
    expect(page.get_by_role("main")).to_contain_text(text("Free", language))
    check_page(page, f"doctor-agenda-day-{name}")

    page.get_by_role("link", name=text("Open the consultation", language), exact=True).click()
    expect(page).to_have_url(url_is(reverse("records:consultation", args=[appointment.pk])))
    check_page(page, f"doctor-consultation-{name}")
