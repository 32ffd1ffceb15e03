"""records/permissions.py for templates, so a page shows a link only where it would be let in."""

from django import template

from records import permissions

register = template.Library()


@register.filter
def grants_record_access(appointment):
    return permissions.appointment_grants_access(appointment)
