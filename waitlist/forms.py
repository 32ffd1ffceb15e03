from datetime import timedelta

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from scheduling.queries import DOCTOR_PAGE_DAYS
from waitlist.models import PartOfDay

# A wait longer than the doctor page shows, or starting further ahead, is better asked of reception.
LONGEST_RANGE_DAYS = DOCTOR_PAGE_DAYS
FURTHEST_START_DAYS = DOCTOR_PAGE_DAYS


def _date_input():
    return forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class JoinWaitlistForm(forms.Form):
    from_date = forms.DateField(label=_("From"), input_formats=["%Y-%m-%d"], widget=_date_input())
    to_date = forms.DateField(label=_("To"), input_formats=["%Y-%m-%d"], widget=_date_input())
    part_of_day = forms.ChoiceField(label=_("Part of day"), choices=PartOfDay.choices, initial=PartOfDay.ANY)

    def clean(self):
        cleaned = super().clean()
        from_date, to_date = cleaned.get("from_date"), cleaned.get("to_date")
        if from_date is None or to_date is None:
            return cleaned
        today = timezone.localdate()
        if from_date < today:
            self.add_error("from_date", _("The first day cannot be in the past."))
        elif from_date > today + timedelta(days=FURTHEST_START_DAYS):
            self.add_error(
                "from_date",
                ngettext(
                    "The first day must be within %(count)d day from today.",
                    "The first day must be within %(count)d days from today.",
                    FURTHEST_START_DAYS,
                )
                % {"count": FURTHEST_START_DAYS},
            )
        if to_date < from_date:
            self.add_error("to_date", _("The last day cannot be before the first day."))
        elif (to_date - from_date).days >= LONGEST_RANGE_DAYS:
            self.add_error(
                "to_date",
                ngettext(
                    "You can wait for at most %(count)d day at a time.",
                    "You can wait for at most %(count)d days at a time.",
                    LONGEST_RANGE_DAYS,
                )
                % {"count": LONGEST_RANGE_DAYS},
            )
        return cleaned
