"""Allergy classes: drugs in Spanish and English, combinations, salts and forms; free-text allergies."""

import json
import re

import pytest
from django.utils import translation
from hypothesis import given
from hypothesis import strategies as st

from records.pharmacology import (
    CLASS_LABELS,
    DATA,
    WarningKind,
    allergy_classes,
    allergy_warnings,
    classes_of_allergy,
    classes_of_drug,
    normalise,
)

DRUGS_BY_CLASS = {
    "penicillins": [
        "Amoxicilina",
        "amoxicillin",
        "Amoxicillin trihydrate",
        "Amoxicilina + ácido clavulánico",
        "amoxicilina/clavulanato de potasio",
        "Ampicilina",
        "ampicillin sodium",
        "Penicilina G benzatínica",
        "benzathine benzylpenicillin",
        "Dicloxacilina",
        "dicloxacillin",
        "Piperacilina con tazobactam",
    ],
    "cephalosporins": [
        "Cefalexina",
        "cephalexin",
        "Cefalexina 500 mg cápsulas",
        "Ceftriaxona",
        "ceftriaxone sodium",
        "Cefuroxima axetilo",
        "cefixime",
        "Cefadroxilo",
    ],
    "carbapenems": ["Meropenem", "Imipenem con cilastatina", "ertapenem"],
    "monobactams": ["Aztreonam"],
    "sulfonamides": [
        "Trimetoprima con sulfametoxazol",
        "trimethoprim-sulfamethoxazole",
        "co-trimoxazole",
        "TMP/SMX",
        "Sulfadiazina de plata",
        "sulfacetamida sódica",
    ],
    "nsaids": [
        "Ibuprofeno",
        "ibuprofen",
        "Naproxeno sódico",
        "naproxen",
        "Diclofenaco sódico",
        "diclofenac potassium",
        "Ketorolaco trometamina",
        "ketorolac tromethamine",
        "Metamizol sódico",
        "dipyrone",
        "Ácido acetilsalicílico",
        "aspirin",
        "Meloxicam",
        "Clonixinato de lisina",
        "Celecoxib",
        "Ketoprofeno",
    ],
    "macrolides": ["Azitromicina", "azithromycin", "Claritromicina", "clarithromycin", "Eritromicina", "erythromycin"],
    "quinolones": [
        "Ciprofloxacino",
        "ciprofloxacin hydrochloride",
        "Levofloxacino",
        "levofloxacin",
        "Moxifloxacino",
        "moxifloxacin",
    ],
    "tetracyclines": [
        "Doxiciclina",
        "doxycycline hyclate",
        "Tetraciclina",
        "tetracycline",
        "Minociclina",
        "minocycline",
    ],
    "aminoglycosides": ["Gentamicina", "gentamicin sulfate", "Amikacina", "amikacin", "Tobramicina", "tobramycin"],
    "opioids": [
        "Morfina",
        "sulfato de morfina",
        "morphine sulphate",
        "Tramadol",
        "clorhidrato de tramadol",
        "tramadol hydrochloride",
        "Paracetamol con tramadol",
        "Codeína",
        "codeine phosphate",
        "Fentanilo",
        "fentanyl citrate",
        "Buprenorfina",
        "buprenorphine",
        "Oxicodona",
        "oxycodone",
    ],
    "iodinated_contrast": ["Iohexol", "Iopamidol", "Medio de contraste yodado"],
}
CASES = [(drug, group) for group, drugs in DRUGS_BY_CLASS.items() for drug in drugs]


@pytest.mark.parametrize(("drug", "group"), CASES)
def test_it_puts_each_drug_in_its_class_in_spanish_and_english(drug, group):
    assert classes_of_drug(drug) == (group,)


@pytest.mark.parametrize(
    "drug",
    [
        "Paracetamol",
        "Loratadina",
        "Omeprazol",
        "Metformina",
        "Sulfato ferroso",
        "Salbutamol",
        "Furosemida",
        "Hidroclorotiazida",
    ],
)
def test_it_leaves_drugs_of_no_class_alone(drug):
    assert classes_of_drug(drug) == ()


