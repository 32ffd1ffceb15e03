"""Finding a doctor: one box for name or specialty, accents and case ignored; the htmx results partial; the cards."""

from decimal import Decimal

import pytest
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from accounts.models import DoctorProfile
from accounts.tests.factories import DoctorFactory
from scheduling.models import Specialty
from scheduling.public_pages import DOCTORS_PER_PAGE
from scheduling.tests.factories import SlotFactory, SpecialtyFactory
from scheduling.tests.helpers import days_ahead

pytestmark = pytest.mark.django_db

DIRECTORY_URL = reverse("scheduling:directory")
HTMX = {"HX-Request": "true"}
# The count, the page of doctors (with next free time), their specialties, the specialty menu.
DIRECTORY_QUERIES = 4
# The same without the specialty menu, which stays on the page around the results.
RESULTS_QUERIES = 3


def names_listed(response):
    return [doctor.get_full_name() for doctor in response.context["page"].object_list]


@pytest.fixture
def clinic():
    cardiology = SpecialtyFactory(name="Cardiología")
    gynaecology = SpecialtyFactory(name="Ginecología y Obstetricia")
    pediatrics = SpecialtyFactory(name="Pediatría")
    chable = DoctorFactory(first_name="Jorge", last_name="Chablé Canché")
    chable.doctor_profile.specialties.set([cardiology])
    pech = DoctorFactory(first_name="María José", last_name="Pech")
    pech.doctor_profile.specialties.set([gynaecology, pediatrics])
    DoctorFactory(first_name="Ana", last_name="Núñez")
    return {"cardiology": cardiology, "pediatrics": pediatrics}


@pytest.mark.parametrize(
    ("query", "found"),
    [
        ("chable", ["Jorge Chablé Canché"]),
        ("CHABLÉ", ["Jorge Chablé Canché"]),
        ("canche", ["Jorge Chablé Canché"]),
        ("cardiologia", ["Jorge Chablé Canché"]),
        ("Cardiología", ["Jorge Chablé Canché"]),
        ("cardio", ["Jorge Chablé Canché"]),
        ("obstetricia", ["María José Pech"]),
        ("pediatria maria", ["María José Pech"]),
        ("jose pech", ["María José Pech"]),
        ("cardiologia pech", []),
        ("ologia", []),
        ("nunez", ["Ana Núñez"]),
        ("zzz", []),
    ],
)
def test_it_finds_doctors_by_any_word_of_their_name_or_specialty(client, clinic, query, found):
    assert names_listed(client.get(DIRECTORY_URL, {"q": query})) == found


def test_it_combines_the_search_with_the_specialty_menu(client, clinic):
    response = client.get(DIRECTORY_URL, {"q": "maria", "specialty": clinic["pediatrics"].pk})
    assert names_listed(response) == ["María José Pech"]
    assert names_listed(client.get(DIRECTORY_URL, {"q": "maria", "specialty": clinic["cardiology"].pk})) == []


def test_a_doctor_with_two_matching_specialties_is_listed_once(client):
    doctor = DoctorFactory(last_name="Uno")
    doctor.doctor_profile.specialties.set([SpecialtyFactory(name="Neurología"), SpecialtyFactory(name="Neumología")])

    assert names_listed(client.get(DIRECTORY_URL, {"q": "neu"})) == [doctor.get_full_name()]


def test_the_search_pages_through_the_matches_and_keeps_the_query(client):
    cardiology = SpecialtyFactory(name="Cardiología")
    for n in range(DOCTORS_PER_PAGE + 2):
        DoctorFactory(last_name=f"Apellido{n:03d}").doctor_profile.specialties.set([cardiology])
    DoctorFactory(last_name="Otro")

    first = client.get(DIRECTORY_URL, {"q": "cardiologia"})
    second = client.get(DIRECTORY_URL, {"q": "cardiologia", "page": 2})

    assert len(names_listed(first)) == DOCTORS_PER_PAGE
    assert len(names_listed(second)) == 2
    assert "q=cardiologia&amp;page=2" in first.text
    assert f"{DOCTORS_PER_PAGE + 2} doctors found" in first.text


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(query=st.text(max_size=300))
def test_any_query_answers_a_page_never_an_error(client, query):
    response = client.get(DIRECTORY_URL, {"q": query.replace("\x00", "")})

    assert response.status_code == 200


