"""Give every patient created outside register_patient (Django admin, scripts) a profile and a record.

What cannot be known is not invented: the date of birth and sex stay empty (shown as "not
recorded") and no privacy consent row is written, since nobody recorded one. The record
document is not written here: a CREATE_RECORD operation goes into the log and
``manage.py reconcile`` (also run at start-up and on a timer) creates it in MongoDB; for a
patient whose document already exists that write changes nothing.
"""

from django.db import migrations


def repair_patients(apps, schema_editor):
    User = apps.get_model("accounts", "User")
    PatientProfile = apps.get_model("accounts", "PatientProfile")
    Operation = apps.get_model("records", "Operation")
    patients = User.objects.filter(role="patient")
    for patient in patients.filter(patient_profile__isnull=True).order_by("pk"):
        PatientProfile.objects.create(user=patient, date_of_birth=None, sex="", curp=None)
    logged = Operation.objects.filter(kind="create_record").values("patient_id")
    for patient in patients.exclude(pk__in=logged).order_by("pk"):
        Operation.objects.create(
            kind="create_record",
            state="prepared",
            patient=patient,
            payload={"blood_type": "", "allergies": []},
        )


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0003_consent_channel_derived_staff"),
        ("records", "0002_operation_retries"),
    ]

    operations = [migrations.RunPython(repair_patients, migrations.RunPython.noop)]
