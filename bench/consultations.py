#!/usr/bin/env python3
"""Consultation benchmark for a running Medly server: doctors close N consultations, then check_consistency.

Stdlib only (plus MySQLdb from the project's venv for the optional database
check). Run it with the project's Python from the repository root, against a
server you started yourself with bench/serve.sh, with that server's
environment (serve.sh writes it to $CONTROL_DIR/env):

    . /tmp/medly-bench-8100/env
    .venv/bin/python bench/consultations.py http://127.0.0.1:8100 \\
        --consultations 100 --concurrency 4 --double-submits 10 --open-slots 58 \\
        --database-url mysql://root@127.0.0.1:3306/medly_bench

What it does:

1. Setup: N + D patients (``<prefix>-<n>@medly.test``, no allergies) sign up
   (or log in if they exist); the demo doctor's latest N + D open slots are
   read from his page (optionally ``--open-slots DAYS`` first) and each
   patient books one of them. The doctor's week agendas
   (/appointments/?view=week) give the appointment ids
   (/appointments/<id>/consultation/ links), matched by day and time.
2. Closing: C threads, each with its own logged-in session of the doctor,
   GET the consultation form and POST it (diagnosis J02.9, vitals, two
   prescription lines) for the N appointments. A close is good when it
   answers 302 to /patients/<patient>/record/.
3. Double submits: for D more appointments, two sessions of the doctor GET
   the form and POST it at the same instant (a threading.Barrier); exactly
   one must be told "closed", the other "already closed".
4. ``--outage``: the N closes run in three parts; the embedded MongoDB is
   stopped (``--outage-kind kill``: killed and held down; ``freeze``:
   SIGSTOP) for the middle part and started again before the last. Closes
   during the outage must answer 302 with "Your note is saved safely"
   (after confirming the allergy check the page could not make) and leave
   the appointment "closing"; check_consistency must then report them;
   ``manage.py reconcile`` rolls them forward and check_consistency must be
   clean.
5. Checks: the doctor's agenda shows every appointment "completed"; every
   patient's record page shows exactly one final encounter carrying this
   run's diagnosis and nothing pending; with ``--database-url`` every
   appointment is ``completed`` with its own 24-hex ``encounter_id``; finally
   ``--check-command`` (``manage.py check_consistency``) must exit 0.

Exit status: 0 clean; 1 check_consistency failed (or could not run); 3 a
close failed or a check disagreed; 2 the run could not be set up.
"""

import argparse
import json
import os
import queue
import re
import shlex
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.parse
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from types import SimpleNamespace

from _client import (
    Session,
    doctor_agenda_week,
    doctor_ids,
    open_slots,
    own_slot_ids,
    page_messages,
    redirect_path,
    redirect_target,
)
from booking import Patient, SetupError, book, connect_mysql, log_in, open_more_slots, percentiles_ms, sign_up_patients

REPO = Path(__file__).resolve().parent.parent
EXIT_INCONSISTENT, EXIT_SETUP, EXIT_FAILED = 1, 2, 3
RECORD_PATH_RE = re.compile(r"^/patients/(\d+)/record/$")
ERRORLIST_RE = re.compile(r'<ul class="errorlist[^"]*"[^>]*>(.*?)</ul>', re.DOTALL)
FINAL_ENCOUNTER = '<article class="encounter">'
PENDING_ENCOUNTER = '<article class="encounter encounter-pending">'
OBJECT_ID_RE = re.compile(r"^[0-9a-f]{24}$")
MESSAGES = {  # English flash messages (the bench asks for English pages)
    "closed": "The consultation is closed and in the patient",
    "already closed": "This consultation is already closed",
    "saved safely": "Your note is saved safely",
}
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


