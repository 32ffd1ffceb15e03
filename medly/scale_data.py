"""Generated data at a clinic network's size (``manage.py seed_scale``), deterministic for a seed and a day.

Everything is written in bulk: multi-row INSERTs through ``executemany`` in a few
transactions, MongoDB ``insert_many`` in batches, one password hash for every
generated account. The rows are the ones the services would have written:

- a patient is a user (``search_text`` folded like ``User.save``), a profile, an
  online privacy consent, a ``create_record`` operation (done) with its audit
  event, and one ``records`` document;
- a doctor is a user, a profile with one or two specialties and languages;
- slots are a 30-minute grid, Monday to Saturday, one five-hour shift per doctor
  (three shifts, so doctors do not all work the same hours), from some months
  back to some months ahead of ``today``;
- an appointment takes one slot. Before ``today``: completed, no-show or cancelled;
  from ``today`` on: scheduled or cancelled. A live appointment (scheduled,
  completed) holds ``live_slot``; its slot, and a no-show's, is booked; a
  cancelled one's slot is open. A patient never holds two live appointments at
  one time, nor more than ``FUTURE_PER_PATIENT`` future ones;
- a completed appointment has its close operation (done), its audit event, and a
  ``final`` encounter linked into the patient's record chain (records/chain.py),
  whose head is written to ``RecordChainHead``.

Generated people have e-mail addresses at ``GENERATED_DOMAIN``: that is how the
command recognises a database it may add to (see ``foreign_people``).
"""

import datetime
import json
import random
import time
import zoneinfo
from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.db import connection, transaction
from django.db.models import Max

from accounts import search_words
from accounts.models import (
    ConsentChannel,
    DoctorProfile,
    PatientProfile,
    PrivacyConsent,
    Role,
    Sex,
    User,
    UserSearchWord,
)
from medly.text import fold_for_search
from records import audit, chain, repository
from records.models import GENESIS_HASH, AuditEvent, Operation, OperationKind, OperationState, RecordChainHead
from scheduling.models import Appointment, AppointmentStatus, Slot, SlotStatus, Specialty

GENERATED_DOMAIN = "scale.medly.test"
DEMO_DOMAIN = "medly.test"
GENERATED_PASSWORD = "medly-scale-2026"  # noqa: S105 (published password of generated accounts)
SLOT_MINUTES = 30
SLOTS_PER_DAY = 10
SHIFT_STARTS = (datetime.time(8, 0), datetime.time(11, 0), datetime.time(15, 0))
PAST_SHARE = 0.6  # of each doctor's working days, before today
FUTURE_SHARE_OF_APPOINTMENTS = 0.25
FUTURE_PER_PATIENT = 2
ROW_BATCH = 5_000
MONGO_BATCH = 200

FIRST_NAMES = (
    "María José Juan Ana Luis Carmen Jorge Rosa Pedro Laura Miguel Sofía Carlos Elena Javier Lucía Manuel Isabel "
    "Ricardo Teresa Fernando Patricia Alejandro Gabriela Raúl Verónica Sergio Daniela Andrés Mariana Héctor "
    "Adriana Armando Claudia Rubén Leticia Ángel Beatriz Óscar Fátima"
).split()
LAST_NAMES = (
    "Pérez López García Hernández Martínez González Rodríguez Sánchez Ramírez Cruz Flores Gómez Chan Canul Pech "
    "May Poot Dzul Uc Ek Cauich Tun Couoh Balam Caamal Moo Novelo Cetina Ávila Peniche Solís Rivero Herrera "
    "Medina Castillo Ortiz Vázquez Núñez Ibarra Zapata"
).split()
DIAGNOSES = (
    ("J00", "Rinofaringitis aguda"),
    ("I10", "Hipertensión esencial (primaria)"),
    ("E11.9", "Diabetes mellitus tipo 2 sin complicaciones"),
    ("K29.7", "Gastritis, no especificada"),
    ("M54.5", "Lumbago no especificado"),
    ("N39.0", "Infección de vías urinarias, sitio no especificado"),
    ("L20.9", "Dermatitis atópica, no especificada"),
    ("R51", "Cefalea"),
)
DRUGS = (
    ("Paracetamol", "500 mg", "oral", "cada 8 horas", "3 días"),
    ("Ibuprofeno", "400 mg", "oral", "cada 8 horas", "5 días"),
    ("Losartán", "50 mg", "oral", "cada 24 horas", "30 días"),
    ("Metformina", "850 mg", "oral", "cada 12 horas", "30 días"),
    ("Omeprazol", "20 mg", "oral", "cada 24 horas", "14 días"),
)
ALLERGIES = ("penicilina", "sulfas", "ácido acetilsalicílico", "látex", "mariscos")
LANGUAGES = ("es", "en", "yua", "fr")
INSTITUTIONS = ("Universidad Autónoma de Yucatán", "UNAM", "Universidad Anáhuac Mayab", "IPN")


