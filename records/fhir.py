"""A patient's export as a FHIR R4 Bundle (type ``collection``), built and validated with fhir.resources' R4B models.

Resources: Patient, AllergyIntolerance (one per recorded allergy), and per final encounter an
Encounter, its vital signs as Observations (LOINC codes, UCUM units), its diagnosis as a
Condition (CIE-10 = ICD-10 when a code was given) and each prescription line as a
MedicationRequest; the first history's vital signs as Observations of their own (its text is
in the JSON export only). Pending encounters (not yet signed into the records store) are left out.
Ids and fullUrls are derived from Medly's own ids, so the same data always gives the same Bundle.
"""

import uuid

from django.conf import settings
from django.utils import timezone
from fhir.resources.R4B.bundle import Bundle

from records.export import PatientCopy

CONTENT_TYPE = "application/fhir+json"
LOINC = "http://loinc.org"
UCUM = "http://unitsofmeasure.org"
ICD_10 = "http://hl7.org/fhir/sid/icd-10"
OBSERVATION_CATEGORY = "http://terminology.hl7.org/CodeSystem/observation-category"
CONDITION_CATEGORY = "http://terminology.hl7.org/CodeSystem/condition-category"
ALLERGY_CLINICAL = "http://terminology.hl7.org/CodeSystem/allergyintolerance-clinical"
ACT_CODE = "http://terminology.hl7.org/CodeSystem/v3-ActCode"
IDENTIFIER_TYPE = "http://terminology.hl7.org/CodeSystem/v2-0203"

# Medly's vital -> (LOINC code, LOINC display, UCUM unit).
VITAL_SIGNS = {
    "weight_kg": ("29463-7", "Body weight", "kg"),
    "height_cm": ("8302-2", "Body height", "cm"),
    "bmi": ("39156-5", "Body mass index (BMI) [Ratio]", "kg/m2"),
    "temperature_c": ("8310-5", "Body temperature", "Cel"),
    "systolic": ("8480-6", "Systolic blood pressure", "mm[Hg]"),
    "diastolic": ("8462-4", "Diastolic blood pressure", "mm[Hg]"),
    "heart_rate": ("8867-4", "Heart rate", "/min"),
    "respiratory_rate": ("9279-1", "Respiratory rate", "/min"),
    "spo2": ("59408-5", "Oxygen saturation in Arterial blood by Pulse oximetry", "%"),
    "glucose_mg_dl": ("41653-7", "Glucose [Mass/volume] in Capillary blood by Glucometer", "mg/dL"),
}
GENDERS = {"F": "female", "M": "male", "X": "other"}


def _full_url(resource_type, resource_id):
    return f"urn:uuid:{uuid.uuid5(uuid.NAMESPACE_URL, f'{settings.SITE_URL}/fhir/{resource_type}/{resource_id}')}"


def _when(value):
    return timezone.localtime(value).isoformat() if value else None


