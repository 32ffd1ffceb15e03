"""One date and time format per language, for pages and emails alike (medly/formats)."""

from datetime import date, datetime

import pytest
from django.utils import timezone, translation
from django.utils.formats import date_format, time_format

MOMENT = timezone.make_aware(datetime(2026, 12, 2, 10, 0))


@pytest.mark.parametrize(
    ("language", "expected"),
    [("en", "Wednesday 2 December 2026, 10:00"), ("es-mx", "miércoles 2 de diciembre de 2026, 10:00")],
)
def test_a_date_and_time_reads_the_same_way_everywhere_in_a_language(language, expected):
    with translation.override(language):
        assert date_format(timezone.localtime(MOMENT), "DATETIME_FORMAT") == expected


@pytest.mark.parametrize(
    ("language", "expected"),
    [("en", "Wednesday 2 December 2026"), ("es-mx", "miércoles 2 de diciembre de 2026")],
)
def test_a_date_carries_its_weekday(language, expected):
    with translation.override(language):
        assert date_format(date(2026, 12, 2), "DATE_FORMAT") == expected


@pytest.mark.parametrize("language", ["en", "es-mx"])
def test_times_are_24_hour_in_both_languages(language):
    afternoon = timezone.make_aware(datetime(2026, 12, 2, 16, 5))
    with translation.override(language):
        assert time_format(timezone.localtime(afternoon), "TIME_FORMAT") == "16:05"
