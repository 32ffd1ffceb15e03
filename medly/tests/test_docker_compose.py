"""The Docker deliverables, checked by reading them: Docker itself does not run here."""

import json
import os
import re
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import yaml

from medly.env import database_from_url

ROOT = Path(__file__).resolve().parents[2]
STORES = ("mysql", "mongo", "redis")
ENV_READ = re.compile(r"""env_(?:str|bool|int|list)\(\s*["']([A-Z0-9_]+)["']""")
INTERPOLATION = re.compile(r"\$\{(\w+)(?::?[-?]([^}]*))?\}")


def interpolated(value):
    """What Compose makes of `${NAME:-default}` when NAME is not set."""
    return INTERPOLATION.sub(lambda match: match.group(2) or "", str(value))


def service_env(compose, service):
    environment = compose["services"][service]["environment"]
    if isinstance(environment, list):
        environment = dict(item.split("=", 1) for item in environment)
    return {name: interpolated(value) for name, value in environment.items()}


@pytest.fixture(scope="module")
def compose():
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())


@pytest.fixture(scope="module")
def web_env(compose):
    return service_env(compose, "web")


@pytest.fixture(scope="module")
def dockerfile():
    return (ROOT / "Dockerfile").read_text()


def test_it_defines_the_app_and_its_three_stores(compose):
    assert {"web", *STORES} <= set(compose["services"])


@pytest.mark.parametrize(("service", "image"), [("mysql", "mysql:8.4"), ("mongo", "mongo:8"), ("redis", "redis:7")])
def test_it_pins_each_store_to_its_major_version(compose, service, image):
    assert compose["services"][service]["image"].startswith(image)


@pytest.mark.parametrize("service", STORES)
def test_it_health_checks_each_store_and_keeps_its_data_in_a_named_volume(compose, service):
    definition = compose["services"][service]
    assert definition["healthcheck"]["test"]
    named = {volume.split(":", 1)[0] for volume in definition["volumes"]}
    assert named & set(compose["volumes"]), f"{service} has no named volume"


def test_it_starts_web_only_once_every_store_is_healthy(compose):
    depends_on = compose["services"]["web"]["depends_on"]
    assert {name: depends_on[name]["condition"] for name in STORES} == dict.fromkeys(STORES, "service_healthy")


def test_it_health_checks_web_through_healthz_for_start_up_order_only(compose):
    assert "http://127.0.0.1:8000/healthz" in " ".join(compose["services"]["web"]["healthcheck"]["test"])
    # Readiness decides when dependents start; nothing restarts a container on it.
    dependents = {
        name: definition["depends_on"]["web"]["condition"]
        for name, definition in compose["services"].items()
        if "web" in definition.get("depends_on", {})
    }
    assert dependents and set(dependents.values()) == {"service_healthy"}


def test_the_images_own_health_check_is_liveness_and_services_without_http_turn_it_off(compose, dockerfile):
    healthcheck = re.search(r"^HEALTHCHECK .*?CMD (.+)$", dockerfile, flags=re.MULTILINE | re.DOTALL)
    assert healthcheck and "http://127.0.0.1:8000/livez" in healthcheck.group(1)
    for name, definition in compose["services"].items():
        if definition.get("build") and name != "web":
            assert definition["healthcheck"] == {"disable": True}, f"{name} serves no HTTP"


def test_the_image_runs_in_production_mode_with_the_gunicorn_config(dockerfile):
    assert re.search(r"^\s+DEBUG=0$", dockerfile, flags=re.MULTILINE)
    command = json.loads(re.search(r"^CMD (.+)$", dockerfile, flags=re.MULTILINE).group(1))
    assert command[:3] == ["gunicorn", "-c", "gunicorn.conf.py"]
    assert command[-1] == "medly.wsgi:application"
    assert (ROOT / "gunicorn.conf.py").exists()


def test_web_is_published_on_loopback_only(compose):
    assert compose["services"]["web"]["ports"] == ["127.0.0.1:8000:8000"]


def test_composes_default_key_is_marked_local_only_and_check_deploy_warns_about_it(web_env):
    from medly.tests.test_production_settings import run_manage

    assert "compose-local-only" in web_env["SECRET_KEY"]
    production = {name: web_env[name] for name in ("SECRET_KEY", "DEBUG", "ALLOWED_HOSTS")}

    result = run_manage("check", "--deploy", **production)

    assert result.returncode == 0, result.stderr
    assert "medly.W001" in result.stderr and "docker-compose.yml's local try-out key" in result.stderr


def test_it_sets_only_environment_variables_the_settings_read(web_env):
    read_by_settings = set(ENV_READ.findall((ROOT / "medly" / "settings.py").read_text()))
    assert {"DATABASE_URL", "MONGO_URI", "REDIS_URL", "SECRET_KEY"} <= set(web_env)
    assert set(web_env) - read_by_settings == set()


