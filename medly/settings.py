"""Medly settings, read once from the environment (see README "Configuration")."""

from datetime import timedelta
from pathlib import Path

from django.core.exceptions import ImproperlyConfigured
from django.utils.csp import CSP

from medly.env import (
    database_from_url,
    env_bool,
    env_int,
    env_list,
    env_str,
    redis_sentinels,
    replica_database,
    sentinel_location,
)

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(env_str("MEDLY_VAR_DIR", str(BASE_DIR / "var")))

DEBUG = env_bool("DEBUG", True)

DEVELOPMENT_SECRET_KEY = "development-only-insecure-key-never-use-in-production"  # noqa: S105
# docker-compose.yml's default key carries this marker; `check --deploy` warns about it.
LOCAL_ONLY_KEY_MARKER = "compose-local-only"
MIN_SECRET_KEY_LENGTH = 50
SECRET_KEY = env_str("SECRET_KEY")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG=0")
    SECRET_KEY = DEVELOPMENT_SECRET_KEY
if not DEBUG and SECRET_KEY == DEVELOPMENT_SECRET_KEY:
    raise ImproperlyConfigured("SECRET_KEY is Medly's development key: set a random one when DEBUG=0")
if not DEBUG and len(SECRET_KEY) < MIN_SECRET_KEY_LENGTH:
    raise ImproperlyConfigured(
        f"SECRET_KEY must be at least {MIN_SECRET_KEY_LENGTH} characters when DEBUG=0 (it has {len(SECRET_KEY)}); "
        "e.g. python3 -c 'import secrets; print(secrets.token_urlsafe(50))'"
    )

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost", "[::1]"])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "medly.apps.MedlyConfig",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "axes",
    "django_tasks_db",
    "crontask",
    # Before accounts: their admin registrations exist by the time twofactor/admin.py removes them.
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "django_otp_webauthn",
    "accounts",
    "records",
    "scheduling",
    "waitlist",
    "reminders",
    "twofactor",
    "desk",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "medly.headers.HealthDataHeadersMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "twofactor.middleware.SecondFactorMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "axes.middleware.AxesMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
]

ROOT_URLCONF = "medly.urls"
WSGI_APPLICATION = "medly.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "medly.context_processors.clinic",
            ],
        },
    },
]

# --- MySQL (MariaDB) -------------------------------------------------------
# Persistent connections: a request reuses its worker thread's connection (measured in bench/README.md,
# "Serving: workers and connections"); the health check replaces one the server closed (a MariaDB restart)
# at the next request instead of answering 500. A conn_max_age / conn_health_checks in the URL wins.
DATABASES = {
    "default": database_from_url(
        env_str("DATABASE_URL"),
        sqlite_fallback=VAR_DIR / "medly.sqlite3",
        conn_max_age=env_int("DATABASE_CONN_MAX_AGE", 60),
        conn_health_checks=env_bool("DATABASE_CONN_HEALTH_CHECKS", True),
    )
}
# A MySQL read replica of the primary (medly/replicas.py): the public directory and doctor pages read
# from it when it has caught up with every committed schedule change; everything else uses the primary.
DATABASE_REPLICA_URL = env_str("DATABASE_REPLICA_URL")
if DATABASE_REPLICA_URL:
    DATABASES["replica"] = replica_database(DATABASE_REPLICA_URL, primary=DATABASES["default"])
DATABASE_ROUTERS = ["medly.db_router.PrimaryReplicaRouter"]
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- MongoDB ---------------------------------------------------------------
EMBEDDED_MONGO_PORT = env_int("EMBEDDED_MONGO_PORT", 27027)
MONGO_URI = env_str("MONGO_URI") or f"mongodb://127.0.0.1:{EMBEDDED_MONGO_PORT}/medly"
# How long to wait for a primary (and for a majority to acknowledge a write).
# Production outlasts a replica-set election (~10 s); development fails in two
# seconds. Options written in MONGO_URI win over what this sets.
MONGO_TIMEOUT_MS = env_int("MONGO_TIMEOUT_MS", 2000 if DEBUG else 12000)

