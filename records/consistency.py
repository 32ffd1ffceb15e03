"""Every way MySQL and MongoDB can disagree about records and consultations."""

from collections import Counter

from accounts.models import Role, User
from records import repository
from records.models import UNFINISHED_STATES, Operation
from records.operations import operations_needing_attention
from scheduling.models import Appointment, AppointmentStatus


def find_disagreements():
    problems = []
    encounters = repository.list_encounter_refs()
    record_patient_ids = repository.list_record_patient_ids()

    by_appointment = {}
    for encounter in encounters:
        by_appointment.setdefault(encounter["appointment_id"], []).append(encounter)
        if encounter["state"] != "final":
            problems.append(f"encounter {encounter['id']} (appointment {encounter['appointment_id']}) is still pending")

    appointments = {
        appointment["pk"]: appointment
        for appointment in Appointment.objects.filter(pk__in=list(by_appointment)).values(
            "pk", "status", "encounter_id", "patient_id", "doctor_id"
        )
    }
    completed = Appointment.objects.filter(status=AppointmentStatus.COMPLETED).values(
        "pk", "status", "encounter_id", "patient_id", "doctor_id"
    )
    for appointment in completed:
        appointments[appointment["pk"]] = appointment
        finals = [e for e in by_appointment.get(appointment["pk"], []) if e["state"] == "final"]
        if len(finals) != 1:
            problems.append(f"appointment {appointment['pk']} is completed but has {len(finals)} final encounters")
        elif finals[0]["id"] != appointment["encounter_id"]:
            problems.append(
                f"appointment {appointment['pk']} points at encounter {appointment['encounter_id'] or '(none)'} "
                f"but its final encounter is {finals[0]['id']}"
            )

    for appointment_id, found in by_appointment.items():
        appointment = appointments.get(appointment_id)
        if appointment is None:
            problems.append(
                f"encounter(s) {', '.join(e['id'] for e in found)} name appointment {appointment_id}, "
                "which does not exist"
            )
            continue
        for encounter in found:
            if encounter["state"] == "final" and appointment["status"] != AppointmentStatus.COMPLETED:
                problems.append(
                    f"encounter {encounter['id']} is final but appointment {appointment_id} is {appointment['status']}"
                )
            people = (appointment["patient_id"], appointment["doctor_id"])
            if (encounter["patient_id"], encounter["doctor_id"]) != people:
                problems.append(
                    f"encounter {encounter['id']} names another patient or doctor than appointment {appointment_id}"
                )

    for appointment_id in Appointment.objects.filter(status=AppointmentStatus.CLOSING).values_list("pk", flat=True):
        problems.append(f"appointment {appointment_id} is still closing")
    for operation in Operation.objects.filter(state__in=UNFINISHED_STATES).values_list("pk", "kind", "state"):
        problems.append("operation {} ({}) is unfinished: {}".format(*operation))
    for pk, kind, attempts, error in operations_needing_attention().values_list("pk", "kind", "attempts", "last_error"):
        problems.append(f"operation {pk} ({kind}) needs attention after {attempts} failed attempt(s): {error}")

    patient_ids = set(User.objects.filter(role=Role.PATIENT).values_list("pk", flat=True))
    record_counts = Counter(record_patient_ids)
    for patient_id in sorted(patient_ids - set(record_counts)):
        problems.append(f"patient {patient_id} has no record document")
    for patient_id, count in sorted(record_counts.items()):
        if count > 1:
            problems.append(f"patient {patient_id} has {count} record documents")
        if patient_id not in patient_ids:
            problems.append(f"record document for patient {patient_id}, who does not exist")
    return problems
