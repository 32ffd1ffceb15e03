from django import forms
from django.utils.formats import date_format
from django.utils.translation import gettext_lazy as _

from medly.parsing import parse_int
from records import queries
from records.repository import BLOOD_TYPES

# (field, label, unit, minimum, maximum, decimals)
VITALS = [
    ("weight_kg", _("Weight"), "kg", 0.3, 400, 1),
    ("height_cm", _("Height"), "cm", 20, 250, 1),
    ("temperature_c", _("Temperature"), "°C", 30, 45, 1),
    ("systolic", _("Systolic blood pressure"), "mmHg", 50, 260, 0),
    ("diastolic", _("Diastolic blood pressure"), "mmHg", 20, 160, 0),
    ("heart_rate", _("Heart rate"), _("beats/min"), 20, 250, 0),
    ("respiratory_rate", _("Respiratory rate"), _("breaths/min"), 4, 80, 0),
    ("spo2", _("Oxygen saturation (SpO₂)"), "%", 50, 100, 0),
    ("glucose_mg_dl", _("Capillary glucose"), "mg/dL", 20, 800, 0),
]
NOTE_FIELDS = ["evolution", "physical_exam", "results", "prognosis", "treatment", "notes"]
# Every way a number can be out of bounds or malformed gets the one message that names the range and unit.
# Django %-formats the messages of the checks that carry parameters (all but "invalid"), so their "%" is doubled.
RANGE_ERROR_CODES = ("min_value", "max_value", "max_digits", "max_decimal_places", "max_whole_digits")


def _text(label, rows=3, max_length=10_000, required=False, help_text=""):
    return forms.CharField(
        label=label,
        required=required,
        max_length=max_length,
        widget=forms.Textarea(attrs={"rows": rows}),
        help_text=help_text,
    )


class _OneMessage:
    """A number field whose several failed checks (range and digits) say the range once, not twice."""

    def run_validators(self, value):
        try:
            super().run_validators(value)
        except forms.ValidationError as error:
            raise forms.ValidationError(list(dict.fromkeys(error.messages))) from None


class VitalDecimalField(_OneMessage, forms.DecimalField):
    pass


class VitalIntegerField(_OneMessage, forms.IntegerField):
    pass


def _vital_field(label, unit, minimum, maximum, decimals):
    range_message = str(_("Enter a number between %(minimum)s and %(maximum)s %(unit)s.")) % {
        "minimum": f"{minimum:g}",
        "maximum": f"{maximum:g}",
        "unit": unit,
    }
    error_messages = {"invalid": range_message, **dict.fromkeys(RANGE_ERROR_CODES, range_message.replace("%", "%%"))}
    if decimals:
        return VitalDecimalField(
            label=f"{label} ({unit})",
            required=False,
            min_value=minimum,
            max_value=maximum,
            decimal_places=decimals,
            max_digits=5,
            error_messages=error_messages,
        )
    return VitalIntegerField(
        label=f"{label} ({unit})",
        required=False,
        min_value=minimum,
        max_value=maximum,
        error_messages=error_messages,
    )


class ConsultationForm(forms.Form):
    evolution = _text(_("Evolution (how the patient has been)"))
    physical_exam = _text(_("Physical examination"))
    results = _text(
        _("Relevant results (laboratory, imaging, other studies)"),
        help_text=_("Optional. The results that matter for this visit, with their date."),
    )
    diagnosis = forms.CharField(label=_("Diagnosis"), max_length=1000)
    diagnosis_code = forms.CharField(
        label=_("CIE-10 code (optional)"),
        max_length=8,
        required=False,
        help_text=_("For example J06.9. Search the catalogue below by code or words."),
    )
    cie10_query = forms.CharField(
        label=_("Search the CIE-10 catalogue"),
        max_length=100,
        required=False,
        help_text=_("A code or words of the diagnosis, for example faringitis or J02."),
    )
    prognosis = _text(_("Prognosis"), rows=2)
    treatment = _text(_("Treatment and instructions"))
    notes = _text(_("Notes"), rows=2)

    def __init__(self, *args, visit_day=None, today=None, **kwargs):
        super().__init__(*args, **kwargs)
        for name, label, unit, minimum, maximum, decimals in VITALS:
            self.fields[name] = _vital_field(label, unit, minimum, maximum, decimals)
        self.visit_day = visit_day
        self.other_day = visit_day is not None and today is not None and visit_day != today
        if self.other_day:
            self.fields["close_other_day"] = forms.BooleanField(
                label=_("I am closing the note of this earlier or later visit on another day."), required=False
            )
        self.order_fields(
            [
                "evolution",
                "physical_exam",
                "results",
                *(name for name, *_rest in VITALS),
                "diagnosis",
                "diagnosis_code",
                "cie10_query",
                "prognosis",
                "treatment",
                "notes",
                "close_other_day",
            ]
        )
        self.cie10_entry = None

    def fields_named(self, names):
        return [self[name] for name in names]

    @property
    def note_fields(self):
        return self.fields_named(["evolution", "physical_exam", "results"])

    @property
    def vital_fields(self):
        return self.fields_named([name for name, *_rest in VITALS])

    @property
    def plan_fields(self):
        return self.fields_named(["prognosis", "treatment", "notes"])

    def clean_diagnosis_code(self):
        typed = self.cleaned_data["diagnosis_code"].strip()
        if not typed:
            return ""
        self.cie10_entry = queries.cie10_code(typed)
        if self.cie10_entry is None:
            raise forms.ValidationError(
                _(
                    "%(code)s is not in the CIE-10 catalogue. Search the catalogue and choose a code, "
                    "or leave it empty."
                ),
                params={"code": typed.upper()},
            )
        return self.cie10_entry.code

    def clean(self):
        cleaned = super().clean()
        systolic, diastolic = cleaned.get("systolic"), cleaned.get("diastolic")
        if (systolic is None) != (diastolic is None):
            self.add_error("diastolic", _("Enter both blood pressure values, or neither."))
        elif systolic is not None and systolic <= diastolic:
            self.add_error("systolic", _("The systolic pressure must be higher than the diastolic."))
        if self.other_day and not cleaned.get("close_other_day"):
            self.add_error(
                "close_other_day",
                forms.ValidationError(
                    _("This visit was on %(day)s, not today. Tick the box to confirm that you are closing it now."),
                    params={"day": date_format(self.visit_day, "DATE_FORMAT")},
                ),
            )
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
    payload["diagnosis_code_description"] = form.cie10_entry.description if form.cie10_entry else ""
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
