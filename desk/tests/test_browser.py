"""Reception's day in a real browser: register a walk-in, book for them, check them in; both languages, both sizes."""

import re
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import expect

from accounts.models import User
from accounts.tests.factories import DoctorFactory, ReceptionFactory
from desk.forms import WalkInForm
from medly.tests.browser import by_label, check_page, log_in, nav, switch_language, text, url_is
from scheduling.models import Appointment
from scheduling.tests.factories import AppointmentFactory, SlotFactory

pytestmark = pytest.mark.browser


def register_book_and_check_in(page, language, size):
    doctor = DoctorFactory(first_name="Itzel", last_name="Chablé Uc")
    starts_at = (timezone.now() + timedelta(hours=2)).replace(minute=0, second=0, microsecond=0)
    slot = SlotFactory(doctor=doctor, starts_at=starts_at)
    SlotFactory(doctor=doctor, starts_at=starts_at + timedelta(minutes=30))
    earlier = AppointmentFactory(
        slot__doctor=doctor,
        slot__starts_at=starts_at - timedelta(minutes=30),
        patient__first_name="Jacinto",
        patient__last_name="Pech",
        checked_in_at=timezone.now() - timedelta(minutes=12),
        reason="Control de presión arterial",
    )
    receptionist = ReceptionFactory(first_name="Rosa", last_name="Mis")
    name = f"{language}-{size}"

    page.goto(reverse("home"))
    if language != "en":
        switch_language(page, language)
    log_in(page, receptionist, language)
    # The reception home is today's desk: the waiting room and the doctor's column.
    waiting_room = page.get_by_role("region", name=text("Waiting room", language))
    expect(waiting_room).to_contain_text(earlier.patient.get_full_name())
    expect(page.get_by_role("region", name=doctor.get_full_name())).to_be_visible()
    check_page(page, f"desk-home-{name}")

    # Register a walk-in without leaving the desk.
    nav(page, language).get_by_role("link", name=text("New patient", language), exact=True).click()
    expect(page).to_have_url(url_is("desk:register_patient"))
    check_page(page, f"desk-register-{name}")
    by_label(page, WalkInForm, "first_name", language).fill("Rigoberta")
    by_label(page, WalkInForm, "last_name", language).fill("Chan Ek")
    by_label(page, WalkInForm, "date_of_birth", language).fill("1958-03-02")
    by_label(page, WalkInForm, "sex", language).select_option("F")
    by_label(page, WalkInForm, "phone", language).fill("999 321 6543")
    by_label(page, WalkInForm, "allergies", language).fill("penicilina")
    by_label(page, WalkInForm, "privacy_notice_given", language).check()
    page.get_by_role("button", name=text("Register and book an appointment", language)).click()

    # Straight on to booking, the new patient chosen.
    patient = User.objects.get(first_name="Rigoberta")
    expect(page).to_have_url(re.compile(rf"{re.escape(reverse('desk:book'))}\?patient={patient.pk}$"))
    expect(page.get_by_role("alert").or_(page.locator(".messages"))).to_contain_text(
        text(
            "%(name)s is registered (without email, so they cannot sign in online).", language, name="Rigoberta Chan Ek"
        )
    )
    check_page(page, f"desk-book-patient-{name}")
    page.get_by_label(text("Doctor", language), exact=True).select_option(label=doctor.get_full_name())
    page.get_by_label(text("Day", language), exact=True).fill(timezone.localdate(starts_at).isoformat())
    page.get_by_role("button", name=text("Show free times", language)).click()
    time_label = timezone.localtime(starts_at).strftime("%H:%M")
    page.get_by_role("radio", name=time_label).check()
    page.get_by_label(text("Reason for the visit (optional)", language)).fill("Dolor de rodilla")
    check_page(page, f"desk-book-times-{name}")
    page.get_by_role("button", name=text("Book for %(name)s", language, name="Rigoberta Chan Ek")).click()

    # Back on the desk, the new appointment picked out; check her in through the confirmation step.
    expect(page).to_have_url(url_is("desk:day"))
    appointment = Appointment.objects.get(patient=patient)
    assert (appointment.slot_id, appointment.reason) == (slot.pk, "Dolor de rodilla")
    column = page.get_by_role("region", name=doctor.get_full_name())
    expect(column.locator(".picked")).to_contain_text("Rigoberta Chan Ek")
    check_page(page, f"desk-day-{name}")
    column.get_by_role("link", name=f"{text('Check in', language)} Rigoberta Chan Ek").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        text("Check in %(name)s?", language, name="Rigoberta Chan Ek")
    )
    check_page(page, f"desk-confirm-check-in-{name}")
    page.get_by_role("button", name=text("Yes, they are here: check in", language)).click()

    expect(page).to_have_url(url_is("desk:day"))
    waiting_room = page.get_by_role("region", name=text("Waiting room", language))
    expect(waiting_room.get_by_role("listitem")).to_have_count(2)
    expect(waiting_room.get_by_role("listitem").last).to_contain_text("Rigoberta Chan Ek")
    assert Appointment.objects.get(pk=appointment.pk).checked_in_at is not None
    check_page(page, f"desk-waiting-{name}")


@pytest.mark.django_db(transaction=True)
def test_reception_registers_books_and_checks_in_a_walk_in_in_english(page):
    register_book_and_check_in(page, "en", "desktop")


@pytest.mark.django_db(transaction=True)
def test_reception_registers_books_and_checks_in_a_walk_in_in_spanish(page):
    register_book_and_check_in(page, "es-mx", "desktop")


@pytest.mark.django_db(transaction=True)
def test_reception_does_it_on_a_phone_in_english(phone_page):
    register_book_and_check_in(phone_page, "en", "phone")


@pytest.mark.django_db(transaction=True)
def test_reception_does_it_on_a_phone_in_spanish(phone_page):
    register_book_and_check_in(phone_page, "es-mx", "phone")
