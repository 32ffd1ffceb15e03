"""Account writes. Each function owns its transaction."""

import logging

from django.conf import settings
from django.db import transaction

from accounts.exceptions import RegistrationUnavailable
from accounts.models import PatientProfile, PrivacyConsent, Role, User
from records import repository

logger = logging.getLogger(__name__)


def register_patient(*, email, password, first_name, last_name, date_of_birth, sex, curp=None,
                     blood_type="", allergies=(), ip_address=None):
    """Create a patient in MySQL and their record document in MongoDB, or neither.

    The MySQL rows are written in a transaction that commits only after the
    record document exists; if the commit itself fails, the document is
    removed again.
    """
    attempted_record_for = None
    try:
        with transaction.atomic():
            user = User.objects.create_user(
                email=email,
                password=password,
                first_name=first_name,
                last_name=last_name,
                role=Role.PATIENT,
            )
            PatientProfile.objects.create(user=user, date_of_birth=date_of_birth, sex=sex, curp=curp or None)
            PrivacyConsent.objects.create(
                user=user, notice_version=settings.PRIVACY_NOTICE_VERSION, ip_address=ip_address
            )
            attempted_record_for = user.pk
            repository.create_patient_record(patient_id=user.pk, blood_type=blood_type, allergies=list(allergies))
    except BaseException as exc:
        # The MySQL rows are rolled back; a record document that may have been
        # written (even by a write whose reply was lost) must go too.
        if attempted_record_for is not None:
            _remove_record_quietly(attempted_record_for)
        if isinstance(exc, repository.RecordsUnavailable):
            logger.warning("registration refused, records store unavailable: %s", exc)
            raise RegistrationUnavailable() from exc
        raise
    return user


def _remove_record_quietly(patient_id):
    try:
        repository.delete_patient_record(patient_id=patient_id)
    except repository.RecordsUnavailable:
        logger.error("could not remove the record of patient %s after a failed registration", patient_id)
