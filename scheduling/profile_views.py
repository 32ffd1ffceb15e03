"""Doctors' public profiles: the page where a doctor edits theirs, and their photo as patients see it."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.utils.cache import patch_cache_control
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from accounts import services as account_services
from accounts.forms import DoctorPublicProfileForm
from accounts.models import Role
from accounts.permissions import role_required
from scheduling import permissions, queries

# The URL carries the file's name (?v=), which changes with every upload, so a day is safe.
PHOTO_MAX_AGE = 60 * 60 * 24


@require_GET
def doctor_photo(request, doctor_id):
    name = queries.doctor_photo_name(doctor_id)
    if not name:
        raise Http404
    storage = queries.photo_storage()
    try:
        stored = storage.open(name, "rb")
    except FileNotFoundError:
        raise Http404 from None
    response = FileResponse(stored, content_type="image/jpeg")
    patch_cache_control(response, max_age=PHOTO_MAX_AGE)
    return response


@require_http_methods(["GET", "POST"])
@role_required(Role.DOCTOR)
def my_public_profile(request):
    if not permissions.may_edit_public_profile(request.user):
        raise PermissionDenied
    profile = queries.own_doctor_profile(request.user)
    if request.method == "POST":
        form = DoctorPublicProfileForm(request.POST, request.FILES, has_photo=bool(profile.photo))
        if form.is_valid():
            data = form.cleaned_data
            account_services.update_doctor_public_profile(
                doctor=request.user,
                bio=data["bio"],
                consultation_fee=data["consultation_fee"],
                languages=data["languages"],
                photo=data["photo"],
                remove_photo=data.get("remove_photo", False),
            )
            messages.success(request, _("Your public profile is saved. Patients see it in the directory."))
            return redirect("scheduling:my_public_profile")
    else:
        form = DoctorPublicProfileForm(
            initial={"bio": profile.bio, "consultation_fee": profile.consultation_fee, "languages": profile.languages},
            has_photo=bool(profile.photo),
        )
    return render(request, "scheduling/my_public_profile.html", {"form": form, "profile": profile})
