"""The doctor page and directory from the cache: what a hit costs; every schedule write shows after commit."""

from datetime import time, timedelta
from decimal import Decimal

import pytest
from django.db import transaction
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.formats import date_format

from accounts import services as account_services
from accounts.tests.factories import AdminFactory, DoctorFactory, PatientFactory
from medly.tests.test_healthz import DEAD_REDIS
from scheduling import availability, page_cache, services
from scheduling.models import SlotStatus
from scheduling.tests.factories import AppointmentFactory, SlotFactory, SpecialtyFactory
from scheduling.tests.helpers import days_ahead
from waitlist import services as waitlist_services
from waitlist.tests.helpers import waiting

pytestmark = pytest.mark.django_db

DIRECTORY_URL = reverse("scheduling:directory")
HTMX = {"HX-Request": "true"}


def doctor_url(doctor):
    return reverse("scheduling:doctor", args=[doctor.pk])


def book_link(slot):
    return f'href="{reverse("scheduling:book", args=[slot.pk])}"'


def card_time(slot):
    return date_format(timezone.localtime(slot.starts_at), "DATETIME_FORMAT")


@pytest.fixture
def doctor():
    doctor = DoctorFactory(first_name="Lucía", last_name="Chablé")
    doctor.doctor_profile.specialties.set([SpecialtyFactory(name="Cardiología")])
    return doctor


@pytest.fixture
def first(doctor):
    return SlotFactory(doctor=doctor, starts_at=days_ahead(1, 9))


@pytest.fixture
def second(doctor):
    return SlotFactory(doctor=doctor, starts_at=days_ahead(2, 9))


# --- What a page costs -------------------------------------------------------------------------


def test_an_anonymous_doctor_page_costs_three_queries_on_a_miss_and_none_on_a_hit(
    client, doctor, first, second, django_assert_num_queries
):
    # The doctor with profile, their specialties, their open slots.
    with django_assert_num_queries(3):
        missed = client.get(doctor_url(doctor))
    with django_assert_num_queries(0):
        hit = client.get(doctor_url(doctor))

    for response in (missed, hit):
        assert book_link(first) in response.text and book_link(second) in response.text


def test_a_patient_pays_only_for_their_own_user_row_on_a_hit(client, doctor, first, django_assert_num_queries):
    client.get(doctor_url(doctor))
    client.force_login(PatientFactory())

    with django_assert_num_queries(1):
        response = client.get(doctor_url(doctor))

    assert book_link(first) in response.text
    assert 'name="csrfmiddlewaretoken"' in response.text  # the waitlist form, built for them


def test_the_directory_costs_the_specialty_menu_on_a_hit_and_nothing_for_htmx(
    client, doctor, first, django_assert_num_queries
):
    # The count, the page of doctors, their specialties; and the specialty menu around them.
    with django_assert_num_queries(4):
        client.get(DIRECTORY_URL, {"q": "chable"})
    with django_assert_num_queries(1):
        whole = client.get(DIRECTORY_URL, {"q": "chable"})
    with django_assert_num_queries(0):
        partial = client.get(DIRECTORY_URL, {"q": "chable"}, headers=HTMX)

    assert card_time(first) in whole.text and card_time(first) in partial.text
    assert "<html" not in partial.text


def test_each_search_filter_and_page_has_its_own_entry(client, doctor, first):
    for n in range(13):
        DoctorFactory(last_name=f"Zapata{n:02d}")

    assert "Lucía Chablé" in client.get(DIRECTORY_URL, {"q": "chable"}).text
    assert "Lucía Chablé" not in client.get(DIRECTORY_URL, {"q": "zapata"}).text
    assert "Lucía Chablé" not in client.get(DIRECTORY_URL, {"specialty": SpecialtyFactory().pk}).text
    assert "Zapata12" not in client.get(DIRECTORY_URL).text
    assert "Zapata12" in client.get(DIRECTORY_URL, {"page": 2}).text


def test_page_links_carry_the_search_not_whatever_else_the_first_visitor_sent(client, first):
    for n in range(13):
        DoctorFactory(last_name=f"Zapata{n:02d}")

    client.get(DIRECTORY_URL, {"q": "zapata", "utm_source": "<b>mail</b>"})
    response = client.get(DIRECTORY_URL, {"q": "zapata"})

    assert 'href="?q=zapata&amp;page=2"' in response.text
    assert "utm_source" not in response.text


