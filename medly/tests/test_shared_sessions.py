"""Two gunicorn instances on two ports, as behind a load balancer: one Redis holds every session and cache entry."""

import http.client
import os
import re
import secrets
import subprocess
import sys
import time
from http.cookies import SimpleCookie
from pathlib import Path
from urllib.parse import urlencode

import pytest
from django.db import connection

from accounts.tests.factories import PASSWORD, PatientFactory
from conftest import free_port
from scheduling.models import Appointment
from scheduling.tests.factories import SlotFactory

pytestmark = [pytest.mark.mysql, pytest.mark.redis, pytest.mark.django_db(transaction=True)]

ROOT = Path(__file__).resolve().parents[2]
PYTHON = Path(sys.executable)
GUNICORN = PYTHON.parent / "gunicorn"
CSRF_FIELD = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


class Browser:
    """One visitor's cookies, sent to whichever instance it talks to, as through a TLS-terminating proxy."""

    def __init__(self):
        self.cookies = {}

    def request(self, port, method, path, form=None):
        client = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        headers = {"X-Forwarded-Proto": "https", "Host": f"127.0.0.1:{port}"}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{name}={value}" for name, value in self.cookies.items())
        body = None
        if form is not None:
            body = urlencode(form)
            headers |= {"Content-Type": "application/x-www-form-urlencoded", "Origin": f"https://127.0.0.1:{port}"}
        client.request(method, path, body=body, headers=headers)
        response = client.getresponse()
        text = response.read().decode()
        for header in response.headers.get_all("Set-Cookie") or []:
            for name, morsel in SimpleCookie(header).items():
                if morsel.value:
                    self.cookies[name] = morsel.value
                else:
                    self.cookies.pop(name, None)
        client.close()
        return response.status, response.headers.get("Location", ""), text

    def csrf_token(self, port, path):
        status, _, text = self.request(port, "GET", path)
        assert status == 200, (path, status)
        return CSRF_FIELD.search(text).group(1)


@pytest.fixture
def two_instances(tmp_path, settings):
    env = {
        **{name: value for name, value in os.environ.items() if name != "XDG_RUNTIME_DIR"},
        "DEBUG": "0",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": "127.0.0.1",
        "DATABASE_URL": (
            f"mysql://{connection.settings_dict['USER']}:{connection.settings_dict['PASSWORD']}@"
            f"{connection.settings_dict['HOST']}:{connection.settings_dict['PORT']}/{connection.settings_dict['NAME']}"
        ),
        "CACHE_KEY_PREFIX": f"medly-shared-sessions-{os.getpid()}",
        "MONGO_URI": settings.MONGO_URI,
        "STATIC_ROOT": str(tmp_path / "static"),
        "WEB_CONCURRENCY": "1",
        "EMAIL_BACKEND": "django.core.mail.backends.locmem.EmailBackend",
    }
    subprocess.run(
        [str(PYTHON), "manage.py", "collectstatic", "--noinput"], cwd=ROOT, env=env, check=True, capture_output=True
    )
    ports = [free_port(), free_port()]
    servers = []
    try:
        for port in ports:
            home = tmp_path / f"home-{port}"
            home.mkdir()
            log = open(tmp_path / f"gunicorn-{port}.log", "wb")  # noqa: SIM115 - closed with the server
            servers.append(
                (
                    subprocess.Popen(
                        [str(GUNICORN), "-c", "gunicorn.conf.py", "--bind", f"127.0.0.1:{port}",
                         "--pid", str(home / "gunicorn.pid"), "medly.wsgi:application"],
                        cwd=ROOT, env={**env, "HOME": str(home), "TMPDIR": str(home)},
                        stdout=log, stderr=subprocess.STDOUT,
                    ),
                    log,
                )
            )  # fmt: skip
        for port in ports:
            wait_until_serving(port)
        yield ports
    finally:
        for server, log in servers:
            server.terminate()
            server.wait(timeout=30)
            log.close()


def wait_until_serving(port, timeout=60):
    deadline = time.monotonic() + timeout
    while True:
        try:
            client = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            client.request("GET", "/livez")
            if client.getresponse().status == 200:
                return
        except OSError:
            pass
        if time.monotonic() > deadline:
            raise RuntimeError(f"gunicorn on {port} did not serve")
        time.sleep(0.2)


def test_a_visitor_logs_in_on_one_instance_and_continues_and_logs_out_on_the_other(settings, two_instances):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.PBKDF2PasswordHasher"]  # one the servers know
    first, second = two_instances
    patient = PatientFactory()
    slot = SlotFactory()
    browser = Browser()

    token = browser.csrf_token(first, "/accounts/login/")
    login = {"csrfmiddlewaretoken": token, "username": patient.email, "password": PASSWORD}
    status, location, _ = browser.request(first, "POST", "/accounts/login/", login)
    assert (status, "medly" in browser.cookies) == (302, True)

    status, _, page = browser.request(second, "GET", "/appointments/")
    assert status == 200
    assert patient.first_name in page

    token = browser.csrf_token(first, f"/slots/{slot.pk}/book/")
    status, location, _ = browser.request(second, "POST", f"/slots/{slot.pk}/book/", {"csrfmiddlewaretoken": token})
    assert (status, location) == (302, "/appointments/")
    assert Appointment.objects.get(slot=slot).patient == patient

    status, _, _ = browser.request(second, "POST", "/accounts/logout/", {"csrfmiddlewaretoken": token})
    assert status == 302

    status, location, _ = browser.request(first, "GET", "/appointments/")
    assert status == 302
    assert location.startswith("/accounts/login/")
