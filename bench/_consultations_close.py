"""The close phases of the consultation benchmark, and their report.

A close is a GET of /appointments/<id>/consultation/ and a POST of the
form; ``close_phase`` runs them with one thread per doctor session,
``double_submit_phase`` posts each form from two sessions at the same instant.
"""

import re
import threading
import time
from collections import Counter
from dataclasses import dataclass, field

from _client import map_with_sessions, page_messages, redirect_path, redirect_target
from _consultations_setup import Visit
from _report import counts_text, latency_text, rounded_percentiles_ms

RECORD_PATH_RE = re.compile(r"^/patients/(\d+)/record/$")
ERRORLIST_RE = re.compile(r'<ul class="errorlist[^"]*"[^>]*>(.*?)</ul>', re.DOTALL)
MESSAGES = {  # English flash messages (the bench asks for English pages)
    "closed": "The consultation is closed and in the patient",
    "already closed": "This consultation is already closed",
    "saved safely": "Your note is saved safely",
}


@dataclass
class Close:
    visit: Visit
    outcome: str
    form_seconds: float = 0.0  # the GET of the form
    post_seconds: float = 0.0  # the POST (both POSTs when an unchecked allergy warning had to be confirmed)
    posts: int = 0
    message: str = ""


@dataclass
class Phase:
    name: str
    expected: str  # the outcome every close of this phase should have
    closes: list = field(default_factory=list)
    wall_seconds: float = 0.0
    notes: list = field(default_factory=list)

    def good(self):
        return [close for close in self.closes if close.outcome == self.expected]


def consultation_fields(visit, tag):
    return [
        ("evolution", "Two days of sore throat and low-grade fever; no cough, eating and drinking well."),
        ("physical_exam", "Erythematous pharynx without exudate, no cervical lymphadenopathy; lungs clear."),
        ("weight_kg", "70"),
        ("height_cm", "170"),
        ("temperature_c", "37.5"),
        ("systolic", "120"),
        ("diastolic", "80"),
        ("heart_rate", "80"),
        ("respiratory_rate", "16"),
        ("diagnosis", f"Acute pharyngitis, unspecified [{tag} appointment {visit.appointment_id}]"),
        ("diagnosis_code", "J02.9"),
        ("prognosis", "Good; expected to resolve within a week."),
        ("treatment", "Rest, plenty of fluids, paracetamol for fever; gargle with warm salt water."),
        ("notes", "Return if the fever lasts more than three days or breathing gets difficult."),
        ("rx-TOTAL_FORMS", "2"),
        ("rx-INITIAL_FORMS", "0"),
        ("rx-0-drug", "paracetamol"),
        ("rx-0-dose", "500 mg"),
        ("rx-0-route", "oral"),
        ("rx-0-frequency", "every 8 hours if fever"),
        ("rx-0-duration", "3 days"),
        ("rx-1-drug", "ibuprofeno"),
        ("rx-1-dose", "400 mg"),
        ("rx-1-route", "oral"),
        ("rx-1-frequency", "every 12 hours with food"),
        ("rx-1-duration", "5 days"),
    ]


def outcome_of(response, visit, messages=()):
    """'closed', 'already closed', 'saved safely', or a description of anything else."""
    if response.status == 0:
        return f"error: {response.error}"
    text = " ".join(messages)
    if response.status == 302:
        path = redirect_path(response)
        match = RECORD_PATH_RE.match(path)
        if match and int(match.group(1)) == visit.patient_id:
            if MESSAGES["already closed"] in text:
                return "already closed"
            return "closed"  # unless the message (when read) says otherwise, see close()
        if path == "/appointments/" and MESSAGES["saved safely"] in text:
            return "saved safely"
        return f"302 to {path}" + (f" ({text[:80]})" if text else "")
    if response.status == 200:
        if MESSAGES["already closed"] in response.body:
            return "already closed"  # redrawn with the doctor's note and the reason, never redirected away
        if "Allergy warning" in response.body:
            return "200 allergy warning"
        if "The records store refused this note" in response.body:
            return "200 refused by the records store"
        errors = ERRORLIST_RE.search(response.body)
        detail = " ".join(re.sub(r"<[^>]+>", " ", errors.group(1)).split())[:80] if errors else "no error shown"
        return f"200 form re-shown ({detail})"
    return f"HTTP {response.status}"


def close(session, visit, fields, *, confirm_unchecked=False, read_message=False):
    """GET the form, POST it (and confirm an allergy check the page could not make, if allowed)."""
    form = session.get(visit.path)
    if form.status != 200:
        return Close(visit, f"form GET {form.status} {form.error}".strip(), form_seconds=form.seconds)
    answer = session.post(visit.path, fields)
    post_seconds, posts = answer.seconds, 1
    if (
        confirm_unchecked
        and answer.status == 200
        and 'name="confirm_allergy"' in answer.body
        and "could not be checked" in answer.body
    ):
        answer = session.post(visit.path, [*fields, ("confirm_allergy", "1")])
        post_seconds, posts = post_seconds + answer.seconds, 2
    messages = []
    goes_elsewhere = answer.status == 302 and not RECORD_PATH_RE.match(redirect_path(answer))
    if answer.status == 302 and (read_message or goes_elsewhere):
        messages = page_messages(session.get(redirect_target(answer)).body)
    outcome = outcome_of(answer, visit, messages)
    if outcome == "closed" and messages and MESSAGES["closed"] not in " ".join(messages):
        outcome = f"302 to the record ({' '.join(messages)[:80]})"
    return Close(visit, outcome, form.seconds, post_seconds, posts, " ".join(messages))


