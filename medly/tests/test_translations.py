"""The Spanish (Mexico) catalog: complete, compiled, in step with the code, and used by the pages.

The catalog is read with a tiny .po parser (no polib) and checked with GNU
gettext's msgfmt, which makemessages/compilemessages need anyway.
"""

import gettext
import re
import shutil
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest
from django.conf import settings

ROOT = Path(settings.BASE_DIR)
CATALOG_DIR = ROOT / "locale" / "es_MX" / "LC_MESSAGES"
PO_FILE = CATALOG_DIR / "django.po"
MO_FILE = CATALOG_DIR / "django.mo"
# The same exclusions as the documented makemessages command.
MAKEMESSAGES_IGNORES = [".venv/*", "var/*", "staticfiles/*", "conftest.py", "*/tests/*"]
# printf-style placeholders Python's % operator fills in; "%%" is a literal percent sign.
PLACEHOLDER = re.compile(r"%(?:\(\w+\))?[-#0 +]*\d*(?:\.\d+)?[diouxXeEfFgGcrsa%]")

needs_msgfmt = pytest.mark.skipif(shutil.which("msgfmt") is None, reason="needs GNU gettext (msgfmt)")


ESCAPES = {"n": "\n", "t": "\t", "r": "\r"}


def _unquote(line):
    return re.sub(r"\\(.)", lambda match: ESCAPES.get(match[1], match[1]), line[1:-1])


def parse_po(path):
    """The entries of a .po file as dicts: msgid, msgid_plural, msgstr (a list), flags, obsolete.

    gettext's tools write one entry per blank-line-separated block, which is all this relies on.
    """
    entries = []
    for block in Path(path).read_text(encoding="utf-8").split("\n\n"):
        entry, field = {"flags": set(), "msgstr": [], "obsolete": False}, None
        for raw in block.splitlines():
            line = raw.strip()
            if line.startswith("#~"):
                entry["obsolete"] = True
                line = line[2:].strip()
            if line.startswith("#,"):
                entry["flags"].update(flag.strip() for flag in line[2:].split(","))
            elif not line or line.startswith(("#", "|")):
                continue  # comments, references, previous msgids (#| and #~|)
            elif line.startswith('"'):
                if field == "msgstr":
                    entry["msgstr"][-1] += _unquote(line)
                else:
                    entry[field] += _unquote(line)
            else:
                keyword, _, rest = line.partition(" ")
                field = "msgstr" if keyword.startswith("msgstr") else keyword
                if field == "msgstr":
                    entry["msgstr"].append(_unquote(rest))
                else:
                    entry[field] = _unquote(rest)
        if "msgid" in entry:
            entries.append(entry)
    return entries


def messages(path):
    """The live (not obsolete) translatable entries, without the header."""
    return [entry for entry in parse_po(path) if entry["msgid"] and not entry["obsolete"]]


def placeholders(text):
    return Counter(match for match in PLACEHOLDER.findall(text) if match != "%%")


def msgfmt(*args):
    return subprocess.run(["msgfmt", *args], capture_output=True, text=True, check=False)


def load_mo(path):
    with open(path, "rb") as handle:
        return gettext.GNUTranslations(handle)


# --- The catalog file -------------------------------------------------------


def test_it_has_a_header_for_mexican_spanish_in_utf8():
    header = parse_po(PO_FILE)[0]

    assert header["msgid"] == ""
    text = header["msgstr"][0]
    assert "Language: es_MX\n" in text
    assert "Content-Type: text/plain; charset=UTF-8\n" in text
    assert "Plural-Forms: nplurals=2; plural=(n != 1);\n" in text
    assert "fuzzy" not in header["flags"]


def test_it_translates_every_message_and_marks_none_fuzzy():
    entries = messages(PO_FILE)

    assert len(entries) > 50
    untranslated = [entry["msgid"] for entry in entries if not all(entry["msgstr"])]
    fuzzy = [entry["msgid"] for entry in entries if "fuzzy" in entry["flags"]]
    assert untranslated == []
    assert fuzzy == []


@needs_msgfmt
def test_msgfmt_finds_the_catalog_valid_and_complete():
    result = msgfmt("--check", "--statistics", "-o", "/dev/null", str(PO_FILE))

    assert result.returncode == 0, result.stderr
    assert "fuzzy" not in result.stderr
    assert "untranslated" not in result.stderr


def test_every_translation_keeps_the_placeholders_of_its_message():
    mismatched = []
    for entry in messages(PO_FILE):
        sources = [entry["msgid"], entry.get("msgid_plural", entry["msgid"])]
        for index, translation in enumerate(entry["msgstr"]):
            if placeholders(translation) != placeholders(sources[min(index, 1)]):
                mismatched.append((entry["msgid"], translation))

    assert mismatched == []