# --- command line -----------------------------------------------------------


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("url", help="base URL of the running server, e.g. http://127.0.0.1:8100")
    parser.add_argument("--consultations", "-n", type=int, default=100, help="consultations closed (default 100)")
    parser.add_argument("--concurrency", "-c", type=int, default=4,
                        help="doctor sessions closing at once (default 4)")
    parser.add_argument("--double-submits", type=int, default=10,
                        help="more consultations each posted twice at the same instant (default 10)")
    parser.add_argument("--setup-concurrency", type=int, default=10, help="parallel sign-ups and bookings")
    parser.add_argument("--prefix", default=f"consult-{int(time.time())}",
                        help="email prefix: patients are <prefix>-<n>@medly.test (default consult-<unix time>)")
    parser.add_argument("--password", default="Tortuga-azul-2026-bench", help="the bench patients' password")
    parser.add_argument("--timeout", type=float, default=30.0, help="seconds before a request counts as timed out")
    parser.add_argument("--open-slots", type=int, default=0, metavar="DAYS",
                        help="first let the doctor open slots for DAYS days from tomorrow (max 58)")
    parser.add_argument("--open-from", default="07:00", help="first slot of each opened day (HH:MM)")
    parser.add_argument("--open-until", default="21:00", help="end of the last slot of each opened day (HH:MM)")
    parser.add_argument("--doctor-email", default="doctor@medly.test")
    parser.add_argument("--doctor-password", default="medly-demo-2026")
    parser.add_argument("--database-url", help="mysql://user:pass@host:port/db to check the appointments in MySQL")
    parser.add_argument("--check-command", default=".venv/bin/python manage.py check_consistency",
                        help="run from the repository root with the server's environment (default: %(default)s)")
    parser.add_argument("--reconcile-command", default=".venv/bin/python manage.py reconcile",
                        help="with --outage: run after the store is back (default: %(default)s)")
    parser.add_argument("--server-env", metavar="FILE",
                        help="`export NAME=value` lines for the two commands (serve.sh writes $CONTROL_DIR/env; "
                             "used by default when it exists); otherwise they inherit this environment")
    parser.add_argument("--control-dir", help="serve.sh's CONTROL_DIR (default /tmp/medly-bench-<port of url>)")
    parser.add_argument("--outage", action="store_true",
                        help="stop the embedded MongoDB during the middle third of the closes, then reconcile")
    parser.add_argument("--outage-kind", choices=["kill", "freeze"], default="kill",
                        help="kill: stop the process and restart it (needs MONGO_DATA=file serve.sh); "
                             "freeze: SIGSTOP/SIGCONT it (any data mode)")
    parser.add_argument("--json", metavar="FILE", help="also write the summary as JSON to FILE")
    args = parser.parse_args(argv)
    if args.consultations < 1 or args.double_submits < 0 or args.concurrency < 1 or args.setup_concurrency < 1:
        parser.error("need --consultations >= 1, --double-submits >= 0, --concurrency >= 1")
    if args.outage and args.consultations < 3:
        parser.error("--outage needs --consultations >= 3 (before, during and after the outage)")
    if not 0 <= args.open_slots <= 58:
        parser.error("--open-slots must be 0..58 days (the doctor page lists the next 60 days)")
    if args.control_dir is None:
        args.control_dir = f"/tmp/medly-bench-{urllib.parse.urlsplit(args.url).port or 80}"  # noqa: S108
    return args


# --- environment of the management commands ------------------------------------


def server_environment(args):
    """The environment for check_consistency / reconcile: ours, plus the server's `export` lines if given."""
    env = dict(os.environ)
    path = args.server_env
    if path is None and Path(args.control_dir, "env").is_file():
        path = str(Path(args.control_dir, "env"))
    if path:
        try:
            lines = Path(path).read_text(encoding="utf-8").splitlines()
        except OSError as exc:
            raise SetupError(f"--server-env {path}: {exc}") from exc
        for line in lines:
            words = shlex.split(line, comments=True)
            if words[:1] == ["export"]:
                words = words[1:]
            for word in words:
                name, _, value = word.partition("=")
                env[name] = value
    missing = [name for name in ("DATABASE_URL", "MONGO_URI") if not env.get(name)]
    if missing:
        raise SetupError(
            f"{', '.join(missing)} not set: check_consistency would read other stores than the server. "
            "Run `. $CONTROL_DIR/env` (written by bench/serve.sh) first, or pass --server-env FILE."
        )
    return env, path


