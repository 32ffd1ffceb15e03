import datetime
import io
from collections import Counter

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command
from django.db import transaction
from django.db.models import Count

from accounts.models import DoctorProfile, PatientProfile, PrivacyConsent, Role, User, UserSearchWord
from accounts.tests.factories import PatientFactory
from medly import scale_data
from medly.text import fold_for_search
from records import repository
from records.models import AuditEvent, Operation, OperationKind, OperationState, RecordChainHead
from scheduling import queries
from scheduling.models import LIVE_STATUSES, Appointment, AppointmentStatus, Slot, SlotStatus

pytestmark = pytest.mark.django_db

TODAY = datetime.date(2026, 12, 7)
SIZES = ["--patients", "60", "--doctors", "4", "--slots", "400", "--appointments", "150"]


def seed(*extra):
    call_command("seed_scale", *SIZES, "--seed", "7", "--today", TODAY.isoformat(), *extra, stdout=io.StringIO())


class RolledBack(Exception):
    pass


def snapshot():
    """Every generated row and document, in a comparable form (the one password hash has a fresh salt each run)."""
    generated = User.objects.filter(email__endswith=f"@{scale_data.GENERATED_DOMAIN}").defer("password")
    fields = [field.attname for field in User._meta.concrete_fields if field.attname != "password"]
    return {
        "users": list(generated.order_by("pk").values_list(*fields)),
        "patients": list(PatientProfile.objects.order_by("pk").values_list()),
        "doctors": list(
            DoctorProfile.objects.order_by("pk", "specialties__name").values_list(
                "pk", "user_id", "languages", "bio", "specialties__name"
            )
        ),
        "slots": list(Slot.objects.order_by("pk").values_list()),
        "appointments": list(Appointment.objects.order_by("pk").values_list()),
        "operations": list(Operation.objects.order_by("pk").values_list()),
        "audit": list(AuditEvent.objects.order_by("pk").values_list()),
        "heads": list(RecordChainHead.objects.order_by("pk").values_list()),
        "records": sorted(repository.list_record_patient_ids()),
        "encounters": list(repository.final_encounters_by_patient()),
    }


def empty_mongo():
    # Only to reset the store between the two runs, like conftest does between tests.
    database = repository._database()
    for name in database.list_collection_names():
        database[name].delete_many({})


def test_generates_the_sizes_asked_for_with_every_invariant_and_check_consistency_agrees():
    seed()

    assert User.objects.filter(role=Role.PATIENT).count() == 60
    assert User.objects.filter(role=Role.DOCTOR).count() == 4
    assert Slot.objects.count() == 400
    assert Appointment.objects.count() == 150
    statuses = Counter(Appointment.objects.values_list("status", flat=True))
    assert set(statuses) <= {"completed", "no_show", "cancelled", "scheduled"}
    assert statuses["completed"] and statuses["scheduled"]

    # People as registration makes them: profile, consent, a done create_record operation, a record document.
    patients = User.objects.filter(role=Role.PATIENT)
    assert PatientProfile.objects.count() == PrivacyConsent.objects.count() == 60
    assert Operation.objects.filter(kind=OperationKind.CREATE_RECORD, state=OperationState.DONE).count() == 60
    assert sorted(repository.list_record_patient_ids()) == sorted(patients.values_list("pk", flat=True))
    assert all(
        user.search_text == fold_for_search(f"{user.first_name} {user.last_name} {user.email}")
        for user in User.objects.all()
    )
    assert DoctorProfile.objects.annotate(n=Count("specialties")).filter(n=0).count() == 0

    # A slot is booked exactly when an appointment that is not cancelled holds it.
    holding = set(Appointment.objects.exclude(status=AppointmentStatus.CANCELLED).values_list("slot_id", flat=True))
    assert set(Slot.objects.filter(status=SlotStatus.BOOKED).values_list("pk", flat=True)) == holding
    for appointment in Appointment.objects.all():
        expected = appointment.slot_id if appointment.status in LIVE_STATUSES else None
        assert appointment.live_slot_id == expected
        assert appointment.status != AppointmentStatus.COMPLETED or len(appointment.encounter_id) == 24

    # No patient holds two live appointments at one time, nor more future ones than allowed.
    live = Appointment.objects.filter(status__in=LIVE_STATUSES)
    assert not live.values("patient", "starts_at").annotate(n=Count("pk")).filter(n__gt=1).exists()
    start_of_today = datetime.datetime.combine(TODAY, datetime.time(0), datetime.UTC)
    future = live.filter(starts_at__gte=start_of_today).values("patient").annotate(n=Count("pk"))
    assert max(row["n"] for row in future) <= settings.MAX_FUTURE_APPOINTMENTS

    # Encounters, chains and records agree: check_consistency exits 0.
    call_command("check_consistency", stdout=io.StringIO())


def test_two_runs_with_one_seed_and_day_give_identical_rows_and_documents():
    try:
        with transaction.atomic():
            seed()
            first = snapshot()
            raise RolledBack
    except RolledBack:
        pass
    empty_mongo()
    assert not User.objects.exists()

    seed()

    assert snapshot() == first


def test_refuses_a_database_with_people_a_clinic_registered_unless_forced():
    PatientFactory()

    with pytest.raises(CommandError, match="real clinic"):
        seed()
    assert not Slot.objects.exists()

    seed("--force")
    assert Slot.objects.count() == 400


def test_refuses_to_generate_twice_into_one_database():
    seed()

    with pytest.raises(CommandError, match="already holds generated data"):
        seed()
    assert Slot.objects.count() == 400


@pytest.mark.parametrize(
    "sizes",
    [["--doctors", "0"], ["--slots", "10"], ["--appointments", "300"], ["--completed-share", "2"]],
)
def test_refuses_sizes_it_cannot_honour(sizes):
    with pytest.raises(CommandError):
        call_command("seed_scale", *SIZES, *sizes)
    assert not User.objects.exists()


def test_generated_people_are_found_by_the_search_index_as_saved_ones_are():
    seed()

    for user in User.objects.all():
        stored = sorted(UserSearchWord.objects.filter(user=user).values_list("kind", "word"))
        assert stored == [(row.kind, row.word) for row in UserSearchWord.rows_for(user)]
    patient = User.objects.filter(role=Role.PATIENT).order_by("pk").last()
    assert patient in queries.find_patients(f"{patient.last_name.split()[0]} {patient.first_name}")
    assert patient in queries.find_patients(patient.email)
