from django import forms
from django.utils.translation import gettext_lazy as _


class PhoneRemindersForm(forms.Form):
    sms = forms.BooleanField(label=_("Send me reminders by SMS"), required=False)
    whatsapp = forms.BooleanField(label=_("Send me reminders by WhatsApp"), required=False)
