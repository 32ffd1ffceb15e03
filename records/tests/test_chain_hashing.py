"""The canonical encoding and the entry hash of the record chain (records/chain.py)."""

import json
from datetime import UTC, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from bson import ObjectId
from hypothesis import given
from hypothesis import strategies as st

from records import chain

# MongoDB keeps milliseconds, so the canonical form does too: generated times carry no more.
times = st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2100, 1, 1), timezones=st.just(UTC)).map(
    lambda moment: moment.replace(microsecond=moment.microsecond // 1000 * 1000)
)
leaves = (
    st.none()
    | st.booleans()
    | st.integers(-(2**53), 2**53)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=30)
    | times
)
values = st.recursive(
    leaves,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4),
    max_leaves=20,
)
contents = st.dictionaries(st.text(max_size=12), values, min_size=1, max_size=8)


def hash_of(content, *, kind=chain.ENCOUNTER, sequence=3, previous_hash="ab" * 32):
    return chain.entry_hash(kind=kind, content=content, sequence=sequence, previous_hash=previous_hash)


def leaf_paths(value, path=()):
    """Every path to a leaf (or to an empty list or mapping) inside ``value``."""
    if isinstance(value, dict) and value:
        for key, item in value.items():
            yield from leaf_paths(item, (*path, key))
    elif isinstance(value, list) and value:
        for index, item in enumerate(value):
            yield from leaf_paths(item, (*path, index))
    else:
        yield path


def replaced(value, path, new):
    if not path:
        return new
    head, *rest = path
    if isinstance(value, dict):
        return {**value, head: replaced(value[head], rest, new)}
    return [replaced(item, rest, new) if index == head else item for index, item in enumerate(value)]


def reordered(value):
    """The same value with every mapping's keys inserted in reverse order."""
    if isinstance(value, dict):
        return {key: reordered(value[key]) for key in reversed(list(value))}
    if isinstance(value, list):
        return [reordered(item) for item in value]
    return value


@given(contents)
def test_it_hashes_the_same_content_the_same_whatever_the_key_order(content):
    assert hash_of(reordered(content)) == hash_of(content)


@given(contents, st.integers(0, 8))
def test_whitespace_in_a_json_copy_changes_nothing(content, indent):
    spaced = json.dumps(json.loads(chain.canonical_json(content)), indent=indent, ensure_ascii=True)

    assert chain.canonical_json(json.loads(spaced)) == chain.canonical_json(content)


@given(contents, st.data())
def test_any_change_to_any_covered_field_changes_the_hash(content, data):
    path = data.draw(st.sampled_from(sorted(leaf_paths(content), key=repr)))
    old = content
    for step in path:
        old = old[step]
    new = data.draw(leaves.filter(lambda value: chain.canonical_json(value) != chain.canonical_json(old)))

    assert hash_of(replaced(content, path, new)) != hash_of(content)


@given(contents, st.text(max_size=12), values)
def test_adding_or_removing_a_field_changes_the_hash(content, key, value):
    if key in content:
        changed = {k: v for k, v in content.items() if k != key}
    else:
        changed = {**content, key: value}

    assert hash_of(changed) != hash_of(content)


@given(contents)
def test_the_position_the_previous_hash_and_the_kind_are_covered_too(content):
    assert (
        len(
            {
                hash_of(content),
                hash_of(content, sequence=4),
                hash_of(content, previous_hash="cd" * 32),
                hash_of(content, kind=chain.ADDENDUM),
            }
        )
        == 4
    )


def encounter_document(**overrides):
    return {
        "_id": ObjectId("65f1c0ffee0000000000abcd"),
        "appointment_id": 7,
        "patient_id": 3,
        "doctor_id": 2,
        "author": {"id": 2, "name": "Dra. Ana Pérez"},
        "created_at": datetime(2026, 12, 6, 15, 30, 1, 123000, tzinfo=UTC),
        "diagnosis": "Faringitis aguda",
        "vitals": {"weight_kg": 70.0, "systolic": 120},
        "prescription": [
            {"drug": "Paracetamol", "dose": "500 mg", "route": "oral", "frequency": "c/8 h", "duration": "3 días"}
        ],
        "state": "final",
        "addenda": [],
        **overrides,
    }


def test_state_addenda_and_the_link_itself_are_not_covered():
    content = chain.encounter_content(encounter_document())
    later = chain.encounter_content(
        encounter_document(
            state="pending", addenda=[{"id": "x"}], chain={"sequence": 1, "previous_hash": "0", "hash": "1"}
        )
    )

    assert later == content
    assert "state" not in content and "addenda" not in content and "chain" not in content


def test_the_encounter_id_is_covered_as_hex_whichever_form_it_comes_in():
    stored = encounter_document()
    public = {**{k: v for k, v in stored.items() if k != "_id"}, "id": "65f1c0ffee0000000000abcd"}

    assert chain.encounter_content(stored)["id"] == "65f1c0ffee0000000000abcd"
    assert hash_of(chain.encounter_content(public)) == hash_of(chain.encounter_content(stored))


def test_an_addendum_covers_its_encounter_and_patient():
    addendum = {
        "id": "a1",
        "author_id": 2,
        "author_name": "Ana",
        "reason": "Dosis",
        "text": "500 mg",
        "created_at": datetime(2026, 12, 6, tzinfo=UTC),
    }
    content = chain.addendum_content(addendum, encounter_id=ObjectId("65f1c0ffee0000000000abcd"), patient_id=3)

    assert (content["encounter_id"], content["patient_id"]) == ("65f1c0ffee0000000000abcd", 3)
    assert hash_of(content) != hash_of({**content, "patient_id": 4})


def test_times_are_utc_with_exactly_three_decimals():
    merida = datetime(2026, 12, 6, 9, 30, 1, 123999, tzinfo=ZoneInfo("America/Merida"))

    assert chain.canonical_json({"t": merida}) == b'{"t":"2026-12-06T15:30:01.123Z"}'
    assert chain.canonical_json(merida.astimezone(timezone(timedelta(hours=5)))) == b'"2026-12-06T15:30:01.123Z"'
    assert chain.canonical_json(datetime(2026, 1, 1, tzinfo=UTC)) == b'"2026-01-01T00:00:00.000Z"'


def test_the_encoding_is_sorted_compact_utf8():
    assert chain.canonical_json({"b": [1, 2.5], "a": "Próxima cita", "c": ObjectId("65f1c0ffee0000000000abcd")}) == (
        '{"a":"Próxima cita","b":[1,2.5],"c":"65f1c0ffee0000000000abcd"}'.encode()
    )


@pytest.mark.parametrize("value", [datetime(2026, 1, 1), float("nan"), float("inf"), {1: "x"}, b"bytes", {1, 2}])
def test_values_without_one_canonical_form_are_refused(value):
    with pytest.raises((TypeError, ValueError)):
        chain.canonical_json({"field": value})
