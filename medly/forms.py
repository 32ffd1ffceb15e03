"""Form pieces every app's forms share."""

from datetime import UTC, datetime

from django.utils.translation import gettext_lazy as _


class DateTimesThatFitInUTC:
    """Form mixin: a date and time near the calendar's ends (9999-12-31 23:00 in Mérida) has no UTC
    equivalent, and the database stores UTC; refuse it here rather than fail on save."""

    def clean(self):
        cleaned = super().clean()
        for name, value in list(cleaned.items()):
            if isinstance(value, datetime) and value.tzinfo is not None:
                try:
                    value.astimezone(UTC)
                except OverflowError:
                    self.add_error(name, _("Enter a date between the years 1 and 9999."))
        return cleaned
