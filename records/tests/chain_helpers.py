"""A patient's record chain as the tests build and read it."""

from dataclasses import dataclass
from io import StringIO

from django.core.management import call_command

from records import repository, services
from records.integrity import find_chain_breaks
from records.models import RecordChainHead
from records.tests.helpers import appointment_with_record
from records.tests.view_helpers import closed_encounter
from scheduling.tests.factories import AppointmentFactory


@dataclass
class History:
    first: object  # the first appointment (its patient, its doctor)
    first_encounter: str  # entry 1
    second_encounter: str  # entry 2
    addendum_id: str  # entry 3: an addendum to the first encounter

    @property
    def patient_id(self):
        return self.first.patient_id


def add_addendum(appointment, encounter_id, *, text="500 mg, not 50 mg."):
    addendum_id = repository.new_encounter_id()
    outcome = services.add_addendum(
        doctor=appointment.doctor,
        patient_id=appointment.patient_id,
        encounter_id=encounter_id,
        addendum_id=addendum_id,
        reason="Wrong dose",
        text=text,
    )
    return addendum_id, outcome


def another_appointment(appointment):
    return AppointmentFactory(patient=appointment.patient, slot__doctor=appointment.doctor)


def patient_with_history():
    """Two closed consultations and an addendum to the first: three entries in the chain."""
    first, first_encounter = closed_encounter(appointment_with_record(), diagnosis="Visit 1")
    _, second_encounter = closed_encounter(another_appointment(first), diagnosis="Visit 2")
    addendum_id, outcome = add_addendum(first, first_encounter)
    assert outcome == services.AddendumOutcome.ADDED
    return History(first, first_encounter, second_encounter, addendum_id)


def head_of(patient_id):
    head = RecordChainHead.objects.filter(patient_id=patient_id).first()
    return (head.sequence, head.last_hash) if head else (0, None)


def links_of(patient_id):
    """(kind, sequence) of every linked entry in MongoDB, in chain order."""
    links = []
    for encounter in repository.chain_documents(patient_id=patient_id):
        if encounter.get("chain"):
            links.append(("encounter", encounter["chain"]["sequence"]))
        links.extend(("addendum", a["chain"]["sequence"]) for a in encounter.get("addenda", []) if a.get("chain"))
    return sorted(links, key=lambda link: link[1])


def assert_chain_valid(patient_id, entries):
    assert find_chain_breaks() == []
    assert head_of(patient_id)[0] == entries
    assert [sequence for _, sequence in links_of(patient_id)] == list(range(1, entries + 1))


def check_consistency():
    out, err = StringIO(), StringIO()
    try:
        call_command("check_consistency", stdout=out, stderr=err)
    except SystemExit as exit_:
        return exit_.code, out.getvalue()
    return 0, out.getvalue()