class _BundleBuilder:
    def __init__(self, copy: PatientCopy):
        self.copy = copy
        self.entries = []
        self.patient_url = _full_url("Patient", f"patient-{copy.patient.pk}")

    def add(self, resource):
        resource = _pruned(resource)
        self.entries.append({"fullUrl": _full_url(resource["resourceType"], resource["id"]), "resource": resource})
        return self.entries[-1]["fullUrl"]

    def build(self):
        self.add(self.patient())
        for number, allergy in enumerate(self.copy.record.get("allergies", []), start=1):
            self.add(self.allergy(number, allergy))
        history = self.copy.history
        if history:
            # The first history's physical exam (NOM-004 6.1): its vital signs, taken when it was written.
            self.add_vital_signs(
                history.get("vitals"), id_prefix=f"history-{history['id']}", taken_at=history["created_at"]
            )
        for document in self.copy.encounters:
            if document.get("state") == "final":
                self.add_encounter(document)
        bundle = {
            "resourceType": "Bundle",
            "type": "collection",
            "timestamp": _when(self.copy.generated_at),
            "entry": self.entries,
        }
        return Bundle.model_validate(bundle)

    def patient(self):
        patient, profile = self.copy.patient, getattr(self.copy.patient, "patient_profile", None)
        identifiers = [{"system": f"{settings.SITE_URL}/patients", "value": str(patient.pk)}]
        if profile and profile.curp:
            identifiers.append(
                {
                    "type": {"coding": [{"system": IDENTIFIER_TYPE, "code": "NI"}], "text": "CURP"},
                    "value": profile.curp,
                }
            )
        telecom = [{"system": "phone", "value": patient.phone}] if patient.phone else []
        if patient.email:
            telecom.append({"system": "email", "value": patient.email})
        resource = {
            "resourceType": "Patient",
            "id": f"patient-{patient.pk}",  # the id patient_url is derived from
            "identifier": identifiers,
            "active": patient.is_active,
            "name": [
                {
                    "use": "official",
                    "family": patient.last_name,
                    "given": [patient.first_name],
                    "text": patient.get_full_name(),
                }
            ],
            "telecom": telecom,
            "communication": [
                {
                    "language": {"coding": [{"system": "urn:ietf:bcp:47", "code": _bcp47(patient.language)}]},
                    "preferred": True,
                }
            ],
            "managingOrganization": {"display": self.copy.clinic.name},
        }
        if profile and profile.sex in GENDERS:
            resource["gender"] = GENDERS[profile.sex]
        if profile and profile.date_of_birth:
            resource["birthDate"] = profile.date_of_birth.isoformat()
        return resource

    def allergy(self, number, allergy):
        return {
            "resourceType": "AllergyIntolerance",
            "id": f"patient-{self.copy.patient.pk}-allergy-{number}",
            "clinicalStatus": {"coding": [{"system": ALLERGY_CLINICAL, "code": "active"}]},
            "code": {"text": allergy},
            "patient": {"reference": self.patient_url},
        }

    def add_vital_signs(self, vitals, *, id_prefix, taken_at, encounter=None):
        for name, value in (vitals or {}).items():
            if value is None or name not in VITAL_SIGNS:
                continue
            code, display, unit = VITAL_SIGNS[name]
            self.add(
                {
                    "resourceType": "Observation",
                    "id": f"{id_prefix}-{name.replace('_', '-')}",
                    "status": "final",
                    "category": [{"coding": [{"system": OBSERVATION_CATEGORY, "code": "vital-signs"}]}],
                    "code": {"coding": [{"system": LOINC, "code": code, "display": display}], "text": display},
                    "subject": {"reference": self.patient_url},
                    "encounter": encounter,
                    "effectiveDateTime": _when(taken_at),
                    "valueQuantity": {"value": value, "unit": unit, "system": UCUM, "code": unit},
                }
            )

    def add_encounter(self, document):
        encounter_id = document["id"]
        visit_start = self.copy.visit_starts.get(document.get("appointment_id")) or document.get("created_at")
        author = {"display": (document.get("author") or {}).get("name", "")}
        encounter_url = _full_url("Encounter", encounter_id)
        condition = {
            "resourceType": "Condition",
            "id": f"{encounter_id}-diagnosis",
            "category": [{"coding": [{"system": CONDITION_CATEGORY, "code": "encounter-diagnosis"}]}],
            "code": {"text": document["diagnosis"]},
            "subject": {"reference": self.patient_url},
            "encounter": {"reference": encounter_url},
            "recordedDate": _when(document.get("created_at")),
            "recorder": author,
        }
        if document.get("diagnosis_code"):
            condition["code"]["coding"] = [{"system": ICD_10, "code": document["diagnosis_code"]}]
        self.add(
            {
                "resourceType": "Encounter",
                "id": encounter_id,
                "status": "finished",
                "class": {"system": ACT_CODE, "code": "AMB", "display": "ambulatory"},
                "subject": {"reference": self.patient_url},
                "participant": [{"individual": author}],
                "period": {"start": _when(visit_start)},
                "diagnosis": [{"condition": {"reference": _full_url("Condition", condition["id"])}}],
                "serviceProvider": {"display": self.copy.clinic.name},
            }
        )
        self.add(condition)
        self.add_vital_signs(
            document.get("vitals"), id_prefix=encounter_id, taken_at=visit_start, encounter={"reference": encounter_url}
        )
        for number, line in enumerate(document.get("prescription", []), start=1):
            medication = " ".join(part for part in (line.get("drug", ""), line.get("presentation", "")) if part)
            self.add(
                {
                    "resourceType": "MedicationRequest",
                    "id": f"{encounter_id}-rx-{number}",
                    # Medly records what was prescribed, not whether it is still being taken.
                    "status": "unknown",
                    "intent": "order",
                    "medicationCodeableConcept": {"text": medication},
                    "subject": {"reference": self.patient_url},
                    "encounter": {"reference": encounter_url},
                    "authoredOn": _when(document.get("created_at")),
                    "requester": author,
                    "dosageInstruction": [
                        {
                            "text": ", ".join(
                                line[key] for key in ("dose", "route", "frequency", "duration") if line.get(key)
                            ),
                            "route": {"text": line.get("route", "")} if line.get("route") else None,
                        }
                    ],
                }
            )


def _pruned(value):
    """``value`` without empty strings, None, or containers left empty: FHIR allows no empty values."""
    if isinstance(value, dict):
        pruned = {key: _pruned(item) for key, item in value.items()}
        return {key: item for key, item in pruned.items() if item not in ("", None, [], {})}
    if isinstance(value, list):
        return [item for item in (_pruned(item) for item in value) if item not in ("", None, [], {})]
    return value


def _bcp47(language):
    language, _, region = language.partition("-")
    return f"{language}-{region.upper()}" if region else language


def bundle(copy: PatientCopy):
    """The validated fhir.resources R4B Bundle of ``copy``."""
    return _BundleBuilder(copy).build()


def as_json(copy: PatientCopy):
    return bundle(copy).model_dump_json(exclude_none=True, indent=2)