def run_command(command, env, label, *, limit=15):
    """Run a manage.py command from the repository root; print its output; return (exit code, lines)."""
    started = time.perf_counter()
    try:
        # The operator's own command line (an option of this script), run without a shell.
        done = subprocess.run(shlex.split(command), cwd=REPO, env=env, capture_output=True,  # noqa: S603
                              text=True, timeout=600, check=False)
    except (OSError, subprocess.TimeoutExpired) as exc:
        print(f"   {label}: could not run `{command}`: {exc}")
        return None, [str(exc)]
    lines = (done.stdout + done.stderr).splitlines()
    print(f"   {label}: `{command}` exit {done.returncode} in {time.perf_counter() - started:.1f} s")
    shown = lines if len(lines) <= limit else [*lines[:limit - 1], f"... {len(lines) - limit} more lines", lines[-1]]
    for line in shown:
        print(f"     {line}")
    return done.returncode, lines


# --- the embedded MongoDB under serve.sh -----------------------------------------


class MongoControl:
    """Stops and starts the embedded MongoDB that bench/serve.sh supervises (files in its CONTROL_DIR)."""

    def __init__(self, directory, kind):
        self.dir = Path(directory)
        self.kind = kind
        self.frozen_pid = None
        try:
            self.port = int(self._read("mongo.port"))
            self.data_path = self._read("mongo.path")
        except (OSError, ValueError) as exc:
            raise SetupError(f"--outage: {self.dir} has no mongo.port/mongo.path ({exc}); start the server with "
                             "bench/serve.sh (same PORT), or pass --control-dir") from exc
        if kind == "kill" and not self.data_path:
            raise SetupError("--outage-kind kill: the embedded MongoDB keeps its data in memory, so a restart "
                             "would lose every record; start serve.sh with MONGO_DATA=file, or use "
                             "--outage-kind freeze")
        self.pid()  # fails early when it is not running

    def _read(self, name):
        return (self.dir / name).read_text(encoding="utf-8").strip()

    def pid(self):
        try:
            return int(self._read("mongo.pid"))
        except (OSError, ValueError) as exc:
            raise SetupError(f"{self.dir}/mongo.pid: the embedded MongoDB is not running ({exc})") from exc

    def accepts(self):
        try:
            socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
        except OSError:
            return False
        return True

    def stop(self):
        pid = self.pid()
        if self.kind == "freeze":
            os.kill(pid, signal.SIGSTOP)
            self.frozen_pid = pid
            return f"froze the embedded MongoDB (pid {pid}, SIGSTOP): it accepts connections but never answers"
        (self.dir / "mongo.hold").touch()
        os.kill(pid, signal.SIGTERM)
        deadline = time.monotonic() + 30
        while self.accepts():
            if time.monotonic() > deadline:
                raise RuntimeError(f"the embedded MongoDB (pid {pid}) still answers 30 s after SIGTERM")
            time.sleep(0.1)
        return f"stopped the embedded MongoDB (pid {pid}, SIGTERM); port {self.port} refuses connections"

    def start(self):
        if self.kind == "freeze":
            if self.frozen_pid is not None:
                os.kill(self.frozen_pid, signal.SIGCONT)
                pid, self.frozen_pid = self.frozen_pid, None
                return f"thawed the embedded MongoDB (pid {pid}, SIGCONT)"
            return "the embedded MongoDB was not frozen"
        (self.dir / "mongo.hold").unlink(missing_ok=True)
        deadline = time.monotonic() + 60
        while not ((self.dir / "mongo.pid").exists() and self.accepts()):
            if time.monotonic() > deadline:
                raise RuntimeError("serve.sh did not restart the embedded MongoDB within 60 s")
            time.sleep(0.1)
        return f"serve.sh restarted the embedded MongoDB (pid {self.pid()}) from {self.data_path}"


# --- setup --------------------------------------------------------------------


def demo_doctor_id(doctor, patient):
    """The doctor's user id: the directory doctor whose page offers one of the doctor's own open slots."""
    own = own_slot_ids(doctor)
    if not own:
        raise SetupError("the doctor has no upcoming open slots: pass --open-slots DAYS")
    for doctor_id in doctor_ids(patient):
        if any(slot.slot_id in own for slot in open_slots(patient, doctor_id)):
            return doctor_id
    raise SetupError("none of the doctors' pages shows the doctor's open slots")