def test_every_python_format_message_is_flagged_so_msgfmt_checks_it():
    unflagged = [
        entry["msgid"]
        for entry in messages(PO_FILE)
        if placeholders(entry["msgid"]) and "python-format" not in entry["flags"]
    ]

    assert unflagged == []


@needs_msgfmt
def test_the_committed_mo_file_is_compiled_from_the_current_po_file(tmp_path):
    fresh = tmp_path / "django.mo"
    result = msgfmt("--check", "-o", str(fresh), str(PO_FILE))
    assert result.returncode == 0, result.stderr

    assert MO_FILE.exists(), "run: manage.py compilemessages --locale es_MX"
    committed, compiled = load_mo(MO_FILE)._catalog, load_mo(fresh)._catalog
    stale = sorted(str(key) for key in committed.keys() | compiled.keys() if committed.get(key) != compiled.get(key))
    assert stale == [], "django.mo is out of date: run manage.py compilemessages --locale es_MX"


# --- The catalog against the code ------------------------------------------


@needs_msgfmt
def test_every_string_marked_in_the_code_is_in_the_catalog(tmp_path):
    """makemessages runs on a copy of the project, so the real catalog is never rewritten."""
    copy = tmp_path / "project"
    skip = shutil.ignore_patterns("tests", "__pycache__", "*.mo")
    packages = [path for path in ROOT.iterdir() if path.is_dir() and (path / "__init__.py").exists()]
    for source in [*packages, ROOT / "templates", ROOT / "locale"]:
        shutil.copytree(source, copy / source.name, ignore=skip)
    shutil.copy2(ROOT / "manage.py", copy / "manage.py")
    ignores = [arg for pattern in MAKEMESSAGES_IGNORES for arg in ("--ignore", pattern)]

    result = subprocess.run(
        [sys.executable, "manage.py", "makemessages", "--locale", "es_MX", *ignores],
        cwd=copy,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )

    assert result.returncode == 0, result.stderr
    extracted = parse_po(copy / "locale" / "es_MX" / "LC_MESSAGES" / "django.po")
    live = [entry for entry in extracted if entry["msgid"] and not entry["obsolete"]]
    missing = [entry["msgid"] for entry in live if not all(entry["msgstr"]) or "fuzzy" in entry["flags"]]
    unused = [entry["msgid"] for entry in extracted if entry["obsolete"]]
    assert not missing, "new strings in the code, run makemessages and translate them:\n" + "\n".join(missing)
    assert not unused, "strings no longer in the code, run makemessages and drop them:\n" + "\n".join(unused)
    assert {entry["msgid"] for entry in live} == {entry["msgid"] for entry in messages(PO_FILE)}


# --- The pages in Spanish ----------------------------------------------------


def _page(response):
    assert response.status_code == 200
    return response.content.decode()


@pytest.mark.django_db
def test_it_shows_registration_and_login_in_spanish_after_choosing_espanol(client):
    response = client.post("/i18n/setlang/", {"language": "es-mx", "next": "/"})
    assert response.status_code == 302

    register = _page(client.get("/accounts/register/"))
    login = _page(client.get("/accounts/login/"))

    for page in (register, login):
        assert '<html lang="es-mx">' in page
        assert "Correo electrónico" in page
        assert "Aviso de privacidad" in page
        assert "Idioma" in page
    assert "Cree su cuenta de paciente" in register
    assert "Fecha de nacimiento" in register
    assert "Tipo de sangre" in register
    assert "He leído el aviso de privacidad" in register
    assert "¿Ya tiene una cuenta?" in register
    assert "Create your patient account" not in register
    assert "Iniciar sesión" in login
    assert "¿Paciente de primera vez?" in login
    assert "Log in" not in login


@pytest.mark.django_db
def test_it_answers_in_spanish_to_a_browser_that_asks_for_es_mx(client):
    page = _page(client.get("/", headers={"accept-language": "es-MX"}))

    assert '<html lang="es-mx">' in page
    assert "Su clínica, en línea" in page
    assert "Crear una cuenta de paciente" in page
    assert "Your clinic, online" not in page


@pytest.mark.django_db
def test_it_shows_the_not_found_page_in_spanish(client):
    response = client.get("/no-such-page/", headers={"accept-language": "es-MX"})

    assert response.status_code == 404
    page = response.content.decode()
    assert "No encontramos esa página" in page
    assert "Volver a la página de inicio" in page
