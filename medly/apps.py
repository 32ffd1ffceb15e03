from django.apps import AppConfig


class MedlyConfig(AppConfig):
    name = "medly"
    verbose_name = "Medly"

    def ready(self):
        from medly import checks  # noqa: F401 - registers the system checks
