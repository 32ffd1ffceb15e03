"""Account writes. Each function owns its transaction."""

import secrets

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils.translation import gettext as _

from accounts import set_password_mail
from accounts.exceptions import NotAllowed
from accounts.models import ConsentChannel, DoctorProfile, PatientProfile, PrivacyConsent, Role, User
from accounts.permissions import may_change_roles, role_change_refusal
from records import audit, coordinator

PATIENT_REGISTER = "patient.register"
USER_CREATE = "user.create"
ROLE_CHANGE = "user.role_change"
DOCTOR_CREATE = "doctor.create"


def supported_language(language):
    """The stored code for ``language`` (as from ``translation.get_language()``): supported, else the default."""
    codes = {code for code, _name in settings.LANGUAGES}
    language = (language or "").lower()
    if language in codes:
        return language
    general = language.split("-")[0]
    return general if general in codes else settings.LANGUAGE_CODE


def remember_language(user, language):
    """The language Medly writes to ``user`` in from now on: the one they last signed up or booked in."""
    language = supported_language(language)
    if user.language != language:
        User.objects.filter(pk=user.pk).update(language=language)
        user.language = language


def register_patient(
    *,
    email,
    first_name,
    last_name,
    date_of_birth,
    sex,
    password=None,
    curp=None,
    blood_type="",
    allergies=(),
    phone="",
    ip_address=None,
    registered_by=None,
    privacy_notice_given=False,
    language=None,
):
    """The one way a patient comes to exist: user, profile, privacy consent and, through the
    operation log, the record document in MongoDB.

    Online sign-up leaves ``registered_by`` empty: the patient accepted the notice on the form.
    At the desk or in admin, ``registered_by`` is the staff member, who must have given the
    privacy notice in person (``privacy_notice_given``); the consent row and an audit event name
    them. Without a password the account cannot sign in until it is given one.

    If MongoDB is unreachable the account still exists and ``manage.py reconcile`` creates the
    record document once the store is back.
    """
    if registered_by is not None and not privacy_notice_given:
        raise NotAllowed(_("Give the privacy notice in person and record that the patient accepted it."))
    with transaction.atomic(durable=True):
        user = User.objects.create_user(
            email=email,
            password=password,
            first_name=first_name,
            last_name=last_name,
            role=Role.PATIENT,
            phone=phone or "",
            language=supported_language(language),
        )
        PatientProfile.objects.create(user=user, date_of_birth=date_of_birth, sex=sex, curp=curp or None)
        PrivacyConsent.objects.create(
            user=user,
            notice_version=settings.PRIVACY_NOTICE_VERSION,
            ip_address=ip_address,
            channel=ConsentChannel.ONLINE if registered_by is None else ConsentChannel.IN_PERSON,
            recorded_by=registered_by,
        )
        if registered_by is not None:
            audit.record(
                user=registered_by,
                action=PATIENT_REGISTER,
                patient_id=user.pk,
                ip_address=ip_address,
                registered_by={"id": registered_by.pk, "name": registered_by.get_full_name()},
                consent=ConsentChannel.IN_PERSON,
                notice_version=settings.PRIVACY_NOTICE_VERSION,
            )
        operation = coordinator.log_record_creation(
            patient=user, blood_type=blood_type, allergies=allergies, ip_address=ip_address, actor=registered_by
        )
    coordinator.create_record_now(operation.pk)
    return user


def create_staff_user(*, email, first_name, last_name, role, password=None, created_by, ip_address=None):
    """A doctor, reception or admin account (patients go through register_patient)."""
    if role == Role.PATIENT:
        raise ValueError("patients are created by register_patient")
    if not may_change_roles(created_by):
        raise NotAllowed(_("Only a superuser can create staff accounts."))
    with transaction.atomic(durable=True):
        user = User.objects.create_user(
            email=email, password=password, first_name=first_name, last_name=last_name, role=role
        )
        audit.record(user=created_by, action=USER_CREATE, ip_address=ip_address, subject_id=user.pk, role_given=role)
    return user


