"""Account writes. Each function owns its transaction."""

import datetime
import secrets

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts import notifications
from accounts.exceptions import DuplicateCurp, DuplicateEmail, InvalidRectification, NotAllowed, RectificationNotFound
from accounts.models import (
    ConsentChannel,
    DoctorProfile,
    PatientProfile,
    PrivacyConsent,
    RectificationField,
    RectificationRequest,
    RectificationStatus,
    Role,
    Sex,
    User,
    UserManager,
    curp_disagreements,
    validate_curp,
    validate_date_of_birth,
)
from accounts.permissions import (
    may_change_roles,
    may_decide_rectification,
    may_request_rectification,
    role_change_refusal,
)
from records import audit, coordinator
from scheduling.schedule_changes import schedule_changed

PATIENT_REGISTER = "patient.register"
USER_CREATE = "user.create"
ROLE_CHANGE = "user.role_change"
PASSWORD_CHANGE = "user.password_change"  # noqa: S105 - an audit action name, not a secret
PROFILE_UPDATE = "user.profile_update"
RECTIFICATION_REQUEST = "rectification.request"
RECTIFICATION_CONFIRM = "rectification.confirm"
RECTIFICATION_REJECT = "rectification.reject"
USER_FIELDS = {RectificationField.FIRST_NAME, RectificationField.LAST_NAME}
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
    them. Without a password the account cannot sign in until it is given one: registered by
    staff with an email, the patient is sent a link to choose it (after commit, in ``language``).
    ``email`` may be empty only for a patient registered by staff.

    If MongoDB is unreachable the account still exists and ``manage.py reconcile`` creates the
    record document once the store is back. An email or CURP taken meanwhile (the forms check
    both first) raises DuplicateEmail or DuplicateCurp.
    """
    if registered_by is not None and not privacy_notice_given:
        raise NotAllowed(_("Give the privacy notice in person and record that the patient accepted it."))
    if registered_by is None and not email:
        raise ValueError("online sign-up needs an email address")
    try:
        operation, user = _create_patient(
            email=email,
            first_name=first_name,
            last_name=last_name,
            date_of_birth=date_of_birth,
            sex=sex,
            password=password,
            curp=curp,
            blood_type=blood_type,
            allergies=allergies,
            phone=phone,
            ip_address=ip_address,
            registered_by=registered_by,
            language=language,
        )
    except IntegrityError:
        _raise_duplicate(email=email, curp=curp)
        raise
    coordinator.create_record_now(operation.pk)
    return user


def _raise_duplicate(*, email, curp):
    """Name the unique value another account took first; return if it was neither."""
    if email and User.objects.filter(email__iexact=UserManager.normalize_email(email)).exists():
        raise DuplicateEmail(_("An account with this email already exists."))
    if curp and PatientProfile.objects.filter(curp=curp).exists():
        raise DuplicateCurp(_("A patient with this CURP already exists."))


def _create_patient(
    *,
    email,
    first_name,
    last_name,
    date_of_birth,
    sex,
    password,
    curp,
    blood_type,
    allergies,
    phone,
    ip_address,
    registered_by,
    language,
):
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
        if registered_by is not None and password is None:
            notifications.send_set_password_invitation(user)
    return operation, user


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
        if Role.DOCTOR in (before, role):
            schedule_changed([user.pk])
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
        schedule_changed([user.pk])
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
            notifications.send_staff_set_password_invitation(user)
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
        schedule_changed([doctor.pk])
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


def change_password(*, user, new_password, ip_address=None):
    """Set ``user``'s password (already validated), audited. The caller keeps the session with
    ``update_session_auth_hash``; every other session of the user ends."""
    with transaction.atomic(durable=True):
        user.set_password(new_password)
        user.save(update_fields=["password"])
        audit.record(
            user=user,
            action=PASSWORD_CHANGE,
            patient_id=user.pk if user.is_patient else None,
            ip_address=ip_address,
            subject_id=user.pk,
        )
    return user


def update_profile(*, user, first_name, last_name, phone, language, ip_address=None):
    """Save what ``user`` may change about themselves, audited with before and after.

    A patient's name identifies them on prescriptions and records: it changes only through a
    rectification request confirmed by reception, never here.
    """
    wanted = {
        "first_name": first_name,
        "last_name": last_name,
        "phone": phone,
        "language": supported_language(language),
    }
    with transaction.atomic(durable=True):
        current = User.objects.select_for_update().get(pk=user.pk)
        changed = {name: value for name, value in wanted.items() if getattr(current, name) != value}
        if user.is_patient and {"first_name", "last_name"} & changed.keys():
            raise NotAllowed(_("Ask reception to correct your name: send a correction request."))
        if not changed:
            return user
        before = {name: getattr(current, name) for name in changed}
        for name, value in changed.items():
            setattr(current, name, value)
            setattr(user, name, value)
        current.save(update_fields=list(changed))
        if current.role == Role.DOCTOR:
            schedule_changed([current.pk])
        audit.record(
            user=user,
            action=PROFILE_UPDATE,
            patient_id=user.pk if user.is_patient else None,
            ip_address=ip_address,
            subject_id=user.pk,
            before=before,
            after=changed,
        )
    return user


def request_rectification(*, patient, field, value, reason="", ip_address=None):
    """Record ``patient``'s request to correct ``field`` to ``value``, for reception to decide.

    ``value`` is checked as registration checks it, against the patient's other details as they
    are now; one request per field may wait at a time.
    """
    if not may_request_rectification(patient):
        raise NotAllowed(_("Only patients ask for corrections of their details."))
    with transaction.atomic(durable=True):
        user = User.objects.select_for_update().select_related("patient_profile").get(pk=patient.pk)
        if RectificationRequest.objects.filter(patient=user, field=field, status=RectificationStatus.PENDING).exists():
            raise InvalidRectification(_("You already asked to correct this; reception has not answered yet."))
        old_value = _stored_text(field, _current_value(user, field))
        new_value = _stored_text(field, _checked_value(user, field, value))
        if new_value == old_value:
            raise InvalidRectification(_("That is already what Medly has on record."))
        rectification = RectificationRequest.objects.create(
            patient=user, field=field, old_value=old_value, new_value=new_value, reason=reason
        )
        audit.record(
            user=patient,
            action=RECTIFICATION_REQUEST,
            patient_id=user.pk,
            ip_address=ip_address,
            rectification_id=rectification.pk,
            field=field,
            before=old_value,
            after=new_value,
        )
    return rectification


def confirm_rectification(*, rectification_id, decided_by, ip_address=None):
    """Apply a pending correction to the patient's details, with registration's checks, audited.

    Lock order: the request, then the patient's user row.
    """
    with transaction.atomic(durable=True):
        rectification = _pending_for_decision(rectification_id, decided_by)
        user = User.objects.select_for_update().select_related("patient_profile").get(pk=rectification.patient_id)
        value = _checked_value(user, rectification.field, _parsed_value(rectification.field, rectification.new_value))
        before = _stored_text(rectification.field, _current_value(user, rectification.field))
        if rectification.field in USER_FIELDS:
            setattr(user, rectification.field, value)
            user.save(update_fields=[rectification.field])
        else:
            profile = user.patient_profile
            setattr(profile, rectification.field, value)
            profile.save(update_fields=[rectification.field])
        _decide(rectification, RectificationStatus.CONFIRMED, decided_by)
        audit.record(
            user=decided_by,
            action=RECTIFICATION_CONFIRM,
            patient_id=user.pk,
            ip_address=ip_address,
            rectification_id=rectification.pk,
            field=rectification.field,
            before=before,
            after=rectification.new_value,
        )
    return rectification


def reject_rectification(*, rectification_id, decided_by, ip_address=None):
    """Close a pending correction without changing anything, audited."""
    with transaction.atomic(durable=True):
        rectification = _pending_for_decision(rectification_id, decided_by)
        _decide(rectification, RectificationStatus.REJECTED, decided_by)
        audit.record(
            user=decided_by,
            action=RECTIFICATION_REJECT,
            patient_id=rectification.patient_id,
            ip_address=ip_address,
            rectification_id=rectification.pk,
            field=rectification.field,
            asked=rectification.new_value,
        )
    return rectification


def _pending_for_decision(rectification_id, decided_by):
    rectification = RectificationRequest.objects.select_for_update().filter(pk=rectification_id).first()
    if rectification is None:
        raise RectificationNotFound(_("There is no such correction request."))
    if not may_decide_rectification(decided_by, rectification):
        raise NotAllowed(_("You cannot decide on this correction request."))
    if rectification.status != RectificationStatus.PENDING:
        raise InvalidRectification(_("This correction request has already been decided."))
    return rectification


def _decide(rectification, status, decided_by):
    rectification.status = status
    rectification.decided_by = decided_by
    rectification.decided_at = timezone.now()
    rectification.save(update_fields=["status", "decided_by", "decided_at"])


def _current_value(user, field):
    if field in USER_FIELDS:
        return getattr(user, field)
    return getattr(user.patient_profile, field)


def _stored_text(field, value):
    if value is None:
        return ""
    if isinstance(value, datetime.date):
        return value.isoformat()
    return str(value)


def _parsed_value(field, text):
    if field == RectificationField.DATE_OF_BIRTH:
        return datetime.date.fromisoformat(text)
    return text


def _checked_value(user, field, value):
    """``value`` made ready to store in ``field``, or InvalidRectification saying why not.

    The date of birth, sex and CURP must still agree with each other once the change is made.
    """
    profile = user.patient_profile
    details = {"date_of_birth": profile.date_of_birth, "sex": profile.sex, "curp": profile.curp}
    try:
        if field in USER_FIELDS:
            value = " ".join(str(value).split())
            if not value or len(value) > 150:
                raise ValidationError(_("Enter a name of at most 150 characters."))
        elif field == RectificationField.DATE_OF_BIRTH:
            validate_date_of_birth(value)
        elif field == RectificationField.SEX:
            if value not in Sex.values:
                raise ValidationError(_("Choose one of the options."))
        elif field == RectificationField.CURP:
            value = str(value).strip().upper()
            validate_curp(value)
            if PatientProfile.objects.filter(curp=value).exclude(user=user).exists():
                raise ValidationError(_("A patient with this CURP already exists."))
        else:
            raise ValidationError(_("Choose one of the options."))
    except ValidationError as error:
        raise InvalidRectification(" ".join(error.messages)) from error
    details[field] = value
    if details["curp"]:
        problems = curp_disagreements(details["curp"], date_of_birth=details["date_of_birth"], sex=details["sex"])
        if problems:
            raise InvalidRectification(" ".join(str(message) for message in problems.values()))
    return value
