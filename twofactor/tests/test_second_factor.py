"""Signing in with a second factor: who must, enrolment, verification, recovery, limits, an admin's reset.

Every test signs in through the real login page (not force_login) and passes the step through the
real pages, with codes computed as an authenticator app computes them.
"""

import re

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django_otp.plugins.otp_static.models import StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.tests.factories import PASSWORD, AdminFactory, DoctorFactory, PatientFactory, ReceptionFactory
from records.models import AuditEvent
from twofactor import services
from twofactor.tests.helpers import authenticator_for, code_for_key, current_code

pytestmark = pytest.mark.django_db

VERIFY, SETUP, RECOVERY, SECURITY = (
    "/accounts/2fa/verify/",
    "/accounts/2fa/authenticator/",
    "/accounts/2fa/recovery-codes/",
    "/accounts/2fa/",
)


def signed_in(user, **extra):
    """A browser-like client that typed the right password (and nothing more)."""
    client = Client(**extra)
    response = client.post("/accounts/login/", {"username": user.email, "password": PASSWORD})
    assert response.status_code == 302, response.content
    return client


def actions(user=None):
    events = AuditEvent.objects.order_by("pk")
    return [event.action for event in (events.filter(user=user) if user else events)]


def shown_key(page):
    return re.search(r'<code class="secret">([A-Z2-7 ]+)</code>', page.content.decode())[1]


def enrol(client, user):
    """Set up the authenticator through the page, typing the key it shows; returns (device, recovery codes shown)."""
    key = shown_key(client.get(SETUP))
    response = client.post(SETUP, {"code": code_for_key(key), "next": "/admin/"}, follow=True)
    codes = re.findall(r"<li><code>([a-z2-7]{8})</code></li>", response.content.decode())
    return TOTPDevice.objects.get(user=user), codes


def test_an_administrator_with_only_a_password_reaches_no_page_but_the_set_up(client):
    admin = AdminFactory()
    client = signed_in(admin)

    for path in ("/admin/", "/", "/patients/", "/accounts/2fa/"):
        response = client.get(path)
        assert response.status_code == 302
        assert response.url.startswith(f"{SETUP}?next=")
    assert client.get(SETUP).status_code == 200
    assert client.get("/livez").status_code == 200


def test_enrolment_shows_a_qr_code_and_the_key_then_gives_recovery_codes_once():
    admin = AdminFactory()
    client = signed_in(admin)

    page = client.get(SETUP)
    assert "<svg" in page.content.decode() and "otpauth" not in page.content.decode()
    assert not TOTPDevice.objects.exists(), "showing the set-up writes nothing"
    assert shown_key(client.get(SETUP)) == shown_key(page), "the same key until it is confirmed"
    right = code_for_key(shown_key(page))
    wrong = client.post(SETUP, {"code": "000000" if right != "000000" else "111111"})
    assert "That code is not right" in wrong.content.decode()
    assert not TOTPDevice.objects.exists()
    device, codes = enrol(client, admin)

    assert device.confirmed
    assert len(codes) == 10 and len(set(codes)) == 10
    assert client.get("/admin/").status_code == 200
    assert "<code>" not in client.get(RECOVERY).content.decode(), "codes are shown only once"
    assert actions(admin)[-2:] == ["account.second_factor_enrolled", "account.recovery_codes_created"]


def test_after_enrolment_each_sign_in_asks_for_the_current_code_and_keeps_where_one_was_going():
    admin = AdminFactory()
    device = authenticator_for(admin)
    client = signed_in(admin)

    held = client.get("/admin/accounts/user/")
    assert held.url == f"{VERIFY}?next=%2Fadmin%2Faccounts%2Fuser%2F"
    session_before = client.session.session_key
    response = client.post(VERIFY, {"code": current_code(device), "next": "/admin/accounts/user/"})

    assert response.status_code == 302
    assert response.url == "/admin/accounts/user/"
    assert client.get("/admin/accounts/user/").status_code == 200
    assert client.session.session_key != session_before, "a new session key once the second factor is passed"


