"""The page timings of bench/scale.py, run inside one database's environment (a subprocess per database)."""

import json
import os
import re
import statistics
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
WARM_UP = 2
BIG_TABLES = {
    "accounts_user",
    "accounts_patientprofile",
    "accounts_privacyconsent",
    "accounts_doctorprofile",
    "scheduling_slot",
    "scheduling_appointment",
    "records_operation",
    "records_auditevent",
    "records_recordchainhead",
}
BIG_ROWS = 5_000


def setup_django():
    sys.path.insert(0, str(REPO))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "medly.settings")
    import django

    django.setup()


def users():
    """The user each role's pages run as: the demo users, and at the network size the busiest generated ones."""
    from django.db.models import Count

    from accounts.models import Role, User
    from medly.scale_data import GENERATED_DOMAIN

    found = {role: User.objects.get(email=f"{role}@medly.test") for role in ("patient", "doctor", "reception", "admin")}
    generated = User.objects.filter(email__endswith=f"@{GENERATED_DOMAIN}")
    busiest_doctor = (
        generated.filter(role=Role.DOCTOR).annotate(n=Count("appointments_as_doctor")).order_by("-n", "pk").first()
    )
    busiest_patient = (
        generated.filter(role=Role.PATIENT).annotate(n=Count("appointments_as_patient")).order_by("-n", "pk").first()
    )
    if busiest_doctor is not None:
        found["doctor (busiest)"] = busiest_doctor
    if busiest_patient is not None:
        found["patient (busiest)"] = busiest_patient
    return found


def pages(people):
    """(name, role key, url, is a search) of every page each role reads."""
    from django.utils import timezone

    from accounts.models import Role
    from scheduling.models import Appointment, Slot, SlotStatus, Specialty

    today = timezone.localdate()
    specialty = Specialty.objects.order_by("pk").values_list("pk", flat=True).first()
    listed = []

    def add(name, role, url, search=False):
        listed.append((name, role, url, search))

    for role, user in people.items():
        base_role = role.split(" ")[0]
        if base_role == "patient":
            doctor = people["doctor"]
            slot = (
                Slot.objects.filter(doctor=doctor, status=SlotStatus.OPEN, starts_at__gt=timezone.now())
                .order_by("starts_at")
                .first()
            )
            add("home", role, "/")
            add("directory", role, "/doctors/")
            add("directory ?q=", role, "/doctors/?q=perez", search=True)
            add("directory ?specialty=", role, f"/doctors/?specialty={specialty}", search=True)
            add("doctor page", role, f"/doctors/{doctor.pk}/")
            if slot is not None:
                add("booking confirmation", role, f"/slots/{slot.pk}/book/")
            add("/appointments/", role, "/appointments/")
            add("waitlist", role, "/waitlist/")
            add("my record", role, "/me/record/")
            add("my reminders", role, "/me/reminders/")
            add("profile", role, "/accounts/profile/")
        elif base_role == "doctor":
            patient_id = (
                Appointment.objects.filter(doctor=user)
                .order_by("-starts_at")
                .values_list("patient_id", flat=True)
                .first()
            )
            add("home", role, "/")
            add("/appointments/ (agenda)", role, "/appointments/")
            add("agenda day", role, f"/appointments/?day={today:%Y-%m-%d}&view=day")
            add("agenda week", role, f"/appointments/?day={today:%Y-%m-%d}&view=week")
            add("availability", role, "/schedule/availability/")
            add("/patients/", role, "/patients/")
            add("/patients/?q=", role, "/patients/?q=mar", search=True)
            add("public profile", role, "/doctors/me/profile/")
            if patient_id is not None:
                add("record page (own patient)", role, f"/patients/{patient_id}/record/")
        elif base_role == "reception":
            add("home", role, "/")
            add("desk day", role, f"/desk/?date={today:%Y-%m-%d}")
            add("desk booking search ?q=", role, "/desk/book/?q=lopez", search=True)
            add("desk booking by phone ?q=", role, "/desk/book/?q=9991", search=True)
            add("desk waitlist", role, "/desk/waitlist/")
            add("rectifications", role, "/desk/rectifications/")
        elif base_role == "admin":
            patient = people["patient"]
            add("home", role, "/")
            add("admin home", role, "/admin/")
            add("/patients/?q=", role, "/patients/?q=lopez", search=True)
            add("record page", role, f"/patients/{patient.pk}/record/")
            add("admin users", role, "/admin/accounts/user/")
            add("admin users ?q=", role, "/admin/accounts/user/?q=lopez", search=True)
            add("admin users by role", role, f"/admin/accounts/user/?role__exact={Role.PATIENT}")
            add("admin appointments", role, "/admin/scheduling/appointment/")
            add("admin appointments ?q=", role, "/admin/scheduling/appointment/?q=lopez", search=True)
            add("admin slots", role, "/admin/scheduling/slot/")
            add("admin audit events", role, "/admin/records/auditevent/")
            add("admin operations", role, "/admin/records/operation/")
            add("admin consents", role, "/admin/accounts/privacyconsent/")
            add("admin reminders", role, "/admin/reminders/reminder/")
    return listed