# --- Redis: cache and sessions --------------------------------------------
REDIS_URL = env_str("REDIS_URL")
# Redis Sentinel (optional): REDIS_SENTINELS=host:port,host:port finds the current master of
# REDIS_SENTINEL_MASTER; REDIS_URL then only names the database (and password), its host is ignored.
REDIS_SENTINELS = redis_sentinels(env_str("REDIS_SENTINELS", ""))
REDIS_SENTINEL_MASTER = env_str("REDIS_SENTINEL_MASTER", "mymaster")
if REDIS_URL or REDIS_SENTINELS:
    CACHES = {
        "default": {
            "BACKEND": "django_redis.cache.RedisCache",
            "LOCATION": REDIS_URL or "",
            "KEY_PREFIX": env_str("CACHE_KEY_PREFIX", "medly"),
            "OPTIONS": {
                "CLIENT_CLASS": "django_redis.client.DefaultClient",
                "SOCKET_CONNECT_TIMEOUT": 1,
                "SOCKET_TIMEOUT": 1,
            },
        }
    }
    if REDIS_SENTINELS:
        CACHES["default"]["LOCATION"] = sentinel_location(REDIS_URL, REDIS_SENTINEL_MASTER)
        CACHES["default"]["OPTIONS"] |= {
            "CLIENT_CLASS": "django_redis.client.SentinelClient",
            "CONNECTION_FACTORY": "django_redis.pool.SentinelConnectionFactory",
            "SENTINELS": REDIS_SENTINELS,
            "SENTINEL_KWARGS": {"socket_connect_timeout": 1, "socket_timeout": 1},
        }
else:
    # Without Redis, a file cache still shares sessions across gunicorn workers.
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": str(VAR_DIR / "cache"),
        }
    }

SESSION_ENGINE = "medly.sessions"
SESSION_COOKIE_NAME = "medly"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_AGE = env_int("SESSION_COOKIE_AGE", 60 * 60 * 12)

# --- Accounts ----------------------------------------------------------------
AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2SHA1PasswordHasher",
    "django.contrib.auth.hashers.ScryptPasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "home"
PRIVACY_NOTICE_VERSION = "2026-11"
# A doctor reads a patient's record while they have an open appointment with them starting
# at most this many days ahead (or a completed one): see records/permissions.py.
RECORD_ACCESS_DAYS_AHEAD = env_int("RECORD_ACCESS_DAYS_AHEAD", 7)
if RECORD_ACCESS_DAYS_AHEAD < 0:
    raise ImproperlyConfigured("RECORD_ACCESS_DAYS_AHEAD must be 0 or more")

# --- Second factor (twofactor/) ----------------------------------------------
# Administrators always sign in with a second factor (an authenticator app's code,
# a passkey, or a recovery code); doctors and reception too when this is on;
# patients may choose one.
SECOND_FACTOR_FOR_STAFF = env_bool("SECOND_FACTOR_FOR_STAFF", False)
SECOND_FACTOR_FAILURE_LIMIT = env_int("SECOND_FACTOR_FAILURE_LIMIT", 5)
SECOND_FACTOR_RECOVERY_CODES = 10
OTP_TOTP_ISSUER = "Medly"
# Each wrong code doubles the wait before the next one on that device (django-otp's throttle).
OTP_TOTP_THROTTLE_FACTOR = 1
OTP_STATIC_THROTTLE_FACTOR = 1

# --- Client address behind proxies ------------------------------------------
# How many proxies in front of Medly append to X-Forwarded-For; 0 = the
# address of the peer. See medly/client.py.
TRUSTED_PROXY_COUNT = env_int("TRUSTED_PROXY_COUNT", 0)
if TRUSTED_PROXY_COUNT < 0:
    raise ImproperlyConfigured(f"TRUSTED_PROXY_COUNT must be 0 or more, got {TRUSTED_PROXY_COUNT}")