def test_propofol_carries_egg_and_soy():
    assert classes_of_drug("Propofol 1 % emulsión inyectable") == ("egg", "soy")


@pytest.mark.parametrize(
    ("allergy", "groups"),
    [
        ("Penicilina", ("penicillins",)),
        ("penicilinas", ("penicillins",)),
        ("Alergia a la penicilina", ("penicillins",)),
        ("amoxicilina", ("penicillins",)),
        ("Penicillin", ("penicillins",)),
        ("sulfas", ("sulfonamides",)),
        ("Sulfonamidas", ("sulfonamides",)),
        ("AINEs", ("nsaids",)),
        ("NSAIDs", ("nsaids",)),
        ("Aspirina", ("nsaids",)),
        ("Antiinflamatorios no esteroideos", ("nsaids",)),
        ("Cefalosporinas", ("cephalosporins",)),
        ("beta-lactámicos", ("penicillins", "cephalosporins", "carbapenems")),
        ("Macrólidos", ("macrolides",)),
        ("Quinolonas", ("quinolones",)),
        ("Opioides", ("opioids",)),
        ("medio de contraste", ("iodinated_contrast",)),
        ("Látex", ("latex",)),
        ("Huevo", ("egg",)),
        ("soya", ("soy",)),
        ("Mariscos", ()),
        ("Polen", ()),
        ("", ()),
    ],
)
def test_it_maps_a_free_text_allergy_to_its_classes(allergy, groups):
    assert classes_of_allergy(allergy) == groups


def test_a_drug_named_allergy_never_stands_for_an_excipient():
    assert classes_of_allergy("propofol") == ()


def only(warnings):
    (warning,) = warnings
    return warning


def test_a_drug_of_the_class_warns_with_the_class_and_the_reason():
    warning = only(allergy_warnings([{"drug": "Amoxicilina"}], ["Penicilina"]))

    assert (warning.kind, warning.drug_class, warning.allergy_class) == (
        WarningKind.CLASS,
        "penicillins",
        "penicillins",
    )
    with translation.override("en"):
        assert warning.message == (
            'Amoxicilina is a penicillin; the patient is allergic to penicillins (recorded as "Penicilina").'
        )
    with translation.override("es-mx"):
        assert warning.message == (
            "Amoxicilina es una penicilina; el paciente tiene alergia registrada a las penicilinas "
            "(registrada como «Penicilina»)."
        )


def test_a_cephalosporin_warns_of_cross_reactivity_with_a_penicillin_allergy():
    warning = only(allergy_warnings([{"drug": "Cefalexina"}], ["penicilina"]))

    assert (warning.kind, warning.drug_class, warning.allergy_class) == (
        WarningKind.CROSS_REACTIVITY,
        "cephalosporins",
        "penicillins",
    )
    with translation.override("en"):
        assert warning.message.startswith(
            "Cefalexina is a cephalosporin: cross-reactivity with the recorded allergy to penicillins is possible"
        )


def test_cross_reactivity_goes_both_ways():
    warning = only(allergy_warnings([{"drug": "Ampicilina"}], ["Cefalosporinas"]))

    assert (warning.kind, warning.drug_class, warning.allergy_class) == (
        WarningKind.CROSS_REACTIVITY,
        "penicillins",
        "cephalosporins",
    )


def test_aztreonam_is_not_flagged_for_a_penicillin_allergy():
    assert allergy_warnings([{"drug": "Aztreonam"}], ["Penicilina"]) == []


def test_sulfa_allergy_flags_the_antibiotic_in_a_combination_only():
    warnings = allergy_warnings(
        [{"drug": "Trimetoprima con sulfametoxazol"}, {"drug": "Furosemida"}, {"drug": "Sulfato ferroso"}], ["sulfas"]
    )

    assert [(w.drug, w.kind) for w in warnings] == [("Trimetoprima con sulfametoxazol", WarningKind.CLASS)]


def test_an_egg_allergy_flags_propofol_as_an_excipient():
    warning = only(allergy_warnings([{"drug": "Propofol"}], ["Huevo"]))

    assert warning.kind == WarningKind.EXCIPIENT
    with translation.override("en"):
        assert "egg" in warning.message and "excipients" in warning.message


