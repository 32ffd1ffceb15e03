import re

from django import forms
from django.utils.translation import gettext_lazy as _

from medly.parsing import parse_int
from records.repository import BLOOD_TYPES

# CIE-10 (ICD-10): a letter, two digits, optionally a dot and up to two more characters.
CIE10_PATTERN = re.compile(r"^[A-Z][0-9]{2}(\.[0-9A-Z]{1,2})?$")

# (field, label, unit, minimum, maximum, decimals)
VITALS = [
    ("weight_kg", _("Weight"), "kg", 0.3, 400, 1),
    ("height_cm", _("Height"), "cm", 20, 250, 1),
    ("temperature_c", _("Temperature"), "°C", 30, 45, 1),
    ("systolic", _("Systolic blood pressure"), "mmHg", 50, 260, 0),
    ("diastolic", _("Diastolic blood pressure"), "mmHg", 20, 160, 0),
    ("heart_rate", _("Heart rate"), _("beats/min"), 20, 250, 0),
    ("respiratory_rate", _("Respiratory rate"), _("breaths/min"), 4, 80, 0),
]
NOTE_FIELDS = ["evolution", "physical_exam", "prognosis", "treatment", "notes"]


def _text(label, rows=3, max_length=10_000, required=False):
    return forms.CharField(
        label=label, required=required, max_length=max_length, widget=forms.Textarea(attrs={"rows": rows})
    )


class ConsultationForm(forms.Form):
    evolution = _text(_("Evolution (how the patient has been)"))
    physical_exam = _text(_("Physical examination"))
    diagnosis = forms.CharField(label=_("Diagnosis"), max_length=1000)
    diagnosis_code = forms.CharField(
        label=_("CIE-10 code (optional)"), max_length=8, required=False, help_text=_("For example J06.9")
    )
    prognosis = _text(_("Prognosis"), rows=2)
    treatment = _text(_("Treatment and instructions"))
    notes = _text(_("Notes"), rows=2)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name, label, unit, minimum, maximum, decimals in VITALS:
            field_class = forms.DecimalField if decimals else forms.IntegerField
            options = {"decimal_places": decimals, "max_digits": 5} if decimals else {}
            self.fields[name] = field_class(
                label=f"{label} ({unit})", required=False, min_value=minimum, max_value=maximum, **options
            )

    def fields_named(self, names):
        return [self[name] for name in names]

    @property
    def note_fields(self):
        return self.fields_named(["evolution", "physical_exam"])

    @property
    def vital_fields(self):
        return self.fields_named([name for name, *_rest in VITALS])

    @property
    def plan_fields(self):
        return self.fields_named(["diagnosis", "diagnosis_code", "prognosis", "treatment", "notes"])

    def clean_diagnosis_code(self):
        code = self.cleaned_data["diagnosis_code"].strip().upper()
        if code and not CIE10_PATTERN.match(code):
            raise forms.ValidationError(_("Enter a CIE-10 code such as J06.9, or leave it empty."))
        return code

    def clean(self):
        cleaned = super().clean()
        systolic, diastolic = cleaned.get("systolic"), cleaned.get("diastolic")
        if (systolic is None) != (diastolic is None):
            self.add_error("diastolic", _("Enter both blood pressure values, or neither."))
        elif systolic is not None and systolic <= diastolic:
            self.add_error("systolic", _("The systolic pressure must be higher than the diastolic."))
        return cleaned

    def vitals(self):
        vitals = {}
        for name, *_rest in VITALS:
            value = self.cleaned_data.get(name)
            vitals[name] = float(value) if value is not None else None
        weight, height = vitals["weight_kg"], vitals["height_cm"]
        vitals["bmi"] = round(weight / (height / 100) ** 2, 1) if weight and height else None
        return vitals


OPTIONAL_LINE_FIELDS = {"presentation"}


class PrescriptionLineForm(forms.Form):
    drug = forms.CharField(label=_("Drug (generic name)"), max_length=200, required=False)
    # Optional: printed when given (Reglamento de Insumos para la Salud, art. 29).
    presentation = forms.CharField(label=_("Presentation"), max_length=200, required=False)
    dose = forms.CharField(label=_("Dose"), max_length=200, required=False)
    route = forms.CharField(label=_("Route"), max_length=200, required=False)
    frequency = forms.CharField(label=_("Frequency"), max_length=200, required=False)
    duration = forms.CharField(label=_("Duration"), max_length=200, required=False)

    def clean(self):
        cleaned = super().clean()
        values = [cleaned.get(name, "").strip() for name in self.fields if name not in OPTIONAL_LINE_FIELDS]
        if any(values) and not all(values):
            raise forms.ValidationError(
                _("Each prescription line needs the generic drug name, dose, route, frequency and duration.")
            )
        return cleaned

    def line(self):
        if not self.cleaned_data.get("drug", "").strip():
            return None
        return {name: " ".join(self.cleaned_data[name].split()) for name in self.fields}


class BasePrescriptionFormSet(forms.BaseFormSet):
    def clean(self):
        super().clean()
        # Django takes any integer here: "-1" would drop every line and "٣" would read as 3.
        sent = self.data.get(f"{self.prefix}-{forms.formsets.TOTAL_FORM_COUNT}")
        if self.is_bound and parse_int(sent, maximum=self.max_num) is None:
            raise forms.ValidationError(
                _("The prescription lines did not arrive as sent. Please check them and submit again.")
            )


PrescriptionFormSet = forms.formset_factory(
    # absolute_max: without it Django builds and draws up to 1,030 forms for a forged count.
    PrescriptionLineForm,
    formset=BasePrescriptionFormSet,
    extra=2,
    max_num=30,
    absolute_max=30,
    validate_max=True,
)


def consultation_payload(form, prescription_formset):
    payload = {name: form.cleaned_data.get(name, "").strip() for name in NOTE_FIELDS}
    payload["diagnosis"] = form.cleaned_data["diagnosis"].strip()
    payload["diagnosis_code"] = form.cleaned_data["diagnosis_code"]
    payload["vitals"] = form.vitals()
    payload["prescription"] = [line for line in (f.line() for f in prescription_formset) if line]
    return payload


class RecordForm(forms.Form):
    blood_type = forms.ChoiceField(
        label=_("Blood type"), required=False, choices=[("", _("Unknown"))] + [(b, b) for b in BLOOD_TYPES]
    )
    allergies = forms.CharField(
        label=_("Allergies"), required=False, max_length=1000, help_text=_("Separate them with commas.")
    )
    reason = forms.CharField(label=_("Reason for the change"), max_length=500)
    # The record's version when the page was drawn: an edit made on older values is refused.
    version = forms.IntegerField(min_value=0, max_value=2**31, widget=forms.HiddenInput)

    def clean_allergies(self):
        allergies = []
        for item in self.cleaned_data["allergies"].split(","):
            item = " ".join(item.split())
            if len(item) > 100:
                raise forms.ValidationError(_("Each allergy is at most 100 characters."))
            # The records store keeps one of each, whatever the case; the audit shows what it keeps.
            if item and item.casefold() not in {known.casefold() for known in allergies}:
                allergies.append(item)
        return allergies


class AddendumForm(forms.Form):
    # Chosen when the page is drawn, so a second submit of the same form adds nothing.
    addendum_id = forms.RegexField(regex=r"^[0-9a-f]{24}$", required=False, widget=forms.HiddenInput)
    reason = forms.CharField(label=_("Reason for the addendum"), max_length=500)
    text = _text(_("Addendum"), rows=4, required=True)
