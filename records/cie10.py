"""The CIE-10 catalogue's sources, read into ``CatalogueEntry`` rows that services.load_cie10_codes writes.

Two sources:

- the ``cie`` package (PyPI, MIT): 14,499 Spanish rows in ``cie/data/cie-10.zip``
  (one CSV: ``code, code_0 … code_4, description, level, source``). Rows of levels 0
  and 1 are chapter and block ranges ("J00-J99"), not diagnoses, and are skipped.
  It carries no sex or age limits.
- the DGIS catalogue file a clinic downloads from the Secretaría de Salud
  (``--dgis FILE``). Accepted format: a CSV file, UTF-8 (with or without BOM) or
  Latin-1, comma- or semicolon-separated, with a header row naming at least
  ``CATALOG_KEY`` (the code: ``J069``, ``J06.9``, or ``A09X`` for a category
  without subcategories) and ``NOMBRE`` (the description). Optional columns:
  ``LSEX`` (``NO``, ``HOMBRE``/``MUJER``, ``H``/``M``, ``1``/``2``), ``LINF`` and
  ``LSUP`` (age limits written as three digits and a unit, ``H`` hours, ``D``
  days, ``M`` months, ``A`` years: ``028D``, ``010A``; ``NO`` or empty for none).
  Other columns are ignored.
"""

import csv
import io
import re
import zipfile
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from records.models import Cie10Sex

# About 100 codes a general practice uses most, in the DGIS format with their limits: seed_demo and the tests.
COMMON_CODES_FILE = Path(__file__).resolve().parent / "data" / "cie10_common.csv"
CODE_PATTERN = re.compile(r"^[A-Z][0-9][0-9A-Z](\.?[0-9A-Z]{1,4})?$")
AGE_PATTERN = re.compile(r"^([0-9]{1,3})([HDMA])$")
DAYS_PER_UNIT = {"H": 0, "D": 1, "M": 30, "A": 365}
# An upper limit of "10 years" still includes a child of 10 years and 11 months.
UPPER_SLACK_DAYS = {"H": 0, "D": 0, "M": 29, "A": 364}
SEX_LIMITS = {
    "HOMBRE": Cie10Sex.MALE,
    "H": Cie10Sex.MALE,
    "1": Cie10Sex.MALE,
    "MUJER": Cie10Sex.FEMALE,
    "M": Cie10Sex.FEMALE,
    "2": Cie10Sex.FEMALE,
}


class CatalogueFileError(ValueError):
    """The DGIS file is not in the accepted format; the message says what is wrong."""


@dataclass(frozen=True)
class CatalogueEntry:
    code: str
    description: str
    sex_limit: str = Cie10Sex.ANY
    min_age_days: int | None = None
    max_age_days: int | None = None


def normalise_code(text):
    """``J069``, ``j06.9`` → ``J06.9``; ``A09X`` → ``A09``; None when it is not shaped like a CIE-10 code."""
    code = (text or "").strip().upper()
    if not CODE_PATTERN.match(code):
        return None
    code = code.replace(".", "")
    if len(code) == 4 and code.endswith("X"):
        code = code[:3]
    return code if len(code) == 3 else f"{code[:3]}.{code[3:]}"


def package_entries():
    """Every diagnosis of the ``cie`` package (levels 2 and up), in the package's order."""
    archive = resources.files("cie") / "data" / "cie-10.zip"
    with archive.open("rb") as raw, zipfile.ZipFile(raw) as bundle:
        text = bundle.read("cie-10.csv").decode("utf-8")
    entries = {}
    for row in csv.DictReader(io.StringIO(text)):
        code = normalise_code(row["code"])
        if code and row["level"].strip() not in ("0", "1"):
            entries[code] = CatalogueEntry(code, _description(row["description"]))
    return list(entries.values())


def dgis_entries(path):
    """The rows of a DGIS catalogue file (see the module docstring), with their sex and age limits."""
    try:
        with open(path, "rb") as handle:
            raw = handle.read()
    except OSError as exc:
        raise CatalogueFileError(f"cannot read {path}: {exc.strerror}") from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = raw.decode("latin-1")
    first_line = text.split("\n", 1)[0]
    reader = csv.DictReader(io.StringIO(text), delimiter=";" if first_line.count(";") > first_line.count(",") else ",")
    columns = {(name or "").strip().upper(): name for name in reader.fieldnames or []}
    missing = [name for name in ("CATALOG_KEY", "NOMBRE") if name not in columns]
    if missing:
        raise CatalogueFileError(f"{path}: the header row lacks {', '.join(missing)}")
    entries = {}
    for line_number, row in enumerate(reader, start=2):

        def value(name, row=row):
            return (row.get(columns.get(name, ""), "") or "").strip()

        code = normalise_code(value("CATALOG_KEY"))
        description = _description(value("NOMBRE"))
        if code is None or not description:
            raise CatalogueFileError(f"{path}, line {line_number}: {value('CATALOG_KEY')!r} is not a CIE-10 code")
        entries[code] = CatalogueEntry(
            code,
            description,
            sex_limit=SEX_LIMITS.get(value("LSEX").upper(), Cie10Sex.ANY),
            min_age_days=_age_days(value("LINF")),
            max_age_days=_age_days(value("LSUP"), upper=True),
        )
    return list(entries.values())


def common_entries():
    return dgis_entries(COMMON_CODES_FILE)


def _description(text):
    return " ".join(text.replace("–", "-").split())[:500]


def _age_days(text, *, upper=False):
    match = AGE_PATTERN.match(text.upper())
    if match is None:
        return None
    number, unit = int(match.group(1)), match.group(2)
    return number * DAYS_PER_UNIT[unit] + (UPPER_SLACK_DAYS[unit] if upper else 0)