def test_free_text_that_matches_no_class_is_still_compared_by_name():
    warning = only(allergy_warnings([{"drug": "Paracetamol 500 mg"}], ["paracetamol", "Mariscos"]))

    assert warning.kind == WarningKind.NAME
    with translation.override("en"):
        assert warning.message == 'Paracetamol 500 mg matches the recorded allergy "paracetamol".'


def test_unrelated_drugs_and_allergies_give_no_warning():
    assert allergy_warnings([{"drug": "Loratadina"}, {"drug": "Ibuprofeno"}], ["Penicilina", "Látex"]) == []


def test_unreadable_allergies_leave_every_line_unchecked():
    warnings = allergy_warnings([{"drug": "Loratadina"}, {"drug": "Ibuprofeno"}], None)

    assert [(w.drug, w.kind) for w in warnings] == [("Loratadina", "unchecked"), ("Ibuprofeno", "unchecked")]


def test_every_class_in_the_data_has_words_for_it_and_known_cross_reactions():
    data = json.loads((DATA / "allergy_classes.json").read_text(encoding="utf-8"))["classes"]

    assert set(data) == set(CLASS_LABELS)
    for entry in data.values():
        assert set(entry["cross_reactivity"]) <= set(data)


# --- normalisation never changes the class -----------------------------------------------------------------

ACCENTED = str.maketrans({"a": "á", "e": "é", "i": "í", "o": "ó", "u": "ú"})
SALTS = [
    "sódico",
    "sodium",
    "trihidrato",
    "trihydrate",
    "clorhidrato",
    "hydrochloride",
    "trometamina",
    "potásico",
    "500 mg",
    "tabletas",
    "cápsulas",
    "suspensión",
    "inyectable",
    "1 g",
    "(oral)",
    "HCl",
]
ALL_DRUGS = [drug for drugs in DRUGS_BY_CLASS.values() for drug in drugs]


@st.composite
def respelled(draw):
    drug = draw(st.sampled_from(ALL_DRUGS))
    flips = draw(st.lists(st.booleans(), min_size=len(drug), max_size=len(drug)))
    accents = draw(st.lists(st.booleans(), min_size=len(drug), max_size=len(drug)))
    letters = [
        (char.upper() if flip else char.lower()).translate(ACCENTED)
        if accent and char in "aeiou"
        else (char.upper() if flip else char.lower())
        for char, flip, accent in zip(drug, flips, accents, strict=True)
    ]
    before = draw(st.lists(st.sampled_from(["clorhidrato de", "sulfato de", "  "]), max_size=1))
    after = draw(st.lists(st.sampled_from(SALTS), max_size=3))
    punctuation = draw(st.sampled_from(["", ".", ",", " ;", "  "]))
    return drug, " ".join([*before, "".join(letters), *after]) + punctuation


@given(respelled())
def test_accents_case_punctuation_and_salts_never_change_the_class(pair):
    drug, spelled = pair
    assert classes_of_drug(spelled) == classes_of_drug(drug)


@given(st.text(max_size=60))
def test_normalising_any_text_gives_plain_words(text):
    words = normalise(text)
    assert all(re.fullmatch(r"[a-z][0-9a-z]*", word) for word in words)


def test_the_data_loads_once():
    assert allergy_classes() is allergy_classes()


ALLERGIES = [
    "Penicilina",
    "sulfas",
    "AINEs",
    "Cefalosporinas",
    "Quinolonas",
    "Macrólidos",
    "Huevo",
    "Látex",
    "amoxicilina",
    "medio de contraste",
]


@given(st.sampled_from(ALLERGIES), st.booleans(), st.sampled_from(["", ".", " (rash)", ", severa"]))
def test_the_case_and_accents_of_a_recorded_allergy_never_change_its_class(allergy, upper, suffix):
    spelled = (allergy.upper() if upper else allergy.lower()).translate(ACCENTED) + suffix

    assert classes_of_allergy(spelled) == classes_of_allergy(allergy)
