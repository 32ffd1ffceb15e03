"""What Mexican prescription rules ask of a printed prescription, drug by drug (COFEPRIS).

Which drugs are controlled (Ley General de Salud art. 226 fracciones I-III) and which are antibiotics under the
2010 agreement is data: records/data/prescription_rules.json, sources in records/data/README.md. Fracción I
drugs need the special barcoded prescription form, so Medly's ordinary prescription leaves them out and says so.
"""

import json
from dataclasses import dataclass
from enum import StrEnum
from functools import cache

from django.utils.translation import gettext_lazy as _

from medly.text import fold_for_search
from records.pharmacology import DATA, NameMatcher, allergy_classes, normalise


class RuleGroup(StrEnum):
    FRACTION_1 = "fraction_1"
    FRACTION_2 = "fraction_2"
    FRACTION_3 = "fraction_3"
    ANTIBIOTIC = "antibiotics"


# Strictest first: a drug in two groups follows the stricter rule.
STRICTNESS = (RuleGroup.FRACTION_1, RuleGroup.FRACTION_2, RuleGroup.FRACTION_3, RuleGroup.ANTIBIOTIC)

# What the pharmacy does with the paper, printed beside the drug.
DISPENSING = {
    RuleGroup.FRACTION_2: _("Fill once and keep (surtir y retener)"),
    RuleGroup.FRACTION_3: _("Fill up to three times; keep at the third (surtir hasta tres veces)"),
    RuleGroup.ANTIBIOTIC: _("Keep the prescription (retener receta)"),
}
RULES = {
    RuleGroup.FRACTION_2: _(
        "Fracción II controlled drug: the pharmacy fills this prescription once, keeps it and records it in its "
        "control book. Valid for 30 days from its date."
    ),
    RuleGroup.FRACTION_3: _(
        "Fracción III controlled drug: the pharmacy may fill this prescription up to three times, stamping and "
        "recording it each time, and keeps it at the third."
    ),
    RuleGroup.ANTIBIOTIC: _(
        "Antibiotic: the pharmacy stamps this prescription each time it sells the drug and keeps it once the "
        "prescribed amount has been sold."
    ),
}


@dataclass(frozen=True)
class _Group:
    drugs: NameMatcher
    classes: tuple
    exceptions: NameMatcher
    except_routes: NameMatcher

    def holds(self, drug, route):
        words = normalise(drug)
        if self.exceptions.matches(words) or self.except_routes.matches(normalise(route)):
            return False
        groups = allergy_classes()
        return self.drugs.matches(words) or any(groups[key].drugs.matches(words) for key in self.classes)


@cache
def _groups():
    data = json.loads((DATA / "prescription_rules.json").read_text(encoding="utf-8"))["groups"]
    return {
        RuleGroup(key): _Group(
            drugs=NameMatcher.from_data(entry["drugs"], entry["prefixes"], entry["suffixes"]),
            classes=tuple(entry["classes"]),
            exceptions=NameMatcher.from_data(entry.get("except", [])),
            except_routes=NameMatcher.from_data(entry.get("except_routes", [])),
        )
        for key, entry in data.items()
    }


def rule_group(drug, route=""):
    """The strictest rule group the drug falls in, or None for an ordinary prescription drug."""
    groups = _groups()
    return next((group for group in STRICTNESS if groups[group].holds(drug, route)), None)


def needs_special_form(drugs):
    """The drugs (as written) that only the special barcoded prescription form may carry (Fracción I)."""
    return [drug for drug in drugs if fold_for_search(drug) and rule_group(drug) == RuleGroup.FRACTION_1]


@dataclass(frozen=True)
class PrintedPrescription:
    """The lines Medly may print, each with its rule group, and the Fracción I lines it must leave out."""

    lines: list
    withheld: list

    @property
    def rules(self):
        """The rules the printed lines fall under, each once, strictest first: printed under the table."""
        present = {line["rule_group"] for line in self.lines}
        return [RULES[group] for group in STRICTNESS if group in present and group in RULES]

    @property
    def needs_patient_address(self):
        present = {line["rule_group"] for line in self.lines}
        return bool(present & {RuleGroup.FRACTION_2, RuleGroup.FRACTION_3})


def printable(prescription):
    lines, withheld = [], []
    for line in prescription:
        group = rule_group(line["drug"], line.get("route", ""))
        if group == RuleGroup.FRACTION_1:
            withheld.append(line)
        else:
            lines.append({**line, "rule_group": group, "dispensing": DISPENSING.get(group, "")})
    return PrintedPrescription(lines=lines, withheld=withheld)
