from django import template

from reminders.services import reminder_lead

register = template.Library()


@register.filter
def reminder_due_at(appointment):
    """When the reminder of ``appointment`` goes out (before the sweep has made its rows)."""
    return appointment.starts_at - reminder_lead()
