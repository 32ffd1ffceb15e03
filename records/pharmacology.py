"""Allergy checks by drug class: each prescribed drug against each of the patient's recorded allergies.

The classes, the generic names (Spanish and English) and WHO INN stems that belong to them, and which classes
cross-react are data: records/data/allergy_classes.json, with its sources in records/data/README.md. Recorded
allergies stay free text (the contract keeps them a list of strings); each is mapped to its classes here, at
check time, and one that matches no class is still compared by name.
"""

import json
import re
from dataclasses import asdict, dataclass
from enum import StrEnum
from functools import cache
from pathlib import Path

from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from medly.text import fold_for_search

DATA = Path(__file__).resolve().parent / "data"

# Salts, hydrates, esters, forms, units and joining words: none of them changes what a drug is.
IGNORED_WORDS = frozenset(
    """
    sodico sodica sodium potasico potasica potassium calcico calcica calcium magnesico magnesica magnesium
    clorhidrato hidrocloruro hydrochloride hcl bromhidrato hydrobromide trihidrato trihydrate monohidrato
    monohydrate dihidrato dihydrate anhidro anhidra anhydrous sulfato sulfate sulphate fosfato phosphate
    citrato citrate tartrato bitartrato tartrate bitartrate maleato maleate mesilato mesylate besilato besylate
    succinato succinate trometamina tromethamine trometamol benzatinica benzathine procainica procaine
    sal salt base de del la el con y mas plus and with en in of
    tableta tabletas tablet tablets capsula capsulas capsule capsules comprimido comprimidos gragea grageas
    suspension solucion solution inyectable injectable injection ampolleta ampolletas ampula vial jarabe syrup
    crema cream gotas drops polvo powder oral mg ml mcg ug ui iu
""".split()
)


def normalise(text):
    """The words of a drug name or an allergy that say what it is: folded, without salts, strengths or forms."""
    words = re.split(r"[^0-9a-z]+", fold_for_search(text))
    return tuple(word for word in words if word and word not in IGNORED_WORDS and not word[0].isdigit())


def _contains(words, name):
    size = len(name)
    return any(words[start : start + size] == name for start in range(len(words) - size + 1))


@dataclass(frozen=True)
class NameMatcher:
    """Generic names (word sequences found anywhere in the text) and INN stems (one word's start or end)."""

    names: tuple
    prefixes: tuple = ()
    suffixes: tuple = ()

    @classmethod
    def from_data(cls, names, prefixes=(), suffixes=()):
        return cls(tuple(normalise(name) for name in names), tuple(prefixes), tuple(suffixes))

    def matches(self, words):
        if any(_contains(words, name) for name in self.names):
            return True
        return any(len(word) > len(stem) and word.startswith(stem) for word in words for stem in self.prefixes) or any(
            len(word) > len(stem) and word.endswith(stem) for word in words for stem in self.suffixes
        )


@dataclass(frozen=True)
class AllergyClass:
    key: str
    drugs: NameMatcher
    allergy_terms: NameMatcher
    cross_reactivity: tuple
    # Egg and soy: not a drug class, an ingredient some drugs carry among their excipients.
    excipient: bool


@cache
def allergy_classes():
    """The classes in the data file's order, by key."""
    data = json.loads((DATA / "allergy_classes.json").read_text(encoding="utf-8"))
    return {
        key: AllergyClass(
            key=key,
            drugs=NameMatcher.from_data(entry["drugs"], entry["prefixes"], entry["suffixes"]),
            allergy_terms=NameMatcher.from_data(entry["allergy_terms"]),
            cross_reactivity=tuple(entry["cross_reactivity"]),
            excipient=entry.get("excipient", False),
        )
        for key, entry in data["classes"].items()
    }


def classes_of_drug(drug):
    words = normalise(drug)
    return tuple(key for key, group in allergy_classes().items() if group.drugs.matches(words))


def classes_of_allergy(allergy):
    """The classes a recorded allergy stands for: named as a class ("penicilina", "AINEs", "sulfas") or as one
    of its drugs ("amoxicilina" stands for the penicillins). A drug never stands for an excipient."""
    words = normalise(allergy)
    return tuple(
        key
        for key, group in allergy_classes().items()
        if group.allergy_terms.matches(words) or (not group.excipient and group.drugs.matches(words))
    )


def _cross_reacts(drug_class, allergy_class):
    groups = allergy_classes()
    return allergy_class in groups[drug_class].cross_reactivity or drug_class in groups[allergy_class].cross_reactivity


