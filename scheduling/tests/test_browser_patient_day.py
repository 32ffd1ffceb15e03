"""A patient's day in a real browser, in both languages, on a desktop and on a phone.

Sign up, find the doctor, choose a time, confirm it (the clinic's phone, the length, a reason), then move
it and cancel it. Every page on the way is screenshotted and checked by axe-core (``check_page``).
"""

import re

import pytest
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import expect

from accounts.models import User
from accounts.tests.factories import DoctorFactory
from accounts.tests.test_browser import register
from medly.tests.browser import by_label, check_page, nav, switch_language, text, url_is, when
from records.models import ClinicDetails
from scheduling.forms import BookingForm
from scheduling.models import Appointment, AppointmentStatus, SlotStatus
from scheduling.tests.factories import SlotFactory, SpecialtyFactory
from scheduling.tests.helpers import days_ahead

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

REASON = "Control de presión arterial"


def journey(page, language, size):
    def look(step):
        check_page(page, f"patient-day-{language}-{size}-{step}")

    ClinicDetails(
        name="Clínica Ceiba",
        address="Calle 60 #491, Centro\nMérida, Yucatán",
        legal_owner="Ceiba SC",
        phone="999 123 4567",
    ).save()
    doctor = DoctorFactory(first_name="Itzel", last_name="Chablé Uc")
    doctor.doctor_profile.specialties.add(SpecialtyFactory(name="Cardiología"))
    first = SlotFactory(doctor=doctor, starts_at=days_ahead(3, 10), ends_at=days_ahead(3, 10, 45))
    later = SlotFactory(doctor=doctor, starts_at=days_ahead(4, 12), ends_at=days_ahead(4, 12, 45))

    # Signing up.
    page.goto(reverse("home"))
    if language != "en":
        switch_language(page, language)
    look("welcome")
    nav(page, language).get_by_role("link", name=text("Sign up", language), exact=True).click()
    look("sign-up")
    register(page, language, email="lucia.canul@example.test", first_name="Lucía")
    patient = User.objects.get(email="lucia.canul@example.test")

    # The home: nothing booked yet, one clear action.
    expect(page).to_have_url(url_is("home"))
    main = page.get_by_role("main")
    expect(main).to_contain_text(text("You have no upcoming appointments.", language))
    look("home-empty")
    main.get_by_role("link", name=text("Book an appointment", language), exact=True).click()

    # The directory, then the doctor's times as links.
    expect(page).to_have_url(url_is("scheduling:directory"))
    look("directory")
    page.get_by_role("link", name=doctor.get_full_name(), exact=True).click()
    expect(page).to_have_url(url_is(reverse("scheduling:doctor", args=[doctor.pk])))
    look("doctor")
    day = when(timezone.localdate(first.starts_at), language, "DATE_FORMAT")
    page.get_by_role(
        "link", name=text("%(time)s, %(day)s", language, time=when(first.starts_at, language, "TIME_FORMAT"), day=day)
    ).click()

    # The confirmation: what, when, how long, where, whom to call, until when it may change.
    expect(page).to_have_url(url_is(reverse("scheduling:book", args=[first.pk])))
    expect(page.get_by_role("heading", level=1)).to_have_text(text("Confirm your appointment", language))
    main = page.get_by_role("main")
    for shown in (
        doctor.get_full_name(),
        "Cardiología",
        when(first.starts_at, language, "DATE_FORMAT"),
        "10:00–10:45",
        "45 minutes" if language == "en" else "45 minutos",
        "Calle 60 #491, Centro",
        "999 123 4567",
    ):
        expect(main).to_contain_text(shown)
    expect(main.get_by_role("link", name="999 123 4567")).to_have_attribute("href", "tel:9991234567")
    by_label(page, BookingForm, "reason", language).fill(REASON)
    look("confirm")
    page.get_by_role("button", name=text("Book this appointment", language), exact=True).click()

    # Booked, with the reason the doctor will read.
    expect(page).to_have_url(url_is("scheduling:appointments"))
    expect(page.get_by_role("status")).to_contain_text(
        text("Your appointment is booked. We have sent you a confirmation email.", language)
    )
    row = page.locator(f"#appointment-{Appointment.objects.get(patient=patient).pk}")
    expect(row).to_contain_text(when(first.starts_at, language))
    expect(row).to_contain_text(REASON)
    look("booked")
    appointment = Appointment.objects.get(patient=patient)
    assert appointment.reason == REASON and appointment.slot_id == first.pk

    # The home now leads with it.
    page.goto(reverse("home"))
    next_appointment = page.get_by_role("region", name=text("Your next appointment", language))
    expect(next_appointment).to_contain_text(when(first.starts_at, language))
    expect(next_appointment).to_contain_text(doctor.get_full_name())
    expect(
        next_appointment.get_by_role("link", name=text("How to get there (map, opens in a new tab)", language))
    ).to_have_attribute("href", re.compile(r"^https://www\.google\.com/maps/search/"))
    look("home-next")

    # Moving it to the later time.
    next_appointment.get_by_role("link", name=text("Move", language), exact=True).click()
    expect(page).to_have_url(url_is(reverse("scheduling:reschedule", args=[appointment.pk])))
    look("move")
    later_day = when(timezone.localdate(later.starts_at), language, "DATE_FORMAT")
    page.get_by_role(
        "button",
        name=text(
            "%(time)s, move to %(day)s", language, time=when(later.starts_at, language, "TIME_FORMAT"), day=later_day
        ),
        exact=True,
    ).click()
    expect(page).to_have_url(url_is("scheduling:appointments"))
    expect(page.get_by_role("status")).to_contain_text(text("The appointment was moved.", language))
    expect(row).to_contain_text(when(later.starts_at, language))
    appointment.refresh_from_db()
    assert appointment.slot_id == later.pk

    # Cancelling it.
    row.get_by_role("button", name=text("Cancel", language), exact=True).click()
    expect(page.get_by_role("status")).to_contain_text(text("The appointment was cancelled.", language))
    expect(page.get_by_text(text("You have no upcoming appointments.", language), exact=True)).to_be_visible()
    look("cancelled")
    appointment.refresh_from_db()
    assert appointment.status == AppointmentStatus.CANCELLED
    later.refresh_from_db()
    first.refresh_from_db()
    assert later.status == SlotStatus.OPEN and first.status == SlotStatus.OPEN


@pytest.mark.parametrize("language", ["en", "es-mx"])
def test_a_patients_day_on_a_desktop(page, language):
    journey(page, language, "desktop")


@pytest.mark.parametrize("language", ["en", "es-mx"])
def test_a_patients_day_on_a_phone(phone_page, language):
    journey(phone_page, language, "phone")
