import datetime

from django.core.management.base import BaseCommand
from django.db import transaction

from accounts.models import DoctorProfile, PatientProfile, Role, Sex, User
from records import repository

DEMO_PASSWORD = "medly-demo-2026"  # noqa: S105 (published demo password)

DEMO_USERS = [
    ("admin@medly.test", "Ana", "Administradora", Role.ADMIN),
    ("doctor@medly.test", "José", "Pérez Canul", Role.DOCTOR),
    ("reception@medly.test", "Rosa", "Recepción", Role.RECEPTION),
    ("patient@medly.test", "María", "López Chan", Role.PATIENT),
]


class Command(BaseCommand):
    help = "Load idempotent demo data: the four demo users (password medly-demo-2026)."

    def handle(self, *args, **options):
        for email, first_name, last_name, role in DEMO_USERS:
            user, created = self._ensure_user(email, first_name, last_name, role)
            self.stdout.write(f"{'created' if created else 'kept   '} {role:<9} {email}")
        self.stdout.write(f"Demo password for all four: {DEMO_PASSWORD}")

    @transaction.atomic
    def _ensure_user(self, email, first_name, last_name, role):
        user = User.objects.filter(email=email).first()
        created = user is None
        if created:
            if role == Role.ADMIN:
                user = User.objects.create_superuser(email, DEMO_PASSWORD, first_name=first_name, last_name=last_name)
            else:
                user = User.objects.create_user(
                    email, DEMO_PASSWORD, first_name=first_name, last_name=last_name, role=role
                )
        if role == Role.DOCTOR:
            DoctorProfile.objects.get_or_create(
                user=user,
                defaults={
                    "license_number": "12345678",
                    "degree_institution": "Universidad Autónoma de Yucatán",
                    "bio": "Médico general con quince años de experiencia en Mérida.",
                },
            )
        if role == Role.PATIENT:
            PatientProfile.objects.get_or_create(
                user=user, defaults={"date_of_birth": datetime.date(1988, 4, 12), "sex": Sex.FEMALE}
            )
            repository.create_patient_record(patient_id=user.pk, blood_type="O+", allergies=["penicilina"])
        return user, created
