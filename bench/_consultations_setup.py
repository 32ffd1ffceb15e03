"""Setup of the consultation benchmark: the appointments the doctor will close.

N + D patients sign up and each books one of the demo doctor's latest open
slots; the doctor's week agendas give the appointment ids (the
/appointments/<id>/consultation/ links), matched by day and time, and with
``--database-url`` they are cross-checked against ``scheduling_appointment``.
"""

import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timedelta
from types import SimpleNamespace

from _accounts import log_in, sign_up_patients
from _cli import SetupError, connect_mysql
from _client import Session, doctor_agenda_week, open_slots, own_doctor_id
from _slots import book, open_more_slots

APPOINTMENTS_SQL = "SELECT id, slot_id, status, encounter_id FROM scheduling_appointment WHERE id IN ({ids})"


@dataclass(frozen=True)
class Visit:
    """One appointment of the demo doctor that the run closes."""

    appointment_id: int
    patient_id: int
    slot_id: int
    starts_at: datetime  # the clinic's wall-clock time

    @property
    def path(self):
        return f"/appointments/{self.appointment_id}/consultation/"


def setup(args):
    if args.open_slots:
        open_more_slots(args)
    count = args.consultations + args.double_submits
    patients = sign_up_patients(
        SimpleNamespace(
            prefix=args.prefix,
            patients=count,
            url=args.url,
            timeout=args.timeout,
            concurrency=args.setup_concurrency,
            password=args.password,
        )
    )
    doctor = doctor_sessions(args, 1)[0]
    bookings = book_appointments(args, doctor, patients)
    visits = find_visits(doctor, bookings)
    if args.database_url:
        check_visits_in_database(args.database_url, visits)
    return doctor, visits


def doctor_sessions(args, count):
    sessions = [Session(args.url, timeout=args.timeout) for _ in range(count)]
    log_in(sessions[0], args.doctor_email, args.doctor_password)  # a wrong password fails once
    with ThreadPoolExecutor(min(count, args.setup_concurrency)) as pool:
        list(pool.map(lambda s: log_in(s, args.doctor_email, args.doctor_password), sessions[1:]))
    return sessions


def demo_doctor_id(doctor, patient):
    """The doctor's user id (linked from their availability page), once their page offers open slots."""
    doctor_id = own_doctor_id(doctor)
    if doctor_id is None:
        raise SetupError("the availability page links no public page: is the doctor's profile complete?")
    if not open_slots(patient, doctor_id):
        raise SetupError("the doctor has no upcoming open slots: pass --open-slots DAYS")
    return doctor_id


def book_appointments(args, doctor, patients):
    """Each patient books one of the doctor's latest open slots; returns [(patient, OpenSlot)]."""
    doctor_id = demo_doctor_id(doctor, patients[0].session)
    found = sorted(open_slots(patients[0].session, doctor_id), key=lambda slot: (slot.starts_at, slot.slot_id))
    print(f"slots: doctor {doctor_id} has {len(found)} open slots on his page; this run needs {len(patients)}")
    if len(found) < len(patients):
        raise SetupError(
            f"only {len(found)} open slots, {len(patients)} needed: pass --open-slots DAYS "
            "(--open-slots 58 opens about 1600 slots for the demo doctor)"
        )
    slots = found[len(found) - len(patients) :]
    started = time.perf_counter()
    with ThreadPoolExecutor(args.setup_concurrency) as pool:
        attempts = list(pool.map(lambda pair: book(*pair), zip(patients, [s.slot_id for s in slots], strict=True)))
    outcomes = Counter(attempt.outcome for attempt in attempts)
    if outcomes.get("booked", 0) != len(patients):
        raise SetupError(f"booking the bench appointments: {dict(outcomes)}")
    print(
        f"booking: {len(patients)} appointments booked in {time.perf_counter() - started:.1f} s "
        f"({slots[0].starts_at:%Y-%m-%d %H:%M} .. {slots[-1].starts_at:%Y-%m-%d %H:%M})"
    )
    return list(zip(patients, slots, strict=True))


def agenda_rows(doctor, days):
    """{starts_at: AgendaRow} over the week agendas that cover ``days``."""
    rows, covered = {}, set()
    for day in sorted(days):
        monday = day - timedelta(days=day.weekday())
        if monday in covered:
            continue
        first_day, week = doctor_agenda_week(doctor, monday)
        covered.add(first_day)
        for row in week:
            rows[row.starts_at] = row
    return rows


def find_visits(doctor, bookings):
    """The appointment behind each booked slot, from the doctor's agenda."""
    rows = agenda_rows(doctor, {slot.starts_at.date() for _, slot in bookings})
    visits, problems = [], []
    for _, slot in bookings:
        row = rows.get(slot.starts_at)
        if row is None or row.appointment_id is None or row.status != "scheduled":
            problems.append(f"{slot.starts_at:%Y-%m-%d %H:%M}: {row}")
            continue
        visits.append(Visit(row.appointment_id, row.patient_id, slot.slot_id, slot.starts_at))
    if problems:
        raise SetupError(
            f"{len(problems)} booked slots have no scheduled appointment with a consultation link on "
            f"the doctor's agenda, e.g. {problems[0]}"
        )
    print(f"agenda: {len(visits)} scheduled appointments found on {len(rows)} agenda rows")
    return visits


def check_visits_in_database(url, visits):
    """Setup sanity check: the agenda's appointment ids are the appointments of the booked slots."""
    rows = appointment_rows(url, visits)
    wrong = [v for v in visits if rows.get(v.appointment_id, (None,))[0] != v.slot_id]
    if wrong:
        raise SetupError(
            f"{len(wrong)} agenda appointment ids do not belong to the booked slots, "
            f"e.g. appointment {wrong[0].appointment_id}"
        )


def appointment_rows(url, visits):
    """{appointment id: (slot id, status, encounter id)} from MySQL."""
    connection = connect_mysql(url)
    try:
        cursor = connection.cursor()
        ids = [visit.appointment_id for visit in visits]
        cursor.execute(APPOINTMENTS_SQL.format(ids=", ".join(["%s"] * len(ids))), ids)
        return {row[0]: tuple(row[1:]) for row in cursor.fetchall()}
    finally:
        connection.close()