def book_appointments(args, doctor, patients):
    """Each patient books one of the doctor's latest open slots; returns [(patient, OpenSlot)]."""
    doctor_id = demo_doctor_id(doctor, patients[0].session)
    found = sorted(open_slots(patients[0].session, doctor_id), key=lambda slot: (slot.starts_at, slot.slot_id))
    print(f"slots: doctor {doctor_id} has {len(found)} open slots on his page; this run needs {len(patients)}")
    if len(found) < len(patients):
        raise SetupError(f"only {len(found)} open slots, {len(patients)} needed: pass --open-slots DAYS "
                         "(--open-slots 58 opens about 1600 slots for the demo doctor)")
    slots = found[len(found) - len(patients):]
    started = time.perf_counter()
    with ThreadPoolExecutor(args.setup_concurrency) as pool:
        attempts = list(pool.map(lambda pair: book(*pair), zip(patients, [s.slot_id for s in slots], strict=True)))
    outcomes = Counter(attempt.outcome for attempt in attempts)
    if outcomes.get("booked", 0) != len(patients):
        raise SetupError(f"booking the bench appointments: {dict(outcomes)}")
    print(f"booking: {len(patients)} appointments booked in {time.perf_counter() - started:.1f} s "
          f"({slots[0].starts_at:%Y-%m-%d %H:%M} .. {slots[-1].starts_at:%Y-%m-%d %H:%M})")
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
        raise SetupError(f"{len(problems)} booked slots have no scheduled appointment with a consultation link on "
                         f"the doctor's agenda, e.g. {problems[0]}")
    print(f"agenda: {len(visits)} scheduled appointments found on {len(rows)} agenda rows")
    return visits


def check_visits_in_database(url, visits):
    """Setup sanity check: the agenda's appointment ids are the appointments of the booked slots."""
    rows = appointment_rows(url, visits)
    wrong = [v for v in visits if rows.get(v.appointment_id, (None,))[0] != v.slot_id]
    if wrong:
        raise SetupError(f"{len(wrong)} agenda appointment ids do not belong to the booked slots, "
                         f"e.g. appointment {wrong[0].appointment_id}")


def doctor_sessions(args, count):
    sessions = [Session(args.url, timeout=args.timeout) for _ in range(count)]
    log_in(sessions[0], args.doctor_email, args.doctor_password)  # a wrong password fails once
    with ThreadPoolExecutor(min(count, args.setup_concurrency)) as pool:
        list(pool.map(lambda s: log_in(s, args.doctor_email, args.doctor_password), sessions[1:]))
    return sessions


# --- closing ------------------------------------------------------------------


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
    if (confirm_unchecked and answer.status == 200 and 'name="confirm_allergy"' in answer.body
            and "could not be checked" in answer.body):
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
    free = queue.Queue()
    for session in sessions:
        free.put(session)

    def job(visit):
        session = free.get()
        try:
            return close(session, visit, consultation_fields(visit, tag),
                         confirm_unchecked=confirm_unchecked, read_message=read_message)
        finally:
            free.put(session)

    started = time.perf_counter()
    with ThreadPoolExecutor(len(sessions)) as pool:
        phase.closes = list(pool.map(job, visits))
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
            closes.append(Close(visit, outcome_of(answer, visit, messages), form.seconds, answer.seconds, 1,
                                " ".join(messages)))
        if sorted(c.outcome for c in closes) == ["already closed", "closed"]:
            pairs_ok += 1
        else:
            phase.notes.append(f"appointment {visit.appointment_id}: {[c.outcome for c in closes]}")
        phase.closes.extend(closes)
    phase.wall_seconds = time.perf_counter() - started
    phase.notes.insert(0, f"{pairs_ok} of {len(visits)} pairs: exactly one 'closed' and one 'already closed'")
    phase.pairs_ok = pairs_ok
    return phase


# --- checks ---------------------------------------------------------------------


def agenda_statuses(doctor, visits):
    rows = agenda_rows(doctor, {visit.starts_at.date() for visit in visits})
    return {visit: (rows[visit.starts_at].status if visit.starts_at in rows else "missing") for visit in visits}


def check_agenda(doctor, visits, expected):
    statuses = agenda_statuses(doctor, visits)
    counts = Counter(statuses.values())
    wrong = [f"appointment {v.appointment_id}: {status}" for v, status in statuses.items() if status != expected]
    print(f"   agenda: {len(visits)} appointments: {_counts_text(counts)} (expected all {expected})")
    return wrong


