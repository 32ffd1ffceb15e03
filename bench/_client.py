"""Small stdlib HTTP helpers for the Medly benchmarks: one browser-like session per user.

Each ``Session`` has its own cookie jar (the session cookie is ``medly``,
the CSRF cookie ``csrftoken``), never follows redirects (the benchmarks
look at the 302 itself) and gives every request a timeout.
"""

import html
import http.cookiejar
import queue
import re
import time
import urllib.error
import urllib.parse
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime

CSRF_FIELD_RE = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
DOCTOR_LINK_RE = re.compile(r'href="/doctors/(\d+)/')
# A day heading or a patient's book form with its HH:MM button, in page order.
SLOT_PAGE_RE = re.compile(
    r"<h3>(?P<day>[^<]+)</h3>"
    r'|action="/slots/(?P<slot>\d+)/book/".*?>(?P<time>\d\d:\d\d)</button>',
    re.DOTALL,
)
DAY_FORMAT = "%A %d %B %Y"  # Django's "l j F Y" in English
# The doctor's own public page, linked from /schedule/availability/.
OWN_PAGE_RE = re.compile(r'class="own-public-page" href="/doctors/(\d+)/"')
# A doctor's agenda (/appointments/): one <section data-day="YYYY-MM-DD"> per day, one <li class="entry ...">
# per slot or range; an appointment's entry links the patient's record, shows its status, and links the
# consultation only while the appointment is scheduled.
AGENDA_DAY_RE = re.compile(r'<section class="agenda-column[^"]*" data-day="(\d{4}-\d\d-\d\d)"')
AGENDA_ENTRY_RE = re.compile(
    r'<span class="entry-time">(?P<time>\d\d:\d\d)\u2013\d\d:\d\d</span>.*?'
    r'<span class="entry-patient">(?:<a href="/patients/(?P<patient>\d+)/record/">)?.*?'
    r'<span class="status status-(?P<status>[\w-]+)">',
    re.DOTALL,
)
AGENDA_CONSULTATION_RE = re.compile(r'href="/appointments/(\d+)/consultation/"')
AGENDA_FIRST_DAY_RE = re.compile(r'id="id_day" name="day" value="(\d{4}-\d\d-\d\d)"')
MESSAGE_RE = re.compile(r'<p class="message message-[\w -]*">(.*?)</p>', re.DOTALL)


@dataclass
class Response:
    status: int  # 0 when no HTTP answer came back
    location: str = ""
    body: str = ""
    seconds: float = 0.0
    error: str = ""  # "timeout", "connection refused", ... when status is 0


@dataclass(frozen=True)
class AgendaRow:
    starts_at: datetime  # the clinic's wall-clock time
    patient_id: int
    appointment_id: int | None  # only linked while the appointment is scheduled
    status: str  # scheduled, closing, completed, no_show...


@dataclass(frozen=True)
class OpenSlot:
    slot_id: int
    doctor_id: int
    starts_at: datetime  # the clinic's wall-clock time, as the page shows it


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, req, fp, code, msg, headers, newurl):
        return None  # hand the 3xx back to the caller as an HTTPError


class Session:
    """One user's browser: cookie jar, CSRF token, no redirects, a timeout per request."""

    def __init__(self, base_url, *, timeout=30.0):
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout
        self.jar = http.cookiejar.CookieJar()
        self._opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar), _NoRedirect())

    def cookie(self, name):
        return next((cookie.value for cookie in self.jar if cookie.name == name), None)

    def get(self, path):
        return self._send(path)

    def post(self, path, fields):
        """POST a form with the current CSRF token (the cookie's secret, which Django accepts as the token)."""
        data = list(fields.items()) if isinstance(fields, dict) else list(fields)
        data.append(("csrfmiddlewaretoken", self.cookie("csrftoken") or ""))
        return self._send(path, urllib.parse.urlencode(data, doseq=True).encode())

    def submit_form(self, path, fields):
        """GET the form page first (it sets the CSRF cookie), then POST the fields to it."""
        page = self.get(path)
        if page.status != 200:
            return page
        return self.post(path, fields)

    def _headers(self):
        # English pages, so messages and day names are predictable to parse.
        return {"Accept-Language": "en", "User-Agent": "medly-bench/1"}

    def _send(self, path, data=None):
        headers = self._headers()
        if data is not None:
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        # The operator gives the server's http(s) URL on the command line; paths are the app's own routes.
        request = urllib.request.Request(self.base_url + path, data=data, headers=headers)  # noqa: S310
        started = time.perf_counter()
        try:
            with self._opener.open(request, timeout=self.timeout) as answer:  # noqa: S310 (same URL)
                body = answer.read().decode("utf-8", "replace")
                return Response(answer.status, answer.headers.get("Location", ""), body, _since(started))
        except urllib.error.HTTPError as answer:
            body = answer.read().decode("utf-8", "replace")
            return Response(answer.code, answer.headers.get("Location", ""), body, _since(started))
        except TimeoutError:
            return Response(0, seconds=_since(started), error="timeout")
        except urllib.error.URLError as exc:
            reason = exc.reason
            kind = "timeout" if isinstance(reason, TimeoutError) else str(reason)
            return Response(0, seconds=_since(started), error=kind)
        except (ConnectionError, OSError) as exc:
            return Response(0, seconds=_since(started), error=type(exc).__name__)


