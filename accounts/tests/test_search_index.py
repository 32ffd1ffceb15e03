"""People are found through the search-word index: exactly what a plain filter over them finds, by index ranges."""

import pytest
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from accounts.models import DoctorProfile, Role, User, UserSearchWord
from accounts.tests.factories import AdminFactory, DoctorFactory, PatientFactory
from medly.tests.query_plans import describe, full_scans, keys_used
from medly.text import fold_for_search
from records.queries import patients_for
from scheduling.queries import directory, find_patients

pytestmark = pytest.mark.django_db

WORD_INDEX = "user_search_word"

NAME_PARTS = ["María", "José", "Chablé", "Canché", "de", "la", "Li", "Núñez", "Ana-Sofía", "O'Brien", "Pech", "Ek"]
EMAIL_PARTS = ["maria", "jose.pech", "li_ek", "ana-sofia", "m.lopez", "x"]
names = st.lists(st.sampled_from(NAME_PARTS), min_size=1, max_size=3).map(" ".join)
emails = st.one_of(
    st.none(),
    st.tuples(st.sampled_from(EMAIL_PARTS), st.integers(0, 99)).map(lambda pair: f"{pair[0]}{pair[1]}@clinic.test"),
)
phones = st.one_of(st.just(""), st.from_regex(r"\A(\+52 )?(\(9[0-9]{2}\)|9[0-9]{2})[ -]?[0-9]{3}[ -]?[0-9]{4}\Z"))
people = st.lists(st.tuples(names, names, emails, phones), min_size=1, max_size=6)


def _words_of(text):
    return fold_for_search(text).split()


def _begins_a_word(word, text):
    """``word`` begins a folded word of ``text``, or its part after a separator ("lopez" in "m.lopez@…")."""
    for token in _words_of(text):
        for start in range(len(token)):
            after_separator = start > 0 and not _is_word_char(token[start - 1]) and _is_word_char(token[start])
            if (start == 0 or after_separator) and token[start:].startswith(word):
                return True
    return False


def _is_word_char(char):
    return char.isalnum() or char == "_"


def _digits(text):
    return "".join(char for char in text if char.isdigit())


def _found_by(person, word, *, phone):
    first_name, last_name, email, phone_number = person
    if _begins_a_word(word, f"{first_name} {last_name} {email or ''}"):
        return True
    if not phone or not phone_number:
        return False
    if _begins_a_word(word, phone_number) or _digits(phone_number).startswith(word):
        return True
    typed_a_number = set(word) <= set("0123456789+()-.") and _digits(word)
    return bool(typed_a_number) and _digits(phone_number).endswith(_digits(word))


def _expected(people_by_pk, query, *, phone):
    words = _words_of(query)[:6]
    if not words:
        return set()
    return {pk for pk, person in people_by_pk.items() if all(_found_by(person, word, phone=phone) for word in words)}


def _queries_from(people):
    """Prefixes of the people's own words (so searches find someone) and a few typed by hand."""
    typed = set()
    for first_name, last_name, email, phone in people:
        for text in (first_name, last_name, email or "", phone):
            for word in _words_of(text):
                typed |= {word[:1], word[:3], word, word[-4:]}
    return st.lists(st.sampled_from(sorted(typed | {"lopez", "999", "+52", "clinic", "zz"})), min_size=1, max_size=3)


def _create(people, role):
    created = {}
    for number, (first_name, last_name, email, phone) in enumerate(people):
        email = email and email.replace("@", f"{number}@")
        user = User.objects.create(first_name=first_name, last_name=last_name, email=email, phone=phone, role=role)
        if role == Role.DOCTOR:
            DoctorProfile.objects.create(user=user, license_number=f"{10000000 + user.pk}")
        created[user.pk] = (first_name, last_name, email, phone)
    return created


def _check_each(people, data, search, *, phone, role=Role.PATIENT):
    with transaction.atomic():
        created = _create(people, role)
        for words in data.draw(st.lists(_queries_from(people), min_size=1, max_size=6)):
            query = " ".join(words)
            found = {user.pk for user in search(query)} & created.keys()
            assert found == _expected(created, query, phone=phone), query
        transaction.set_rollback(True)


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(people=people, data=st.data())
def test_the_desk_search_finds_exactly_whom_a_plain_filter_finds(people, data):
    _check_each(people, data, find_patients, phone=True)


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(people=people, data=st.data())
def test_the_patient_list_search_finds_exactly_whom_a_plain_filter_finds(people, data):
    admin = User.objects.filter(role=Role.ADMIN).first() or AdminFactory()
    _check_each(people, data, lambda query: patients_for(admin, query=query), phone=False)


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(people=people, data=st.data())
def test_the_directory_finds_exactly_the_doctors_a_plain_filter_finds(people, data):
    _check_each(people, data, lambda query: directory(query=query), phone=False, role=Role.DOCTOR)