def test_a_wrong_code_is_refused_audited_and_does_not_let_anyone_in():
    admin = AdminFactory()
    device = authenticator_for(admin)
    client = signed_in(admin)
    wrong = "123456" if current_code(device) != "123456" else "654321"

    response = client.post(VERIFY, {"code": wrong})

    assert response.status_code == 200
    assert "That code is not right" in response.content.decode()
    assert client.get("/admin/").status_code == 302
    assert actions(admin)[-1] == "account.second_factor_failed"


@pytest.mark.parametrize("bad", ["", "12", "x" * 40, "１２３４５６", "<script>", "12345 6789"])
def test_malformed_codes_get_a_message_never_an_error(bad):
    admin = AdminFactory()
    authenticator_for(admin)
    client = signed_in(admin)
    response = client.post(VERIFY, {"code": bad})
    assert response.status_code == 200
    assert client.get("/admin/").status_code == 302


def test_a_code_is_good_once():
    admin = AdminFactory()
    device = authenticator_for(admin)
    code = current_code(device)
    assert signed_in(admin).post(VERIFY, {"code": code}).status_code == 302
    replay = signed_in(admin).post(VERIFY, {"code": code})
    assert replay.status_code in (200, 429)
    assert "not right" in replay.content.decode() or "Too many" in replay.content.decode()


def test_a_recovery_code_signs_in_once_and_its_use_is_audited():
    admin = AdminFactory()
    first = signed_in(admin)
    _, codes = enrol(first, admin)

    client = signed_in(admin)
    response = client.post(VERIFY, {"code": codes[0].upper()[:4] + " " + codes[0].upper()[4:]})
    assert response.status_code == 302
    assert actions(admin)[-1] == "account.recovery_code_used"
    assert StaticToken.objects.filter(device__user=admin).count() == 9

    again = signed_in(admin).post(VERIFY, {"code": codes[0]})
    assert again.status_code in (200, 429)


def test_too_many_wrong_codes_from_an_address_are_refused_with_when_to_try_again(settings):
    settings.SECOND_FACTOR_FAILURE_LIMIT = 3
    settings.OTP_TOTP_THROTTLE_FACTOR = 0  # only Medly's own per-address limit, not the device's growing wait
    admin = AdminFactory()
    device = authenticator_for(admin)
    client = signed_in(admin)
    wrong = "000000" if current_code(device) != "000000" else "111111"
    for _ in range(3):
        assert client.post(VERIFY, {"code": wrong}).status_code == 200

    refused = client.post(VERIFY, {"code": current_code(device)})

    assert refused.status_code == 429
    assert "Too many wrong codes" in refused.content.decode()
    assert client.get("/admin/").status_code == 302


def test_the_limit_counts_the_client_behind_the_proxy(settings):
    settings.SECOND_FACTOR_FAILURE_LIMIT = 2
    settings.OTP_TOTP_THROTTLE_FACTOR = 0
    settings.TRUSTED_PROXY_COUNT = 1
    admin = AdminFactory()
    device = authenticator_for(admin)
    wrong = "000000" if current_code(device) != "000000" else "111111"
    attacker = signed_in(admin, HTTP_X_FORWARDED_FOR="203.0.113.9")
    for _ in range(2):
        attacker.post(VERIFY, {"code": wrong}, HTTP_X_FORWARDED_FOR="203.0.113.9")
    assert attacker.post(VERIFY, {"code": wrong}, HTTP_X_FORWARDED_FOR="203.0.113.9").status_code == 429

    owner = signed_in(admin, HTTP_X_FORWARDED_FOR="198.51.100.20")
    response = owner.post(VERIFY, {"code": current_code(device)}, HTTP_X_FORWARDED_FOR="198.51.100.20")
    assert response.status_code == 302, "a stranger's guesses do not lock the owner out"


def test_the_devices_own_throttle_slows_guessing_too():
    admin = AdminFactory()
    device = authenticator_for(admin)
    client = signed_in(admin)
    wrong = "000000" if current_code(device) != "000000" else "111111"
    client.post(VERIFY, {"code": wrong})
    # Within the second after a wrong code the device answers nothing, not even to the right code.
    assert client.post(VERIFY, {"code": current_code(device)}).status_code == 429