# --- Login and sign-up throttling (accounts/throttling.py) -------------------
# A wrong guess counts against the pair (account, address) and against the
# address; nothing resets the counts but time, so signing in to one's own
# account between guesses gains nothing. An account itself is never locked:
# past AXES_FAILURE_LIMIT failures from all addresses it takes one attempt per
# LOGIN_ACCOUNT_INTERVAL_SECONDS.
AXES_HANDLER = "accounts.throttling.LoginAttemptHandler"
AXES_FAILURE_LIMIT = env_int("AXES_FAILURE_LIMIT", 5)
AXES_IP_FAILURE_LIMIT = env_int("AXES_IP_FAILURE_LIMIT", 4 * AXES_FAILURE_LIMIT)
AXES_COOLOFF_TIME = timedelta(minutes=env_int("AXES_COOLOFF_MINUTES", 15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"], "ip_address"]
AXES_RESET_ON_SUCCESS = False
# A refused attempt is not counted, so the time the 429 page gives stays true.
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
AXES_LOCKOUT_CALLABLE = "accounts.views.login_locked_out"
AXES_USERNAME_FORM_FIELD = "username"
AXES_USERNAME_CALLABLE = "accounts.throttling.login_username"
AXES_CLIENT_IP_CALLABLE = "medly.client.client_ip"
AXES_VERBOSE = False
LOGIN_ACCOUNT_INTERVAL_SECONDS = env_int("LOGIN_ACCOUNT_INTERVAL_SECONDS", 5)
SIGNUPS_PER_HOUR_PER_ADDRESS = env_int("SIGNUPS_PER_HOUR_PER_ADDRESS", 10)
PASSWORD_RESETS_PER_HOUR_PER_ADDRESS = env_int("PASSWORD_RESETS_PER_HOUR_PER_ADDRESS", 10)
PASSWORD_RESETS_PER_HOUR_PER_EMAIL = env_int("PASSWORD_RESETS_PER_HOUR_PER_EMAIL", 3)
for _name in (
    "AXES_FAILURE_LIMIT",
    "AXES_IP_FAILURE_LIMIT",
    "LOGIN_ACCOUNT_INTERVAL_SECONDS",
    "SIGNUPS_PER_HOUR_PER_ADDRESS",
    "AXES_COOLOFF_MINUTES",
    "PASSWORD_RESETS_PER_HOUR_PER_ADDRESS",
    "PASSWORD_RESETS_PER_HOUR_PER_EMAIL",
):
    if env_int(_name, 1) < 1:
        raise ImproperlyConfigured(f"{_name} must be 1 or more")

# --- Scheduling ----------------------------------------------------------------
# Patients may cancel or move an appointment online up to this long before it starts.
PATIENT_CHANGE_CUTOFF_MINUTES = env_int("PATIENT_CHANGE_CUTOFF_MINUTES", 120)
AVAILABILITY_MAX_DAYS = 180
# Future appointments one patient may hold when booking for themselves (reception and admins may exceed it).
MAX_FUTURE_APPOINTMENTS = env_int("MAX_FUTURE_APPOINTMENTS", 4)
if MAX_FUTURE_APPOINTMENTS < 1:
    raise ImproperlyConfigured("MAX_FUTURE_APPOINTMENTS must be at least 1")

# A freed slot offered to a waiting patient is held for them this long before it passes to the next one.
WAITLIST_HOLD_MINUTES = env_int("WAITLIST_HOLD_MINUTES", 30)
if WAITLIST_HOLD_MINUTES < 1:
    raise ImproperlyConfigured("WAITLIST_HOLD_MINUTES must be at least 1")

# --- Cross-store operation log (records/coordinator.py) ----------------------
# A failed operation is retried after OPERATION_RETRY_BASE_SECONDS, doubling
# each time up to OPERATION_RETRY_MAX_SECONDS; after OPERATION_ATTENTION_AFTER
# failures it is flagged "needs attention" (admin, healthz, check_consistency).
OPERATION_RETRY_BASE_SECONDS = env_int("OPERATION_RETRY_BASE_SECONDS", 30)
OPERATION_RETRY_MAX_SECONDS = env_int("OPERATION_RETRY_MAX_SECONDS", 60 * 60)
OPERATION_ATTENTION_AFTER = env_int("OPERATION_ATTENTION_AFTER", 5)

# --- Internationalisation ----------------------------------------------------
LANGUAGE_CODE = "en"
# Each language is named in itself, so the names are not translated.
LANGUAGES = [("en", "English"), ("es-mx", "Español")]
LOCALE_PATHS = [BASE_DIR / "locale"]
# One date and time format per language, for pages and emails alike (medly/formats/<locale>/formats.py).
FORMAT_MODULE_PATH = ["medly.formats"]
TIME_ZONE = env_str("TIME_ZONE", "America/Merida")
USE_I18N = True
USE_TZ = True

# --- Static files --------------------------------------------------------------
STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = Path(env_str("STATIC_ROOT", str(BASE_DIR / "staticfiles")))
# Uploaded files (doctors' photos), written through the default storage; served by Medly's own views
# (WhiteNoise serves static files only). Keep it out of the code tree in production (a volume).
MEDIA_ROOT = Path(env_str("MEDIA_ROOT", str(VAR_DIR / "media")))
MEDIA_URL = "media/"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}

# --- Email -----------------------------------------------------------------
# Development prints mail on the console; production sends it through SMTP.
EMAIL_BACKEND_NAME = env_str(
    "EMAIL_BACKEND",
    "django.core.mail.backends.console.EmailBackend" if DEBUG else "django.core.mail.backends.smtp.EmailBackend",
)
MAILERS = {"default": {"BACKEND": EMAIL_BACKEND_NAME}}
if EMAIL_BACKEND_NAME.endswith("filebased.EmailBackend"):
    # One file per message under EMAIL_FILE_PATH (the contract's name for it).
    MAILERS["default"]["OPTIONS"] = {"file_path": env_str("EMAIL_FILE_PATH", str(VAR_DIR / "mail"))}
if EMAIL_BACKEND_NAME.endswith("smtp.EmailBackend"):
    MAILERS["default"]["OPTIONS"] = {
        "host": env_str("EMAIL_HOST", "localhost"),
        "port": env_int("EMAIL_PORT", 25),
        "username": env_str("EMAIL_HOST_USER", ""),
        "password": env_str("EMAIL_HOST_PASSWORD", ""),
        "use_tls": env_bool("EMAIL_USE_TLS", False),
        "timeout": 10,
    }
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "Medly <no-reply@medly.test>")
# Where the links in emails and calendar files point (scheme, host and port; no trailing slash).
SITE_URL = env_str("SITE_URL", "http://127.0.0.1:8000").rstrip("/")
# Passkeys are bound to the host name the browser sees (the relying party, one of
# ALLOWED_HOSTS) and accepted only from these origins; a passkey is a second factor,
# never a login on its own.
OTP_WEBAUTHN_RP_ID_CALLABLE = "twofactor.passkeys.relying_party_id"
OTP_WEBAUTHN_RP_NAME = "Medly"
# Browsers allow passkeys only on HTTPS or on localhost (never on an IP address such as 127.0.0.1).
PASSKEY_DEFAULT_ORIGIN = SITE_URL if SITE_URL.startswith(("https://", "http://localhost")) else "http://localhost:8000"
OTP_WEBAUTHN_ALLOWED_ORIGINS = env_list("OTP_WEBAUTHN_ALLOWED_ORIGINS", [PASSKEY_DEFAULT_ORIGIN])
OTP_WEBAUTHN_ALLOW_PASSWORDLESS_LOGIN = False
# Attempts of one message before it is given up (each failure waits twice as long as the one before).
EMAIL_MAX_ATTEMPTS = env_int("EMAIL_MAX_ATTEMPTS", 6)
EMAIL_RETRY_BASE_SECONDS = env_int("EMAIL_RETRY_BASE_SECONDS", 60)

