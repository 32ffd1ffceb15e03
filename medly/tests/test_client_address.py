"""The client's address behind 0, 1 or 2 proxies, and that every recorder uses it."""

import ipaddress

import pytest
from axes.models import AccessAttempt
from django.test import Client, RequestFactory
from django.urls import reverse
from hypothesis import given
from hypothesis import strategies as st

from accounts.models import PrivacyConsent
from accounts.tests.test_registration import registration_data
from medly.client import client_ip
from medly.tests.test_production_settings import run_manage
from records.models import AuditEvent
from records.tests.helpers import appointment_with_record

PROXY = "10.0.0.2"


def request_with(forwarded=None, remote=PROXY):
    meta = {"REMOTE_ADDR": remote}
    if forwarded is not None:
        meta["HTTP_X_FORWARDED_FOR"] = forwarded
    return RequestFactory().get("/", **meta)


@pytest.mark.parametrize(
    ("forwarded", "expected"),
    [(None, PROXY), ("203.0.113.7", PROXY), ("garbage", PROXY)],
)
def test_without_proxies_it_is_the_peer_address_whatever_the_header_says(settings, forwarded, expected):
    settings.TRUSTED_PROXY_COUNT = 0

    assert client_ip(request_with(forwarded)) == expected


@pytest.mark.parametrize(
    ("forwarded", "expected"),
    [
        ("203.0.113.7", "203.0.113.7"),
        ("1.1.1.1, 203.0.113.7", "203.0.113.7"),
        ("1.1.1.1, 8.8.8.8,203.0.113.7", "203.0.113.7"),
        ("not-an-ip, 203.0.113.7", "203.0.113.7"),
        ('"1.1.1.1, 203.0.113.7', "203.0.113.7"),
        ("192.168.1.20", "192.168.1.20"),
        ("2001:db8::7", "2001:db8::7"),
        ("1.1.1.1, [2001:DB8:0::7]:51234", "2001:db8::7"),
        ("::ffff:203.0.113.7", "203.0.113.7"),
        ("203.0.113.7:51234", "203.0.113.7"),
    ],
)
def test_behind_one_proxy_it_is_the_rightmost_entry(settings, forwarded, expected):
    settings.TRUSTED_PROXY_COUNT = 1

    assert client_ip(request_with(forwarded)) == expected


@pytest.mark.parametrize(
    ("forwarded", "expected"),
    [
        ("203.0.113.7, 10.0.0.9", "203.0.113.7"),
        ("6.6.6.6, 7.7.7.7, 203.0.113.7, 10.0.0.9", "203.0.113.7"),
        ("2001:db8::7, fd00::9", "2001:db8::7"),
    ],
)
def test_behind_two_proxies_it_is_the_second_entry_from_the_right(settings, forwarded, expected):
    settings.TRUSTED_PROXY_COUNT = 2

    assert client_ip(request_with(forwarded)) == expected


@pytest.mark.parametrize(
    ("proxies", "forwarded"),
    [
        (1, None),
        (1, ""),
        (1, "   "),
        (1, "garbage"),
        (1, "1.1.1.1, 999.1.1.1"),
        (1, "1.1.1.1, 0.0.0.0"),
        (1, ",,,"),
        (2, "203.0.113.7"),
        (2, "garbage, 10.0.0.9"),
        (2, "203.0.113.7, garbage"),
        (2, "1.1.1.1, 203.0.113.7, , "),
        (3, "203.0.113.7, 10.0.0.9"),
    ],
)
def test_a_missing_short_or_garbled_header_falls_back_to_the_peer(settings, proxies, forwarded):
    settings.TRUSTED_PROXY_COUNT = proxies

    assert client_ip(request_with(forwarded)) == PROXY


@pytest.mark.parametrize(("remote", "expected"), [("2001:db8::5", "2001:db8::5"), ("", None), ("nonsense", None)])
def test_the_peer_address_is_normalised_or_none(settings, remote, expected):
    settings.TRUSTED_PROXY_COUNT = 0

    assert client_ip(request_with(remote=remote)) == expected


@given(left=st.text(max_size=200), proxies=st.integers(min_value=1, max_value=3))
def test_no_header_ever_raises_and_the_client_written_part_never_wins(left, proxies):
    from django.test import override_settings

    appended = ["203.0.113.7", "10.0.0.8", "10.0.0.9"][:proxies]
    forwarded = ", ".join([left, *appended])
    with override_settings(TRUSTED_PROXY_COUNT=proxies):
        address = client_ip(request_with(forwarded))

    assert address == "203.0.113.7"
    with override_settings(TRUSTED_PROXY_COUNT=proxies):
        garbled = client_ip(request_with(left))
    assert garbled is None or ipaddress.ip_address(garbled)


@pytest.mark.parametrize(("value", "message"), [("-1", "0 or more"), ("one", "must be an integer")])
def test_a_negative_or_non_integer_proxy_count_refuses_to_start(value, message):
    result = run_manage("check", TRUSTED_PROXY_COUNT=value)

    assert result.returncode != 0
    assert message in result.stderr


@pytest.mark.django_db
def test_an_audit_event_records_the_client_not_the_proxy(settings):
    settings.TRUSTED_PROXY_COUNT = 1
    appointment = appointment_with_record()
    doctor = Client(REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR="6.6.6.6, 198.51.100.4")
    doctor.force_login(appointment.doctor)

    response = doctor.get(reverse("records:patient_record", args=[appointment.patient_id]))

    assert response.status_code == 200
    assert AuditEvent.objects.get(action="record.view").ip_address == "198.51.100.4"


@pytest.mark.django_db
def test_a_consent_row_records_the_client_not_the_proxy(settings):
    settings.TRUSTED_PROXY_COUNT = 1
    newcomer = Client(REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR="6.6.6.6, 198.51.100.4")

    response = newcomer.post(reverse("accounts:register"), registration_data())

    assert response.status_code == 302
    assert PrivacyConsent.objects.get().ip_address == "198.51.100.4"


@pytest.mark.django_db
def test_login_failures_are_counted_for_the_client_not_the_proxy(settings):
    settings.TRUSTED_PROXY_COUNT = 1
    guesser = Client(REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR="6.6.6.6, 198.51.100.4")

    guesser.post(reverse("accounts:login"), {"username": "ana@example.test", "password": "wrong-password"})

    assert AccessAttempt.objects.get().ip_address == "198.51.100.4"


def test_compose_serves_browsers_directly_so_it_trusts_no_proxy():
    import yaml

    from medly.tests.test_docker_compose import ROOT, service_env

    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())

    assert service_env(compose, "web")["TRUSTED_PROXY_COUNT"] == "0"


def test_no_other_module_reads_the_address_headers_itself():
    from medly.tests.test_docker_compose import ROOT

    readers = {
        str(path.relative_to(ROOT))
        for path in ROOT.glob("*/**/*.py")
        if not {".venv", "tests", "migrations", "bench"} & set(path.relative_to(ROOT).parts)
        and ("REMOTE_ADDR" in path.read_text() or "X_FORWARDED_FOR" in path.read_text())
    }

    assert readers == {"medly/client.py"}
