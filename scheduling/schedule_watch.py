"""The safety net under the services' `schedule_changed` calls: ORM saves and deletes announce a change too.

Django admin, fixtures and any future writer that saves a slot, an appointment or what the
directory cards show go through these signals. Bulk updates, deletes and inserts send none: the
services that use them call `schedule_changed` themselves.
"""

from accounts.models import DoctorProfile, Role, User
from scheduling.models import Appointment, ClinicClosure, Slot, Specialty
from scheduling.schedule_changes import schedule_changed

# What a doctor's page or card shows of their user row; a login (last_login) changes none of it.
SHOWN_USER_FIELDS = {"first_name", "last_name", "is_active", "role"}


def slot_or_appointment_written(sender, instance, **kwargs):
    schedule_changed([instance.doctor_id])


def doctor_profile_written(sender, instance, **kwargs):
    schedule_changed([instance.user_id])


def user_written(sender, instance, update_fields=None, **kwargs):
    if instance.role != Role.DOCTOR:
        return
    if update_fields is not None and not SHOWN_USER_FIELDS & set(update_fields):
        return
    schedule_changed([instance.pk])


def doctor_specialties_changed(sender, instance, action, reverse, pk_set, **kwargs):
    if not action.startswith("post_"):
        return
    if reverse:
        # Specialty.doctors changed: pk_set holds profiles (all of them for a clear).
        profiles = DoctorProfile.objects.all() if pk_set is None else DoctorProfile.objects.filter(pk__in=pk_set)
        schedule_changed(profiles.values_list("user_id", flat=True))
    else:
        schedule_changed([instance.user_id])


def specialty_written(sender, instance, **kwargs):
    schedule_changed(DoctorProfile.objects.filter(specialties=instance).values_list("user_id", flat=True))


def clinic_closure_written(sender, instance, **kwargs):
    schedule_changed(User.objects.filter(role=Role.DOCTOR).values_list("pk", flat=True))


def connect():
    from django.db.models.signals import m2m_changed, post_delete, post_save, pre_delete

    from scheduling import page_cache
    from scheduling.schedule_changes import schedule_committed

    schedule_committed.connect(page_cache.on_schedule_committed, dispatch_uid="page_cache_versions")
    for model in (Slot, Appointment):
        post_save.connect(slot_or_appointment_written, sender=model, dispatch_uid=f"schedule_watch_{model.__name__}")
        post_delete.connect(slot_or_appointment_written, sender=model, dispatch_uid=f"schedule_watch_{model.__name__}")
    post_save.connect(doctor_profile_written, sender=DoctorProfile, dispatch_uid="schedule_watch_profile")
    post_delete.connect(doctor_profile_written, sender=DoctorProfile, dispatch_uid="schedule_watch_profile")
    post_save.connect(user_written, sender=User, dispatch_uid="schedule_watch_user")
    m2m_changed.connect(
        doctor_specialties_changed, sender=DoctorProfile.specialties.through, dispatch_uid="schedule_watch_specialties"
    )
    post_save.connect(specialty_written, sender=Specialty, dispatch_uid="schedule_watch_specialty")
    # Before the delete: afterwards no profile lists it any more.
    pre_delete.connect(specialty_written, sender=Specialty, dispatch_uid="schedule_watch_specialty")
    post_save.connect(clinic_closure_written, sender=ClinicClosure, dispatch_uid="schedule_watch_closure")