def test_each_language_has_its_own_entry(client, doctor, first):
    english = client.get(doctor_url(doctor))
    spanish = client.get(doctor_url(doctor), headers={"Accept-Language": "es-MX"})

    day = timezone.localdate(first.starts_at)
    with translation.override("en"):
        in_english = date_format(day, "DATE_FORMAT")
    with translation.override("es-mx"):
        in_spanish = date_format(day, "DATE_FORMAT")
    assert in_english in english.text and in_spanish not in english.text
    assert in_spanish in spanish.text and in_english not in spanish.text


def test_a_doctor_or_reception_sees_times_not_links_and_a_visitor_links(client, doctor, first):
    anonymous = client.get(doctor_url(doctor))
    client.force_login(DoctorFactory())
    colleague = client.get(doctor_url(doctor))

    assert book_link(first) in anonymous.text
    assert book_link(first) not in colleague.text
    assert date_format(timezone.localtime(first.starts_at), "TIME_FORMAT") in colleague.text


def test_reception_booking_for_a_patient_gets_forms_of_their_own(client, doctor, first):
    client.get(doctor_url(doctor))
    patient = PatientFactory()
    client.force_login(AdminFactory())

    response = client.get(doctor_url(doctor), {"patient": patient.pk})

    assert f'action="{reverse("scheduling:book_for_patient", args=[first.pk])}"' in response.text
    assert f'name="patient" value="{patient.pk}"' in response.text


def test_an_unknown_doctor_is_404_and_nothing_is_cached(client, django_assert_num_queries):
    assert client.get("/doctors/999999/").status_code == 404
    with django_assert_num_queries(1):
        assert client.get("/doctors/999999/").status_code == 404


# --- Time ---------------------------------------------------------------------------------------


def test_a_cached_page_never_offers_a_slot_that_starts_within_its_minute(client, doctor, monkeypatch):
    starts_at = (timezone.now() + timedelta(minutes=10)).replace(second=30, microsecond=0)
    slot = SlotFactory(doctor=doctor, starts_at=starts_at)
    real_now = timezone.now

    assert book_link(slot) in client.get(doctor_url(doctor)).text
    monkeypatch.setattr(timezone, "now", lambda: starts_at - timedelta(seconds=20))
    assert book_link(slot) not in client.get(doctor_url(doctor)).text
    assert card_time(slot) not in client.get(DIRECTORY_URL).text
    monkeypatch.setattr(timezone, "now", real_now)


# --- Every writer, after commit -----------------------------------------------------------------


def shown(client, doctor, slot):
    """(the doctor page offers the slot, the directory card gives it as the next free time)."""
    return book_link(slot) in client.get(doctor_url(doctor)).text, card_time(slot) in client.get(DIRECTORY_URL).text


def committed(django_capture_on_commit_callbacks, write):
    with django_capture_on_commit_callbacks(execute=True):
        return write()


def test_a_booked_slot_is_never_shown_free_after_the_booking_commits(
    client, doctor, first, second, django_capture_on_commit_callbacks
):
    assert shown(client, doctor, first) == (True, True)

    committed(
        django_capture_on_commit_callbacks, lambda: services.book_slot(patient=PatientFactory(), slot_id=first.pk)
    )

    assert shown(client, doctor, first) == (False, False)
    assert shown(client, doctor, second) == (True, True)


def test_a_cancelled_appointment_frees_its_slot_on_both_pages(
    client, doctor, second, django_capture_on_commit_callbacks
):
    appointment = AppointmentFactory(slot__doctor=doctor, slot__starts_at=days_ahead(1, 8))
    assert shown(client, doctor, appointment.slot) == (False, False)

    committed(
        django_capture_on_commit_callbacks,
        lambda: services.cancel_appointment(appointment_id=appointment.pk, actor=appointment.patient),
    )

    assert shown(client, doctor, appointment.slot) == (True, True)


