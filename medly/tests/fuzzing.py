"""What the fuzz tests share: every route from the resolver, a seeded clinic, clients per role, store snapshots.

A route added to any urls.py is fuzzed without touching this file: its path
converters are filled from the seeded objects (by the argument's name) and
with bad values, and its field names come from the forms the pages render.
"""

import re
from dataclasses import dataclass, field
from datetime import timedelta
from html.parser import HTMLParser
from urllib.parse import quote, urlsplit

from django.apps import apps
from django.contrib import messages
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, resolve
from django.urls.exceptions import Resolver404
from django.utils import timezone

from accounts.tests.factories import PASSWORD, AdminFactory, DoctorFactory, PatientFactory, ReceptionFactory
from records import repository
from records.models import ClinicDetails
from records.tests.helpers import appointment_with_record
from records.tests.view_helpers import closed_encounter, consultation_form
from scheduling.tests.factories import SlotFactory, SpecialtyFactory
from scheduling.tests.helpers import days_ahead

ROLES = ("anonymous", "patient", "doctor", "reception", "admin")
CSRF_SECRET = "fuzzfuzzfuzzfuzzfuzzfuzzfuzzfuzz"  # 32 characters: Django accepts the unmasked secret
# Written on refused requests on purpose: who was refused (audit) and failed sign-ins (django-axes).
LOG_TABLES = {"records_auditevent", "axes_accessattempt", "axes_accesslog", "axes_accessfailurelog"}
# Written by a GET on purpose: the doctor opening a consultation is what keeps staff from
# cancelling it under them.
LOG_COLUMNS = {"scheduling_appointment": {"consultation_opened_at"}}
CONVERTER = re.compile(r"<(?:(?P<converter>[^>:]+):)?(?P<name>[^>]+)>")


@dataclass(frozen=True)
class Route:
    """One URL pattern: the chain of patterns from the root resolver to the view."""

    parts: tuple
    name: str

    @property
    def label(self):
        return "".join(str(part.pattern) for part in self.parts) or "/"

    @property
    def is_admin(self):
        return self.label.startswith("admin/")


def all_routes():
    def walk(patterns, parents):
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                yield from walk(pattern.url_patterns, (*parents, pattern))
            elif isinstance(pattern, URLPattern):
                names = [p.namespace for p in parents if getattr(p, "namespace", None)]
                yield Route(parts=(*parents, pattern), name=":".join([*names, pattern.name or ""]))

    return list(walk(get_resolver().url_patterns, ()))


def route_segments(route):
    """[(literal text or None, converter name, argument name, regex or None)] in path order."""
    segments = []
    for part in route.parts:
        pattern = part.pattern
        if hasattr(pattern, "_route"):
            position = 0
            for match in CONVERTER.finditer(pattern._route):
                segments.append((pattern._route[position : match.start()], None, None, None))
                segments.append((None, match["converter"] or "str", match["name"], None))
                position = match.end()
            segments.append((pattern._route[position:], None, None, None))
        else:
            segments.append((None, "regex", None, pattern.regex.pattern))
    return segments


@dataclass
class Clinic:
    """The seeded objects the fuzzer points paths at, and a logged-in client per role."""

    people: dict
    other_patient: object
    other_doctor: object
    open_slots: list
    past_slot: object
    appointments: list
    closed_appointment: object
    encounter_id: str
    ids: dict = field(default_factory=dict)
    fields: dict = field(default_factory=dict)
    clients: dict = field(default_factory=dict)
    logged_in_again: bool = False

    def client(self, role):
        """The role's client, logged in again if a request (logout, sign-up) changed who it is."""
        client = self.clients.get(role)
        wanted = None if role == "anonymous" else str(self.people[role].pk)
        if client is None or client.session.get("_auth_user_id") != wanted:
            client = Client(enforce_csrf_checks=True)
            if wanted:
                client.force_login(self.people[role])
            self.clients[role] = client
            self.logged_in_again = True
        client.cookies["csrftoken"] = CSRF_SECRET
        return client