@dataclass(frozen=True)
class Sizes:
    patients: int = 100_000
    doctors: int = 500
    slots: int = 1_000_000
    appointments: int = 200_000
    completed_share: float = 0.7  # of past appointments; the rest no-show and cancelled

    def problems(self):
        found = []
        if min(self.patients, self.doctors) < 1:
            found.append("at least one patient and one doctor")
        if self.slots < self.doctors * SLOTS_PER_DAY:
            found.append(f"at least {SLOTS_PER_DAY} slots per doctor")
        if not 0 <= self.appointments <= self.slots // 2:
            found.append("at most half as many appointments as slots")
        return found


def foreign_people():
    """How many users neither generated here nor made by seed_demo: people a real clinic registered."""
    return (
        User.objects.exclude(email__iendswith=f"@{GENERATED_DOMAIN}")
        .exclude(email__iendswith=f"@{DEMO_DOMAIN}")
        .count()
    )


def already_generated():
    return User.objects.filter(email__iendswith=f"@{GENERATED_DOMAIN}").exists()


def _db_datetime(moment):
    return connection.ops.adapt_datetimefield_value(moment)


def _db_date(day):
    return connection.ops.adapt_datefield_value(day)


class Writer:
    """Multi-row INSERTs of every concrete column: the ones given, and each other column's default."""

    def __init__(self, report):
        self.report = report

    def insert(self, model, columns, rows):
        fields = {field.attname: field for field in model._meta.concrete_fields}
        unknown = set(columns) - set(fields)
        if unknown:
            raise ValueError(f"{model.__name__} has no column {', '.join(sorted(unknown))}")
        rest = [field for name, field in fields.items() if name not in columns]
        defaults = tuple(field.get_db_prep_save(field.get_default(), connection) for field in rest)
        names = [fields[name].column for name in columns] + [field.column for field in rest]
        quote = connection.ops.quote_name
        # Table and column names come from the models, quoted; every value is a parameter.
        sql = "INSERT INTO {} ({}) VALUES ({})".format(  # noqa: S608
            quote(model._meta.db_table), ", ".join(quote(name) for name in names), ", ".join(["%s"] * len(names))
        )
        count = 0
        batch = []
        with connection.cursor() as cursor:
            for row in rows:
                batch.append((*row, *defaults))
                if len(batch) >= ROW_BATCH:
                    cursor.executemany(sql, batch)
                    count += len(batch)
                    batch = []
            if batch:
                cursor.executemany(sql, batch)
                count += len(batch)
        self.report(f"  {model._meta.db_table}: {count:,} rows")
        return count


def _next_id(model):
    return (model.objects.aggregate(top=Max("pk"))["top"] or 0) + 1