def test_a_moved_appointment_takes_the_new_slot_and_frees_the_old(
    client, doctor, first, second, django_capture_on_commit_callbacks
):
    appointment = AppointmentFactory(slot__doctor=doctor, slot__starts_at=days_ahead(3, 8))
    assert shown(client, doctor, first) == (True, True)

    committed(
        django_capture_on_commit_callbacks,
        lambda: services.reschedule_appointment(
            appointment_id=appointment.pk, new_slot_id=first.pk, actor=appointment.patient
        ),
    )

    assert shown(client, doctor, first) == (False, False)
    assert book_link(appointment.slot) in client.get(doctor_url(doctor)).text


def test_opened_slots_appear(client, doctor, django_capture_on_commit_callbacks):
    day = timezone.localdate() + timedelta(days=1)
    assert "slot-link" not in client.get(doctor_url(doctor)).text

    committed(
        django_capture_on_commit_callbacks,
        lambda: availability.open_slots(
            doctor=doctor,
            start_date=day,
            end_date=day,
            weekdays=[day.weekday()],
            start_time=time(9),
            end_time=time(10),
            slot_minutes=30,
        ),
    )

    assert client.get(doctor_url(doctor)).text.count("slot-link") == 2


@pytest.mark.parametrize(
    "remove",
    [
        lambda doctor, slot: availability.remove_open_slots(doctor=doctor, slot_ids=[slot.pk]),
        lambda doctor, slot: availability.remove_open_range(doctor=doctor, day=timezone.localdate(slot.starts_at)),
        lambda doctor, slot: availability.block_day(doctor=doctor, day=timezone.localdate(slot.starts_at)),
        lambda doctor, slot: availability.close_clinic(
            day=timezone.localdate(slot.starts_at), name="Día festivo", created_by=AdminFactory()
        ),
    ],
    ids=["remove slots", "remove a range", "block a day", "close the clinic"],
)
def test_removed_slots_disappear(client, doctor, first, second, remove, django_capture_on_commit_callbacks):
    assert shown(client, doctor, first) == (True, True)

    committed(django_capture_on_commit_callbacks, lambda: remove(doctor, first))

    assert shown(client, doctor, first) == (False, False)


def test_an_unblocked_day_shows_its_slots_again(client, doctor, first, django_capture_on_commit_callbacks):
    day = timezone.localdate(first.starts_at)
    committed(django_capture_on_commit_callbacks, lambda: availability.block_day(doctor=doctor, day=day))
    assert "slot-link" not in client.get(doctor_url(doctor)).text

    committed(django_capture_on_commit_callbacks, lambda: availability.unblock_day(doctor=doctor, day=day))

    assert client.get(doctor_url(doctor)).text.count("slot-link") == 1


def test_a_slot_held_for_the_waitlist_is_hidden_while_the_offer_lasts(
    client, doctor, first, django_capture_on_commit_callbacks
):
    entry = waiting(doctor)
    assert shown(client, doctor, first) == (True, True)

    offer = committed(django_capture_on_commit_callbacks, lambda: waitlist_services.offer_slot(first.pk))

    assert offer is not None
    assert shown(client, doctor, first) == (False, False)
    committed(
        django_capture_on_commit_callbacks,
        lambda: waitlist_services.decline_offer(patient=entry.patient, offer_id=offer.pk),
    )
    assert shown(client, doctor, first) == (True, True)


def test_a_new_public_profile_shows_on_both_pages(client, doctor, first, django_capture_on_commit_callbacks):
    assert "Cardióloga en Mérida" not in client.get(doctor_url(doctor)).text
    client.get(DIRECTORY_URL)

    committed(
        django_capture_on_commit_callbacks,
        lambda: account_services.update_doctor_public_profile(
            doctor=doctor, bio="Cardióloga en Mérida", consultation_fee=Decimal("850"), languages=["es"]
        ),
    )

    assert "Cardióloga en Mérida" in client.get(doctor_url(doctor)).text
    assert "$850.00 MXN" in client.get(DIRECTORY_URL).text


def test_a_doctor_renamed_in_their_profile_is_renamed_on_both_pages(
    client, doctor, first, django_capture_on_commit_callbacks
):
    client.get(doctor_url(doctor))
    client.get(DIRECTORY_URL)

    committed(
        django_capture_on_commit_callbacks,
        lambda: account_services.update_profile(
            user=doctor, first_name="Lucía", last_name="Chablé Canché", phone="", language="es"
        ),
    )

    assert "Lucía Chablé Canché" in client.get(doctor_url(doctor)).text
    assert "Lucía Chablé Canché" in client.get(DIRECTORY_URL).text


