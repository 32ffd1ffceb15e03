"""Account writes. Each function owns its transaction."""

from django.conf import settings
from django.db import transaction

from accounts.models import PatientProfile, PrivacyConsent, Role, User
from records import coordinator


def register_patient(*, email, password, first_name, last_name, date_of_birth, sex, curp=None,
                     blood_type="", allergies=(), ip_address=None):
    """Create the patient in MySQL and, through the operation log, their record document in MongoDB.

    If MongoDB is unreachable the account still exists and ``manage.py
    reconcile`` creates the record document once the store is back.
    """
    with transaction.atomic():
        user = User.objects.create_user(
            email=email, password=password, first_name=first_name, last_name=last_name, role=Role.PATIENT,
        )
        PatientProfile.objects.create(user=user, date_of_birth=date_of_birth, sex=sex, curp=curp or None)
        PrivacyConsent.objects.create(user=user, notice_version=settings.PRIVACY_NOTICE_VERSION, ip_address=ip_address)
        operation = coordinator.log_record_creation(
            patient=user, blood_type=blood_type, allergies=allergies, ip_address=ip_address
        )
    coordinator.create_record_now(operation.pk)
    return user