def test_short_words_and_stopwords_still_find_people():
    li = PatientFactory(first_name="Li", last_name="de la Cruz Ek", email=None)

    for query in ("li", "de", "la", "ek", "l", "cruz e"):
        assert list(find_patients(query)) == [li], query


def test_reception_finds_a_phone_by_its_local_number_or_last_digits():
    patient = PatientFactory(phone="+52 (999) 123-4567")

    for query in ("4567", "123-4567", "9991234567", "+52 999", "529991234567", "(999)"):
        assert list(find_patients(query)) == [patient], query
    assert list(find_patients("1234")) == []


def test_a_changed_name_email_or_phone_is_found_by_its_new_words_only():
    patient = PatientFactory(first_name="Ana", last_name="Pech", email="ana@clinic.test", phone="999 111 2222")

    patient.first_name, patient.email, patient.phone = "Rosa", "rosa@clinic.test", "998 333 4444"
    patient.save()

    assert list(find_patients("rosa pech 4444")) == [patient]
    assert list(find_patients("ana")) == list(find_patients("2222")) == []


def test_saving_other_fields_leaves_the_words_alone(django_assert_num_queries):
    patient = PatientFactory(first_name="Ana")
    patient = User.objects.get(pk=patient.pk)

    with django_assert_num_queries(1):
        patient.save(update_fields=["last_login"])
    with django_assert_num_queries(1):
        patient.save()


def test_bulk_created_users_get_their_words_and_bulk_renames_are_refused():
    [user] = User.objects.bulk_create([User(email="bulk@clinic.test", first_name="Ximena", last_name="Uc")])

    assert UserSearchWord.objects.filter(user=user, word="ximena").exists()
    with pytest.raises(TypeError):
        User.objects.filter(pk=user.pk).update(first_name="Otra")
    with pytest.raises(TypeError):
        User.objects.bulk_update([user], ["phone"])


@pytest.fixture
def crowd():
    """Enough people that the optimizer prefers an index to reading the whole table."""
    User.objects.bulk_create(
        User(
            email=f"persona{n}@clinic.test",
            first_name=f"Nombre{n}",
            last_name=f"Apellido{n % 40}",
            phone=f"999 {n:03d} {n:04d}",
            role=Role.PATIENT,
        )
        for n in range(400)
    )
    return DoctorFactory(first_name="Jorge", last_name="Chablé")


@pytest.mark.parametrize(
    "query",
    ["nombre123", "nombre123 apellido3", "persona123@", "clinic.test nombre77", "0123", "999 123", "9991230123"],
)
def test_the_desk_search_reads_the_word_index_never_the_whole_user_table(crowd, query):
    found = find_patients(query)

    assert WORD_INDEX in keys_used(found), describe(found)
    assert full_scans(found) == [], describe(found)


def test_the_patient_list_search_reads_the_word_index(crowd):
    admin = AdminFactory()
    found = patients_for(admin, query="nombre12 apellido12")

    assert WORD_INDEX in keys_used(found), describe(found)
    assert full_scans(found) == [], describe(found)


def test_the_directory_looks_up_each_doctors_words_by_index(crowd):
    found = directory(query="chable")

    assert "accounts_usersearchword" not in full_scans(found), describe(found)
    assert "accounts_user" not in full_scans(found), describe(found)


def test_admin_finds_users_slots_and_appointments_by_the_word_index(client):
    from scheduling.tests.factories import AppointmentFactory

    client.force_login(AdminFactory())
    appointment = AppointmentFactory(
        patient=PatientFactory(first_name="Ximena", last_name="Uc", phone="999 555 0101"),
        slot__doctor=DoctorFactory(first_name="Jorge", last_name="Chablé"),
    )
    AppointmentFactory()

    def listed(path, query):
        return list(client.get(path, {"q": query}).context["cl"].result_list)

    assert listed("/admin/accounts/user/", "xime 0101") == [appointment.patient]
    assert listed("/admin/scheduling/slot/", "chable") == [appointment.slot]
    assert listed("/admin/scheduling/appointment/", "chable") == [appointment]
    assert listed("/admin/scheduling/appointment/", "ximena uc") == [appointment]
    assert listed("/admin/scheduling/appointment/", "ximena chable") == [appointment]
    assert listed("/admin/scheduling/appointment/", "imena") == []