def change_role(*, user_id, role, changed_by, ip_address=None):
    """Change a user's role (and with it their admin access), audited with before and after.

    Patients are never turned into staff nor staff into patients: a patient exists only through
    register_patient, with a profile, a record and a consent, and their record stays theirs.

    Not durable: Django admin saves a changed user inside its own transaction, and the role
    change must commit or roll back with the rest of that form.
    """
    if role not in Role.values:
        raise ValueError(f"unknown role {role!r}")
    with transaction.atomic():
        user = User.objects.select_for_update().get(pk=user_id)
        before = user.role
        refusal = role_change_refusal(actor=changed_by, before=before, after=role)
        if refusal:
            raise NotAllowed(refusal)
        if before == role:
            return user
        User.objects.filter(pk=user.pk).update(role=role)
        user.role = role
        audit.record(
            user=changed_by,
            action=ROLE_CHANGE,
            ip_address=ip_address,
            subject_id=user.pk,
            before={"role": before},
            after={"role": role},
        )
    return user


def create_doctor(
    *,
    email,
    first_name,
    last_name,
    password=None,
    send_password_mail=False,
    license_number="",
    degree_institution="",
    specialty_certificate="",
    specialties=(),
    consultation_fee=None,
    bio="",
    languages=(),
    created_by,
    ip_address=None,
    language=None,
):
    """A doctor in one step: the account, the profile with its specialties, and an audit event.

    Without a password the doctor sets their own: with ``send_password_mail`` a set-password link
    (Django's password reset) is queued for when the transaction commits.
    """
    if not may_change_roles(created_by):
        raise NotAllowed(_("Only a superuser can create staff accounts."))
    with transaction.atomic(durable=True):
        user = User.objects.create_user(
            email=email,
            password=password,
            first_name=first_name,
            last_name=last_name,
            role=Role.DOCTOR,
            language=supported_language(language),
        )
        profile = DoctorProfile.objects.create(
            user=user,
            license_number=license_number,
            degree_institution=degree_institution,
            specialty_certificate=specialty_certificate,
            consultation_fee=consultation_fee,
            bio=bio,
            languages=list(languages),
        )
        profile.specialties.set(specialties)
        audit.record(
            user=created_by,
            action=DOCTOR_CREATE,
            ip_address=ip_address,
            subject_id=user.pk,
            role_given=Role.DOCTOR,
            specialties=sorted(specialty.pk for specialty in specialties),
            password_mail=bool(send_password_mail),
        )
        if send_password_mail:
            set_password_mail.queue(user)
    return user


def update_doctor_public_profile(*, doctor, bio, consultation_fee, languages, photo=None, remove_photo=False):
    """What patients see of ``doctor`` in the directory and on their page.

    ``photo`` is already re-encoded (accounts/photos.py). The replaced file is deleted only once
    the new row is committed, so a failed save never leaves the profile pointing at nothing.
    """
    with transaction.atomic(durable=True):
        profile = DoctorProfile.objects.select_for_update().get(user=doctor)
        old_photo = profile.photo.name
        profile.bio = bio
        profile.consultation_fee = consultation_fee
        profile.languages = list(languages)
        if photo is not None:
            profile.photo.save(photo.name, photo, save=False)
        elif remove_photo:
            profile.photo = ""
        profile.save(update_fields=["bio", "consultation_fee", "languages", "photo"])
        if old_photo and old_photo != profile.photo.name:
            storage = profile.photo.storage
            transaction.on_commit(lambda: storage.delete(old_photo))
    return profile


def new_calendar_token(doctor):
    """Give ``doctor`` a new private calendar feed token; the old feed URL stops working."""
    token = secrets.token_urlsafe(32)
    DoctorProfile.objects.filter(user=doctor).update(calendar_token=token)
    return token


def revoke_calendar_token(doctor):
    """The doctor's feed URL answers 404 from now on."""
    DoctorProfile.objects.filter(user=doctor).update(calendar_token=None)


def claim_daily_digest(doctor_profile_id, day):
    """True for exactly one caller per doctor and clinic day: a conditional update, so two schedulers
    or workers racing for the same morning cannot both send it."""
    claimed = (
        DoctorProfile.objects.filter(pk=doctor_profile_id, daily_digest=True)
        .filter(Q(digest_sent_on__isnull=True) | Q(digest_sent_on__lt=day))
        .update(digest_sent_on=day)
    )
    return claimed == 1