# --- Background work: django.tasks on MySQL (django-tasks-db) ---------------
# A task is a row in the same database as the booking: enqueued in (or on commit
# of) the booking's transaction, it exists exactly when the booking does.
# `manage.py db_worker` runs them; `manage.py crontask` enqueues the periodic ones.
TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
# With Redis, one crontask scheduler holds a lock, so several hosts never enqueue a periodic task twice.
CRONTASK = {"REDIS_URL": REDIS_URL}

# --- Appointment reminders (reminders/) ---------------------------------------
# A reminder goes out REMINDER_MINUTES_BEFORE the appointment by email, and by SMS
# or WhatsApp to patients who opted in. Each channel is a backend class:
# reminders.backends.console.ConsoleBackend prints, reminders.backends.file.FileBackend
# writes JSON lines under REMINDER_FILE_PATH, reminders.backends.twilio.TwilioSMSBackend
# and TwilioWhatsAppBackend send through Twilio.
REMINDER_MINUTES_BEFORE = env_int("REMINDER_MINUTES_BEFORE", 1440)
if REMINDER_MINUTES_BEFORE < 1:
    raise ImproperlyConfigured("REMINDER_MINUTES_BEFORE must be at least 1")
REMINDER_SMS_BACKEND = env_str(
    "REMINDER_SMS_BACKEND",
    "reminders.backends.console.ConsoleBackend" if DEBUG else "reminders.backends.twilio.TwilioSMSBackend",
)
REMINDER_WHATSAPP_BACKEND = env_str(
    "REMINDER_WHATSAPP_BACKEND",
    "reminders.backends.console.ConsoleBackend" if DEBUG else "reminders.backends.twilio.TwilioWhatsAppBackend",
)
REMINDER_FILE_PATH = env_str("REMINDER_FILE_PATH", str(VAR_DIR / "reminders"))
# A reminder claimed this long ago by a worker that never finished it (killed) is taken again.
REMINDER_CLAIM_TIMEOUT_SECONDS = env_int("REMINDER_CLAIM_TIMEOUT_SECONDS", 300)
TWILIO_ACCOUNT_SID = env_str("TWILIO_ACCOUNT_SID", "")
TWILIO_AUTH_TOKEN = env_str("TWILIO_AUTH_TOKEN", "")
TWILIO_SMS_FROM = env_str("TWILIO_SMS_FROM", "")
TWILIO_WHATSAPP_FROM = env_str("TWILIO_WHATSAPP_FROM", "")
# WhatsApp allows a business-initiated message outside the 24-hour window only as a
# pre-approved template: its content SID (HX...), filled with the variables 1-5.
TWILIO_WHATSAPP_TEMPLATE_SID = env_str("TWILIO_WHATSAPP_TEMPLATE_SID", "")

