"""The doctor's override of allergy warnings, bound to exactly the warnings it was given for.

The page carries a signed token of the warnings it showed (drug × allergy × class). An override counts only if
the prescription submitted with it produces those same warnings: change a drug and the warnings change, so they
are shown again and must be confirmed again, with a reason.
"""

from datetime import timedelta

from django import forms
from django.core import signing
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

SALT = "records.allergy_override"
# Long enough for a long consultation; an older page is simply asked again.
MAX_AGE = timedelta(hours=12)


def _signed_content(appointment_id, warnings):
    return {"appointment": appointment_id, "warnings": sorted(list(warning.key) for warning in warnings)}


def token_for(*, appointment_id, warnings):
    return signing.dumps(_signed_content(appointment_id, warnings), salt=SALT, compress=True)


class AllergyOverrideForm(forms.Form):
    allergy_override_token = forms.CharField(widget=forms.HiddenInput, max_length=4000)
    confirm_allergy = forms.BooleanField(
        label=_("I have checked these warnings and want to prescribe anyway."),
        error_messages={"required": _("Tick this box to prescribe despite the warnings.")},
    )
    allergy_override_reason = forms.CharField(
        label=_("Reason for prescribing despite the warnings"),
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 2}),
        error_messages={"required": _("Give the reason for prescribing despite the warnings.")},
    )

    def __init__(self, data=None, *, appointment_id, warnings):
        """Bound only to a confirmation of these very warnings; otherwise a fresh form and ``notice`` says why."""
        self.warnings = warnings
        self.notice = ""
        sent = data.get("allergy_override_token") if data is not None else None
        expected = _signed_content(appointment_id, warnings)
        if sent:
            try:
                confirmed = signing.loads(sent, salt=SALT, max_age=MAX_AGE)
            except signing.BadSignature:
                confirmed = None
                self.notice = _("The confirmation could not be verified. Check the warnings again.")
            else:
                if confirmed != expected:
                    self.notice = _(
                        "The prescription changed since you confirmed, so the warnings are different. Check them again."
                    )
            if confirmed != expected:
                data = None
        elif data is not None and data.get("confirm_allergy"):
            self.notice = _("Confirm the warnings shown below, with a reason.")
            data = None
        elif data is not None:
            data = None
        super().__init__(
            data, initial={"allergy_override_token": token_for(appointment_id=appointment_id, warnings=warnings)}
        )

    def stored(self, *, by):
        """The override as the encounter keeps it."""
        return {
            "reason": " ".join(self.cleaned_data["allergy_override_reason"].split()),
            "warnings": [warning.as_dict() for warning in self.warnings],
            "by": {"id": by.pk, "name": by.get_full_name()},
            "at": timezone.now().isoformat(),
        }
