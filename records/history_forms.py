"""The first history's form (historia clínica, NOM-004-SSA3-2012 6.1) and its addendum form."""

import re
from dataclasses import dataclass
from datetime import date

from django import forms
from django.utils import formats, timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import Sex
from records.forms import VITALS
from records.repository import (
    GYNECO_COUNTS,
    GYNECO_DATES,
    GYNECO_TEXTS,
    HISTORY_SECTIONS,
    HISTORY_TEXTS,
    HISTORY_VITALS,
    new_history_id,
)

SECTION_TEXT_LIMIT = 2000
# The vital signs NOM-004 6.1 asks of the first history, required, as the consultation form takes them.
FIRST_HISTORY_VITALS = [vital for vital in VITALS if vital[0] in HISTORY_VITALS]
EARLIEST_DATE = date(1900, 1, 1)
HISTORY_ID = re.compile(r"^[0-9a-f]{24}$")


def _text(label, *, rows=2, max_length=SECTION_TEXT_LIMIT, required=False, help_text=""):
    return forms.CharField(
        label=label,
        required=required,
        max_length=max_length,
        help_text=help_text,
        widget=forms.Textarea(attrs={"rows": rows}),
    )


def _date(label):
    return forms.DateField(label=label, required=False, widget=forms.DateInput(attrs={"type": "date"}))


def _count(label, minimum=0, maximum=30):
    return forms.IntegerField(label=label, required=False, min_value=minimum, max_value=maximum)


def gyneco_obstetric_applies(patient):
    """Asked of female patients, of sex X, and while sex is not recorded; never of male patients."""
    profile = getattr(patient, "patient_profile", None)
    return profile is None or profile.sex != Sex.MALE


# In the order the form shows them; records.repository names the same fields by type.
GYNECO_FIELDS = (
    "menarche_age",
    "cycles",
    "last_menstrual_period",
    "pregnancies",
    "births",
    "caesareans",
    "abortions",
    "contraception",
    "last_pap_smear",
    "last_mammography",
)


@dataclass
class Section:
    """One part of the history: its fields on the form, or its answers (label, value) on the record."""

    key: str
    title: str
    items: list

    @property
    def compact(self):
        """Short answers (numbers, dates) that sit side by side."""
        return self.key in ("gyneco_obstetric", "vitals")

    @property
    def single(self):
        """One question, which the section's title already asks."""
        return self.key in ("current_illness", "family", "systems_review", "physical_exam")


class HistoryForm(forms.Form):
    """Every section of the first history; the gyneco-obstetric one only when ``gyneco_obstetric`` is true."""

    # Chosen when the page is drawn, so a second submit of the same form fills nothing twice.
    history_id = forms.CharField(required=False, max_length=100, widget=forms.HiddenInput)
    current_illness = _text(_("Current illness"), rows=4, max_length=10_000, required=True)
    family = _text(
        _("Family history"),
        rows=3,
        help_text=_("Illnesses of parents, siblings and grandparents (diabetes, hypertension, cancer…)."),
    )
    chronic_illnesses = _text(_("Chronic illnesses"))
    surgeries = _text(_("Surgeries"))
    hospitalisations = _text(_("Hospitalisations"))
    transfusions = _text(_("Transfusions"))
    trauma = _text(_("Injuries and fractures"))
    tobacco = _text(_("Tobacco"), rows=1)
    alcohol = _text(_("Alcohol"), rows=1)
    other_substances = _text(_("Other substances"), rows=1)
    diet = _text(_("Diet"))
    physical_activity = _text(_("Physical activity"))
    housing = _text(_("Housing and sanitation"))
    immunisations = _text(_("Immunisations"))
    menarche_age = _count(_("Age at menarche (years)"), minimum=5, maximum=25)
    cycles = _text(_("Menstrual cycles"), rows=1, help_text=_("For example: regular, every 28 days, 5 days."))
    last_menstrual_period = _date(_("Last menstrual period"))
    pregnancies = _count(_("Pregnancies (G)"))
    births = _count(_("Births (P)"))
    caesareans = _count(_("Caesareans (C)"))
    abortions = _count(_("Abortions (A)"))
    contraception = _text(_("Contraception"), rows=1)
    last_pap_smear = _date(_("Last Pap smear"))
    last_mammography = _date(_("Last mammography"))
    systems_review = _text(
        _("Review of systems"),
        rows=4,
        max_length=10_000,
        help_text=_("Symptoms asked about by system: cardiovascular, respiratory, digestive, urinary, nervous…"),
    )
    physical_exam = _text(_("Physical examination"), rows=4, max_length=10_000, required=True)

    def __init__(self, *args, gyneco_obstetric, **kwargs):
        super().__init__(*args, **kwargs)
        self.gyneco_obstetric = gyneco_obstetric
        if not gyneco_obstetric:
            for name in GYNECO_FIELDS:
                del self.fields[name]
        for name, label, unit, minimum, maximum, decimals in FIRST_HISTORY_VITALS:
            field_class = forms.DecimalField if decimals else forms.IntegerField
            options = {"decimal_places": decimals, "max_digits": 5} if decimals else {}
            self.fields[name] = field_class(label=f"{label} ({unit})", min_value=minimum, max_value=maximum, **options)

    def _bound(self, names):
        return [self[name] for name in names if name in self.fields]

    @property
    def sections(self):
        """[Section] in the order of NOM-004 6.1, for the template."""
        sections = [
            Section("current_illness", _("Current illness"), self._bound(["current_illness"])),
            Section("family", _("Family history"), self._bound(["family"])),
            Section("pathological", _("Personal pathological history"), self._bound(HISTORY_SECTIONS["pathological"])),
            Section(
                "non_pathological",
                _("Personal non-pathological history"),
                self._bound(HISTORY_SECTIONS["non_pathological"]),
            ),
        ]
        if self.gyneco_obstetric:
            sections.append(Section("gyneco_obstetric", _("Gyneco-obstetric history"), self._bound(GYNECO_FIELDS)))
        sections += [
            Section("systems_review", _("Review of systems"), self._bound(["systems_review"])),
            Section("vitals", _("Vital signs"), self._bound([name for name, *_rest in FIRST_HISTORY_VITALS])),
            Section("physical_exam", _("Physical examination"), self._bound(["physical_exam"])),
        ]
        return sections

    def clean_history_id(self):
        # Not something the doctor typed: a damaged one is replaced by a fresh id rather than shown as an error.
        history_id = self.cleaned_data["history_id"]
        return history_id if HISTORY_ID.match(history_id) else ""

    def clean(self):
        cleaned = super().clean()
        systolic, diastolic = cleaned.get("systolic"), cleaned.get("diastolic")
        if systolic is not None and diastolic is not None and systolic <= diastolic:
            self.add_error("systolic", _("The systolic pressure must be higher than the diastolic."))
        for name in GYNECO_DATES:
            day = cleaned.get(name)
            if day is not None and not EARLIEST_DATE <= day <= timezone.localdate():
                self.add_error(name, _("Enter a date between 1900 and today."))
        pregnancies = cleaned.get("pregnancies")
        outcomes = [cleaned.get(name) or 0 for name in ("births", "caesareans", "abortions")]
        if pregnancies is not None and sum(outcomes) > pregnancies:
            self.add_error(
                "pregnancies",
                _("Births, caesareans and abortions together cannot be more than the pregnancies."),
            )
        return cleaned