# --- Production hardening (DEBUG=0) -----------------------------------------
# MEDLY_PLAIN_HTTP=1 is for a production-mode Medly reached over plain HTTP on a
# trusted host (docker compose on one machine): no HTTPS redirect, no Secure
# cookies, no HSTS. Behind a TLS-terminating proxy leave it unset.
PLAIN_HTTP = env_bool("MEDLY_PLAIN_HTTP", False)
HTTPS_ONLY = not DEBUG and not PLAIN_HTTP
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SESSION_COOKIE_SECURE = HTTPS_ONLY
CSRF_COOKIE_SECURE = HTTPS_ONLY
SECURE_SSL_REDIRECT = HTTPS_ONLY
# Health checks come from inside the network over plain HTTP.
SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^livez$"]
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 60 * 60 * 24 * 365) if HTTPS_ONLY else 0
SECURE_HSTS_INCLUDE_SUBDOMAINS = HTTPS_ONLY
SECURE_HSTS_PRELOAD = HTTPS_ONLY
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"

# --- Browser security headers (medly/headers.py) ---------------------------
# Scripts and styles come only from Medly's own static files: no inline script,
# no inline event handler, no style attribute in any template.
SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF],
    "style-src": [CSP.SELF],
    "object-src": [CSP.NONE],
    "base-uri": [CSP.SELF],
    "frame-ancestors": [CSP.NONE],
    "form-action": [CSP.SELF],
}

# --- Logging: requests and errors, never SQL or mail bodies --------------
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": "INFO"},
    "loggers": {
        "django.db.backends": {"level": "WARNING", "propagate": True},
        "pymongo": {"level": "WARNING", "propagate": True},
        "axes": {"level": "WARNING", "propagate": True},
    },
}
