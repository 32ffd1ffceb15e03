from datetime import timedelta

from django import forms
from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from medly.parsing import MAX_ID

WEEKDAY_CHOICES = [
    (0, _("Monday")),
    (1, _("Tuesday")),
    (2, _("Wednesday")),
    (3, _("Thursday")),
    (4, _("Friday")),
    (5, _("Saturday")),
    (6, _("Sunday")),
]
SLOT_MINUTES = (15, 20, 30, 45, 60)
# Far enough for any real plan; near enough that date arithmetic and the UTC conversion stay inside the calendar.
FURTHEST_DAYS_AHEAD = 2 * 366
AGENDA_YEARS_AROUND_TODAY = 10


def slot_minute_choices():
    # Built per form, in the language of the request.
    return [
        (minutes, ngettext("%(count)d minute", "%(count)d minutes", minutes) % {"count": minutes})
        for minutes in SLOT_MINUTES
    ]


def _date_input():
    return forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


def _time_input():
    return forms.TimeInput(attrs={"type": "time"}, format="%H:%M")


class AvailabilityForm(forms.Form):
    start_date = forms.DateField(label=_("From"), input_formats=["%Y-%m-%d"], widget=_date_input())
    end_date = forms.DateField(label=_("To"), input_formats=["%Y-%m-%d"], widget=_date_input())
    weekdays = forms.TypedMultipleChoiceField(
        label=_("Weekdays"), choices=WEEKDAY_CHOICES, coerce=int, widget=forms.CheckboxSelectMultiple
    )
    start_time = forms.TimeField(label=_("First slot starts at"), input_formats=["%H:%M"], widget=_time_input())
    end_time = forms.TimeField(label=_("Last slot ends by"), input_formats=["%H:%M"], widget=_time_input())
    slot_minutes = forms.TypedChoiceField(label=_("Slot length"), choices=slot_minute_choices, coerce=int, initial=30)

    def clean(self):
        cleaned = super().clean()
        start_date, end_date = cleaned.get("start_date"), cleaned.get("end_date")
        start_time, end_time = cleaned.get("start_time"), cleaned.get("end_time")
        today = timezone.localdate()
        if start_date and start_date < today:
            self.add_error("start_date", _("Slots cannot be opened in the past."))
        elif start_date and _too_far_ahead(start_date):
            self.add_error("start_date", _too_far_ahead_message())
        if start_date and end_date:
            if end_date < start_date:
                self.add_error("end_date", _("The end date must not be before the start date."))
            elif (end_date - start_date).days >= settings.AVAILABILITY_MAX_DAYS:
                self.add_error(
                    "end_date",
                    _("Open at most %(days)d days at a time.") % {"days": settings.AVAILABILITY_MAX_DAYS},
                )
        if start_time and end_time and end_time <= start_time:
            self.add_error("end_time", _("The end time must be after the start time."))
        minutes = cleaned.get("slot_minutes")
        if start_time and end_time and minutes and end_time > start_time:
            span = (end_time.hour * 60 + end_time.minute) - (start_time.hour * 60 + start_time.minute)
            if span < minutes:
                self.add_error("end_time", _("There is not enough time for even one slot."))
        return cleaned


class BlockDayForm(forms.Form):
    day = forms.DateField(label=_("Day to block"), input_formats=["%Y-%m-%d"], widget=_date_input())

    def clean_day(self):
        day = self.cleaned_data["day"]
        if day < timezone.localdate():
            raise forms.ValidationError(_("That day is already over."))
        if _too_far_ahead(day):
            raise forms.ValidationError(_too_far_ahead_message())
        return day


def _too_far_ahead(day):
    return (day - timezone.localdate()).days > FURTHEST_DAYS_AHEAD


def _too_far_ahead_message():
    return _("Choose a day at most %(days)d days from today.") % {"days": FURTHEST_DAYS_AHEAD}


class AgendaForm(forms.Form):
    day = forms.DateField(required=False, input_formats=["%Y-%m-%d"], widget=_date_input(), label=_("Day"))
    view = forms.ChoiceField(required=False, choices=[("day", _("Day")), ("week", _("Week"))], label=_("View"))

    def clean_day(self):
        day = self.cleaned_data["day"]
        if day and abs(day.year - timezone.localdate().year) > AGENDA_YEARS_AROUND_TODAY:
            raise forms.ValidationError(
                _("Choose a day within %(years)d years of today.") % {"years": AGENDA_YEARS_AROUND_TODAY}
            )
        return day

    def first_day_and_length(self):
        day = (self.cleaned_data.get("day") if self.is_valid() else None) or timezone.localdate()
        if self.is_valid() and self.cleaned_data.get("view") == "week":
            return day - timedelta(days=day.weekday()), 7
        return day, 1


class RescheduleForm(forms.Form):
    # Bounded: a larger number is no row id, and SQLite cannot even compare with it.
    slot = forms.IntegerField(widget=forms.HiddenInput, min_value=1, max_value=MAX_ID)


REASON_MAX_LENGTH = 500


class BookingForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason for the visit (optional)"),
        help_text=_("A few words for your doctor, for example “follow-up of my blood pressure”."),
        required=False,
        max_length=REASON_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class RemoveRangeForm(forms.Form):
    """One day's open slots, or those starting in [start_time, end_time) of it."""

    day = forms.DateField(input_formats=["%Y-%m-%d"], widget=forms.HiddenInput)
    start_time = forms.TimeField(required=False, input_formats=["%H:%M"], widget=forms.HiddenInput)
    end_time = forms.TimeField(required=False, input_formats=["%H:%M"], widget=forms.HiddenInput)

    def clean(self):
        cleaned = super().clean()
        day, start_time, end_time = cleaned.get("day"), cleaned.get("start_time"), cleaned.get("end_time")
        if day and (day < timezone.localdate() or _too_far_ahead(day)):
            raise forms.ValidationError(_("There are no open slots to remove on that day."))
        if start_time and end_time and end_time <= start_time:
            raise forms.ValidationError(_("The end time must be after the start time."))
        return cleaned


class UnblockDayForm(forms.Form):
    day = forms.DateField(input_formats=["%Y-%m-%d"], widget=forms.HiddenInput)

    def clean_day(self):
        day = self.cleaned_data["day"]
        if day < timezone.localdate() or _too_far_ahead(day):
            raise forms.ValidationError(_("That day is not blocked."))
        return day
