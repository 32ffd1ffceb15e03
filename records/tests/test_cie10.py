"""The CIE-10 catalogue: loading it (the cie package, a DGIS file), searching it, and the consultation's use of it."""

from datetime import date, timedelta
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from accounts.tests.factories import PatientFactory, ReceptionFactory
from records import cie10, queries, repository
from records.models import Cie10Code, Cie10Sex, Operation
from records.tests.helpers import appointment_with_record
from records.tests.view_helpers import consultation_form, consultation_url, starting_today

pytestmark = pytest.mark.django_db

DGIS_SAMPLE = (
    "CONSECUTIVO,LETRA,CATALOG_KEY,NOMBRE,LSEX,LINF,LSUP,AFEC_PRIN\n"
    '1,O,O80X,"PARTO ÚNICO ESPONTÁNEO, PRESENTACIÓN CEFÁLICA DE VÉRTICE",MUJER,010A,054A,SI\n'
    "2,N,N40X,HIPERPLASIA DE LA PRÓSTATA,HOMBRE,020A,NO,SI\n"
    "3,P,P073,OTROS RECIÉN NACIDOS PRETÉRMINO,NO,NO,028D,SI\n"
    '4,J,J069,"INFECCIÓN AGUDA DE LAS VÍAS RESPIRATORIAS SUPERIORES, NO ESPECIFICADA",NO,NO,NO,SI\n'
)


def dgis_file(tmp_path, text=DGIS_SAMPLE, encoding="utf-8"):
    path = tmp_path / "CIE10_DGIS.csv"
    path.write_bytes(text.encode(encoding))
    return str(path)


def load(*args):
    out = StringIO()
    call_command("load_cie10", *args, stdout=out)
    return out.getvalue()


def catalogue():
    return {
        code.code: (code.description, code.sex_limit, code.min_age_days, code.max_age_days)
        for code in Cie10Code.objects.all()
    }


@pytest.fixture
def empty_catalogue():
    Cie10Code.objects.all().delete()


def test_the_package_loads_every_diagnosis_but_not_the_chapter_ranges(empty_catalogue):
    output = load()

    codes = Cie10Code.objects.count()
    assert 14_000 < codes < 14_499  # 14,499 rows less the 230 chapter and block ranges
    assert f"{codes} in the catalogue" in output
    assert Cie10Code.objects.get(code="J06.9").description == (
        "Infección aguda de las vías respiratorias superiores, no especificada"
    )
    assert Cie10Code.objects.get(code="J02").description == "Faringitis aguda"
    assert not Cie10Code.objects.filter(code__contains="-").exists()


def test_loading_twice_changes_nothing(empty_catalogue, tmp_path):
    path = dgis_file(tmp_path)
    load("--dgis", path)
    first = catalogue()

    load("--dgis", path)
    load("--no-package", "--dgis", path)

    assert catalogue() == first


def test_the_if_needed_run_skips_a_loaded_catalogue(empty_catalogue, django_assert_max_num_queries):
    load()

    with django_assert_max_num_queries(2):
        output = load("--if-needed")

    assert "already loaded" in output


def test_a_dgis_file_brings_its_sex_and_age_limits_and_wins_over_the_package(empty_catalogue, tmp_path):
    load("--no-package", "--dgis", dgis_file(tmp_path, encoding="latin-1"))
    load()  # the package afterwards keeps the DGIS descriptions and limits

    assert catalogue()["O80"] == ("PARTO ÚNICO ESPONTÁNEO, PRESENTACIÓN CEFÁLICA DE VÉRTICE", "F", 3650, 54 * 365 + 364)
    assert catalogue()["N40"][1:] == (Cie10Sex.MALE, 20 * 365, None)
    assert catalogue()["P07.3"][1:] == ("", None, 28)
    assert catalogue()["J06.9"][1:] == ("", None, None)


def test_a_dgis_file_without_the_needed_columns_is_refused_with_what_is_missing(empty_catalogue, tmp_path):
    with pytest.raises(CommandError, match="lacks CATALOG_KEY"):
        load("--no-package", "--dgis", dgis_file(tmp_path, "CLAVE,NOMBRE\nJ069,Infección\n"))
    with pytest.raises(CommandError, match="line 2: 'J0' is not a CIE-10 code"):
        load("--no-package", "--dgis", dgis_file(tmp_path, "CATALOG_KEY;NOMBRE\nJ0;Infección\n"))

    assert not Cie10Code.objects.exists()


@pytest.mark.parametrize(
    ("typed", "code"),
    [("j069", "J06.9"), (" J06.9 ", "J06.9"), ("A09X", "A09"), ("I10", "I10"), ("J2.9", None), ("hola", None)],
)
def test_codes_are_read_with_or_without_the_dot(typed, code):
    assert cie10.normalise_code(typed) == code


@pytest.mark.parametrize(
    ("query", "first"),
    [
        ("J06", "J06.9"),
        ("j069", "J06.9"),
        ("faringitis aguda", "J02.9"),
        ("INFECCION VIAS", "J06.9"),
        ("próstata", "N40"),
        ("prostata", "N40"),
    ],
)
def test_the_search_finds_codes_by_code_or_words_ignoring_accents_and_case(query, first):
    assert first in [entry.code for entry in queries.search_cie10(query)]


