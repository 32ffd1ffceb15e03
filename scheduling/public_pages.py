"""The expensive parts of the public doctor page and directory: rendered once, then served from the cache.

`render_doctor_page` and `render_directory_results` are the miss paths: every database read of these
pages happens there, and a read replica that has applied every committed schedule change may serve
them. The replica's freshness is checked only after the cache's version tokens were read: writers
raise the replica fence before they replace the tokens, so a page stored under a new token was
read from rows at least as new as the change that made it. Nothing in a part depends on who asks, beyond
whether times are links: per-user pieces (booking for a patient, CSRF tokens, messages) stay in the
page around it.
"""

from dataclasses import dataclass

from django.core.paginator import Paginator
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format, time_format
from django.utils.http import urlencode
from django.utils.translation import gettext as _

from medly import replicas
from scheduling import page_cache, queries

DOCTORS_PER_PAGE = 12
# Reversed once per page: each slot's booking URL is this with the slot's id in its place.
_SLOT_ID_STAND_IN = 987654321


@dataclass(frozen=True)
class DoctorPage:
    name: str
    profile_html: str
    slots_html: str
    has_free_slots: bool


def doctor_page(doctor_id, *, slot_links):
    """The doctor's profile and free times (links to book them when ``slot_links``); Http404 if no such doctor."""
    return page_cache.cached_part(
        "doctor-page",
        scopes=[page_cache.doctor_scope(doctor_id)],
        variant=(doctor_id, slot_links),
        now=timezone.now(),
        build=_from_a_fresh_replica(
            lambda shown_after: render_doctor_page(doctor_id, slot_links=slot_links, shown_after=shown_after)
        ),
    )


def _from_a_fresh_replica(render):
    """``render`` with its reads sent to the replica when it is caught up (else to the primary)."""

    def build(shown_after):
        with replicas.reading_replica():
            return render(shown_after)

    return build


def render_doctor_page(doctor_id, *, slot_links, shown_after):
    """Read the doctor and their slots starting after ``shown_after`` (3 queries) and render them."""
    doctor = queries.doctor_or_404(doctor_id)
    days = slot_times_by_day(queries.open_slots_by_day(doctor, after=shown_after))
    return DoctorPage(
        name=doctor.get_full_name(),
        profile_html=render_to_string("scheduling/_doctor_profile.html", {"doctor": doctor}),
        slots_html=render_to_string("scheduling/_doctor_slots.html", {"days": days, "slot_links": slot_links}),
        has_free_slots=bool(days),
    )


def slot_times_by_day(days):
    """[(day as text, [{pk, time, url, label}])] for the template, with as little work per slot as possible.

    Each day and each distinct time of day is formatted once (slots repeat the same times day after
    day), the label's wording is translated once, and URLs are filled in rather than reversed.
    Dicts, not objects: the template engine tries a key lookup before an attribute.
    """
    book_url = reverse("scheduling:book", args=[_SLOT_ID_STAND_IN])
    stand_in = str(_SLOT_ID_STAND_IN)
    label = _("%(time)s, %(day)s")
    zone = timezone.get_current_timezone()
    time_texts = {}
    shown = []
    for day, slots in days:
        day_text = date_format(day, "DATE_FORMAT")
        times = []
        for slot in slots:
            local_time = slot.starts_at.astimezone(zone).time()
            time_text = time_texts.get(local_time)
            if time_text is None:
                time_text = time_texts[local_time] = time_format(local_time, "TIME_FORMAT")
            times.append(
                {
                    "pk": slot.pk,
                    "time": time_text,
                    "url": book_url.replace(stand_in, str(slot.pk)),
                    "label": label % {"time": time_text, "day": day_text},
                }
            )
        shown.append((day_text, times))
    return shown


def directory_results(*, query, specialty_id, page_number, for_patient):
    """The directory's result list (count, cards, pages) for this search; the same for the page and for htmx."""
    return page_cache.cached_part(
        "directory-results",
        scopes=[page_cache.DIRECTORY_SCOPE],
        variant=(query, specialty_id, page_number, for_patient),
        now=timezone.now(),
        build=_from_a_fresh_replica(
            lambda shown_after: render_directory_results(
                query=query,
                specialty_id=specialty_id,
                page_number=page_number,
                for_patient=for_patient,
                shown_after=shown_after,
            )
        ),
    )


def render_directory_results(*, query, specialty_id, page_number, for_patient, shown_after):
    """Read one page of matching doctors with their next free time after ``shown_after`` (3 queries) and render it."""
    doctors = queries.directory(query=query, specialty_id=specialty_id, free_after=shown_after)
    page = Paginator(doctors, DOCTORS_PER_PAGE).get_page(page_number)
    search = {"q": query, "specialty": specialty_id or "", "for_patient": for_patient or ""}
    return render_to_string(
        "scheduling/_directory_results.html",
        {
            "page": page,
            "for_patient": for_patient,
            "page_query": urlencode({name: value for name, value in search.items() if value}),
        },
    )
