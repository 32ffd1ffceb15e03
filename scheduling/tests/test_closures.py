"""Clinic-wide closures: every doctor's free slots of the day close, booked ones are reported, nothing reopens them."""

from datetime import time, timedelta

import pytest
from django.utils import timezone

from accounts.tests.factories import AdminFactory, DoctorFactory
from records.models import AuditEvent
from scheduling import availability
from scheduling.models import ClinicClosure, Slot, SlotStatus
from scheduling.tests.factories import AppointmentFactory, SlotFactory
from scheduling.tests.helpers import local

pytestmark = pytest.mark.django_db


@pytest.fixture
def holiday():
    return timezone.localdate() + timedelta(days=4)


def test_a_closure_closes_every_doctors_free_slots_that_day_and_keeps_booked_ones(holiday):
    admin = AdminFactory()
    first, second = DoctorFactory(), DoctorFactory()
    SlotFactory(doctor=first, starts_at=local(holiday, 9))
    SlotFactory(doctor=second, starts_at=local(holiday, 23, 30))
    booked = AppointmentFactory(slot__doctor=second, slot__starts_at=local(holiday, 10))
    day_before = SlotFactory(doctor=first, starts_at=local(holiday - timedelta(days=1), 23, 30))
    day_after = SlotFactory(doctor=first, starts_at=local(holiday + timedelta(days=1), 0, 0))

    result = availability.close_clinic(day=holiday, name="Día de la Revolución", created_by=admin)

    assert result.removed == 2
    assert result.kept_appointments == [booked]
    assert set(Slot.objects.all()) == {booked.slot, day_before, day_after}
    assert result.closure.created_by == admin
    event = AuditEvent.objects.get(action="clinic.closure")
    assert (event.user, event.detail["day"], event.detail["removed_slots"], event.detail["kept_appointments"]) == (
        admin,
        holiday.isoformat(),
        2,
        [booked.pk],
    )


def test_opening_availability_never_reopens_a_closed_day(holiday):
    doctor = DoctorFactory()
    availability.close_clinic(day=holiday, name="Asueto", created_by=AdminFactory())

    result = availability.open_slots(
        doctor=doctor,
        start_date=holiday - timedelta(days=1),
        end_date=holiday + timedelta(days=1),
        weekdays=range(7),
        start_time=time(9),
        end_time=time(10),
        slot_minutes=30,
    )

    assert (result.opened, result.skipped_closed) == (4, 2)
    opened_days = {timezone.localdate(s) for s in Slot.objects.values_list("starts_at", flat=True)}
    assert opened_days == {holiday - timedelta(days=1), holiday + timedelta(days=1)}


def test_opening_availability_never_reopens_a_blocked_day(holiday):
    doctor = DoctorFactory()
    SlotFactory(doctor=doctor, starts_at=local(holiday, 9))
    availability.block_day(doctor=doctor, day=holiday)

    result = availability.open_slots(
        doctor=doctor,
        start_date=holiday,
        end_date=holiday,
        weekdays=range(7),
        start_time=time(9),
        end_time=time(10),
        slot_minutes=30,
    )

    assert (result.opened, result.skipped_closed) == (0, 2)
    assert not Slot.objects.filter(doctor=doctor).exists()


def test_another_doctors_block_does_not_stop_this_doctor_opening(holiday):
    doctor, other = DoctorFactory(), DoctorFactory()
    availability.block_day(doctor=other, day=holiday)

    result = availability.open_slots(
        doctor=doctor,
        start_date=holiday,
        end_date=holiday,
        weekdays=range(7),
        start_time=time(9),
        end_time=time(10),
        slot_minutes=30,
    )

    assert result.opened == 2


def test_unblocking_skips_closed_slots_that_have_started_since(holiday):
    doctor = DoctorFactory()
    today = timezone.localdate()
    availability.block_day(doctor=doctor, day=today)
    started = timezone.now() - timedelta(minutes=5)
    later = timezone.now() + timedelta(minutes=30)
    doctor.blocked_days.update(
        closed_slots=[
            [started.isoformat(), (started + timedelta(minutes=30)).isoformat()],
            [later.isoformat(), (later + timedelta(minutes=30)).isoformat()],
        ]
    )

    reopened = availability.unblock_day(doctor=doctor, day=today)

    assert reopened == 1
    assert list(Slot.objects.filter(doctor=doctor).values_list("starts_at", flat=True)) == [later]


def test_blocking_twice_remembers_every_slot_either_block_closed(holiday):
    doctor = DoctorFactory()
    SlotFactory(doctor=doctor, starts_at=local(holiday, 9))
    availability.block_day(doctor=doctor, day=holiday)
    # A slot that slipped in meanwhile (admin, an old form): a second block closes it too.
    SlotFactory(doctor=doctor, starts_at=local(holiday, 11))
    availability.block_day(doctor=doctor, day=holiday)

    assert availability.unblock_day(doctor=doctor, day=holiday) == 2
    assert Slot.objects.filter(doctor=doctor, status=SlotStatus.OPEN).count() == 2


def test_admin_adds_a_closure_through_the_service_and_sees_the_appointments_kept(client, holiday):
    admin = AdminFactory()
    client.force_login(admin)
    doctor = DoctorFactory(first_name="Ana", last_name="Pech")
    SlotFactory(doctor=doctor, starts_at=local(holiday, 9))
    AppointmentFactory(
        slot__doctor=doctor, slot__starts_at=local(holiday, 10), patient__first_name="Rosa", patient__last_name="Uc"
    )

    response = client.post(
        "/admin/scheduling/clinicclosure/add/", {"day": holiday.isoformat(), "name": "Asueto"}, follow=True
    )

    assert response.status_code == 200
    closure = ClinicClosure.objects.get()
    assert (closure.day, closure.name, closure.created_by) == (holiday, "Asueto", admin)
    assert Slot.objects.filter(status=SlotStatus.OPEN).count() == 0
    text = [str(message) for message in response.context["messages"]]
    print(text)
    assert "1 free slot closed." in text
    assert (
        "1 appointment that day was kept and still takes place unless you cancel it: 10:00 Ana Pech — Rosa Uc" in text
    )


def test_admin_cannot_add_two_closures_on_one_day(client, holiday):
    client.force_login(AdminFactory())
    ClinicClosure.objects.create(day=holiday, name="Asueto")

    response = client.post("/admin/scheduling/clinicclosure/add/", {"day": holiday.isoformat(), "name": "Otro"})

    assert response.status_code == 200
    assert ClinicClosure.objects.count() == 1


def test_the_closure_admin_speaks_spanish(client):
    from django.utils import translation

    client.force_login(AdminFactory())

    with translation.override("es-mx"):
        response = client.get("/admin/scheduling/clinicclosure/add/", headers={"accept-language": "es-mx"})

    assert response.status_code == 200
    assert "cierre de la clínica" in response.content.decode().lower()
