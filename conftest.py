"""Shared test set-up: the embedded MongoDB server, store isolation, markers."""

import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command
from django.db import connection
from django.test.utils import override_settings

from records import repository

ROOT = Path(__file__).resolve().parent
TEST_MONGO_DB = "medly_test"


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class EmbeddedMongo:
    """The embedded MongoDB server as a real child process that tests can stop and start."""

    def __init__(self, port=None):
        self.port = port or free_port()
        self.process = None

    @property
    def uri(self):
        return f"mongodb://127.0.0.1:{self.port}/{TEST_MONGO_DB}"

    def start(self):
        self.process = subprocess.Popen(
            [sys.executable, str(ROOT / "manage.py"), "embedded_mongo", "--port", str(self.port)],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        line = self.process.stdout.readline()
        if "listening" not in line:
            self.stop()
            raise RuntimeError(f"embedded MongoDB did not start: {line!r}")
        return self

    def stop(self):
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process = None
        self._wait_until_closed()

    def _wait_until_closed(self):
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.2).close()
            except OSError:
                return
            time.sleep(0.05)


@pytest.fixture(scope="session")
def mongo_server():
    if os.environ.get("MONGO_URI"):
        # A real MongoDB was given: use a database of its own for the tests.
        with override_settings(MONGO_DB_NAME=TEST_MONGO_DB):
            call_command("ensure_indexes", verbosity=0)
            yield None
        return
    server = EmbeddedMongo().start()
    with override_settings(MONGO_URI=server.uri):
        call_command("ensure_indexes", verbosity=0)
        yield server
    server.stop()
    repository.close_client()


@pytest.fixture(scope="session")
def django_db_setup(mongo_server, django_db_setup):
    """pytest-django's database set-up, once the test MongoDB is chosen: migrate creates its indexes."""
    yield


@pytest.fixture(autouse=True)
def _isolated_stores(mongo_server, request):
    """Every test starts with empty MongoDB collections and an empty cache namespace."""
    from django.core.cache import cache

    _empty_mongo_collections()
    prefix = f"medly-test-{os.getpid()}"
    caches = {name: {**config, "KEY_PREFIX": prefix} for name, config in settings.CACHES.items()}
    if "filebased" in caches["default"]["BACKEND"]:
        caches["default"]["LOCATION"] = str(ROOT / "var" / "test-cache" / str(os.getpid()))
    with override_settings(CACHES=caches):
        if hasattr(cache, "delete_pattern"):
            cache.delete_pattern("*")  # only this prefix; clear() would flush the whole Redis database
        else:
            cache.clear()
        yield
    if "filebased" in caches["default"]["BACKEND"]:
        shutil.rmtree(caches["default"]["LOCATION"], ignore_errors=True)


@pytest.fixture(autouse=True)
def _clinic_details_cached(_isolated_stores):
    """The footer's clinic details start cached, as on a site that has served a page since they were last saved.

    Query counts then pin what a page costs every time, not the one read after a save (which forgets them).
    """
    from django.core.cache import cache

    from records.models import CLINIC_DETAILS_CACHE_KEY, CLINIC_DETAILS_CACHE_SECONDS, ClinicDetails

    cache.set(CLINIC_DETAILS_CACHE_KEY, ClinicDetails.not_yet_entered(), CLINIC_DETAILS_CACHE_SECONDS)


@pytest.fixture(autouse=True)
def _factory_slots_start_tomorrow():
    """Each test's factory slots start tomorrow, half an hour apart, whatever ran before it.

    Otherwise they drift later with every test of the session, and whether a doctor may read a
    record (an appointment within RECORD_ACCESS_DAYS_AHEAD days) would depend on test order.
    """
    from scheduling.tests.factories import SlotFactory

    SlotFactory.reset_sequence()


@pytest.fixture(autouse=True)
def _force_login_passes_the_second_factor(monkeypatch):
    """`client.force_login(user)` stands for a finished sign-in, second factor included where one applies.

    The second-factor step itself is tested through the real pages in twofactor/tests/.
    """
    from django.test import Client

    original = Client.force_login

    def force_login(client, user, backend=None):
        from twofactor import policy
        from twofactor.tests.helpers import pass_second_factor

        original(client, user, backend)
        if policy.must_verify(user):
            pass_second_factor(client, user)

    monkeypatch.setattr(Client, "force_login", force_login)


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def _empty_mongo_collections():
    # Tests reach past the repository's public functions only to reset state.
    database = repository._database()
    for name in database.list_collection_names():
        database[name].delete_many({})


@pytest.fixture
def stoppable_mongo(settings):
    """A private embedded MongoDB server that a test may really stop and restart."""
    server = EmbeddedMongo().start()
    settings.MONGO_URI = server.uri
    repository.ensure_indexes()
    yield server
    server.stop()
    repository.close_client()


CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@pytest.fixture(scope="module")
def browser():
    """Debian's Chromium through Playwright, launched once per module.

    Not per session: Playwright's event loop runs while the browser is open,
    and Django refuses ORM calls from a thread with a running loop.
    """
    from playwright.sync_api import sync_playwright

    # While the loop runs, the ORM calls the tests and their database fixtures
    # make in this thread are safe: nothing else runs on that loop.
    with pytest.MonkeyPatch.context() as patch, sync_playwright() as playwright:
        patch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def context(browser, live_server):
    # An English-speaking browser, so the site starts in English whatever the host's locale is.
    browser_context = browser.new_context(base_url=live_server.url, locale="en-US")
    browser_context.set_default_timeout(5_000)
    yield browser_context
    browser_context.close()


@pytest.fixture
def page(context):
    return context.new_page()


@pytest.fixture
def phone_context(browser, live_server):
    """A 390×844 touch phone, English-speaking like `context`."""
    browser_context = browser.new_context(
        base_url=live_server.url,
        locale="en-US",
        viewport={"width": 390, "height": 844},
        device_scale_factor=2,
        is_mobile=True,
        has_touch=True,
    )
    browser_context.set_default_timeout(5_000)
    yield browser_context
    browser_context.close()


@pytest.fixture
def phone_page(phone_context):
    return phone_context.new_page()


def pytest_runtest_setup(item):
    if item.get_closest_marker("redis") and not os.environ.get("REDIS_URL"):
        pytest.skip("needs Redis: set REDIS_URL")
    if item.get_closest_marker("mysql") and connection.vendor != "mysql":
        pytest.skip("needs MariaDB/MySQL: set DATABASE_URL=mysql://...")
    if item.get_closest_marker("browser") and not Path(CHROMIUM).exists():
        pytest.skip("needs Debian's Chromium at /usr/bin/chromium")