def seed_clinic():
    specialty = SpecialtyFactory(name="Medicina General")
    appointments = [appointment_with_record(slot__starts_at=days_ahead(3 + n, 9)) for n in range(3)]
    patient, doctor = appointments[0].patient, appointments[0].doctor
    for appointment in appointments[1:]:
        appointment.patient, appointment.doctor = patient, doctor
        appointment.slot.doctor = doctor
        appointment.slot.save(update_fields=["doctor"])
        appointment.save(update_fields=["patient", "doctor"])
    doctor.doctor_profile.specialties.add(specialty)
    closed, encounter_id = closed_encounter(appointment_with_record(patient=patient, slot__doctor=doctor))
    other_patient, other_doctor = PatientFactory(), DoctorFactory()
    repository.create_patient_record(patient_id=other_patient.pk, blood_type="", allergies=[])
    ClinicDetails(name="Clínica Medly", address="Calle 60, Mérida", legal_owner="Medly SC").save()
    clinic = Clinic(
        people={"patient": patient, "doctor": doctor, "reception": ReceptionFactory(), "admin": AdminFactory()},
        other_patient=other_patient,
        other_doctor=other_doctor,
        open_slots=[SlotFactory(doctor=doctor, starts_at=days_ahead(10 + n, 10)) for n in range(3)],
        past_slot=SlotFactory(doctor=doctor, starts_at=timezone.now() - timedelta(days=2)),
        appointments=appointments,
        closed_appointment=closed,
        encounter_id=encounter_id,
    )
    clinic.ids = _real_ids(clinic, specialty)
    return clinic


def _real_ids(clinic, specialty):
    people = [*clinic.people.values(), clinic.other_patient, clinic.other_doctor]
    slots = [*clinic.open_slots, clinic.past_slot, clinic.appointments[0].slot]
    appointments = [*clinic.appointments, clinic.closed_appointment]
    return {
        "doctor_id": [clinic.people["doctor"].pk, clinic.other_doctor.pk, clinic.people["patient"].pk],
        "patient_id": [clinic.people["patient"].pk, clinic.other_patient.pk, clinic.people["doctor"].pk],
        "slot_id": [slot.pk for slot in slots],
        "appointment_id": [appointment.pk for appointment in appointments],
        "encounter_id": [clinic.encounter_id, repository.new_encounter_id()],
        "content_type_id": [ContentType.objects.get_for_model(type(clinic.past_slot)).pk],
        "specialty": [specialty.pk],
        "object_id": sorted({*(p.pk for p in people), *(s.pk for s in slots), 1}),
        "id": [person.pk for person in people],
    }


class _FieldNames(HTMLParser):
    """The names of a page's form controls, each under the route its form posts to."""

    def __init__(self, page_path):
        super().__init__()
        self.page_path = page_path
        self.action = page_path
        self.found = {}

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form":
            self.action = attrs.get("action") or self.page_path
        elif tag in ("input", "select", "textarea", "button") and attrs.get("name"):
            self.found.setdefault(self.action, set()).add(attrs["name"])


def collect_field_names(clinic, routes):
    """Every form field name each route receives, read from the pages every role is shown."""
    names = {route.label: set() for route in routes}
    for route in routes:
        path = sample_path(route, clinic)
        if path is None:
            continue
        for role in ROLES if not route.is_admin else ("admin",):
            try:
                response = clinic.client(role).get(path)
            except Exception:  # noqa: BLE001, S112 - that route's fuzz case reports it; here only names are read
                continue
            if "html" not in response.get("Content-Type", ""):
                continue
            parser = _FieldNames(path)
            parser.feed(response.content.decode())
            for action, found in parser.found.items():
                target = _route_of(urlsplit(action).path, routes)
                if target is not None:
                    names[target.label] |= found
    return names


def _route_of(path, routes):
    try:
        match = resolve(path)
    except Resolver404:
        return None
    label = match.route
    return next((route for route in routes if route.label == label), None)


def quote_text(text, safe=""):
    """Percent-encoded UTF-8, lone surrogates included (as the bytes a broken client would send)."""
    return quote(text.encode("utf-8", "surrogatepass"), safe=safe)


def encode(pairs):
    """An application/x-www-form-urlencoded body, lone surrogates sent as the bytes a broken client would send."""
    return "&".join(
        f"{quote(name.encode('utf-8', 'surrogatepass'))}={quote(value.encode('utf-8', 'surrogatepass'))}"
        for name, value in pairs
    )


def _tracked_tables():
    models = apps.get_models(include_auto_created=True)
    return sorted({model._meta.db_table for model in models} - LOG_TABLES)


