"""Checks after the closes: the doctor's agenda, the patients' record pages, MySQL's appointments."""

import re
from collections import Counter

from _client import map_with_sessions
from _consultations_setup import agenda_rows, appointment_rows
from _report import counts_text

FINAL_ENCOUNTER = '<article class="encounter">'
PENDING_ENCOUNTER = '<article class="encounter encounter-pending">'
OBJECT_ID_RE = re.compile(r"^[0-9a-f]{24}$")


def agenda_statuses(doctor, visits):
    rows = agenda_rows(doctor, {visit.starts_at.date() for visit in visits})
    return {visit: (rows[visit.starts_at].status if visit.starts_at in rows else "missing") for visit in visits}


def check_agenda(doctor, visits, expected):
    statuses = agenda_statuses(doctor, visits)
    counts = Counter(statuses.values())
    wrong = [f"appointment {v.appointment_id}: {status}" for v, status in statuses.items() if status != expected]
    print(f"   agenda: {len(visits)} appointments: {counts_text(counts)} (expected all {expected})")
    return wrong


def check_records(sessions, visits, tag):
    """Every patient's record page: exactly one final encounter with this run's diagnosis, nothing pending."""

    def job(session, visit):
        page = session.get(f"/patients/{visit.patient_id}/record/")
        if page.status != 200:
            return f"patient {visit.patient_id}: record page answered {page.status} {page.error}".strip()
        final, pending = page.body.count(FINAL_ENCOUNTER), page.body.count(PENDING_ENCOUNTER)
        mine = page.body.count(f"[{tag} appointment {visit.appointment_id}]")
        if (final, pending, mine) != (1, 0, 1):
            return (
                f"patient {visit.patient_id} (appointment {visit.appointment_id}): {final} final and {pending} "
                f"pending encounters, this appointment's diagnosis {mine} times"
            )
        return None

    problems = [problem for problem in map_with_sessions(sessions, job, visits) if problem]
    print(
        f"   record pages: {len(visits) - len(problems)} of {len(visits)} show exactly one final encounter "
        "with this appointment's diagnosis and nothing pending"
    )
    return problems


def check_database(url, visits, expected="completed"):
    rows = appointment_rows(url, visits)
    problems, encounter_ids = [], Counter()
    statuses = Counter()
    for visit in visits:
        _, status, encounter_id = rows.get(visit.appointment_id, (None, "missing", None))
        statuses[status] += 1
        if status != expected:
            problems.append(f"appointment {visit.appointment_id}: status {status}, expected {expected}")
        if expected == "completed":
            if not OBJECT_ID_RE.match(encounter_id or ""):
                problems.append(f"appointment {visit.appointment_id}: encounter_id {encounter_id!r} is no ObjectId")
            encounter_ids[encounter_id] += 1
    shared = {eid: n for eid, n in encounter_ids.items() if n > 1}
    problems.extend(f"encounter {eid} is named by {n} appointments" for eid, n in shared.items())
    print(
        f"   database: {len(visits)} appointments: {counts_text(statuses)}"
        + (f"; {len(encounter_ids)} distinct 24-hex encounter ids" if expected == "completed" else "")
    )
    return problems
