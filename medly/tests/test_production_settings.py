import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

import medly.settings as medly_settings
from accounts.tests.factories import PatientFactory

ROOT = Path(__file__).resolve().parents[2]
PRODUCTION_ENV = {
    "DEBUG": "0",
    "SECRET_KEY": "x7$kq2!v9ZpL0m#R4tW8yB1nC6hJ3fD5gS-eA_uQiOoPlKjHgFdSa",
    "ALLOWED_HOSTS": "medly.example.org",
}
SETTINGS_TO_READ = [
    "DEBUG",
    "SESSION_COOKIE_SECURE",
    "CSRF_COOKIE_SECURE",
    "SECURE_SSL_REDIRECT",
    "SECURE_HSTS_SECONDS",
    "SECURE_PROXY_SSL_HEADER",
    "SESSION_COOKIE_HTTPONLY",
    "SESSION_COOKIE_SAMESITE",
    "SESSION_COOKIE_NAME",
]


def run_manage(*args, **env):
    clean_env = {key: value for key, value in os.environ.items() if key not in {"DEBUG", "SECRET_KEY"}}
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env={**clean_env, **env},
        capture_output=True,
        text=True,
        timeout=60,
    )


def read_settings(**env):
    code = "from django.conf import settings; import json; print(json.dumps({n: getattr(settings, n) for n in %r}))"
    result = run_manage("shell", "--no-imports", "-c", code % SETTINGS_TO_READ, **env)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_it_passes_the_deploy_check_in_production_mode():
    result = run_manage("check", "--deploy", "--fail-level", "WARNING", **PRODUCTION_ENV)

    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_it_refuses_to_start_in_production_without_a_secret_key():
    env = {**PRODUCTION_ENV}
    del env["SECRET_KEY"]

    result = run_manage("check", **env)

    assert result.returncode != 0
    assert "SECRET_KEY must be set when DEBUG=0" in result.stderr


def test_it_refuses_the_development_key_in_production():
    result = run_manage("check", **{**PRODUCTION_ENV, "SECRET_KEY": medly_settings.DEVELOPMENT_SECRET_KEY})

    assert result.returncode != 0
    assert "SECRET_KEY is Medly's development key" in result.stderr


def test_it_refuses_a_secret_key_shorter_than_50_characters_in_production():
    too_short = PRODUCTION_ENV["SECRET_KEY"][:49]

    result = run_manage("check", **{**PRODUCTION_ENV, "SECRET_KEY": too_short})

    assert result.returncode != 0
    assert "SECRET_KEY must be at least 50 characters when DEBUG=0 (it has 49)" in result.stderr
    assert run_manage("check", **{**PRODUCTION_ENV, "SECRET_KEY": PRODUCTION_ENV["SECRET_KEY"][:50]}).returncode == 0


def test_development_mode_keeps_its_key():
    assert run_manage("check", DEBUG="1", SECRET_KEY="short").returncode == 0


def test_it_refuses_a_debug_value_it_does_not_understand():
    result = run_manage("check", DEBUG="maybe")

    assert result.returncode != 0
    assert "DEBUG must be a boolean" in result.stderr


def test_production_mode_has_secure_cookies_hsts_and_trusts_the_proxy_header():
    production = read_settings(**PRODUCTION_ENV)

    assert production["DEBUG"] is False
    assert production["SESSION_COOKIE_SECURE"] is True
    assert production["CSRF_COOKIE_SECURE"] is True
    assert production["SECURE_SSL_REDIRECT"] is True
    assert production["SECURE_HSTS_SECONDS"] >= 31536000
    assert production["SECURE_PROXY_SSL_HEADER"] == ["HTTP_X_FORWARDED_PROTO", "https"]
    assert production["SESSION_COOKIE_NAME"] == "medly"
    assert production["SESSION_COOKIE_HTTPONLY"] is True
    assert production["SESSION_COOKIE_SAMESITE"] == "Lax"


def test_plain_http_mode_drops_only_the_https_requirements():
    plain = read_settings(**PRODUCTION_ENV, MEDLY_PLAIN_HTTP="1")

    assert plain["DEBUG"] is False
    assert plain["SESSION_COOKIE_SECURE"] is False
    assert plain["SECURE_SSL_REDIRECT"] is False
    assert plain["SECURE_HSTS_SECONDS"] == 0


def test_argon2_is_the_first_password_hasher():
    assert medly_settings.PASSWORD_HASHERS[0] == "django.contrib.auth.hashers.Argon2PasswordHasher"


@pytest.mark.django_db
def test_a_request_forwarded_as_https_is_served_and_plain_http_is_redirected(client, settings):
    settings.SECURE_SSL_REDIRECT = True
    client.force_login(PatientFactory())

    plain = client.get("/")
    forwarded = client.get("/", headers={"x-forwarded-proto": "https"})

    assert plain.status_code == 301
    assert plain["Location"].startswith("https://")
    assert forwarded.status_code == 200


def test_the_file_mail_backend_writes_into_email_file_path(tmp_path):
    folder = tmp_path / "mail"

    result = run_manage(
        "sendtestemail",
        "ana@example.test",
        EMAIL_BACKEND="django.core.mail.backends.filebased.EmailBackend",
        EMAIL_FILE_PATH=str(folder),
    )

    assert result.returncode == 0, result.stderr
    [message] = list(folder.iterdir())
    assert "To: ana@example.test" in message.read_text()
