from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from accounts.models import Role
from accounts.permissions import role_required
from reminders import queries, services
from reminders.forms import PhoneRemindersForm


@role_required(Role.PATIENT)
def my_reminders(request):
    consent = queries.consent_of(request.user)
    if request.method == "POST":
        form = PhoneRemindersForm(request.POST)
        if form.is_valid():
            if (form.cleaned_data["sms"] or form.cleaned_data["whatsapp"]) and not request.user.phone:
                form.add_error(None, _("Add your phone number to your profile first."))
            else:
                services.set_phone_reminders(
                    patient=request.user,
                    sms=form.cleaned_data["sms"],
                    whatsapp=form.cleaned_data["whatsapp"],
                    recorded_by=request.user,
                )
                messages.success(request, _("Your reminder choices are saved."))
                return redirect("reminders:mine")
    else:
        form = PhoneRemindersForm(
            initial={
                "sms": bool(consent and consent.sms_reminders_opt_in_at),
                "whatsapp": bool(consent and consent.whatsapp_reminders_opt_in_at),
            }
        )
    return render(request, "reminders/mine.html", {"form": form, "consent": consent})
