from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TwoFactorConfig(AppConfig):
    name = "twofactor"
    verbose_name = _("Second factor")

    def ready(self):
        from twofactor import signals  # noqa: F401