def test_a_new_doctor_joins_the_directory(client, doctor, django_capture_on_commit_callbacks):
    assert "Jorge Canché" not in client.get(DIRECTORY_URL).text

    committed(
        django_capture_on_commit_callbacks,
        lambda: account_services.create_doctor(
            email="jorge@example.test",
            first_name="Jorge",
            last_name="Canché",
            created_by=AdminFactory(is_superuser=True),
        ),
    )

    assert "Jorge Canché" in client.get(DIRECTORY_URL).text


# The safety net: Django admin and any other ORM save.


def test_an_admin_deactivating_a_doctor_takes_them_off_both_pages(
    client, doctor, first, django_capture_on_commit_callbacks
):
    assert client.get(doctor_url(doctor)).status_code == 200
    assert "Lucía Chablé" in client.get(DIRECTORY_URL).text

    def deactivate():
        doctor.is_active = False
        doctor.save()

    committed(django_capture_on_commit_callbacks, deactivate)

    assert client.get(doctor_url(doctor)).status_code == 404
    assert "Lucía Chablé" not in client.get(DIRECTORY_URL).text


def test_a_slot_saved_through_the_orm_shows(client, doctor, first, django_capture_on_commit_callbacks):
    assert shown(client, doctor, first) == (True, True)

    def close_by_hand():
        first.status = SlotStatus.BOOKED
        first.save()

    committed(django_capture_on_commit_callbacks, close_by_hand)

    assert shown(client, doctor, first) == (False, False)


def test_renamed_specialties_and_changed_specialty_lists_show(
    client, doctor, first, django_capture_on_commit_callbacks
):
    cardiology = doctor.doctor_profile.specialties.get()
    client.get(DIRECTORY_URL)

    def rename():
        cardiology.name = "Cardiología clínica"
        cardiology.save()

    committed(django_capture_on_commit_callbacks, rename)
    assert "Cardiología clínica" in client.get(DIRECTORY_URL).text

    committed(
        django_capture_on_commit_callbacks,
        lambda: doctor.doctor_profile.specialties.add(SpecialtyFactory(name="Pediatría")),
    )
    assert "Cardiología clínica, Pediatría" in client.get(doctor_url(doctor)).text


# --- Commit, rollback, outages ------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_a_rolled_back_write_keeps_the_versions_and_a_committed_one_replaces_them(doctor, first):
    scopes = [page_cache.doctor_scope(doctor.pk), page_cache.DIRECTORY_SCOPE]
    before = page_cache.current_versions(scopes)

    with pytest.raises(RuntimeError), transaction.atomic():
        services.book_slot(patient=PatientFactory(), slot_id=first.pk)
        raise RuntimeError("rolled back")

    assert page_cache.current_versions(scopes) == before
    services.book_slot(patient=PatientFactory(), slot_id=first.pk)
    after = page_cache.current_versions(scopes)
    assert after[0] != before[0] and after[1] != before[1]


def test_versions_are_random_so_a_lost_one_never_brings_an_old_page_back(doctor):
    scope = [page_cache.doctor_scope(doctor.pk)]
    seen = set()
    for _ in range(20):
        (token,) = page_cache.current_versions(scope)
        seen.add(token)
        page_cache.cache.delete(f"schedule-version:{scope[0]}")  # evicted

    assert len(seen) == 20


def test_with_redis_down_the_pages_still_answer(client, settings, doctor, first):
    settings.CACHES = DEAD_REDIS

    assert book_link(first) in client.get(doctor_url(doctor)).text
    assert card_time(first) in client.get(DIRECTORY_URL).text


def test_with_redis_down_a_booking_still_commits(settings, doctor, first, django_capture_on_commit_callbacks, caplog):
    settings.CACHES = DEAD_REDIS

    appointment = committed(
        django_capture_on_commit_callbacks, lambda: services.book_slot(patient=PatientFactory(), slot_id=first.pk)
    )

    assert appointment.pk is not None
    assert "schedule change listener" in caplog.text
