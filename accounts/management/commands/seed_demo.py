import datetime

from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone

from accounts.models import DoctorProfile, Role, Sex, User
from accounts.services import register_patient
from records.models import ClinicDetails
from scheduling.availability import open_slots
from scheduling.models import Specialty

SPECIALTIES = [
    "Medicina General",
    "Cardiología",
    "Pediatría",
    "Dermatología",
    "Ginecología y Obstetricia",
    "Traumatología y Ortopedia",
    "Neurología",
    "Oftalmología",
    "Psiquiatría",
    "Otorrinolaringología",
    "Gastroenterología",
    "Neumología",
    "Nefrología",
]
DEMO_SLOT_DAYS = 14

DEMO_PASSWORD = "medly-demo-2026"  # noqa: S105 (published demo password)

DEMO_USERS = [
    ("admin@medly.test", "Ana", "Administradora", Role.ADMIN),
    ("doctor@medly.test", "José", "Pérez Canul", Role.DOCTOR),
    ("reception@medly.test", "Rosa", "Recepción", Role.RECEPTION),
    ("patient@medly.test", "María", "López Chan", Role.PATIENT),
]


class Command(BaseCommand):
    help = (
        "Load idempotent demo data: the 13 specialties, the four demo users (password medly-demo-2026) "
        "and open slots for the demo doctor over the next 14 days."
    )

    def handle(self, *args, **options):
        if not ClinicDetails.objects.exists():
            ClinicDetails.objects.create(
                name="Clínica Medly Mérida",
                address="Calle 60 No. 491, Centro, 97000 Mérida, Yucatán",
                legal_owner="Servicios Médicos Medly, S.A. de C.V.",
                clues="YNSSA999999",
            )
        for name in SPECIALTIES:
            Specialty.objects.get_or_create(name=name)
        self.stdout.write(f"{len(SPECIALTIES)} specialties in place")
        for email, first_name, last_name, role in DEMO_USERS:
            user, created = self._ensure_user(email, first_name, last_name, role)
            self.stdout.write(f"{'created' if created else 'kept   '} {role:<9} {email}")
            if role == Role.DOCTOR:
                self._open_demo_slots(user)
        self.stdout.write(f"Demo password for all four: {DEMO_PASSWORD}")

    def _open_demo_slots(self, doctor):
        today = timezone.localdate()
        result = open_slots(
            doctor=doctor,
            start_date=today,
            end_date=today + datetime.timedelta(days=DEMO_SLOT_DAYS - 1),
            weekdays=[0, 1, 2, 3, 4, 5],
            start_time=datetime.time(9, 0),
            end_time=datetime.time(14, 0),
            slot_minutes=30,
        )
        self.stdout.write(f"demo doctor: {result.opened} slots opened, {result.already_existed} already there")

    def _ensure_user(self, email, first_name, last_name, role):
        user = User.objects.filter(email=email).first()
        if role == Role.PATIENT:
            if user is not None:
                return user, False
            # Like every patient: through the registration service (profile, consent, record).
            user = register_patient(
                email=email,
                password=DEMO_PASSWORD,
                first_name=first_name,
                last_name=last_name,
                date_of_birth=datetime.date(1988, 4, 12),
                sex=Sex.FEMALE,
                blood_type="O+",
                allergies=["penicilina"],
            )
            return user, True
        return self._ensure_staff_user(user, email, first_name, last_name, role)

    @transaction.atomic
    def _ensure_staff_user(self, user, email, first_name, last_name, role):
        created = user is None
        if created:
            if role == Role.ADMIN:
                user = User.objects.create_superuser(email, DEMO_PASSWORD, first_name=first_name, last_name=last_name)
            else:
                user = User.objects.create_user(
                    email, DEMO_PASSWORD, first_name=first_name, last_name=last_name, role=role
                )
        if role == Role.DOCTOR:
            profile, _ = DoctorProfile.objects.get_or_create(
                user=user,
                defaults={
                    "license_number": "12345678",
                    "degree_institution": "Universidad Autónoma de Yucatán",
                    "bio": "Médico general con quince años de experiencia en Mérida.",
                },
            )
            profile.specialties.add(Specialty.objects.get(name="Medicina General"))
        return user, created
