import pytest

from medly.parsing import MAX_ID, parse_id, parse_int


@pytest.mark.parametrize(
    ("raw", "number"),
    [("1", 1), (" 42 ", 42), ("007", 7), (str(MAX_ID), MAX_ID), ("0", None), (str(MAX_ID + 1), None)]
    + [(raw, None) for raw in ("²", "①", "٣", "𝟗", "-1", "+1", "1.5", "1e3", "", None, "\x00", "9" * 5000)],
)
def test_an_id_is_ascii_digits_within_bigint(raw, number):
    assert parse_id(raw) == number


def test_a_number_outside_its_range_gets_the_default():
    assert parse_int("10000", default=1, minimum=1, maximum=9_999) == 1
    assert parse_int("0", default=1, minimum=1) == 1
    assert parse_int("0", default=5) == 0
    assert parse_int("²", default=3) == 3
