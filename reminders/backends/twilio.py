"""Twilio's Programmable Messaging through its official library.

WhatsApp only delivers free-form text inside the 24-hour window after the patient
last wrote to the clinic. A reminder is business-initiated, so it must be a template
approved by WhatsApp: set ``TWILIO_WHATSAPP_TEMPLATE_SID`` to its content SID (HX...);
the message then carries ``content_variables`` 1 = patient's first name, 2 = doctor,
3 = date, 4 = time, 5 = clinic. Without it the plain body is sent, which WhatsApp
refuses outside the window (Twilio error 63016), and the reminder shows as failed.
"""

import json

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from twilio.rest import Client


class _TwilioBackend:
    from_setting = ""
    address_prefix = ""

    def __init__(self, http_client=None):
        missing = [
            name
            for name in ("TWILIO_ACCOUNT_SID", "TWILIO_AUTH_TOKEN", self.from_setting)
            if not getattr(settings, name)
        ]
        if missing:
            raise ImproperlyConfigured(f"Twilio reminders need {', '.join(missing)}")
        self.client = Client(settings.TWILIO_ACCOUNT_SID, settings.TWILIO_AUTH_TOKEN, http_client=http_client)
        self.sender = self.address(getattr(settings, self.from_setting))

    def address(self, number):
        return self.address_prefix + number.removeprefix(self.address_prefix)

    def content(self, message):
        return {"body": message.body}

    def send(self, message):
        self.client.messages.create(to=self.address(message.to), from_=self.sender, **self.content(message))


class TwilioSMSBackend(_TwilioBackend):
    from_setting = "TWILIO_SMS_FROM"


class TwilioWhatsAppBackend(_TwilioBackend):
    from_setting = "TWILIO_WHATSAPP_FROM"
    address_prefix = "whatsapp:"

    def content(self, message):
        if not settings.TWILIO_WHATSAPP_TEMPLATE_SID:
            return {"body": message.body}
        return {
            "content_sid": settings.TWILIO_WHATSAPP_TEMPLATE_SID,
            "content_variables": json.dumps(message.template_variables, ensure_ascii=False),
        }
