"""At a clinic network's size: lists of one role read the role index, and admin lists of the big tables read
their page through an index in order, without joining the users into it (EXPLAIN; bench/scale.py)."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts.models import Role, User
from accounts.tests.factories import AdminFactory, DoctorFactory
from desk import queries as desk_queries
from medly.tests.query_plans import captured_plans, plan, plan_of_sql
from records.models import Operation, OperationKind, OperationState
from scheduling.models import Appointment, AppointmentStatus, Slot, SlotStatus
from waitlist import queries as waitlist_queries

# Transactional: the fixture commits its rows and refreshes the tables' statistics (ANALYZE TABLE commits
# implicitly), so each plan follows from this test's rows, not from whatever earlier tests left in InnoDB's
# persistent statistics.
pytestmark = pytest.mark.django_db(transaction=True)

ROLE_INDEX = "user_role_active_name"
APPOINTMENTS = 1200


@pytest.fixture
def network():
    """Four doctors among 400 patients, 1,200 slots and appointments and 400 operations: enough rows that
    the optimizer prefers an index to reading a table, as it does at the network's size."""
    doctors = [DoctorFactory(last_name=f"Doctor {n}") for n in range(4)]
    patients = User.objects.bulk_create(
        User(email=f"net{n}@clinic.test", first_name="Paciente", last_name=f"Red {n:03}", role=Role.PATIENT)
        for n in range(400)
    )
    now = timezone.now().replace(minute=0, second=0, microsecond=0)
    Slot.objects.bulk_create(
        Slot(
            doctor=doctors[n % 4],
            starts_at=now + timedelta(minutes=30 * n - 6000),
            ends_at=now + timedelta(minutes=30 * n - 5970),
            status=SlotStatus.OPEN,
        )
        for n in range(1200)
    )
    appointments = Appointment.objects.bulk_create(
        Appointment(
            patient=patients[n % 400],
            doctor=doctors[n % 4],
            booked_by=patients[n % 400],
            starts_at=now + timedelta(hours=n - APPOINTMENTS // 2),
            ends_at=now + timedelta(hours=n - APPOINTMENTS // 2, minutes=30),
            status=AppointmentStatus.COMPLETED if n < APPOINTMENTS // 2 else AppointmentStatus.SCHEDULED,
        )
        for n in range(APPOINTMENTS)
    )
    Operation.objects.bulk_create(
        Operation(
            kind=OperationKind.CLOSE_CONSULTATION,
            state=OperationState.DONE,
            patient=appointment.patient,
            appointment=appointment,
            payload={},
        )
        for appointment in appointments[:400]
    )
    with connection.cursor() as cursor:
        tables = ("accounts_user", "scheduling_slot", "scheduling_appointment", "records_operation")
        cursor.execute(f"ANALYZE TABLE {', '.join(tables)}")
        cursor.fetchall()
    return doctors


def test_the_desks_and_waitlists_doctors_are_read_from_the_role_index_in_name_order(network):
    for doctors in (
        User.objects.filter(role=Role.DOCTOR, is_active=True).order_by("last_name", "first_name", "pk"),
        waitlist_queries.waitlist_doctors(),
    ):
        rows = plan(doctors)
        assert [row["key"] for row in rows] == [ROLE_INDEX], rows
        assert "filesort" not in (rows[0]["Extra"] or ""), rows

    with CaptureQueriesContext(connection) as captured:
        desk_queries.bookable_doctors()
    rows = captured_plans(captured, "accounts_user")
    assert {row["key"] for row in rows} == {ROLE_INDEX}, rows


def test_the_desk_days_doctors_are_read_from_the_role_index(network):
    with CaptureQueriesContext(connection) as captured:
        desk_queries.desk_day(timezone.localdate())
    doctors_query = next(
        query["sql"]
        for query in captured.captured_queries
        if query["sql"].lstrip().upper().startswith("SELECT") and " FROM `accounts_user`" in query["sql"]
    )
    rows = [row for row in plan_of_sql(doctors_query) if row["table"] == "accounts_user"]
    assert [row["key"] for row in rows] == [ROLE_INDEX], rows


def index_columns(table, name):
    with connection.cursor() as cursor:
        cursor.execute(f"SHOW INDEX FROM `{table}` WHERE Key_name = %s", [name])
        columns = [column[0] for column in cursor.description]
        rows = [dict(zip(columns, row, strict=True)) for row in cursor.fetchall()]
    return [row["Column_name"] for row in sorted(rows, key=lambda row: row["Seq_in_index"])]


def assert_an_index_serves_the_order(table, order_columns):
    """Some index of ``table`` begins with ``order_columns`` (InnoDB appends the primary key to each)."""
    with connection.cursor() as cursor:
        cursor.execute(f"SHOW INDEX FROM `{table}`")
        names = {row[2] for row in cursor.fetchall()}
    wanted = [column for column in order_columns if column != "id"]
    assert any(index_columns(table, name)[: len(wanted)] == wanted for name in names), (table, order_columns)


def page_query(captured, table):
    """The statement that read the list's page of ``table`` (the one with the admin's ordering and LIMIT)."""
    return next(
        query["sql"]
        for query in captured.captured_queries
        if query["sql"].lstrip().upper().startswith("SELECT")
        and f" FROM `{table}`" in query["sql"]
        and "ORDER BY" in query["sql"]
        and "LIMIT" in query["sql"]
    )


@pytest.mark.parametrize(
    ("path", "table", "order", "index"),
    [
        # At the network's size MariaDB reads these pages through the index named (bench/README.md, EXPLAIN of
        # bench/scale.py); at this test's size its statistics may price a sort of the small table as cheaper,
        # depending on what earlier tests left in them, so the index serving the order is pinned, not the plan.
        ("/admin/scheduling/appointment/", "scheduling_appointment", "`starts_at` ASC, {table}.`id` ASC", None),
        ("/admin/scheduling/slot/", "scheduling_slot", "`starts_at` ASC, {table}.`id` ASC", None),
        ("/admin/records/operation/", "records_operation", "`id` DESC", "PRIMARY"),
    ],
)
def test_an_admin_list_of_a_big_table_reads_its_page_in_index_order_and_its_people_after(
    client, network, path, table, order, index
):
    client.force_login(AdminFactory())
    client.get(path)  # the session and second factor, read once

    with CaptureQueriesContext(connection) as captured:
        response = client.get(path)

    assert response.status_code == 200
    sql = page_query(captured, table)
    assert "JOIN" not in sql, sql
    assert f"ORDER BY `{table}`.{order.format(table=f'`{table}`')} LIMIT" in sql, sql
    if index is None:
        assert_an_index_serves_the_order(table, [column for column in order.split("`")[1::2] if column != table])
    else:
        rows = plan_of_sql(sql)
        assert [(row["table"], row["key"]) for row in rows] == [(table, index)], (rows, sql)
        assert "filesort" not in (rows[0]["Extra"] or ""), rows
    # The people shown in the list came in one query for each of their columns, not one per row.
    people = [query["sql"] for query in captured.captured_queries if " FROM `accounts_user`" in query["sql"]]
    assert sum(" IN (" in query for query in people) == (2 if table == "scheduling_appointment" else 1), people


def test_the_slot_list_filters_by_doctors_only(client, network):
    client.force_login(AdminFactory())

    response = client.get("/admin/scheduling/slot/")

    doctor_filter = next(spec for spec in response.context["cl"].filter_specs if spec.field_path == "doctor")
    assert {pk for pk, _label in doctor_filter.lookup_choices} == {doctor.pk for doctor in network}


def test_the_user_list_is_read_in_name_order_from_the_name_index(client, network):
    client.force_login(AdminFactory())
    client.get("/admin/accounts/user/")

    with CaptureQueriesContext(connection) as captured:
        response = client.get("/admin/accounts/user/")

    assert response.status_code == 200
    sql = page_query(captured, "accounts_user")
    assert "ORDER BY `accounts_user`.`last_name` ASC, `accounts_user`.`first_name` ASC, `accounts_user`.`id` ASC" in sql
    assert index_columns("accounts_user", "user_name_order")[:2] == ["last_name", "first_name"]