def check_records(sessions, visits, tag):
    """Every patient's record page: exactly one final encounter with this run's diagnosis, nothing pending."""
    free = queue.Queue()
    for session in sessions:
        free.put(session)

    def job(visit):
        session = free.get()
        try:
            page = session.get(f"/patients/{visit.patient_id}/record/")
        finally:
            free.put(session)
        if page.status != 200:
            return f"patient {visit.patient_id}: record page answered {page.status} {page.error}".strip()
        final, pending = page.body.count(FINAL_ENCOUNTER), page.body.count(PENDING_ENCOUNTER)
        mine = page.body.count(f"[{tag} appointment {visit.appointment_id}]")
        if (final, pending, mine) != (1, 0, 1):
            return (f"patient {visit.patient_id} (appointment {visit.appointment_id}): {final} final and {pending} "
                    f"pending encounters, this appointment's diagnosis {mine} times")
        return None

    with ThreadPoolExecutor(len(sessions)) as pool:
        problems = [problem for problem in pool.map(job, visits) if problem]
    print(f"   record pages: {len(visits) - len(problems)} of {len(visits)} show exactly one final encounter "
          "with this appointment's diagnosis and nothing pending")
    return problems


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
    print(f"   database: {len(visits)} appointments: {_counts_text(statuses)}"
          + (f"; {len(encounter_ids)} distinct 24-hex encounter ids" if expected == "completed" else ""))
    return problems


# --- report -----------------------------------------------------------------------


def _counts_text(counts):
    return ", ".join(f"{outcome} {count}" for outcome, count in sorted(counts.items()))


def _rounded(latencies):
    return {k: v if v is None else round(v, 1) for k, v in percentiles_ms(latencies).items()}


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
        "post_latency_ms": _rounded([close.post_seconds for close in phase.closes if close.posts]),
        "form_latency_ms": _rounded([close.form_seconds for close in phase.closes]),
        "allergy_check_confirmed": sum(1 for close in phase.closes if close.posts == 2),
    }
    if hasattr(phase, "pairs_ok"):
        summary["pairs_ok"] = phase.pairs_ok
        summary["pairs"] = len(phase.closes) // 2
    return summary


def print_summary(summary, notes):
    post, form = summary["post_latency_ms"], summary["form_latency_ms"]
    print(f"\n== {summary['phase']}: {summary['closes']} closes in {summary['wall_seconds']:.2f} s "
          f"(expected: {summary['expected']})")
    for note in notes[:20]:
        print(f"   {note}")
    print(f"   by outcome: {_counts_text(Counter(summary['outcomes']))}; client errors/timeouts {summary['errors']}")
    if summary["allergy_check_confirmed"]:
        print(f"   {summary['allergy_check_confirmed']} closes needed a second POST confirming the allergy check "
              "the page could not make (records store down)")
    print(f"   {summary['closes_per_second']} closes/s (form GET + POST, over the phase's wall time)")
    if post["p50"] is not None:
        print(f"   close POST latency ms: p50 {post['p50']:.0f}  p95 {post['p95']:.0f}  p99 {post['p99']:.0f}  "
              f"max {post['max']:.0f}")
    if form["p50"] is not None:
        print(f"   form GET latency ms:   p50 {form['p50']:.0f}  p95 {form['p95']:.0f}  p99 {form['p99']:.0f}  "
              f"max {form['max']:.0f}")


# --- main -----------------------------------------------------------------------


def setup(args):
    if args.open_slots:
        open_more_slots(args)
    count = args.consultations + args.double_submits
    patients = sign_up_patients(SimpleNamespace(
        prefix=args.prefix, patients=count, url=args.url, timeout=args.timeout,
        concurrency=args.setup_concurrency, password=args.password,
    ))
    doctor = doctor_sessions(args, 1)[0]
    bookings = book_appointments(args, doctor, [Patient(p.email, p.session) for p in patients])
    visits = find_visits(doctor, bookings)
    if args.database_url:
        check_visits_in_database(args.database_url, visits)
    return doctor, visits