def _since(started):
    return time.perf_counter() - started


def map_with_sessions(sessions, job, items):
    """``job(session, item)`` for every item, one thread per session, each session in one job at a time.

    The results come back in the order of ``items``.
    """
    free = queue.Queue()
    for session in sessions:
        free.put(session)

    def borrow(item):
        session = free.get()
        try:
            return job(session, item)
        finally:
            free.put(session)

    with ThreadPoolExecutor(len(sessions)) as pool:
        return list(pool.map(borrow, items))


def redirect_path(response):
    """The path a redirect points to, whether Location is absolute or relative."""
    return urllib.parse.urlsplit(response.location).path


def redirect_target(response):
    """Path and query string of a redirect, to follow it with ``Session.get``."""
    parts = urllib.parse.urlsplit(response.location)
    return parts.path + (f"?{parts.query}" if parts.query else "")


def page_messages(body):
    """The flash messages on a page (``<p class="message ...">``), as plain text."""
    return [" ".join(html.unescape(re.sub(r"<[^>]+>", "", text)).split()) for text in MESSAGE_RE.findall(body)]


def own_doctor_id(session):
    """A logged-in doctor's user id, from the link to their public page on /schedule/availability/."""
    response = session.get("/schedule/availability/")
    if response.status != 200:
        raise RuntimeError(f"GET /schedule/availability/ answered {response.status} {response.error}")
    found = OWN_PAGE_RE.search(response.body)
    return int(found.group(1)) if found else None


def doctor_agenda_week(session, day):
    """(Monday of ``day``'s week, [AgendaRow]) from a logged-in doctor's week agenda."""
    response = session.get(f"/appointments/?view=week&day={day.isoformat()}")
    if response.status != 200:
        raise RuntimeError(f"GET /appointments/?view=week&day={day} answered {response.status} {response.error}")
    first = AGENDA_FIRST_DAY_RE.search(response.body)
    days = AGENDA_DAY_RE.split(response.body)
    if first is None or len(days) < 3:
        raise RuntimeError("/appointments/: no day field or columns; is this a doctor's agenda? (page layout changed?)")
    rows = []
    # split() with one group: [before, day, column, day, column, ...]
    for current, column in zip(days[1::2], days[2::2], strict=True):
        current = datetime.strptime(current, "%Y-%m-%d").date()
        for entry in column.split('<li class="entry ')[1:]:
            match = AGENDA_ENTRY_RE.search(entry)
            if match is None or match.group("patient") is None:
                continue  # a free, blocked or past range, or an appointment without record access
            starts_at = datetime.combine(current, datetime.strptime(match.group("time"), "%H:%M").time())
            consultation = AGENDA_CONSULTATION_RE.search(entry)
            rows.append(
                AgendaRow(
                    starts_at,
                    int(match.group("patient")),
                    int(consultation.group(1)) if consultation else None,
                    match.group("status"),
                )
            )
    return datetime.strptime(first.group(1), "%Y-%m-%d").date(), rows


def doctor_ids(session, *, max_pages=100):
    """Every doctor id in the directory, following ``?page=`` until a page brings nothing new."""
    found = []
    for page in range(1, max_pages + 1):
        response = session.get(f"/doctors/?page={page}")
        if response.status != 200:
            raise RuntimeError(f"GET /doctors/?page={page} answered {response.status} {response.error}")
        new = [int(pk) for pk in dict.fromkeys(DOCTOR_LINK_RE.findall(response.body)) if int(pk) not in found]
        if not new:
            break
        found.extend(new)
    return found


def open_slots(session, doctor_id):
    """The bookable slots on a doctor's page; ``session`` must be a logged-in patient (others see no forms)."""
    response = session.get(f"/doctors/{doctor_id}/")
    if response.status != 200:
        raise RuntimeError(f"GET /doctors/{doctor_id}/ answered {response.status} {response.error}")
    slots, day = [], None
    for match in SLOT_PAGE_RE.finditer(response.body):
        if match.group("day"):
            day = datetime.strptime(" ".join(match.group("day").split()), DAY_FORMAT).date()
            continue
        if day is None:
            raise RuntimeError(f"/doctors/{doctor_id}/: a slot form before any day heading; page layout changed?")
        starts_at = datetime.combine(day, datetime.strptime(match.group("time"), "%H:%M").time())
        slots.append(OpenSlot(int(match.group("slot")), doctor_id, starts_at))
    return slots
