"""The Twilio backends against a local HTTP server that answers as Twilio's Messages API does."""

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs

import pytest
from twilio.base.exceptions import TwilioRestException
from twilio.http.http_client import TwilioHttpClient

from reminders.backends import PhoneMessage
from reminders.backends.twilio import TwilioSMSBackend, TwilioWhatsAppBackend

ACCOUNT_SID = "AC" + "0" * 32


class FakeTwilio(BaseHTTPRequestHandler):
    requests = []
    status = 201

    def do_POST(self):  # noqa: N802 - http.server's name
        body = self.rfile.read(int(self.headers["Content-Length"])).decode()
        type(self).requests.append({"path": self.path, "auth": self.headers["Authorization"], "form": parse_qs(body)})
        if type(self).status == 201:
            answer = {"sid": "SM" + "1" * 32, "status": "queued", "account_sid": ACCOUNT_SID}
        else:
            answer = {"code": 21211, "message": "The 'To' number is not a valid phone number.", "status": 400}
        payload = json.dumps(answer).encode()
        self.send_response(type(self).status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, *args):
        pass


@pytest.fixture
def fake_twilio(settings):
    FakeTwilio.requests = []
    FakeTwilio.status = 201
    server = ThreadingHTTPServer(("127.0.0.1", 0), FakeTwilio)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    settings.TWILIO_ACCOUNT_SID = ACCOUNT_SID
    settings.TWILIO_AUTH_TOKEN = "secret-token"
    settings.TWILIO_SMS_FROM = "+15005550006"
    settings.TWILIO_WHATSAPP_FROM = "whatsapp:+15005550007"
    settings.TWILIO_WHATSAPP_TEMPLATE_SID = ""
    base = f"http://127.0.0.1:{server.server_address[1]}"

    class LocalTwilio(TwilioHttpClient):
        def request(self, method, url, *args, **kwargs):
            return super().request(method, url.replace("https://api.twilio.com", base), *args, **kwargs)

    yield LocalTwilio()
    server.shutdown()
    server.server_close()


def message(channel):
    return PhoneMessage(
        reminder_id=7,
        channel=channel,
        to="+529991234567",
        body="Clínica: reminder of your appointment",
        template_variables={"1": "Ana", "2": "Dra. López", "3": "3 de diciembre de 2026", "4": "10:30", "5": "Clínica"},
    )


def test_an_sms_is_posted_to_the_messages_api_with_the_account_credentials(fake_twilio):
    TwilioSMSBackend(http_client=fake_twilio).send(message("sms"))

    [request] = FakeTwilio.requests
    assert request["path"] == f"/2010-04-01/Accounts/{ACCOUNT_SID}/Messages.json"
    assert request["auth"].startswith("Basic ")
    assert request["form"] == {
        "To": ["+529991234567"],
        "From": ["+15005550006"],
        "Body": ["Clínica: reminder of your appointment"],
    }


def test_a_whatsapp_reminder_uses_the_approved_template_and_its_variables(fake_twilio, settings):
    settings.TWILIO_WHATSAPP_TEMPLATE_SID = "HX" + "a" * 32

    TwilioWhatsAppBackend(http_client=fake_twilio).send(message("whatsapp"))

    [request] = FakeTwilio.requests
    form = request["form"]
    assert (form["To"], form["From"]) == (["whatsapp:+529991234567"], ["whatsapp:+15005550007"])
    assert form["ContentSid"] == ["HX" + "a" * 32]
    assert json.loads(form["ContentVariables"][0]) == message("whatsapp").template_variables
    assert "Body" not in form


def test_without_a_template_whatsapp_gets_the_plain_body(fake_twilio):
    TwilioWhatsAppBackend(http_client=fake_twilio).send(message("whatsapp"))

    [request] = FakeTwilio.requests
    assert request["form"]["Body"] == ["Clínica: reminder of your appointment"]
    assert "ContentSid" not in request["form"]


def test_a_refusal_from_twilio_raises_with_its_code(fake_twilio):
    FakeTwilio.status = 400

    with pytest.raises(TwilioRestException) as refused:
        TwilioSMSBackend(http_client=fake_twilio).send(message("sms"))

    assert refused.value.code == 21211


def test_missing_credentials_are_named(settings):
    settings.TWILIO_ACCOUNT_SID = ""
    settings.TWILIO_AUTH_TOKEN = ""
    settings.TWILIO_SMS_FROM = "+15005550006"

    with pytest.raises(Exception, match="TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN"):
        TwilioSMSBackend()
