"""Entries for one patient written at once, on MariaDB with real threads: one chain, never a fork.

Nothing in the code under test is switched off: a patch point holds each racer
inside the transaction that has just moved the chain head, so without the
head's row lock the next racer would link after the same head.
"""

import threading
import time

import pytest

from accounts.tests.factories import DoctorFactory
from medly.tests.racing import race
from records import chain, coordinator, services
from records.tests.chain_helpers import add_addendum, another_appointment, assert_chain_valid, patient_with_history
from records.tests.helpers import appointment_with_record, consultation_payload
from records.tests.view_helpers import closed_encounter
from scheduling.tests.factories import AppointmentFactory

pytestmark = [pytest.mark.mysql, pytest.mark.django_db(transaction=True)]


class HeldAfterLinking:
    """Every racer that has just moved the head stays inside its transaction ``seconds`` long."""

    def __init__(self, monkeypatch, seconds=0.5):
        self.inside = self.most_inside = self.linked = 0
        self._count = threading.Lock()
        append = chain.append

        def held(*args, **kwargs):
            link = append(*args, **kwargs)
            with self._count:
                self.linked += 1
                self.inside += 1
                self.most_inside = max(self.most_inside, self.inside)
            time.sleep(seconds)
            with self._count:
                self.inside -= 1
            return link

        monkeypatch.setattr(chain, "append", held)


def close(appointment, diagnosis):
    return coordinator.close_consultation(
        appointment_id=appointment.pk, doctor=appointment.doctor, payload=consultation_payload(diagnosis=diagnosis)
    )


def test_two_closes_for_one_patient_at_once_are_linked_one_after_the_other(monkeypatch):
    earlier, _ = closed_encounter()  # the patient's chain head exists: both racers meet at its row lock
    first = another_appointment(earlier)
    second = AppointmentFactory(patient=earlier.patient, slot__doctor=DoctorFactory())
    held = HeldAfterLinking(monkeypatch)

    outcomes = race(lambda: close(first, "First doctor"), lambda: close(second, "Second doctor"))

    assert [type(outcome).__name__ for outcome in outcomes] == ["CloseResult", "CloseResult"]
    assert all(outcome.finished for outcome in outcomes)
    assert (held.linked, held.most_inside) == (2, 1)
    assert_chain_valid(earlier.patient_id, 3)


def test_four_first_closes_at_once_create_one_head_and_one_chain_of_four(monkeypatch):
    first = appointment_with_record()
    appointments = [first] + [AppointmentFactory(patient=first.patient, slot__doctor=DoctorFactory()) for _ in range(3)]
    held = HeldAfterLinking(monkeypatch, seconds=0.2)

    outcomes = race(*[lambda a=a: close(a, f"Doctor {a.doctor_id}") for a in appointments])

    assert all(isinstance(outcome, coordinator.CloseResult) and outcome.finished for outcome in outcomes), outcomes
    assert held.most_inside == 1
    assert_chain_valid(first.patient_id, 4)


def test_a_close_and_an_addendum_for_one_patient_at_once_are_linked_one_after_the_other(monkeypatch):
    history = patient_with_history()
    fresh = another_appointment(history.first)
    held = HeldAfterLinking(monkeypatch)

    outcomes = race(
        lambda: close(fresh, "Visit 3"),
        lambda: add_addendum(history.first, history.second_encounter)[1],
    )

    assert isinstance(outcomes[0], coordinator.CloseResult) and outcomes[0].finished
    assert outcomes[1] == services.AddendumOutcome.ADDED
    assert (held.linked, held.most_inside) == (2, 1)
    assert_chain_valid(history.patient_id, 5)


def test_two_addenda_at_once_are_linked_one_after_the_other(monkeypatch):
    history = patient_with_history()
    held = HeldAfterLinking(monkeypatch)

    outcomes = race(
        lambda: add_addendum(history.first, history.first_encounter, text="One")[1],
        lambda: add_addendum(history.first, history.second_encounter, text="Two")[1],
    )

    assert outcomes == [services.AddendumOutcome.ADDED] * 2
    assert held.most_inside == 1
    assert_chain_valid(history.patient_id, 5)
