"""records 0002: an appointment's existing operation stays its live one unless it was aborted."""

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from scheduling.tests.factories import AppointmentFactory

BEFORE = [("records", "0001_initial")]
AFTER = [("records", "0002_operation_retries")]


def migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


@pytest.fixture
def migrated_back_to_the_latest_afterwards():
    yield
    # Going back to records 0001 also unapplied every later migration that depends on it
    # (accounts 0004 and after): leave the schema complete for the tests that follow.
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(executor.loader.graph.leaf_nodes())


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("migrated_back_to_the_latest_afterwards")
def test_live_appointment_is_filled_for_every_operation_but_aborted_ones():
    done, aborted = AppointmentFactory(), AppointmentFactory()
    old = migrate(BEFORE)
    Operation = old.get_model("records", "Operation")
    for appointment, state in ((done, "done"), (aborted, "aborted")):
        Operation.objects.create(
            kind="close_consultation",
            state=state,
            patient_id=appointment.patient_id,
            appointment_id=appointment.pk,
            payload={},
        )
    new = migrate(AFTER)

    live = dict(new.get_model("records", "Operation").objects.values_list("state", "live_appointment_id"))
    assert live == {"done": done.pk, "aborted": None}