def history_content(form):
    """The clinical content of a valid HistoryForm, shaped as the records store keeps it."""
    data = form.cleaned_data

    def text(name):
        return data.get(name, "").strip()

    content = {name: text(name) for name in HISTORY_TEXTS}
    for section, names in HISTORY_SECTIONS.items():
        content[section] = {name: text(name) for name in names}
    content["gyneco_obstetric"] = None
    if form.gyneco_obstetric:
        gyneco = {name: text(name) for name in GYNECO_TEXTS}
        gyneco.update({name: data.get(name) for name in GYNECO_COUNTS})
        gyneco.update({name: data[name].isoformat() if data.get(name) else "" for name in GYNECO_DATES})
        content["gyneco_obstetric"] = gyneco
    vitals = {name: float(data[name]) for name, *_rest in FIRST_HISTORY_VITALS}
    vitals["bmi"] = round(vitals["weight_kg"] / (vitals["height_cm"] / 100) ** 2, 1)
    content["vitals"] = vitals
    return content


class HistoryAddendumForm(forms.Form):
    # Chosen when the page is drawn, so a second submit of the same form adds nothing.
    addendum_id = forms.RegexField(regex=r"^[0-9a-f]{24}$", required=False, widget=forms.HiddenInput)
    reason = forms.CharField(label=_("Reason for the addendum"), max_length=500)
    text = _text(_("Addendum"), rows=4, max_length=10_000, required=True)


def new_history_addendum_form():
    """An empty addendum form with its own addendum id, so submitting it twice adds it once."""
    return HistoryAddendumForm(auto_id="id_history_%s", initial={"addendum_id": new_history_id()})


def _shown(value):
    if isinstance(value, float):
        return f"{value:g}"
    return value


def history_display(history):
    """A stored history as ready-to-render sections, their items (label, value), empty answers left out.

    Labels are the form's own, so the page and the form always say the same thing.
    """
    form = HistoryForm(gyneco_obstetric=history.get("gyneco_obstetric") is not None)
    answers = {name: history.get(name, "") for name in HISTORY_TEXTS}
    for section in HISTORY_SECTIONS:
        answers.update(history.get(section) or {})
    gyneco = history.get("gyneco_obstetric") or {}
    for name in GYNECO_DATES:
        if gyneco.get(name):
            gyneco = {**gyneco, name: formats.date_format(date.fromisoformat(gyneco[name]), "DATE_FORMAT")}
    answers.update(gyneco)
    vitals = history.get("vitals") or {}
    shown_vitals = []
    for name, label, unit, *_rest in FIRST_HISTORY_VITALS:
        if name in ("systolic", "diastolic"):
            continue
        if vitals.get(name) is not None:
            shown_vitals.append((label, f"{_shown(vitals[name])} {unit}"))
    if vitals.get("systolic") is not None and vitals.get("diastolic") is not None:
        shown_vitals.insert(3, (_("Blood pressure"), f"{vitals['systolic']:g}/{vitals['diastolic']:g} mmHg"))
    if vitals.get("bmi") is not None:
        shown_vitals.append((_("BMI"), f"{vitals['bmi']:g} kg/m²"))
    sections = []
    for section in form.sections:
        if section.key == "vitals":
            rows = shown_vitals
        else:
            rows = [
                (field.label, _shown(answers[field.name]))
                for field in section.items
                if answers.get(field.name) not in (None, "")
            ]
        sections.append(Section(section.key, section.title, rows))
    return sections