def client_for(user):
    from django.test import Client

    from twofactor import policy
    from twofactor.tests.helpers import pass_second_factor

    client = Client(raise_request_exception=False)  # a page that fails is reported with its status, not fatal
    client.force_login(user)
    if policy.must_verify(user):
        pass_second_factor(client, user)
    return client


def explain(sql):
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN {sql}")
        columns = [column[0] for column in cursor.description]
        return [dict(zip(columns, row, strict=True)) for row in cursor.fetchall()]


def flags_of(plan):
    flags = []
    for row in plan:
        # MariaDB may write "1 (0%)" for a row estimate: the leading number is the estimate.
        table, rows = row.get("table") or "", int(re.match(r"\d*", str(row.get("rows") or "")).group() or 0)
        extra = row.get("Extra") or ""
        if table not in BIG_TABLES:
            continue
        if row.get("type") == "ALL":
            flags.append(f"full scan of {table} (~{rows:,} rows)")
        if "filesort" in extra and rows >= BIG_ROWS:
            flags.append(f"filesort over {table} (~{rows:,} rows)")
    return flags


def ensure_demo_records(people):
    """The embedded MongoDB of the bench starts empty: the demo patients' record documents, as registration wrote."""
    from accounts.models import Role
    from records import repository
    from records.models import Operation, OperationKind

    for user in people.values():
        if user.role != Role.PATIENT:
            continue
        operation = Operation.objects.filter(kind=OperationKind.CREATE_RECORD, patient=user).first()
        payload = operation.payload if operation else {}
        repository.create_patient_record(
            patient_id=user.pk, blood_type=payload.get("blood_type", ""), allergies=payload.get("allergies", [])
        )


def time_page(user, url, requests):
    from django.db import connection, reset_queries
    from django.test.utils import CaptureQueriesContext

    client = client_for(user)
    for _ in range(WARM_UP):
        client.get(url)
    reset_queries()  # the request resets the log when it starts: capture from an empty one
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    timings = []
    for _ in range(requests):
        started = time.perf_counter()
        client.get(url)
        timings.append((time.perf_counter() - started) * 1000)
    return response, captured, timings


def failed_page(role, name, url, search, exc):
    return {
        "name": f"{role}: {name}",
        "compare_with": f"{role.split(' ')[0]}: {name}",
        "url": url,
        "search": search,
        "status": f"failed: {exc}",
        "queries": None,
        "median_ms": None,
        "min_ms": None,
    }


def run(out_path, requests):
    setup_django()
    from django.db import DatabaseError, connection

    people = users()
    ensure_demo_records(people)
    results, plans = [], {}
    for name, role, url, search in pages(people):
        try:
            response, captured, timings = time_page(people[role], url, requests)
        except DatabaseError as exc:
            # The database dropped the connection (a restart, a killed statement): report the page, go on.
            connection.close()
            results.append(failed_page(role, name, url, search, exc))
            print(f"  {role}: {name}: failed: {exc}", flush=True)
            continue
        label = f"{role}: {name}"
        base_role = role.split(" ")[0]
        results.append(
            {
                "name": label,
                "compare_with": f"{base_role}: {name}",
                "url": url,
                "search": search,
                "status": response.status_code,
                "queries": len(captured.captured_queries),
                "median_ms": round(statistics.median(timings), 1),
                "min_ms": round(min(timings), 1),
            }
        )
        print(f"  {label:<48} {results[-1]['median_ms']:>8} ms  {response.status_code}", flush=True)
        for query in captured.captured_queries:
            sql = query["sql"]
            if not re.match(r"\s*SELECT", sql, re.IGNORECASE):
                continue
            key = re.sub(r"\b\d+\b", "N", sql)
            if key not in plans:
                try:
                    plan = explain(sql)
                except Exception as exc:  # noqa: BLE001 (a statement EXPLAIN cannot take is reported, not fatal)
                    plan = [{"error": str(exc)}]
                plans[key] = {"sql": sql, "plan": plan, "flags": flags_of(plan), "pages": [], "search": False}
            plans[key]["pages"].append(label)
            plans[key]["search"] = plans[key]["search"] or search
    Path(out_path).write_text(
        json.dumps({"pages": results, "explains": list(plans.values())}, default=str, ensure_ascii=False),
        encoding="utf-8",
    )


if __name__ == "__main__":
    run(sys.argv[1], int(sys.argv[2]) if len(sys.argv) > 2 else 15)
