"""The bench's accounts: patients sign up (or log in when they exist), anyone logs in.

Logins only ever use the password the account was created with, and the
first one runs alone: a wrong password stops the run before django-axes
(5 failures) locks the address.
"""

import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

from _cli import SetupError
from _client import Session


@dataclass
class Patient:
    email: str
    session: Session
    held: list = field(default_factory=list)  # OpenSlot objects this run booked for them


def registration_fields(email, n, password):
    return {
        "email": email,
        "first_name": "Bench",
        "last_name": f"Paciente {n}",
        "date_of_birth": "1990-01-15",
        "sex": "FMX"[n % 3],
        "password1": password,
        "password2": password,
        "blood_type": "O+",
        "allergies": "",
        "accept_privacy": "on",
    }


def register(session, email, n, password):
    """'registered', 'exists', or an error description."""
    response = session.submit_form("/accounts/register/", registration_fields(email, n, password))
    if response.status == 302:
        return "registered"
    if response.status == 200 and "An account with this email already exists" in response.body:
        return "exists"
    return f"HTTP {response.status} {response.error}".strip()


def log_in(session, email, password):
    response = session.submit_form("/accounts/login/", {"username": email, "password": password})
    if response.status != 302:
        raise SetupError(
            f"login as {email} answered {response.status} {response.error}; stopping before django-axes "
            "locks this address (5 failures). Check --password / --doctor-password."
        )


def sign_up_patients(args):
    """Register every patient (in parallel); log in the ones that already exist, the first one alone."""
    patients = [
        Patient(f"{args.prefix}-{n}@medly.test", Session(args.url, timeout=args.timeout)) for n in range(args.patients)
    ]
    started = time.perf_counter()
    with ThreadPoolExecutor(args.concurrency) as pool:
        outcomes = list(
            pool.map(lambda pair: register(pair[1].session, pair[1].email, pair[0], args.password), enumerate(patients))
        )
    failed = [
        (p.email, outcome)
        for p, outcome in zip(patients, outcomes, strict=True)
        if outcome not in ("registered", "exists")
    ]
    if failed:
        raise SetupError(f"{len(failed)} sign-ups failed, e.g. {failed[0][0]}: {failed[0][1]}")
    existing = [p for p, outcome in zip(patients, outcomes, strict=True) if outcome == "exists"]
    if existing:
        log_in(existing[0].session, existing[0].email, args.password)  # a wrong password fails once, not N times
        with ThreadPoolExecutor(args.concurrency) as pool:
            list(pool.map(lambda p: log_in(p.session, p.email, args.password), existing[1:]))
    seconds = time.perf_counter() - started
    print(
        f"sign-up: {outcomes.count('registered')} registered, {len(existing)} logged in "
        f"(already existed) in {seconds:.1f} s"
    )
    return patients
