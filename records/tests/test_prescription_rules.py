"""COFEPRIS rules on the printed prescription: Fracción I left out, retention legends, address, presentation."""

import re

import pytest

from accounts.tests.factories import AdminFactory
from records.prescription_rules import RuleGroup, needs_special_form, printable, rule_group
from records.tests.helpers import appointment_with_record
from records.tests.view_helpers import (
    closed_encounter,
    consultation_form,
    consultation_url,
    shown_messages,
    starting_today,
)
from scheduling.tests.factories import SpecialtyFactory

pytestmark = pytest.mark.django_db

# User, patient, appointment with its doctor and profile, specialties, clinic details, audit event.
PRESCRIPTION_PAGE_QUERIES = 6


@pytest.mark.parametrize(
    ("drug", "route", "group"),
    [
        ("Morfina", "oral", RuleGroup.FRACTION_1),
        ("Sulfato de morfina", "intravenosa", RuleGroup.FRACTION_1),
        ("Fentanilo", "transdérmica", RuleGroup.FRACTION_1),
        ("Oxicodona", "oral", RuleGroup.FRACTION_1),
        ("Buprenorfina", "sublingual", RuleGroup.FRACTION_1),
        ("Metilfenidato", "oral", RuleGroup.FRACTION_1),
        ("methylphenidate hydrochloride", "oral", RuleGroup.FRACTION_1),
        ("Codeína", "oral", RuleGroup.FRACTION_2),
        ("Nalbufina", "intramuscular", RuleGroup.FRACTION_2),
        ("Clonazepam", "oral", RuleGroup.FRACTION_3),
        ("Alprazolam", "oral", RuleGroup.FRACTION_3),
        ("Diazepam", "oral", RuleGroup.FRACTION_3),
        ("Lorazepam", "oral", RuleGroup.FRACTION_3),
        ("Amoxicilina", "oral", RuleGroup.ANTIBIOTIC),
        ("Azitromicina", "oral", RuleGroup.ANTIBIOTIC),
        ("Ciprofloxacino", "oral", RuleGroup.ANTIBIOTIC),
        ("Trimetoprima con sulfametoxazol", "oral", RuleGroup.ANTIBIOTIC),
        ("Clindamicina", "oral", RuleGroup.ANTIBIOTIC),
        ("Nitrofurantoína", "oral", RuleGroup.ANTIBIOTIC),
        ("Ciprofloxacino", "oftálmica", None),
        ("Sulfasalazina", "oral", None),
        ("Tramadol", "oral", None),
        ("Paracetamol", "oral", None),
        ("Ibuprofeno", "oral", None),
    ],
)
def test_it_knows_the_rule_group_of_each_drug(drug, route, group):
    assert rule_group(drug, route) == group


def test_only_fraccion_i_needs_the_special_form():
    assert needs_special_form(["Morfina", "Clonazepam", "Amoxicilina", "", "Fentanilo"]) == ["Morfina", "Fentanilo"]


def test_printable_leaves_fraccion_i_out_and_tags_the_rest():
    printed = printable([line("Morfina"), line("Clonazepam"), line("Amoxicilina"), line("Loratadina")])

    assert [w["drug"] for w in printed.withheld] == ["Morfina"]
    assert [(p["drug"], p["rule_group"]) for p in printed.lines] == [
        ("Clonazepam", RuleGroup.FRACTION_3),
        ("Amoxicilina", RuleGroup.ANTIBIOTIC),
        ("Loratadina", None),
    ]
    assert printed.needs_patient_address
    assert not printable([line("Amoxicilina")]).needs_patient_address


def line(drug, presentation="", route="oral"):
    return {
        "drug": drug,
        "presentation": presentation,
        "dose": "1",
        "route": route,
        "frequency": "cada 8 horas",
        "duration": "5 días",
    }


# --- the printed page ----------------------------------------------------------------------------------------


@pytest.fixture
def appointment():
    appointment = appointment_with_record(slot__starts_at=starting_today())
    profile = appointment.doctor.doctor_profile
    profile.license_number = "12345678"
    profile.degree_institution = "Universidad Autónoma de Yucatán"
    profile.specialty_certificate = "AE-009876"
    profile.specialty_institution = "Consejo Mexicano de Medicina Interna"
    profile.save()
    profile.specialties.add(SpecialtyFactory(name="Medicina Interna"))
    return appointment


def print_page(client, appointment, lines, *, language="en", address=""):
    patient_profile = appointment.patient.patient_profile
    patient_profile.address = address
    patient_profile.save()
    _, encounter_id = closed_encounter(appointment, prescription=lines)
    client.force_login(appointment.patient)
    client.cookies.load({"django_language": language})
    response = client.get(f"/patients/{appointment.patient_id}/record/encounters/{encounter_id}/prescription/")
    assert response.status_code == 200
    # The cells' column names (shown on phones) are left out to compare the cells themselves.
    return re.sub(r' data-label="[^"]*"', "", response.content.decode())


def test_fraccion_i_is_left_out_with_the_special_form_notice(client, appointment):
    page = print_page(client, appointment, [line("Morfina", "tabletas 30 mg"), line("Paracetamol", "tabletas 500 mg")])

    table = page[page.index('<table class="table rx-table">') : page.index("</table>")]
    assert "Morfina" not in table
    assert "<td>Paracetamol</td><td>tabletas 500 mg</td>" in table
    assert "Not on this prescription" in page and "Morfina" in page
    assert "special prescription form with a barcode (recetario especial con código de barras)" in page


