import datetime

import factory

from accounts.models import DoctorProfile, PatientProfile, Role, Sex, User

PASSWORD = "a-Long-enough-passphrase-42"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"user{n}@example.test")
    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    role = Role.PATIENT
    password = factory.PostGenerationMethodCall("set_password", PASSWORD)

    @factory.post_generation
    def _save_password(obj, create, extracted, **kwargs):
        if create:
            obj.save(update_fields=["password"])


class PatientFactory(UserFactory):
    role = Role.PATIENT
    profile = factory.RelatedFactory("accounts.tests.factories.PatientProfileFactory", factory_related_name="user")


class PatientProfileFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = PatientProfile

    user = factory.SubFactory(UserFactory)
    date_of_birth = datetime.date(1990, 5, 17)
    sex = Sex.FEMALE


class DoctorFactory(UserFactory):
    role = Role.DOCTOR
    profile = factory.RelatedFactory("accounts.tests.factories.DoctorProfileFactory", factory_related_name="user")


class DoctorProfileFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = DoctorProfile

    user = factory.SubFactory(UserFactory, role=Role.DOCTOR)
    license_number = factory.Sequence(lambda n: f"{10000000 + n}")
    degree_institution = "Universidad Nacional Autónoma de México"


class ReceptionFactory(UserFactory):
    role = Role.RECEPTION


class AdminFactory(UserFactory):
    role = Role.ADMIN
    is_superuser = True