def test_a_password_alone_cannot_add_a_new_device_to_an_account_that_has_one():
    admin = AdminFactory()
    authenticator_for(admin)
    client = signed_in(admin)

    assert client.get(SETUP).url.startswith(VERIFY)
    assert client.post(SETUP, {"code": "123456"}).url.startswith(VERIFY)
    passkey = client.post("/accounts/2fa/passkeys/registration/begin/")
    assert passkey.status_code == 403
    assert TOTPDevice.objects.filter(user=admin).count() == 1


def test_doctors_and_reception_choose_unless_the_clinic_requires_it(settings):
    for factory in (DoctorFactory, ReceptionFactory):
        user = factory()
        settings.SECOND_FACTOR_FOR_STAFF = False
        assert signed_in(user).get("/").status_code == 200
        settings.SECOND_FACTOR_FOR_STAFF = True
        assert signed_in(user).get("/").url.startswith(SETUP)


def test_a_patient_may_turn_a_second_factor_on_and_off():
    patient = PatientFactory()
    client = signed_in(patient)
    assert client.get("/").status_code == 200
    device, codes = enrol(client, patient)
    assert len(codes) == 10

    later = signed_in(patient)
    assert later.get("/me/record/").url.startswith(VERIFY)
    assert later.post(VERIFY, {"code": current_code(device, steps_ahead=1)}).status_code == 302
    assert later.get(SECURITY).status_code == 200
    later.post("/accounts/2fa/remove/")

    assert not TOTPDevice.objects.filter(user=patient).exists()
    assert signed_in(patient).get("/").status_code == 200
    assert actions(patient)[-1] == "account.second_factor_removed"


def test_someone_who_must_use_a_second_factor_cannot_remove_it(client):
    admin = AdminFactory()
    client.force_login(admin)
    response = client.post("/accounts/2fa/remove/", follow=True)
    assert "you can replace it, not remove it" in response.content.decode()
    assert TOTPDevice.objects.filter(user=admin, confirmed=True).exists()


def test_an_administrator_resets_someone_elses_second_factor_and_it_is_audited(client):
    admin, doctor = AdminFactory(), DoctorFactory()
    authenticator_for(doctor)
    client.force_login(admin)

    response = client.post(
        "/admin/accounts/user/",
        {"action": "reset_second_factor", "_selected_action": [doctor.pk, admin.pk]},
        follow=True,
    )

    page = response.content.decode()
    assert "Second factor reset for 1 account." in page
    assert "You cannot reset your own second factor" in page
    assert not TOTPDevice.objects.filter(user=doctor).exists()
    assert TOTPDevice.objects.filter(user=admin).exists()
    event = AuditEvent.objects.get(action="account.second_factor_reset")
    assert (event.user_id, event.detail["account_id"]) == (admin.pk, doctor.pk)
    # The doctor's next sign-in is a plain one again (the clinic does not require it for doctors).
    assert signed_in(doctor).get("/").status_code == 200


def test_a_session_whose_device_was_reset_is_sent_back_to_set_up():
    admin, other_admin = AdminFactory(), AdminFactory()
    client = signed_in(admin)
    enrol(client, admin)
    assert client.get("/admin/").status_code == 200

    services.reset_second_factor(admin=other_admin, user=admin)

    assert client.get("/admin/").url.startswith(SETUP)


@pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example/", "javascript:alert(1)"])
def test_the_step_never_sends_anyone_off_site(target):
    admin = AdminFactory()
    device = authenticator_for(admin)
    response = signed_in(admin).post(VERIFY, {"code": current_code(device), "next": target})
    assert response.url == "/"


def test_pages_of_people_without_a_second_factor_never_ask_for_devices(client):
    patient = PatientFactory()
    client.force_login(patient)
    client.get("/")
    with CaptureQueriesContext(connection) as queries:
        client.get("/")
    assert queries.captured_queries
    assert not [query["sql"] for query in queries.captured_queries if "otp" in query["sql"]]


def test_the_security_page_reads_in_a_fixed_number_of_queries(client, django_assert_num_queries):
    admin = AdminFactory()
    client.force_login(admin)
    client.get(SECURITY)
    # The user, the device the session passed; then the authenticator, the passkeys, the recovery codes left.
    with django_assert_num_queries(5):
        assert client.get(SECURITY).status_code == 200
