"""The administrator's home: what needs a person, with counts and links, in a fixed number of queries."""

import re
from datetime import timedelta

import pytest
from django.tasks import TaskResultStatus
from django.urls import reverse
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from accounts.tests.factories import AdminFactory, PatientFactory
from medly.queries import MAIL_TASK_PATH, operational_state
from records.models import Operation, OperationKind, OperationState
from reminders.models import Channel, Reminder, ReminderState
from scheduling.tests.factories import AppointmentFactory

pytestmark = pytest.mark.django_db

# The user (sessions live in the cache), the second factor's device, then one aggregate each for
# operations, reminders and task results.
ADMIN_HOME_QUERIES = 5


def operation(*, state=OperationState.PREPARED, needs_attention=False, age=timedelta(0)):
    created = Operation.objects.create(
        kind=OperationKind.CREATE_RECORD,
        state=state,
        patient=PatientFactory(),
        payload={},
        needs_attention=needs_attention,
    )
    Operation.objects.filter(pk=created.pk).update(updated_at=timezone.now() - age)


def reminder(state):
    appointment = AppointmentFactory()
    Reminder.objects.create(
        appointment=appointment,
        channel=Channel.EMAIL,
        appointment_starts_at=appointment.starts_at + timedelta(minutes=Reminder.objects.count()),
        due_at=timezone.now(),
        state=state,
    )


def task_result(path, status):
    now = timezone.now()
    DBTaskResult.objects.create(
        status=status,
        task_path=path,
        args_kwargs={"args": [], "kwargs": {}},
        queue_name="default",
        backend_name="default",
        priority=0,
        enqueued_at=now,
        run_after=None,
    )


@pytest.fixture
def trouble():
    operation(needs_attention=True)
    operation(needs_attention=True, state=OperationState.COMMITTED, age=timedelta(hours=2))
    operation(age=timedelta(hours=1))
    operation(age=timedelta(minutes=1))
    operation(state=OperationState.DONE, needs_attention=True, age=timedelta(days=1))
    reminder(ReminderState.FAILED)
    reminder(ReminderState.SKIPPED)
    reminder(ReminderState.SKIPPED)
    reminder(ReminderState.SENT)
    task_result(MAIL_TASK_PATH, TaskResultStatus.FAILED)
    task_result(MAIL_TASK_PATH, TaskResultStatus.FAILED)
    task_result(MAIL_TASK_PATH, TaskResultStatus.SUCCESSFUL)
    task_result("reminders.tasks.send_due_reminders", TaskResultStatus.FAILED)


def test_it_counts_what_needs_a_person(trouble):
    assert operational_state() == {
        "needing_a_person": 7,
        "operations_attention": 2,
        "operations_stuck": 1,
        "reminders_failed": 1,
        "reminders_skipped": 2,
        "mail_failed": 2,
        "tasks_failed": 1,
        "mail_task_path": MAIL_TASK_PATH,
    }


def test_the_home_shows_the_counts_with_links_to_the_rows(client, trouble):
    client.force_login(AdminFactory())

    page = client.get(reverse("home")).text

    assert "7 problems need your attention" in page
    assert "2 record writes need attention" in page
    assert "1 record write waiting for more than 15 minutes" in page
    assert "2 emails could not be sent" in page
    assert "1 reminder failed" in page and "2 skipped" in page
    assert "1 other background task failed" in page
    assert f"{reverse('admin:records_operation_changelist')}?needs_attention__exact=1" in page
    assert f"{reverse('admin:reminders_reminder_changelist')}?state__exact=failed" in page
    mail_link = f"{reverse('admin:django_tasks_database_dbtaskresult_changelist')}?status__exact=FAILED&amp;task_path="
    assert mail_link + MAIL_TASK_PATH in page
    for area in (
        "accounts_user_changelist",
        "accounts_user_add_doctor",
        "scheduling_appointment_changelist",
        "records_clinicdetails_changelist",
        "records_auditevent_changelist",
    ):
        assert reverse(f"admin:{area}") in page


def test_every_link_on_the_home_opens(client, trouble):
    client.force_login(AdminFactory())
    page = client.get(reverse("home")).text

    for link in set(re.findall(r'href="(/admin/[^"]*)"', page)):
        response = client.get(link.replace("&amp;", "&"))
        assert response.status_code == 200, link
        assert "?e=1" not in response.get("Location", ""), link


@pytest.mark.parametrize("trouble_count", [0, 1])
def test_the_home_costs_the_same_queries_however_much_trouble(client, django_assert_num_queries, trouble_count):
    for _ in range(trouble_count * 3):
        operation(needs_attention=True)
        reminder(ReminderState.FAILED)
        task_result(MAIL_TASK_PATH, TaskResultStatus.FAILED)
    client.force_login(AdminFactory())

    with django_assert_num_queries(ADMIN_HOME_QUERIES):
        client.get(reverse("home"))


def test_all_is_well_reads_as_zero_everywhere(client):
    client.force_login(AdminFactory())

    page = client.get(reverse("home")).text

    assert "0 record writes need attention" in page
    assert "Everything is running: nothing needs your attention." in page
    assert "state-problem" not in page
