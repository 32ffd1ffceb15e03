from reminders.models import ReminderConsent


def consent_of(patient):
    return ReminderConsent.objects.filter(patient=patient).first()