def snapshot():
    """Every row of every tracked MySQL table and every MongoDB document, to compare before and after."""
    tables = {}
    with connection.cursor() as cursor:
        for table in _tracked_tables():
            columns = "*"
            if table in LOG_COLUMNS:
                names = [column.name for column in connection.introspection.get_table_description(cursor, table)]
                columns = ", ".join(connection.ops.quote_name(name) for name in names if name not in LOG_COLUMNS[table])
            cursor.execute(f"SELECT {columns} FROM {connection.ops.quote_name(table)}")  # noqa: S608 - our own names
            tables[table] = sorted(cursor.fetchall(), key=repr)
    database = repository._database()
    for name in database.list_collection_names():
        tables[f"mongo:{name}"] = sorted(database[name].find({}), key=repr)
    return tables


def changed_stores(before, after):
    return sorted(name for name in before.keys() | after.keys() if before.get(name) != after.get(name))


def refused(method, response):
    """The request was turned down: an error status, a form drawn again, or only error messages queued.

    A JSON answer with 200 is an API step that went through (a passkey ceremony), not a form drawn again.
    """
    if response.status_code >= 400:
        return True
    if method == "POST" and response.status_code == 200:
        return not response.get("Content-Type", "").startswith("application/json")
    storage = getattr(response.wsgi_request, "_messages", None)
    queued = [message.level for message in storage._queued_messages] if storage is not None else []
    return messages.ERROR in queued and messages.SUCCESS not in queued


def sample_path(route, clinic):
    """A path to the route with the first seeded id for each argument; None if it has a regex part."""
    parts = []
    for literal, converter, name, _regex in route_segments(route):
        if converter == "regex":
            return None
        parts.append(literal if literal is not None else str((clinic.ids.get(name) or clinic.ids["object_id"])[0]))
    return "/" + "".join(parts)


def valid_form(route, clinic):
    """The fields a successful request to the route carries, as (name, value) pairs."""
    people, today = clinic.people, timezone.localdate()
    forms = {
        "accounts:register": {
            "email": "new.patient@example.test",
            "first_name": "Ana",
            "last_name": "Pérez",
            "date_of_birth": "1990-05-17",
            "sex": "F",
            "password1": PASSWORD,
            "password2": PASSWORD,
            "blood_type": "O+",
            "allergies": "penicilina",
            "accept_privacy": "on",
        },
        "accounts:login": {"username": people["patient"].email, "password": PASSWORD, "next": "/doctors/"},
        "admin:login": {"username": people["admin"].email, "password": PASSWORD, "next": "/admin/"},
        "scheduling:directory": {"q": "a", "specialty": str(clinic.ids["specialty"][0]), "page": "1"},
        "scheduling:book_for_patient": {"patient": str(people["patient"].pk)},
        "scheduling:appointments": {"day": today.isoformat(), "view": "week", "q": "a"},
        "scheduling:cancel": {"next": "/appointments/"},
        "scheduling:no_show": {"next": "/appointments/"},
        "scheduling:check_in": {"next": "/appointments/"},
        "scheduling:reschedule": {"slot": str(clinic.open_slots[0].pk)},
        "scheduling:availability": {
            "start_date": (today + timedelta(days=30)).isoformat(),
            "end_date": (today + timedelta(days=36)).isoformat(),
            "weekdays": ["0", "2", "4"],
            "start_time": "07:00",
            "end_time": "08:00",
            "slot_minutes": "30",
        },
        "scheduling:remove_slots": {"slots": [str(slot.pk) for slot in clinic.open_slots]},
        "scheduling:block_day": {"day": (today + timedelta(days=40)).isoformat()},
        "scheduling:unblock_day": {"day": (today + timedelta(days=40)).isoformat()},
        "records:consultation": consultation_form(),
        "records:patients": {"q": "a", "page": "1"},
        "records:patient_record": {"page": "1"},
        "records:my_record": {"page": "1"},
        "records:update_record": {"blood_type": "A+", "allergies": "penicilina, látex", "reason": "Lab result"},
        "records:add_addendum": {"reason": "Typo", "text": "The dose is 500 mg."},
        "set_language": {"language": "es-mx", "next": "/doctors/"},
    }
    pairs = []
    for name, value in forms.get(route.name, {}).items():
        pairs += [(name, item) for item in value] if isinstance(value, list) else [(name, value)]
    return pairs


def send(client, method, path, pairs, with_token):
    if method == "POST":
        body = pairs + ([("csrfmiddlewaretoken", CSRF_SECRET)] if with_token else [])
        return client.generic("POST", path, encode(body), content_type="application/x-www-form-urlencoded")
    query = encode(pairs)
    return client.generic(method, f"{path}?{query}" if query else path)