def run(args):
    print(f"medly consultation bench against {args.url}: {args.consultations} closes at concurrency "
          f"{args.concurrency}, {args.double_submits} double submits"
          + (f", MongoDB outage ({args.outage_kind}) during the middle third" if args.outage else "")
          + f"; load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    env, env_file = server_environment(args)
    print(f"check_consistency environment: {env_file or 'inherited'} (DATABASE_URL={env['DATABASE_URL']}, "
          f"MONGO_URI={env['MONGO_URI']})")
    control = MongoControl(args.control_dir, args.outage_kind) if args.outage else None
    baseline, _ = run_command(args.check_command, env, "before the run")
    doctor, visits = setup(args)
    measured, doubles = visits[:args.consultations], visits[args.consultations:]
    sessions = doctor_sessions(args, args.concurrency)
    pair = doctor_sessions(args, 2) if doubles else []
    tag = args.prefix
    result = {"args": {k: v for k, v in vars(args).items() if k != "password"}, "baseline_check_exit": baseline,
              "load_average_start": os.getloadavg()}
    print(f"doctor sessions: {len(sessions)} closing, {len(pair)} for double submits; "
          f"load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}")

    phases, problems, interim = [], [], {}

    def done(phase):
        phases.append(phase)
        print_summary(summarize(phase), phase.notes)

    if control is None:
        done(close_phase("close", measured, sessions, tag))
    else:
        third = len(measured) // 3
        before, during, after = measured[:third], measured[third:2 * third], measured[2 * third:]
        done(close_phase("before the outage", before, sessions, tag))
        outage_started = time.perf_counter()
        try:
            print(f"\noutage: {control.stop()}")
            done(close_phase("during the outage", during, sessions, tag, expected="saved safely",
                             confirm_unchecked=True, read_message=True))
            print("\noutage: while the store is still down")
            interim["agenda"] = check_agenda(doctor, during, "closing")
            if args.database_url:
                interim["database"] = check_database(args.database_url, during, expected="closing")
        finally:
            print(f"outage: {control.start()} after {time.perf_counter() - outage_started:.1f} s down\n")
        problems += interim.get("agenda", []) + interim.get("database", [])
        done(close_phase("after the outage", after, sessions, tag))
    if doubles:
        done(double_submit_phase(doubles, pair, tag))
    result["load_average_end"] = os.getloadavg()

    summaries = [summarize(phase) for phase in phases]
    failed_closes = sum(s["closes"] - s["good"] for s in summaries if "pairs" not in s)
    failed_closes += sum(s["pairs"] - s["pairs_ok"] for s in summaries if "pairs" in s)

    print("\n== checks")
    if control is not None:
        code, lines = run_command(args.check_command, env, "before reconcile (expected: exit 1, the closing ones)")
        still = sum(1 for line in lines if line.endswith(" is still closing"))
        print(f"     -> {still} appointments reported 'still closing' (the outage left {len(phases[1].closes)})")
        result["check_before_reconcile"] = {"exit": code, "still_closing": still}
        if still != len(phases[1].closes):
            problems.append(f"check_consistency before reconcile named {still} closing appointments, "
                            f"expected {len(phases[1].closes)}")
        code, lines = run_command(args.reconcile_command, env, "reconcile")
        result["reconcile"] = {"exit": code, "summary": lines[-1:]}
        if code != 0:
            problems.append(f"reconcile exited {code}")
    problems += check_agenda(doctor, visits, "completed")
    problems += check_records(sessions, visits, tag)
    if args.database_url:
        problems += check_database(args.database_url, visits)
    else:
        print("   database: not checked (pass --database-url mysql://...)")
    for problem in problems[:20]:
        print(f"     {problem}")
    final, lines = run_command(args.check_command, env, "check_consistency")
    result.update(summaries=summaries, problems=problems, interim=interim, check_exit=final, check_output=lines[:50])

    status = 0
    if failed_closes or problems:
        status = EXIT_FAILED
    if final != 0:
        status = EXIT_INCONSISTENT
    if args.json:
        with open(args.json, "w", encoding="utf-8") as out:
            json.dump(result, out, indent=2, default=str)
    print(f"\nresult: {'OK' if status == 0 else 'FAILED'} (exit {status}): {failed_closes} failed closes, "
          f"{len(problems)} check problems, check_consistency exit {final}")
    return status


def main(argv=None):
    args = parse_args(argv)
    try:
        return run(args)
    except SetupError as error:
        print(f"bench: {error}", file=sys.stderr)
        return EXIT_SETUP


if __name__ == "__main__":
    sys.exit(main())
