"""A CURP must agree with the date of birth and sex it is given with, wherever a patient is registered."""

import datetime

import pytest
from django.core.exceptions import ValidationError
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.django import TestCase as HypothesisTestCase

from accounts.forms import PatientDetailsForm, RegistrationForm
from accounts.models import (
    PatientProfile,
    User,
    curp_birth_date,
    curp_check_digit,
    curp_disagreements,
    validate_curp,
)
from accounts.tests.curps import SEX_LETTER, make_curp
from accounts.tests.factories import AdminFactory, PatientFactory
from accounts.tests.test_patient_registration_paths import ADD_URL, admin_add_form
from accounts.tests.test_registration import REGISTER_URL, registration_data

birth_dates = st.dates(min_value=datetime.date(1930, 1, 1), max_value=datetime.date(2025, 12, 31))
sexes = st.sampled_from(["F", "M", "X"])


@given(born=birth_dates, sex_letter=st.sampled_from(["H", "M", "X"]))
def test_it_reads_back_the_date_a_valid_curp_encodes(born, sex_letter):
    curp = make_curp(born, sex_letter)

    validate_curp(curp)
    assert curp_birth_date(curp) == born


@given(born=birth_dates, sex=st.sampled_from(["F", "M"]))
def test_a_curp_built_from_the_date_and_sex_agrees_with_them(born, sex):
    assert curp_disagreements(make_curp(born, SEX_LETTER[sex]), date_of_birth=born, sex=sex) == {}


@given(born=birth_dates, sex_letter=st.sampled_from(["H", "M", "X"]))
def test_sex_not_stated_agrees_with_any_curp(born, sex_letter):
    assert curp_disagreements(make_curp(born, sex_letter), date_of_birth=born, sex="X") == {}


@given(born=birth_dates, other=birth_dates, sex=sexes)
def test_any_other_date_of_birth_is_a_disagreement(born, other, sex):
    problems = curp_disagreements(make_curp(born, "X"), date_of_birth=other, sex=sex)

    assert ("date_of_birth" in problems) == (other != born)


@given(born=birth_dates, sex=st.sampled_from(["F", "M"]))
def test_the_other_sex_letter_is_a_disagreement(born, sex):
    wrong_letter = SEX_LETTER["M" if sex == "F" else "F"]

    assert set(curp_disagreements(make_curp(born, wrong_letter), date_of_birth=born, sex=sex)) == {"sex"}


@given(born=birth_dates)
def test_the_same_digits_in_the_other_century_are_a_disagreement(born):
    curp = make_curp(born, "M")
    other_century = curp[:16] + ("A" if curp[16].isdigit() else "0")
    other_century += curp_check_digit(other_century)

    assert "date_of_birth" in curp_disagreements(other_century, date_of_birth=born, sex="F")


def test_a_curp_whose_digits_are_no_real_day_is_invalid():
    first_17 = "GOML900230MYNRRR0"  # 30 February

    with pytest.raises(ValidationError):
        validate_curp(first_17 + curp_check_digit(first_17))


class TestForms(HypothesisTestCase):
    @given(born=st.dates(min_value=datetime.date(1930, 1, 1), max_value=datetime.date(2020, 12, 31)), sex=sexes)
    def test_the_shared_patient_form_accepts_exactly_the_agreeing_triples(self, born, sex):
        curp = make_curp(datetime.date(1991, 3, 8), "M")
        data = {"date_of_birth": born.isoformat(), "sex": sex, "curp": curp}
        form = PatientDetailsForm(data)

        agrees = born == datetime.date(1991, 3, 8) and sex in ("F", "X")
        assert form.is_valid() == agrees, form.errors


@pytest.mark.django_db
def test_sign_up_says_which_detail_the_curp_contradicts(client):
    curp = make_curp(datetime.date(1991, 3, 8), "H")

    response = client.post(REGISTER_URL, registration_data(curp=curp, date_of_birth="1991-03-09"))

    assert response.status_code == 200
    form = response.context["form"]
    assert form.errors["date_of_birth"] == [
        "The CURP says another date of birth. Check both against the CURP certificate."
    ]
    assert form.errors["sex"] == ["The CURP says another sex. Check both against the CURP certificate."]
    assert not User.objects.exists()


@pytest.mark.django_db
def test_sign_up_with_an_agreeing_curp_stores_it(client):
    curp = make_curp(datetime.date(1991, 3, 8), "M")

    assert client.post(REGISTER_URL, registration_data(curp=curp.lower())).status_code == 302
    assert PatientProfile.objects.get().curp == curp


@pytest.mark.django_db
def test_a_duplicate_curp_is_reported_as_a_duplicate_curp_not_a_duplicate_email(client):
    curp = make_curp(datetime.date(1991, 3, 8), "M")
    PatientFactory(profile__curp=curp, profile__date_of_birth=datetime.date(1991, 3, 8))

    response = client.post(REGISTER_URL, registration_data(curp=curp))

    form = response.context["form"]
    assert form.errors == {"curp": ["A patient with this CURP already exists."]}


@pytest.mark.django_db
def test_a_curp_taken_between_the_form_check_and_the_insert_is_still_named_as_the_curp(client, monkeypatch):
    curp = make_curp(datetime.date(1991, 3, 8), "M")
    monkeypatch.setattr(RegistrationForm, "clean_curp", lambda form: form.cleaned_data["curp"].upper())
    PatientFactory(profile__curp=curp)

    response = client.post(REGISTER_URL, registration_data(curp=curp))

    assert response.status_code == 200
    assert response.context["form"].errors == {"curp": ["A patient with this CURP already exists."]}
    assert User.objects.count() == 1


@pytest.mark.django_db
def test_an_email_taken_between_the_form_check_and_the_insert_is_named_as_the_email(client, monkeypatch):
    monkeypatch.setattr(RegistrationForm, "clean_email", lambda form: form.cleaned_data["email"].lower())
    PatientFactory(email="lucia.canul@example.test")

    response = client.post(REGISTER_URL, registration_data())

    assert response.context["form"].errors == {"email": ["An account with this email already exists."]}


@pytest.mark.django_db
def test_admin_profile_validation_refuses_a_contradicting_curp():
    patient = PatientFactory(profile__date_of_birth=datetime.date(1991, 3, 8), profile__sex="F")
    profile = patient.patient_profile
    profile.curp = make_curp(datetime.date(1991, 3, 8), "H")

    with pytest.raises(ValidationError) as refused:
        profile.full_clean()
    assert set(refused.value.message_dict) == {"sex"}


@pytest.mark.django_db
def test_admins_add_form_refuses_a_curp_that_contradicts_the_patient(client):
    client.force_login(AdminFactory())
    curp = make_curp(datetime.date(1979, 2, 11), "M")  # a woman's CURP for a man

    response = client.post(ADD_URL, admin_add_form(curp=curp))

    assert response.status_code == 200
    assert "The CURP says another sex." in response.content.decode()
    assert not User.objects.filter(email="walk.in@example.test").exists()