def test_only_fraccion_i_drugs_leave_an_empty_table_that_says_so(client, appointment):
    page = print_page(client, appointment, [line("Fentanilo", "parche 25 mcg/h", "transdérmica")])

    assert "No other drugs prescribed." in page
    assert "No drugs prescribed." not in page


def test_an_antibiotic_says_retain_the_prescription_and_carries_the_diagnosis(client, appointment):
    page = print_page(client, appointment, [line("Amoxicilina", "cápsulas 500 mg")])

    assert 'Amoxicilina<br><strong class="rx-dispensing">Keep the prescription (retener receta)</strong>' in page
    assert "the pharmacy stamps this prescription each time it sells the drug" in page
    assert "Acute pharyngitis" in page and "CIE-10 J02.9" in page
    assert "Patient's address" not in page


def test_fraccion_iii_prints_the_patients_address_and_the_dispensing_rule(client, appointment):
    page = print_page(
        client, appointment, [line("Clonazepam", "tabletas 2 mg")], address="Calle 20 #145, Col. García Ginerés, Mérida"
    )

    assert "Fill up to three times; keep at the third (surtir hasta tres veces)" in page
    assert "Fracción III controlled drug" in page
    assert "Patient's address:</strong> Calle 20 #145, Col. García Ginerés, Mérida" in page
    assert "<td>5 días</td>" in page


def test_fraccion_ii_without_a_recorded_address_leaves_a_line_to_write_it(client, appointment):
    page = print_page(client, appointment, [line("Codeína", "jarabe 10 mg/5 ml")])

    assert "Fill once and keep (surtir y retener)" in page
    assert 'class="fill-in"' in page
    assert "not recorded: write it by hand" in page


def test_presentation_and_specialty_institution_are_printed(client, appointment):
    page = print_page(client, appointment, [line("Loratadina", "tabletas 10 mg")])

    assert "<td>Loratadina</td><td>tabletas 10 mg</td>" in page
    assert "AE-009876 · issued by: Consejo Mexicano de Medicina Interna" in page


def test_the_printed_rules_are_in_spanish(client, appointment):
    page = print_page(client, appointment, [line("Amoxicilina"), line("Morfina")], language="es-mx")

    assert "Retener receta" in page
    assert "No incluidos en esta receta" in page
    assert "recetario especial con código de barras" in page
    assert "expedido por: Consejo Mexicano de Medicina Interna" in page


def test_old_lines_without_a_presentation_still_print(client, appointment):
    old = {"drug": "Paracetamol", "dose": "500 mg", "route": "oral", "frequency": "cada 8 horas", "duration": "3 días"}

    page = print_page(client, appointment, [old])

    assert "<td>Paracetamol</td><td></td><td>500 mg</td>" in page


# --- the consultation form warns at entry ---------------------------------------------------------------------


def test_the_consultation_form_warns_of_fraccion_i_at_entry(client):
    appointment = appointment_with_record(slot__starts_at=starting_today())
    client.force_login(appointment.doctor)
    morphine = {"drug": "Morfina", "dose": "10 mg", "route": "oral", "frequency": "cada 4 horas", "duration": "3 días"}

    redrawn = client.post(consultation_url(appointment), consultation_form(lines=[morphine], add_line="1"))
    closed = client.post(consultation_url(appointment), consultation_form(lines=[morphine]))

    assert "Morfina: Fracción I controlled drugs cannot go on Medly's printed prescription." in (
        redrawn.content.decode()
    )
    assert closed.status_code == 302
    assert any("Morfina will not be on the printed prescription" in message for message in shown_messages(closed))


def test_the_blank_consultation_form_explains_fraccion_i(client):
    appointment = appointment_with_record(slot__starts_at=starting_today())
    client.force_login(appointment.doctor)

    page = client.get(consultation_url(appointment)).content.decode()

    assert "Fracción I controlled drugs (for example morphine, fentanyl, methylphenidate)" in page
    assert 'name="rx-0-presentation"' in page


@pytest.mark.parametrize("count", [1, 8])
def test_the_printed_page_takes_the_same_queries_whatever_the_lines(
    client, appointment, django_assert_num_queries, count
):
    drugs = ["Morfina", "Clonazepam", "Codeína", "Amoxicilina", "Loratadina", "Ciprofloxacino", "Diazepam", "Fentanilo"]
    _, encounter_id = closed_encounter(appointment, prescription=[line(drug, "tabletas") for drug in drugs[:count]])
    client.force_login(appointment.patient)
    url = f"/patients/{appointment.patient_id}/record/encounters/{encounter_id}/prescription/"

    with django_assert_num_queries(PRESCRIPTION_PAGE_QUERIES):
        assert client.get(url).status_code == 200


def test_the_admin_records_the_specialty_institution_and_the_patients_address(client, appointment):
    client.force_login(AdminFactory())

    doctor_page = client.get(f"/admin/accounts/user/{appointment.doctor_id}/change/").content.decode()
    patient_page = client.get(f"/admin/accounts/user/{appointment.patient_id}/change/").content.decode()

    assert 'name="doctor_profile-0-specialty_institution"' in doctor_page
    assert "Consejo Mexicano de Medicina Interna" in doctor_page
    assert 'name="patient_profile-0-address"' in patient_page