class Generator:
    def __init__(self, *, sizes, seed, today, documents=True, report=print):
        self.sizes = sizes
        self.documents = documents
        self.seed = seed
        self.today = today
        self.report = report
        self.zone = zoneinfo.ZoneInfo(settings.TIME_ZONE)
        self.writer = Writer(report)
        self.started = time.monotonic()
        # Midnight of the day before `today`, clinic time: when every generated account was made.
        self.joined_at = datetime.datetime.combine(today - datetime.timedelta(days=400), datetime.time(9), self.zone)

    def step(self, message):
        self.report(f"[{time.monotonic() - self.started:7.1f} s] {message}")

    def run(self):
        rng = random.Random(self.seed)  # noqa: S311 (reproducible data, not secrets)
        specialties = list(Specialty.objects.order_by("pk").values_list("pk", flat=True))
        if not specialties:
            specialties = [
                specialty.pk for specialty in Specialty.objects.bulk_create([Specialty(name="Medicina General")])
            ]
        password = make_password(GENERATED_PASSWORD)
        with transaction.atomic():
            self.step(f"{self.sizes.doctors:,} doctors")
            doctor_ids = self._doctors(rng, password, specialties)
            self.step(f"{self.sizes.patients:,} patients")
            patient_ids, records = self._patients(rng, password)
        if self.documents:
            self.step("patients' record documents (MongoDB)")
        for start in range(0, len(records) if self.documents else 0, MONGO_BATCH):
            repository.insert_records_bulk(records[start : start + MONGO_BATCH])
        del records
        with transaction.atomic():
            self.step(f"{self.sizes.slots:,} slots and {self.sizes.appointments:,} appointments")
            completed = self._schedule(rng, doctor_ids, patient_ids)
        self.step(f"{len(completed):,} closed consultations: record chains, operations, encounters")
        encounters = self._consultations(rng, completed, doctor_ids)
        for start in range(0, len(encounters) if self.documents else 0, MONGO_BATCH):
            repository.insert_encounters_bulk(encounters[start : start + MONGO_BATCH])
        self.step("done")
        return time.monotonic() - self.started

    # --- people -----------------------------------------------------------------

    def _user_row(self, user_id, email, first, last, role, phone, language, password):
        return (
            user_id,
            email,
            first,
            last,
            role,
            phone,
            True,
            _db_datetime(self.joined_at),
            language,
            fold_for_search(f"{first} {last} {email}"),
            password,
            role == Role.ADMIN,
        )

    USER_COLUMNS = (
        "id",
        "email",
        "first_name",
        "last_name",
        "role",
        "phone",
        "is_active",
        "date_joined",
        "language",
        "search_text",
        "password",
        "is_superuser",
    )

    def _insert_users(self, users):
        """The users and the words they are found by (what ``User.save`` writes to the search index)."""
        self.writer.insert(User, self.USER_COLUMNS, users)
        columns = {name: index for index, name in enumerate(self.USER_COLUMNS)}
        self.writer.insert(
            UserSearchWord,
            ("user_id", "kind", "word"),
            (
                (row[columns["id"]], kind, word)
                for row in users
                for kind, word in sorted(
                    search_words.search_words(
                        first_name=row[columns["first_name"]],
                        last_name=row[columns["last_name"]],
                        email=row[columns["email"]],
                        phone=row[columns["phone"]],
                    )
                )
            ),
        )

    def _doctors(self, rng, password, specialties):
        first_id = _next_id(User)
        profile_id = _next_id(DoctorProfile)
        users, profiles, links = [], [], []
        for index in range(self.sizes.doctors):
            user_id = first_id + index
            first, last = rng.choice(FIRST_NAMES), f"{rng.choice(LAST_NAMES)} {rng.choice(LAST_NAMES)}"
            email = f"doctor{index + 1:04d}@{GENERATED_DOMAIN}"
            users.append(self._user_row(user_id, email, first, last, Role.DOCTOR, "", "es", password))
            languages = ["es"] + rng.sample(LANGUAGES[1:], rng.randint(0, 2))
            profiles.append(
                (
                    profile_id + index,
                    user_id,
                    f"{10_000_000 + index}",
                    rng.choice(INSTITUTIONS),
                    f"Médico con {rng.randint(3, 30)} años de experiencia en Yucatán.",
                    f"{rng.randrange(400, 1500, 50)}.00",
                    json.dumps(languages),
                )
            )
            for specialty_id in rng.sample(specialties, min(len(specialties), rng.choice((1, 1, 2)))):
                links.append((profile_id + index, specialty_id))
        self._insert_users(users)
        self.writer.insert(
            DoctorProfile,
            ("id", "user_id", "license_number", "degree_institution", "bio", "consultation_fee", "languages"),
            profiles,
        )
        self.writer.insert(DoctorProfile.specialties.through, ("doctorprofile_id", "specialty_id"), links)
        return [first_id + index for index in range(self.sizes.doctors)]

    def _patients(self, rng, password):
        first_id = _next_id(User)
        profile_id, consent_id = _next_id(PatientProfile), _next_id(PrivacyConsent)
        operation_id, audit_id = _next_id(Operation), _next_id(AuditEvent)
        joined = _db_datetime(self.joined_at)
        users, profiles, consents, operations, events, records = [], [], [], [], [], []
        for index in range(self.sizes.patients):
            user_id = first_id + index
            first, last = rng.choice(FIRST_NAMES), f"{rng.choice(LAST_NAMES)} {rng.choice(LAST_NAMES)}"
            email = f"patient{index + 1:06d}@{GENERATED_DOMAIN}"
            phone = f"999{rng.randrange(10**7):07d}"
            users.append(
                self._user_row(user_id, email, first, last, Role.PATIENT, phone, rng.choice(("es", "en")), password)
            )
            born = self.today - datetime.timedelta(days=rng.randrange(365, 365 * 90))
            profiles.append((profile_id + index, user_id, _db_date(born), rng.choice(Sex.values)))
            consents.append(
                (consent_id + index, user_id, settings.PRIVACY_NOTICE_VERSION, joined, ConsentChannel.ONLINE)
            )
            blood_type = rng.choice(("", *repository.BLOOD_TYPES))
            allergies = rng.sample(ALLERGIES, rng.choice((0, 0, 0, 1, 2)))
            payload = {"blood_type": blood_type, "allergies": allergies}
            operations.append(
                (
                    operation_id + index,
                    OperationKind.CREATE_RECORD,
                    OperationState.DONE,
                    user_id,
                    json.dumps(payload),
                    joined,
                    joined,
                )
            )
            detail = {"operation": operation_id + index, "after": payload}
            events.append(
                (audit_id + index, user_id, Role.PATIENT, audit.RECORD_CREATE, user_id, json.dumps(detail), joined)
            )
            records.append(
                {
                    "patient_id": user_id,
                    "blood_type": blood_type,
                    "allergies": allergies,
                    "version": 1,
                    "created_at": self.joined_at,
                }
            )
        self._insert_users(users)
        self.writer.insert(PatientProfile, ("id", "user_id", "date_of_birth", "sex"), profiles)
        self.writer.insert(PrivacyConsent, ("id", "user_id", "notice_version", "accepted_at", "channel"), consents)
        self.writer.insert(
            Operation, ("id", "kind", "state", "patient_id", "payload", "created_at", "updated_at"), operations
        )
        self.writer.insert(
            AuditEvent, ("id", "user_id", "role", "action", "patient_id", "detail", "created_at"), events
        )
        return [first_id + index for index in range(self.sizes.patients)], records

    # --- slots and appointments -------------------------------------------------

    def _working_days(self, count):
        """``count`` consecutive Monday-to-Saturday dates, PAST_SHARE of them before today."""
        past = round(count * PAST_SHARE)
        before, day = [], self.today
        while len(before) < past:
            day -= datetime.timedelta(days=1)
            if day.weekday() != 6:
                before.append(day)
        after, day = [], self.today
        while len(after) < count - past:
            if day.weekday() != 6:
                after.append(day)
            day += datetime.timedelta(days=1)
        return [*reversed(before), *after], past

    def _schedule(self, rng, doctor_ids, patient_ids):
        sizes = self.sizes
        per_doctor = [
            sizes.slots // sizes.doctors + (1 if i < sizes.slots % sizes.doctors else 0) for i in range(sizes.doctors)
        ]
        days, past_days = self._working_days(-(-max(per_doctor) // SLOTS_PER_DAY))
        starts = {}  # (shift, day index, slot of day) -> aware UTC start

        def start_of(shift, day_index, slot_of_day):
            key = (shift, day_index, slot_of_day)
            if key not in starts:
                local = datetime.datetime.combine(days[day_index], SHIFT_STARTS[shift], self.zone)
                starts[key] = (local + datetime.timedelta(minutes=SLOT_MINUTES * slot_of_day)).astimezone(datetime.UTC)
            return starts[key]

        first_slot = _next_id(Slot)
        offsets = [0]
        for count in per_doctor:
            offsets.append(offsets[-1] + count)

        def locate(number):
            """(doctor index, k-th slot of that doctor) of the number-th generated slot."""
            low, high = 0, len(per_doctor) - 1
            while low < high:
                middle = (low + high + 1) // 2
                if offsets[middle] <= number:
                    low = middle
                else:
                    high = middle - 1
            return low, number - offsets[low]

        # Which slots get an appointment: a quarter of them in the future, the rest in the past.
        future_wanted = round(sizes.appointments * FUTURE_SHARE_OF_APPOINTMENTS)
        past_numbers, future_numbers = [], []
        for doctor_index, count in enumerate(per_doctor):
            boundary = offsets[doctor_index] + min(count, past_days * SLOTS_PER_DAY)
            past_numbers.append(range(offsets[doctor_index], boundary))
            future_numbers.append(range(boundary, offsets[doctor_index + 1]))
        past_pool = [n for block in past_numbers for n in block]
        future_pool = [n for block in future_numbers for n in block]
        future_wanted = min(future_wanted, len(future_pool))
        chosen = sorted(
            rng.sample(past_pool, sizes.appointments - future_wanted) + rng.sample(future_pool, future_wanted)
        )
        del past_pool, future_pool

        busy = set()  # (patient index, start) of live appointments
        future_count = {}
        statuses = {}  # slot number -> (status, patient index)
        for number in chosen:
            doctor_index, k = locate(number)
            day_index, slot_of_day = divmod(k, SLOTS_PER_DAY)
            moment = start_of(doctor_index % len(SHIFT_STARTS), day_index, slot_of_day)
            future = day_index >= past_days
            roll = rng.random()
            if future:
                status = AppointmentStatus.CANCELLED if roll < 0.15 else AppointmentStatus.SCHEDULED
            elif roll < sizes.completed_share:
                status = AppointmentStatus.COMPLETED
            elif roll < sizes.completed_share + (1 - sizes.completed_share) / 2:
                status = AppointmentStatus.NO_SHOW
            else:
                status = AppointmentStatus.CANCELLED
            # Some patients come often, most rarely: a skewed pick, retried past any clash.
            for _attempt in range(50):
                patient = int(len(patient_ids) * rng.random() ** 1.6)
                if status == AppointmentStatus.CANCELLED:
                    break
                if (patient, moment) in busy:
                    continue
                if future and future_count.get(patient, 0) >= FUTURE_PER_PATIENT:
                    continue
                break
            else:
                status = AppointmentStatus.CANCELLED
            if status != AppointmentStatus.CANCELLED:
                busy.add((patient, moment))
                if future:
                    future_count[patient] = future_count.get(patient, 0) + 1
            statuses[number] = (status, patient)
        del busy

        booked = {number for number, (status, _patient) in statuses.items() if status != AppointmentStatus.CANCELLED}

        def slot_rows():
            for number in range(sizes.slots):
                doctor_index, k = locate(number)
                day_index, slot_of_day = divmod(k, SLOTS_PER_DAY)
                moment = start_of(doctor_index % len(SHIFT_STARTS), day_index, slot_of_day)
                yield (
                    first_slot + number,
                    doctor_ids[doctor_index],
                    _db_datetime(moment),
                    _db_datetime(moment + datetime.timedelta(minutes=SLOT_MINUTES)),
                    SlotStatus.BOOKED if number in booked else SlotStatus.OPEN,
                )

        self.writer.insert(Slot, ("id", "doctor_id", "starts_at", "ends_at", "status"), slot_rows())

        first_appointment = _next_id(Appointment)
        completed = []

        def appointment_rows():
            for position, number in enumerate(chosen):
                status, patient = statuses[number]
                doctor_index, k = locate(number)
                day_index, slot_of_day = divmod(k, SLOTS_PER_DAY)
                moment = start_of(doctor_index % len(SHIFT_STARTS), day_index, slot_of_day)
                ends = moment + datetime.timedelta(minutes=SLOT_MINUTES)
                appointment_id = first_appointment + position
                patient_id, doctor_id = patient_ids[patient], doctor_ids[doctor_index]
                slot_id = first_slot + number
                booked_at = moment - datetime.timedelta(days=1 + (appointment_id % 20), hours=appointment_id % 7)
                cancelled = status == AppointmentStatus.CANCELLED
                encounter_id = ""
                if status == AppointmentStatus.COMPLETED:
                    encounter_id = f"{int(ends.timestamp()):08x}{appointment_id:016x}"
                    completed.append((appointment_id, patient_id, doctor_id, moment, ends, encounter_id))
                yield (
                    appointment_id,
                    slot_id,
                    None if cancelled or status == AppointmentStatus.NO_SHOW else slot_id,
                    patient_id,
                    doctor_id,
                    _db_datetime(moment),
                    _db_datetime(ends),
                    status,
                    encounter_id,
                    patient_id,
                    _db_datetime(booked_at),
                    _db_datetime(booked_at + datetime.timedelta(hours=2)) if cancelled else None,
                    patient_id if cancelled else None,
                    _db_datetime(moment - datetime.timedelta(minutes=10))
                    if status in (AppointmentStatus.COMPLETED,)
                    else None,
                    _db_datetime(moment) if status == AppointmentStatus.COMPLETED else None,
                )

        self.writer.insert(
            Appointment,
            (
                "id",
                "slot_id",
                "live_slot_id",
                "patient_id",
                "doctor_id",
                "starts_at",
                "ends_at",
                "status",
                "encounter_id",
                "booked_by_id",
                "created_at",
                "cancelled_at",
                "cancelled_by_id",
                "checked_in_at",
                "consultation_opened_at",
            ),
            appointment_rows(),
        )
        return completed

    # --- closed consultations -----------------------------------------------------

    def _consultations(self, rng, completed, doctor_ids):
        names = dict(User.objects.filter(pk__in=doctor_ids).values_list("pk", "first_name"))
        last_names = dict(User.objects.filter(pk__in=doctor_ids).values_list("pk", "last_name"))
        heads = {}  # patient id -> (sequence, last hash)
        operation_id, audit_id = _next_id(Operation), _next_id(AuditEvent)
        operations, events, encounters = [], [], []
        # A patient's chain follows the order the notes were signed in.
        for position, (appointment_id, patient_id, doctor_id, starts, ends, encounter_id) in enumerate(
            sorted(completed, key=lambda item: (item[4], item[0]))
        ):
            code, diagnosis = rng.choice(DIAGNOSES)
            signed = ends.replace(microsecond=0)
            weight, height = round(rng.uniform(45, 110), 1), round(rng.uniform(150, 190), 1)
            document = {
                "evolution": "Paciente refiere mejoría parcial." if rng.random() < 0.5 else "",
                "physical_exam": "Sin alteraciones relevantes.",
                "results": "",
                "prognosis": "Bueno.",
                "treatment": "Reposo relativo e hidratación.",
                "notes": "",
                "diagnosis": diagnosis,
                "diagnosis_code": code,
                "diagnosis_code_description": diagnosis,
                "vitals": {
                    "weight_kg": weight,
                    "height_cm": height,
                    "temperature_c": round(rng.uniform(36.0, 38.5), 1),
                    "systolic": float(rng.randint(100, 150)),
                    "diastolic": float(rng.randint(60, 95)),
                    "heart_rate": float(rng.randint(60, 100)),
                    "respiratory_rate": float(rng.randint(12, 20)),
                    "spo2": None,
                    "glucose_mg_dl": None,
                    "bmi": round(weight / (height / 100) ** 2, 1),
                },
                "prescription": [
                    dict(zip(repository.PRESCRIPTION_FIELDS, line, strict=True))
                    for line in rng.sample(DRUGS, rng.randint(0, 2))
                ],
                "appointment_id": appointment_id,
                "patient_id": patient_id,
                "doctor_id": doctor_id,
                "author": {"id": doctor_id, "name": f"{names[doctor_id]} {last_names[doctor_id]}"},
                "created_at": signed,
                "visit_at": starts,
                "addenda": [],
            }
            sequence, previous = heads.get(patient_id, (0, GENESIS_HASH))
            content = chain.encounter_content({**document, "_id": encounter_id})
            link = chain.link_after(sequence=sequence, previous_hash=previous, kind=chain.ENCOUNTER, content=content)
            heads[patient_id] = (link.sequence, link.hash)
            encounters.append({**document, "_id": encounter_id, "state": "final", "chain": link.as_document()})
            logged = {**document, "created_at": signed.isoformat(), "visit_at": starts.isoformat()}
            when = _db_datetime(signed)
            operations.append(
                (
                    operation_id + position,
                    OperationKind.CLOSE_CONSULTATION,
                    OperationState.DONE,
                    patient_id,
                    appointment_id,
                    appointment_id,
                    encounter_id,
                    json.dumps(logged),
                    link.sequence,
                    link.previous_hash,
                    link.hash,
                    doctor_id,
                    when,
                    when,
                )
            )
            events.append(
                (
                    audit_id + position,
                    doctor_id,
                    Role.DOCTOR,
                    audit.ENCOUNTER_CLOSE,
                    patient_id,
                    encounter_id,
                    "{}",
                    when,
                )
            )
        with transaction.atomic():
            self.writer.insert(
                Operation,
                (
                    "id",
                    "kind",
                    "state",
                    "patient_id",
                    "appointment_id",
                    "live_appointment_id",
                    "encounter_id",
                    "payload",
                    "chain_sequence",
                    "chain_previous_hash",
                    "chain_hash",
                    "author_id",
                    "created_at",
                    "updated_at",
                ),
                operations,
            )
            self.writer.insert(
                AuditEvent,
                ("id", "user_id", "role", "action", "patient_id", "encounter_id", "detail", "created_at"),
                events,
            )
            updated = _db_datetime(datetime.datetime.combine(self.today, datetime.time(0), self.zone))
            self.writer.insert(
                RecordChainHead,
                ("patient_id", "sequence", "last_hash", "updated_at"),
                (
                    (patient_id, sequence, last_hash, updated)
                    for patient_id, (sequence, last_hash) in sorted(heads.items())
                ),
            )
        return encounters
