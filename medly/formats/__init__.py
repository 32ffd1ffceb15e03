"""Medly's date and time formats, one module per language (FORMAT_MODULE_PATH); Django's own fill the rest."""

from django.utils.translation import gettext_noop

# The names Django's "l" and "F" formats use. Listed here so that our catalog translates them as Spanish writes
# them in running text, "miércoles 2 de diciembre": Django's own es_MX catalog capitalises them.
CALENDAR_NAMES = (
    gettext_noop("Monday"),
    gettext_noop("Tuesday"),
    gettext_noop("Wednesday"),
    gettext_noop("Thursday"),
    gettext_noop("Friday"),
    gettext_noop("Saturday"),
    gettext_noop("Sunday"),
    gettext_noop("January"),
    gettext_noop("February"),
    gettext_noop("March"),
    gettext_noop("April"),
    gettext_noop("May"),
    gettext_noop("June"),
    gettext_noop("July"),
    gettext_noop("August"),
    gettext_noop("September"),
    gettext_noop("October"),
    gettext_noop("November"),
    gettext_noop("December"),
)