def test_the_search_lists_codes_that_start_with_the_query_first():
    found = [entry.code for entry in queries.search_cie10("J0")]

    assert found and all(code.startswith("J0") for code in found)
    assert queries.search_cie10("   ") == []


def test_the_search_route_answers_doctors_with_buttons_that_choose_a_code(client):
    appointment = appointment_with_record()
    client.force_login(appointment.doctor)

    response = client.get("/cie10/", {"q": "faringitis"})

    assert response.status_code == 200
    assert 'name="choose_cie10" value="J02.9"' in response.content.decode()
    assert "no-store" in response["Cache-Control"]


@pytest.mark.parametrize("who", ["patient", "reception"])
def test_the_search_route_refuses_everyone_but_doctors(client, who):
    client.force_login(PatientFactory() if who == "patient" else ReceptionFactory())

    assert client.get("/cie10/", {"q": "faringitis"}).status_code == 403


@pytest.fixture
def appointment():
    return appointment_with_record(
        slot__starts_at=starting_today(),
        patient__profile__sex="F",
        patient__profile__date_of_birth=date(1990, 5, 1),
    )


@pytest.fixture
def doctor_client(client, appointment):
    client.force_login(appointment.doctor)
    return client


def test_an_unknown_code_is_refused_with_a_clear_message(doctor_client, appointment):
    page = doctor_client.post(consultation_url(appointment), consultation_form(diagnosis_code="Z99.9")).content
    page = page.decode()

    assert "Z99.9 is not in the CIE-10 catalogue. Search the catalogue and choose a code, or leave it empty." in page
    assert not Operation.objects.exists()


def test_the_close_stores_the_code_and_its_description(doctor_client, appointment):
    doctor_client.post(consultation_url(appointment), consultation_form(diagnosis_code="j069"))

    appointment.refresh_from_db()
    encounter = repository.get_encounter(encounter_id=appointment.encounter_id, patient_id=appointment.patient_id)
    assert encounter["diagnosis_code"] == "J06.9"
    assert encounter["diagnosis_code_description"] == (
        "Infección aguda de las vías respiratorias superiores, no especificada"
    )


def test_searching_without_javascript_redraws_the_note_with_the_matches(doctor_client, appointment):
    form = consultation_form(diagnosis="", diagnosis_code="", cie10_query="faringitis", search_cie10="1")

    page = doctor_client.post(consultation_url(appointment), form).content.decode()

    assert 'name="choose_cie10" value="J02.9"' in page
    assert "This field is required." not in page
    assert "Two days of sore throat and fever.</textarea>" in page
    assert not Operation.objects.exists()


def test_choosing_a_match_fills_the_code_and_an_empty_diagnosis(doctor_client, appointment):
    form = consultation_form(diagnosis="", diagnosis_code="", choose_cie10="J02.9")

    page = doctor_client.post(consultation_url(appointment), form).content.decode()

    assert 'name="diagnosis_code" value="J02.9"' in page
    assert 'name="diagnosis" value="Faringitis aguda, no especificada"' in page
    assert not Operation.objects.exists()


def test_a_diagnosis_for_the_other_sex_warns_but_still_closes(doctor_client, appointment):
    review = doctor_client.post(consultation_url(appointment), consultation_form(diagnosis_code="N40", review="1"))
    closed = doctor_client.post(consultation_url(appointment), consultation_form(diagnosis_code="N40"))

    assert "N40 is a diagnosis for men only." in review.content.decode()
    assert closed.status_code == 302


def test_a_diagnosis_outside_its_age_limits_warns(doctor_client, appointment):
    page = doctor_client.post(consultation_url(appointment), consultation_form(diagnosis_code="P07.3", review="1"))

    assert "P07.3 is not expected at this patient&#x27;s age (too old for it)." in page.content.decode()


def test_the_limits_are_checked_against_the_age_on_the_day_of_the_visit():
    entry = Cie10Code(code="Z00.1", description="Control de salud de rutina del niño", max_age_days=17 * 365 + 364)
    today = timezone.localdate()
    teenager = PatientFactory(profile__date_of_birth=today - timedelta(days=17 * 365)).patient_profile
    adult = PatientFactory(profile__date_of_birth=today - timedelta(days=19 * 365)).patient_profile

    assert queries.diagnosis_fit_warnings(entry, teenager, on_day=today) == []
    assert queries.diagnosis_fit_warnings(entry, adult, on_day=today) == [
        "Z00.1 is not expected at this patient's age (too old for it)."
    ]


def test_a_diagnosis_that_fits_gives_no_warning(doctor_client, appointment):
    page = doctor_client.post(consultation_url(appointment), consultation_form(diagnosis_code="O80", review="1"))

    assert "is a diagnosis for" not in page.content.decode()
    assert "is not expected at this patient" not in page.content.decode()


def test_seed_demo_loads_the_common_codes_with_their_limits(empty_catalogue):
    call_command("seed_demo", stdout=StringIO())

    assert 100 <= Cie10Code.objects.count() < 200
    assert Cie10Code.objects.get(code="N40").sex_limit == Cie10Sex.MALE
    assert Cie10Code.objects.get(code="J02.9").description == "Faringitis aguda, no especificada"
