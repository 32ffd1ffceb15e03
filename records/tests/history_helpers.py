"""The first history's form as a browser posts it, and a history already filled in."""

from records import repository, services
from records.tests.helpers import appointment_with_record

HISTORY_FORM = {
    "current_illness": "Three weeks of headache in the afternoons.",
    "family": "Father with type 2 diabetes; mother with hypertension.",
    "chronic_illnesses": "None known.",
    "surgeries": "Appendectomy in 2010.",
    "hospitalisations": "For the appendectomy only.",
    "transfusions": "Denied.",
    "trauma": "Fractured left radius at 12.",
    "tobacco": "Never smoked.",
    "alcohol": "Socially, once a month.",
    "other_substances": "Denied.",
    "diet": "Three meals a day; little fruit.",
    "physical_activity": "Walks 30 minutes three times a week.",
    "housing": "Urban house with running water and drainage.",
    "immunisations": "Complete for age; influenza 2025.",
    "systems_review": "Cardiovascular and respiratory negative.",
    "physical_exam": "Alert and oriented; no focal signs.",
    "weight_kg": "64.5",
    "height_cm": "162",
    "temperature_c": "36.6",
    "systolic": "118",
    "diastolic": "76",
    "heart_rate": "72",
    "respiratory_rate": "16",
}
GYNECO_FORM = {
    "menarche_age": "12",
    "cycles": "Regular, every 28 days, 5 days.",
    "last_menstrual_period": "2026-11-20",
    "pregnancies": "2",
    "births": "1",
    "caesareans": "1",
    "abortions": "0",
    "contraception": "Copper IUD since 2022.",
    "last_pap_smear": "2025-06-10",
    "last_mammography": "",
}


def history_form(**fields):
    """The history page's POST body (a female patient's, with the gyneco-obstetric section)."""
    return {**HISTORY_FORM, **GYNECO_FORM, **fields}


def history_url(patient_id):
    return f"/patients/{patient_id}/history/"


def history_addenda_url(patient_id):
    return f"/patients/{patient_id}/history/addenda/"


def history_content(**overrides):
    """The clinical content fill_history takes, as the form makes it."""
    content = {
        "current_illness": "Headache.",
        "family": "",
        "systems_review": "",
        "physical_exam": "Normal.",
        "pathological": dict.fromkeys(repository.HISTORY_SECTIONS["pathological"], ""),
        "non_pathological": dict.fromkeys(repository.HISTORY_SECTIONS["non_pathological"], ""),
        "gyneco_obstetric": None,
        "vitals": {
            "weight_kg": 70.0,
            "height_cm": 170.0,
            "temperature_c": 36.5,
            "systolic": 120.0,
            "diastolic": 80.0,
            "heart_rate": 70.0,
            "respiratory_rate": 16.0,
            "bmi": 24.2,
        },
    }
    content.update(overrides)
    return content


def filled_history(appointment=None):
    """A doctor with access and their patient, whose history that doctor has filled in."""
    appointment = appointment or appointment_with_record()
    services.fill_history(
        doctor=appointment.doctor,
        patient_id=appointment.patient_id,
        history_id=repository.new_history_id(),
        history=history_content(),
    )
    return appointment
