"""Slots for the benchmarks: the doctor opens more of them, a patient books one.

``book`` is what both benchmarks send: ``POST /slots/<id>/book/``, with
the answer read as "booked" (302 to /appointments/), a 409 by reason, or
anything else.
"""

from dataclasses import dataclass
from datetime import date, timedelta

from _accounts import Patient, log_in
from _cli import SetupError
from _client import Response, Session, redirect_path

REFUSAL_REASONS = {
    "just been taken": "409 taken",
    "Many people are booking": "409 busy (lock wait)",
    "already have an appointment at that time": "409 overlap",
    "already started": "409 in the past",
    "the most one patient can book online": "409 limit (upcoming appointments)",
    "with this doctor on that day": "409 limit (one per doctor per day)",
    "not taking appointments": "409 doctor inactive",
}


@dataclass
class Attempt:
    slot_id: int
    patient: Patient
    response: Response
    outcome: str


def open_more_slots(args):
    """The doctor opens ``--open-slots`` days of 30-minute slots from tomorrow, every weekday."""
    doctor = Session(args.url, timeout=args.timeout)
    log_in(doctor, args.doctor_email, args.doctor_password)
    first = date.today() + timedelta(days=1)
    fields = [
        ("start_date", first.isoformat()),
        ("end_date", (first + timedelta(days=args.open_slots - 1)).isoformat()),
        *[("weekdays", str(day)) for day in range(7)],
        ("start_time", args.open_from),
        ("end_time", args.open_until),
        ("slot_minutes", "30"),
    ]
    response = doctor.submit_form("/schedule/availability/", fields)
    if response.status != 302:
        raise SetupError(
            f"POST /schedule/availability/ answered {response.status} {response.error}: "
            "form refused? (overlap with slots of another length, bad hours)"
        )
    page = doctor.get("/schedule/availability/").body
    opened = next((line.strip() for line in page.splitlines() if "slots opened" in line), "(no message)")
    print(f"availability: {args.doctor_email}: {_strip_tags(opened)}")


def _strip_tags(html):
    out, inside = [], False
    for char in html:
        if char in "<>":
            inside = char == "<"
        elif not inside:
            out.append(char)
    return "".join(out).strip()


def outcome_of(response):
    if response.status == 0:
        return f"error: {response.error}"
    if response.status == 302:
        path = redirect_path(response)
        return "booked" if path == "/appointments/" else f"302 to {path}"
    if response.status == 409:
        return next((label for text, label in REFUSAL_REASONS.items() if text in response.body), "409 other")
    return f"HTTP {response.status}"


def book(patient, slot_id):
    response = patient.session.post(f"/slots/{slot_id}/book/", {})
    return Attempt(slot_id, patient, response, outcome_of(response))
