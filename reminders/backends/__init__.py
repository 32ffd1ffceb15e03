"""Channel backends for SMS and WhatsApp reminders: a class named by a setting, with ``send(message)``."""

from dataclasses import asdict, dataclass, field

from django.conf import settings
from django.utils.module_loading import import_string

from reminders.models import Channel


@dataclass(frozen=True)
class PhoneMessage:
    reminder_id: int
    channel: str
    to: str
    body: str
    # The values of a pre-approved WhatsApp template, keyed "1", "2", ...
    template_variables: dict = field(default_factory=dict)

    def as_dict(self):
        return asdict(self)


BACKEND_SETTINGS = {Channel.SMS: "REMINDER_SMS_BACKEND", Channel.WHATSAPP: "REMINDER_WHATSAPP_BACKEND"}


def backend_for(channel):
    return import_string(getattr(settings, BACKEND_SETTINGS[channel]))()
