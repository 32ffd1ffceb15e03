"""Valid CURPs for tests, built the way RENAPO builds them."""

from accounts.models import curp_check_digit

SEX_LETTER = {"F": "M", "M": "H"}


def make_curp(date_of_birth, sex_letter, *, initials="GOML", state="YN", consonants="RRR"):
    century = "0" if date_of_birth.year < 2000 else "A"
    first_17 = f"{initials}{date_of_birth:%y%m%d}{sex_letter}{state}{consonants}{century}"
    return first_17 + curp_check_digit(first_17)