@pytest.mark.parametrize(
    ("variable", "scheme", "host"),
    [
        ("DATABASE_URL", "mysql", "mysql"),
        ("MONGO_URI", "mongodb", "mongo"),
        ("REDIS_URL", "redis", "redis"),
    ],
)
def test_it_points_web_at_the_compose_stores(web_env, variable, scheme, host):
    url = urlsplit(web_env[variable])
    assert (url.scheme, url.hostname) == (scheme, host)


def test_it_gives_web_a_database_url_the_settings_turn_into_the_mysql_service(compose, web_env):
    database = database_from_url(web_env["DATABASE_URL"], sqlite_fallback=ROOT / "unused.sqlite3")
    mysql_env = service_env(compose, "mysql")
    assert database["ENGINE"] == "django.db.backends.mysql"
    assert (database["HOST"], database["NAME"]) == ("mysql", "medly")
    assert (database["USER"], database["PASSWORD"]) == (mysql_env["MYSQL_USER"], mysql_env["MYSQL_PASSWORD"])
    assert mysql_env["MYSQL_DATABASE"] == "medly"


def test_it_never_installs_the_development_requirements(dockerfile):
    assert "requirements-dev" not in dockerfile
    assert "-r /tmp/requirements.txt" in dockerfile


def test_it_runs_as_a_user_that_is_not_root(dockerfile):
    users = re.findall(r"^USER\s+(\S+)", dockerfile, flags=re.MULTILINE)
    assert users, "the Dockerfile has no USER line"
    assert users[-1].split(":")[0] not in {"root", "0"}


def test_it_migrates_and_creates_the_indexes_before_handing_over_to_the_command():
    entrypoint = ROOT / "bin" / "docker-entrypoint"
    script = entrypoint.read_text()
    assert os.access(entrypoint, os.X_OK)
    assert script.index("manage.py migrate --noinput") < script.index("manage.py ensure_indexes")
    assert script.index("manage.py ensure_indexes") < script.index('exec "$@"')


def test_it_loads_the_cie10_catalogue_once_before_serving():
    # Without it every diagnosis code would be refused in a fresh container (the form checks the catalogue).
    script = (ROOT / "bin" / "docker-entrypoint").read_text()
    assert script.index("manage.py migrate --noinput") < script.index("manage.py load_cie10 --if-needed")
    assert script.index("manage.py load_cie10 --if-needed") < script.index('exec "$@"')


def test_it_collects_static_files_the_way_the_image_build_does(dockerfile, tmp_path):
    build_key = re.search(r"DEBUG=0 SECRET_KEY=(\S+) python manage.py collectstatic --noinput", dockerfile).group(1)
    env = {**os.environ, "DEBUG": "0", "SECRET_KEY": build_key, "STATIC_ROOT": str(tmp_path)}
    # Fixed arguments, no shell.
    subprocess.run(  # noqa: S603
        [sys.executable, "manage.py", "collectstatic", "--noinput", "--verbosity", "0"],
        cwd=ROOT,
        env=env,
        check=True,
    )
    assert (tmp_path / "staticfiles.json").exists()


def test_it_reconciles_at_start_and_then_through_the_scheduler(compose):
    script = (ROOT / "bin" / "docker-entrypoint").read_text()
    assert script.index("manage.py ensure_indexes") < script.index("manage.py reconcile") < script.index('exec "$@"')
    # No shell loop any more: the scheduler enqueues the reconcile task every minute (records/tasks.py).
    assert "reconcile" not in compose["services"]
    assert not any("sleep" in " ".join(definition.get("command", [])) for definition in compose["services"].values())


@pytest.mark.parametrize(
    ("service", "command"),
    [("worker", ["python", "manage.py", "db_worker"]), ("scheduler", ["python", "manage.py", "crontask"])],
)
def test_the_worker_and_the_scheduler_run_the_web_image_against_the_same_stores(compose, web_env, service, command):
    definition = compose["services"][service]
    assert definition["command"] == command
    assert definition["build"] == compose["services"]["web"]["build"], "same image as web"
    assert definition["restart"] == "unless-stopped"
    assert definition["depends_on"]["web"]["condition"] == "service_healthy", "web migrates first"
    # It serves no HTTP, so the image's /livez check would only ever fail.
    assert definition["healthcheck"] == {"disable": True}
    assert "ports" not in definition
    env = service_env(compose, service)
    assert env["MEDLY_SKIP_SETUP"] == "1", "only web migrates"
    assert {name: value for name, value in env.items() if name != "MEDLY_SKIP_SETUP"} == web_env


def test_the_scheduler_locks_through_the_shared_redis_so_only_one_enqueues(compose):
    # settings.CRONTASK takes its lock from REDIS_URL: the same Redis for every scheduler.
    assert service_env(compose, "scheduler")["REDIS_URL"] == "redis://redis:6379/0"


def test_links_in_emails_point_at_the_published_address(web_env):
    assert web_env["SITE_URL"] == "http://localhost:8000"


def test_phone_reminders_go_to_the_workers_log_until_twilio_is_configured(web_env):
    for name in ("REMINDER_SMS_BACKEND", "REMINDER_WHATSAPP_BACKEND"):
        assert web_env[name] == "reminders.backends.console.ConsoleBackend"