@pytest.mark.parametrize("query", ["%", "_", "\\", "' OR 1=1 --", "a%b", "%%%%", "<script>alert(1)</script>"])
def test_wildcards_and_markup_in_the_query_match_literally(client, query):
    DoctorFactory(first_name="Ana", last_name="López")

    response = client.get(DIRECTORY_URL, {"q": query})

    assert names_listed(response) == []
    assert "<script>alert(1)</script>" not in response.text


def test_an_htmx_request_gets_the_results_alone_and_caches_keep_them_apart(client, clinic):
    full = client.get(DIRECTORY_URL, {"q": "chable"})
    partial = client.get(DIRECTORY_URL, {"q": "chable"}, headers=HTMX)

    # The very list the whole page showed, from the cache: no template rendered for it.
    assert partial.templates == []
    assert "<html" not in partial.text and 'id="id_q"' not in partial.text
    assert "Jorge Chablé Canché" in partial.text
    assert "<html" in full.text and 'id="directory-results"' in full.text
    for response in (full, partial):
        assert "HX-Request" in response["Vary"]


def test_going_back_in_history_under_htmx_gets_the_whole_page(client, clinic):
    response = client.get(DIRECTORY_URL, headers={**HTMX, "HX-History-Restore-Request": "true"})

    assert "<html" in response.text


@pytest.mark.parametrize("doctors", [2, 14])
def test_the_results_partial_costs_the_same_queries_for_2_or_14_doctors(client, django_assert_num_queries, doctors):
    cardiology = SpecialtyFactory(name="Cardiología")
    for n in range(doctors):
        doctor = DoctorFactory(last_name=f"Apellido{n:03d}", profile__languages=["es", "en"])
        doctor.doctor_profile.specialties.set([cardiology, SpecialtyFactory()])
        SlotFactory(doctor=doctor, starts_at=days_ahead(1 + n % 3, 9))

    with django_assert_num_queries(RESULTS_QUERIES):
        client.get(DIRECTORY_URL, {"q": "cardio"}, headers=HTMX)
    with django_assert_num_queries(DIRECTORY_QUERIES):
        client.get(DIRECTORY_URL, {"q": "cardio apellido", "page": 1})


def test_each_card_shows_fee_languages_next_free_time_and_initials_without_a_photo(client):
    doctor = DoctorFactory(first_name="Jorge", last_name="Chablé")
    DoctorProfile.objects.filter(user=doctor).update(consultation_fee=Decimal("1250.00"), languages=["es", "yua"])
    SlotFactory(doctor=doctor, starts_at=days_ahead(2, 10))
    DoctorFactory(first_name="Sin", last_name="Tarifa")

    response = client.get(DIRECTORY_URL)

    assert "$1,250.00 MXN" in response.text
    assert "Spanish, Yucatec Maya" in response.text
    assert ">JC</span>" in response.text
    assert "Ask the clinic" in response.text
    assert reverse("scheduling:doctor", args=[doctor.pk]) in response.text


def test_the_fee_and_languages_are_shown_in_spanish_too(client):
    doctor = DoctorFactory()
    DoctorProfile.objects.filter(user=doctor).update(consultation_fee=Decimal("800"), languages=["es", "en"])

    response = client.get(DIRECTORY_URL, headers={"Accept-Language": "es-MX"})

    assert "$800.00 MXN" in response.text
    assert "Español, Inglés" in response.text
    assert "Costo de la consulta" in response.text


# --- the folded specialty name has one writer -------------------------------------------------


def test_the_folded_specialty_name_follows_save_update_and_bulk_writes():
    specialty = Specialty.objects.create(name="Traumatología y Ortopedia")
    assert specialty.search_name == "traumatologia y ortopedia"

    Specialty.objects.filter(pk=specialty.pk).update(name="Ortopedía")
    assert Specialty.objects.get(pk=specialty.pk).search_name == "ortopedia"

    specialty.name = "Reumatología"
    Specialty.objects.bulk_update([specialty], ["name"])
    assert Specialty.objects.get(pk=specialty.pk).search_name == "reumatologia"

    (created,) = Specialty.objects.bulk_create([Specialty(name="Geriatría")])
    assert Specialty.objects.get(name="Geriatría").search_name == "geriatria"

    specialty.name = "Angiología"
    specialty.save(update_fields=["name"])
    assert Specialty.objects.get(pk=specialty.pk).search_name == "angiologia"


def test_a_computed_name_update_is_refused_rather_than_leaving_the_folded_name_stale():
    from django.db.models.functions import Upper

    Specialty.objects.create(name="Nefrología")

    with pytest.raises(TypeError):
        Specialty.objects.update(name=Upper("name"))