class WarningKind(StrEnum):
    CLASS = "class"
    CROSS_REACTIVITY = "cross_reactivity"
    EXCIPIENT = "excipient"
    NAME = "name"
    UNCHECKED = "unchecked"


# (one member, the whole class) in a sentence.
CLASS_LABELS = {
    "penicillins": (_("a penicillin"), _("penicillins")),
    "cephalosporins": (_("a cephalosporin"), _("cephalosporins")),
    "carbapenems": (_("a carbapenem"), _("carbapenems")),
    "monobactams": (_("a monobactam"), _("monobactams")),
    "sulfonamides": (_("a sulfonamide antibiotic"), _("sulfonamides (sulfa drugs)")),
    "nsaids": (_("an NSAID"), _("NSAIDs")),
    "macrolides": (_("a macrolide"), _("macrolides")),
    "quinolones": (_("a quinolone"), _("quinolones")),
    "tetracyclines": (_("a tetracycline"), _("tetracyclines")),
    "aminoglycosides": (_("an aminoglycoside"), _("aminoglycosides")),
    "opioids": (_("an opioid"), _("opioids")),
    "iodinated_contrast": (_("an iodinated contrast medium"), _("iodinated contrast media")),
    "latex": (_("latex"), _("latex")),
    "egg": (_("egg (egg lecithin)"), _("egg")),
    "soy": (_("soy (soybean oil)"), _("soy")),
}


@dataclass(frozen=True)
class AllergyWarning:
    """One prescribed drug against one recorded allergy, and why they clash."""

    drug: str
    allergy: str
    kind: str
    drug_class: str = ""
    allergy_class: str = ""

    @property
    def key(self):
        """What the warning is about, whatever the spelling: an override is bound to these."""
        return (
            " ".join(normalise(self.drug)) or fold_for_search(self.drug),
            fold_for_search(self.allergy),
            str(self.kind),
            self.drug_class,
            self.allergy_class,
        )

    def as_dict(self):
        return {name: str(value) for name, value in asdict(self).items()}

    @property
    def message(self):
        values = {"drug": self.drug, "allergy": self.allergy}
        if self.kind == WarningKind.UNCHECKED:
            return gettext("%(drug)s could not be checked against the patient's allergies.") % values
        if self.kind == WarningKind.NAME:
            return gettext('%(drug)s matches the recorded allergy "%(allergy)s".') % values
        values["member"] = CLASS_LABELS[self.drug_class][0]
        values["group"] = CLASS_LABELS[self.allergy_class][1]
        if self.kind == WarningKind.CLASS:
            return (
                gettext('%(drug)s is %(member)s; the patient is allergic to %(group)s (recorded as "%(allergy)s").')
                % values
            )
        if self.kind == WarningKind.CROSS_REACTIVITY:
            return (
                gettext(
                    "%(drug)s is %(member)s: cross-reactivity with the recorded allergy to %(group)s is possible "
                    '(recorded as "%(allergy)s").'
                )
                % values
            )
        return (
            gettext(
                "%(drug)s may contain %(member)s among its excipients; the patient is allergic to it (recorded as "
                '"%(allergy)s").'
            )
            % values
        )


def _warning(drug, allergy):
    drug_classes = classes_of_drug(drug)
    allergy_classes_ = classes_of_allergy(allergy)
    for group in drug_classes:
        if group in allergy_classes_:
            kind = WarningKind.EXCIPIENT if allergy_classes()[group].excipient else WarningKind.CLASS
            return AllergyWarning(drug, allergy, kind, group, group)
    for group in drug_classes:
        for allergic_to in allergy_classes_:
            if _cross_reacts(group, allergic_to):
                return AllergyWarning(drug, allergy, WarningKind.CROSS_REACTIVITY, group, allergic_to)
    folded_drug, folded_allergy = fold_for_search(drug), fold_for_search(allergy)
    if folded_allergy and folded_drug and (folded_allergy in folded_drug or folded_drug in folded_allergy):
        return AllergyWarning(drug, allergy, WarningKind.NAME)
    return None


def allergy_warnings(prescription, allergies):
    """The warnings for these prescription lines, in line order; ``allergies`` None when they could not be read."""
    if allergies is None:
        return [AllergyWarning(line["drug"], "", WarningKind.UNCHECKED) for line in prescription]
    warnings = []
    for line in prescription:
        for allergy in allergies:
            warning = _warning(line["drug"], allergy)
            if warning is not None:
                warnings.append(warning)
    return warnings