def close_phase(name, visits, sessions, tag, *, expected="closed", confirm_unchecked=False, read_message=False):
    """Close ``visits`` with one thread per doctor session."""
    phase = Phase(name, expected)

    def job(session, visit):
        return close(
            session,
            visit,
            consultation_fields(visit, tag),
            confirm_unchecked=confirm_unchecked,
            read_message=read_message,
        )

    started = time.perf_counter()
    phase.closes = map_with_sessions(sessions, job, visits)
    phase.wall_seconds = time.perf_counter() - started
    return phase


def post_together(sessions, path, fields):
    """Every session POSTs the same form at the same instant; their answers, in order."""
    barrier = threading.Barrier(len(sessions))
    answers = [None] * len(sessions)

    def submit(index, session):
        barrier.wait(timeout=60)
        answers[index] = session.post(path, fields)

    threads = [threading.Thread(target=submit, args=(i, s)) for i, s in enumerate(sessions)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return answers


def double_submit_phase(visits, pair, tag):
    """For each visit, two doctor sessions GET the form, then POST it at the same instant."""
    phase = Phase("double submit", expected="one closed + one already closed")
    pairs_ok = 0
    started = time.perf_counter()
    for visit in visits:
        fields = consultation_fields(visit, tag)
        forms = [session.get(visit.path) for session in pair]
        if any(form.status != 200 for form in forms):
            phase.closes.append(Close(visit, f"form GET {[form.status for form in forms]}"))
            continue
        answers = post_together(pair, visit.path, fields)
        closes = []
        for session, form, answer in zip(pair, forms, answers, strict=True):
            messages = page_messages(session.get(redirect_target(answer)).body) if answer.status == 302 else []
            closes.append(
                Close(visit, outcome_of(answer, visit, messages), form.seconds, answer.seconds, 1, " ".join(messages))
            )
        if sorted(c.outcome for c in closes) == ["already closed", "closed"]:
            pairs_ok += 1
        else:
            phase.notes.append(f"appointment {visit.appointment_id}: {[c.outcome for c in closes]}")
        phase.closes.extend(closes)
    phase.wall_seconds = time.perf_counter() - started
    phase.notes.insert(0, f"{pairs_ok} of {len(visits)} pairs: exactly one 'closed' and one 'already closed'")
    phase.pairs_ok = pairs_ok
    return phase


# --- report -----------------------------------------------------------------------


def summarize(phase):
    counts = Counter(close.outcome for close in phase.closes)
    good = len(phase.good()) if phase.expected != "one closed + one already closed" else counts.get("closed", 0)
    closed = counts.get("closed", 0) + counts.get("saved safely", 0)
    summary = {
        "phase": phase.name,
        "expected": phase.expected,
        "closes": len(phase.closes),
        "good": good,
        "outcomes": dict(sorted(counts.items())),
        "errors": sum(n for outcome, n in counts.items() if outcome.startswith("error")),
        "wall_seconds": round(phase.wall_seconds, 3),
        "closes_per_second": round(closed / phase.wall_seconds, 2) if phase.wall_seconds else None,
        "post_latency_ms": rounded_percentiles_ms([close.post_seconds for close in phase.closes if close.posts]),
        "form_latency_ms": rounded_percentiles_ms([close.form_seconds for close in phase.closes]),
        "allergy_check_confirmed": sum(1 for close in phase.closes if close.posts == 2),
    }
    if hasattr(phase, "pairs_ok"):
        summary["pairs_ok"] = phase.pairs_ok
        summary["pairs"] = len(phase.closes) // 2
    return summary


def print_summary(summary, notes):
    post, form = summary["post_latency_ms"], summary["form_latency_ms"]
    print(
        f"\n== {summary['phase']}: {summary['closes']} closes in {summary['wall_seconds']:.2f} s "
        f"(expected: {summary['expected']})"
    )
    for note in notes[:20]:
        print(f"   {note}")
    print(f"   by outcome: {counts_text(Counter(summary['outcomes']))}; client errors/timeouts {summary['errors']}")
    if summary["allergy_check_confirmed"]:
        print(
            f"   {summary['allergy_check_confirmed']} closes needed a second POST confirming the allergy check "
            "the page could not make (records store down)"
        )
    print(f"   {summary['closes_per_second']} closes/s (form GET + POST, over the phase's wall time)")
    if post["p50"] is not None:
        print(f"   close POST latency ms: {latency_text(post)}")
    if form["p50"] is not None:
        print(f"   form GET latency ms:   {latency_text(form)}")
