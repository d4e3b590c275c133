"""Settings for proms, read from the environment with defaults for a local, server-less run.

With no environment at all the service runs on SQLite with Celery tasks executed in-process
(eager), so one command brings up a working demo. Set ``DATABASE_URL`` for PostgreSQL and
``REDIS_URL`` for a real Celery broker and cache (see README, Configuration).
"""

from __future__ import annotations

import datetime as dt
import os
import re
import sys
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    if value.lower() in {"1", "true", "yes", "on"}:
        return True
    if value.lower() in {"0", "false", "no", "off"}:
        return False
    raise ImproperlyConfigured(f"{name} must be true or false, not {value!r}.")


def env_list(name: str, default: str) -> list[str]:
    return [part.strip() for part in os.environ.get(name, default).split(",") if part.strip()]


DEBUG = env_bool("DEBUG", False)
INSECURE_SECRET_KEY = "insecure-local-development-key-do-not-use-in-production"  # noqa: S105
SECRET_KEY = os.environ.get("SECRET_KEY") or INSECURE_SECRET_KEY
# Production mode (DEBUG off) never runs on the public development key: gunicorn, the Celery
# worker and beat (which seal patient links with it) and manage.py all stop here. Only the test
# suite is let through (pytest sets PYTEST_VERSION); `check --deploy` reports proms.E001 for a
# debug run on the development key (proms/checks.py).
# Commands that read the code and sign nothing (the migration check a build or a pre-commit hook
# runs, static files at image build) also run without a key; a real deployment's processes
# (gunicorn, Celery, migrate, every other command) still stop.
KEYLESS_COMMANDS = frozenset({"makemigrations", "showmigrations", "sqlmigrate", "collectstatic"})
_command = sys.argv[1] if len(sys.argv) > 1 and sys.argv[0].endswith("manage.py") else None
if (
    not DEBUG
    and SECRET_KEY == INSECURE_SECRET_KEY
    and "PYTEST_VERSION" not in os.environ
    and _command not in KEYLESS_COMMANDS
):
    raise ImproperlyConfigured(
        "SECRET_KEY is not set. Set it (a long random value, kept secret), or set DEBUG=true "
        "for local development."
    )

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "127.0.0.1,localhost" if DEBUG else "")
# Reverse proxies in front of the service that append to X-Forwarded-For (docker-compose.yml:
# one, the TLS proxy). Guessing limits and API throttles count the address the nearest of them
# saw (proms/clients.py); 0 ignores the header, which any client can forge.
TRUSTED_PROXY_COUNT = int(os.environ.get("TRUSTED_PROXY_COUNT", "0"))
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", "")
# A friendly page, not Django's technical 403, when a form's CSRF token is missing or old.
CSRF_FAILURE_VIEW = "surveys.views_patient.csrf_failure"

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",  # Swagger UI served from our own static files, no CDN
    "crispy_forms",
    "axes",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "outcomes",
    "accounts",
    "surveys",
    "notifications",
    "analytics",
    "care",
    "dashboard",
    "reports",
    "value",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "accounts.middleware.StaffSessionIdleTimeout",
    "accounts.middleware.SecondFactorRequired",
    "dashboard.cache.ComputedOncePerRequest",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "proms.headers.PermissionsPolicy",
    # Last, as django-axes requires: turns a lock-out into our polite 429 page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "proms.urls"
WSGI_APPLICATION = "proms.wsgi.application"
ASGI_APPLICATION = "proms.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

# Database: SQLite in the checkout unless DATABASE_URL names another (e.g. PostgreSQL).
DATABASES = {
    "default": dj_database_url.config(
        default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}",
        conn_max_age=int(os.environ.get("DB_CONN_MAX_AGE", "60")),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Many readers with one writer is what the local demo needs; WAL avoids "database is locked".
    DATABASES["default"]["OPTIONS"] = {
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        "transaction_mode": "IMMEDIATE",
    }
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    # The response-rate index's INCLUDE columns (surveys.Invitation) serve PostgreSQL's
    # index-only scans; SQLite, for local use, builds the same index without them.
    SILENCED_SYSTEM_CHECKS = ["models.W040"]
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Redis: Celery broker and result backend, and the shared cache (throttling, sessions).
REDIS_URL = os.environ.get("REDIS_URL", "")
if REDIS_URL:
    CACHES = {
        "default": {
            # Degrades to "no cache" during a Redis outage instead of failing requests.
            "BACKEND": "proms.cache.ResilientRedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": "proms",
            "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 0.5},
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

CELERY_BROKER_URL = REDIS_URL or "memory://"
CELERY_RESULT_BACKEND = REDIS_URL or None
# Without a broker the tasks run in the web process, so the local service needs no servers.
CELERY_TASK_ALWAYS_EAGER = env_bool("CELERY_TASK_ALWAYS_EAGER", not REDIS_URL)
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# Ride out a Redis outage of any length: retry the broker forever (Celery's default gives up
# after 100 tries and the worker exits for good), and never wait on task results. Outcomes live
# in the database (the outbox), so results are ignored unless a caller asks (the health ping):
# a publisher that keeps results subscribes to Redis for each task it sends, and after 20 failed
# reconnections Celery's Redis result consumer gives up until the process is restarted
# (tests/integration/test_broker_outage.py).
CELERY_BROKER_CONNECTION_MAX_RETRIES = None
CELERY_TASK_IGNORE_RESULT = True
CELERY_TIMEZONE = "Europe/London"
# The queue tasks go to and workers read (`celery worker -Q`); deployments sharing a Redis, and
# concurrent test runs, each use their own.
CELERY_TASK_DEFAULT_QUEUE = os.environ.get("CELERY_TASK_DEFAULT_QUEUE", "celery")

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-gb"
LANGUAGES = [("en-gb", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Europe/London"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = Path(os.environ.get("STATIC_ROOT", BASE_DIR / "staticfiles"))  # collectstatic
STATICFILES_DIRS = [BASE_DIR / "static"]
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

# Our own crispy template pack in the NHS.UK design system's markup (templates/nhsuk/).
CRISPY_ALLOWED_TEMPLATE_PACKS = ["nhsuk"]
CRISPY_TEMPLATE_PACK = "nhsuk"

# --- Staff accounts (accounts/, docs/operations.md "Staff accounts") -------------------------
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "staff:home"
LOGOUT_REDIRECT_URL = "login"
SESSION_COOKIE_AGE = 8 * 60 * 60  # a working day for staff at most, however active
# Signed out after this many minutes without a request (accounts.middleware), configurable.
STAFF_IDLE_MINUTES = int(os.environ.get("STAFF_IDLE_MINUTES", "30"))
# Reverse proxies in front of the service that append to X-Forwarded-For; the client address
# of every throttle and lock-out is read behind exactly this many (proms/client_address.py).
TRUSTED_PROXY_COUNT = int(os.environ.get("TRUSTED_PROXY_COUNT", "0"))
# Log-in throttle (django-axes): failures counted in PostgreSQL (the database handler, so the
# count survives a Redis outage or restart), per account and, separately, per client address.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_HANDLER = "axes.handlers.database.AxesDatabaseHandler"
AXES_FAILURE_LIMIT = int(os.environ.get("LOGIN_FAILURE_LIMIT", "5"))
AXES_COOLOFF_TIME = dt.timedelta(minutes=int(os.environ.get("LOGIN_LOCKOUT_MINUTES", "15")))
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
AXES_RESET_ON_SUCCESS = True
AXES_CLIENT_IP_CALLABLE = "proms.client_address.client_address"
AXES_LOCKOUT_CALLABLE = "accounts.views.locked_out"
AXES_VERBOSE = False  # our own audit records and logs carry ids; axes would log user names
AXES_SENSITIVE_PARAMETERS = ["username", "ip_address", "password"]
# Second factor (django-otp): TOTP from an authenticator app, one-time backup codes to recover.
OTP_TOTP_ISSUER = "MSK Together PROMs"
OTP_STATIC_THROTTLE_FACTOR = 1
OTP_TOTP_THROTTLE_FACTOR = 1

EMAIL_BACKEND = os.environ.get("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "proms@localhost")
# The address patients' links start with, e.g. https://proms.example.nhs.uk
PUBLIC_BASE_URL = os.environ.get("PUBLIC_BASE_URL", "http://127.0.0.1:8000")
# manage.py demo_setup: patients in the bulk two-year history behind the detailed demo ones.
DEMO_HISTORY_PATIENTS = int(os.environ.get("DEMO_HISTORY_PATIENTS", "9000"))

REST_FRAMEWORK = {
    "DEFAULT_RENDERER_CLASSES": [
        "rest_framework.renderers.JSONRenderer",
        "outcomes.renderers.CsvRenderer",  # ?format=csv
    ],
    # DRF's JSON parser, refusing deep nesting with a 400 rather than a RecursionError 500.
    "DEFAULT_PARSER_CLASSES": ["proms.parsers.JSONParser"],
    # API keys (outcomes/authentication.py) for clients; sessions for signed-in staff.
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "outcomes.authentication.ApiKeyAuthentication",
        # Staff sessions count only once the second factor is verified (accounts/).
        "accounts.authentication.VerifiedSessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.AllowAny"],
    "DEFAULT_THROTTLE_CLASSES": ["rest_framework.throttling.AnonRateThrottle"],
    # Per API key (outcomes/throttling.py): "aggregate" for summaries, "export" for patient rows.
    "DEFAULT_THROTTLE_RATES": {
        "anon": os.environ.get("API_ANON_RATE", "600/minute"),
        "aggregate": os.environ.get("API_AGGREGATE_RATE", "600/minute"),
        "export": os.environ.get("API_EXPORT_RATE", "60/minute"),
    },
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "proms.api.exception_handler",
    "UNAUTHENTICATED_USER": None,
    "NUM_PROXIES": TRUSTED_PROXY_COUNT,  # the client address rule of proms/clients.py
    # ?format= must name a format the operation has (400 otherwise, as the schema says).
    "DEFAULT_CONTENT_NEGOTIATION_CLASS": "proms.negotiation.StrictFormatNegotiation",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "MSK Together PROMs API",
    "DESCRIPTION": (
        "Instrument definitions (public), harmonised outcome figures (any API key) and "
        "pseudonymised patient-level exports (API keys scoped to providers)."
    ),
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    # Django's <slug:...> as a pattern, so clients (and schemathesis) know what a code may be.
    "PATH_CONVERTER_OVERRIDES": {"slug": {"type": "string", "pattern": "^[-a-zA-Z0-9_]+$"}},
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "proms.api.document_bad_format",  # the 400 for an unknown ?format=
    ],
}
# Pseudonymous patient ids in exports are HMAC-SHA256(PSEUDONYM_KEY, patient id): stable across
# exports, so a patient's responses link up, and not reversible without this key. Keep it secret
# and never change it casually (every pseudonym changes with it). Defaults to SECRET_KEY locally.
PSEUDONYM_KEY = os.environ.get("PSEUDONYM_KEY") or SECRET_KEY
if DEBUG:
    REST_FRAMEWORK["DEFAULT_RENDERER_CLASSES"].append(
        "rest_framework.renderers.BrowsableAPIRenderer"
    )

# Security headers; HTTPS-only settings switch on outside DEBUG (docs/operations.md).
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True
# Content-Security-Policy (django-csp): our own files only, no inline script or style anywhere
# (JavaScript lives in static files; the page's progress bar is a class, not a style attribute).
# The API docs page (Swagger UI) adds only 'unsafe-inline' styles (outcomes/urls.py).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'none'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],  # data: only for the empty favicon (templates/base.html)
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "manifest-src": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
        "base-uri": ["'none'"],
        "object-src": ["'none'"],
    }
}
# Key rotation (docs/operations.md "Rotate keys"): the previous SECRET_KEY(s), comma-separated,
# still verify sessions, signed cookies and sealed links while they age out.
SECRET_KEY_FALLBACKS = env_list("SECRET_KEY_FALLBACKS", "")
# Bearer token for /healthz/metrics (queue length, outbox age) from a monitoring system; staff
# with a verified log-in read it without one (docs/operations.md "What to watch").
METRICS_TOKEN = os.environ.get("METRICS_TOKEN", "")
# Browser features no page uses, switched off (proms/headers.py).
PERMISSIONS_POLICY = "camera=(), microphone=(), geolocation=(), payment=(), usb=()"
if not DEBUG:
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", False)  # usually the proxy redirects
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = int(os.environ.get("SECURE_HSTS_SECONDS", "31536000"))
    SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", False)
    SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", False)

# Logs carry ids, never names, NHS numbers or tokens (see CONVENTIONS.md).
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    # Patient links are secrets: every line through this handler has them redacted.
    "filters": {"redact_patient_links": {"()": "proms.logging.RedactPatientLinks"}},
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": "plain",
            "filters": ["redact_patient_links"],
        },
        "server": {"class": "logging.StreamHandler", "filters": ["redact_patient_links"]},
    },
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        # runserver's access log: same lines as Django's default, links redacted.
        "django.server": {"handlers": ["server"], "level": "INFO", "propagate": False},
    },
}

# Where licensees keep licensed instrument wording (never committed; see README).
LICENSED_WORDING_DIR = Path(os.environ.get("LICENSED_WORDING_DIR", BASE_DIR / "licensed"))
# Whether a licensed instrument without imported wording may show its neutral placeholder labels
# to a patient. The demo (DEBUG) says so on every such page; in production (false) a pathway whose
# instruments lack patient wording cannot be enrolled on, its invitations are held and
# ``manage.py check --database default`` warns (outcomes.W001).
ALLOW_PLACEHOLDER_WORDING = env_bool("ALLOW_PLACEHOLDER_WORDING", DEBUG)

# The organisation that runs this service, named on the accessibility statement, the privacy
# notice and the contact page. Unset, those pages show a marked placeholder in their place.
SERVICE_ORGANISATION = {
    "name": os.environ.get("SERVICE_ORGANISATION_NAME", ""),
    "phone": os.environ.get("SERVICE_CONTACT_PHONE", ""),
    "email": os.environ.get("SERVICE_CONTACT_EMAIL", ""),
    "address": os.environ.get("SERVICE_POSTAL_ADDRESS", ""),
    "dpo_email": os.environ.get("SERVICE_DPO_EMAIL", ""),
    "statement_date": os.environ.get("SERVICE_ACCESSIBILITY_STATEMENT_DATE", ""),
}

# Disclosure control of every aggregate the API publishes (analytics/disclosure.py,
# docs/methods.md): cells from 1 to DISCLOSURE_MIN_CELL - 1 patients are withheld, counts are
# rounded to the nearest DISCLOSURE_ROUND_TO (0 = no rounding) and case-mix adjusted figures
# need DISCLOSURE_MIN_ADJUSTED modelled patients (NHS PROMs: 30).
DISCLOSURE_MIN_CELL = int(os.environ.get("DISCLOSURE_MIN_CELL", "8"))
DISCLOSURE_ROUND_TO = int(os.environ.get("DISCLOSURE_ROUND_TO", "5"))
DISCLOSURE_MIN_ADJUSTED = int(os.environ.get("DISCLOSURE_MIN_ADJUSTED", "30"))
# Seconds to cache an aggregate answer (keyed by query and the newest response, invitation and
# episode ids, so new data are never hidden). 0 = off (local runs, tests); 300 in production.
OUTCOME_SUMMARY_CACHE_SECONDS = int(os.environ.get("OUTCOME_SUMMARY_CACHE_SECONDS", "0"))
# Dashboard figures and chart images (docs/dashboard.md): keyed by the data version, so a new
# response shows at once; the TTL bounds how long an edit (e.g. an expired invitation) waits.
DASHBOARD_CACHE_SECONDS = int(os.environ.get("DASHBOARD_CACHE_SECONDS", "300"))
# A dashboard page's figures, and the independent reads inside one, run this many at a time
# on PostgreSQL, each on its own database connection (proms/side_by_side.py); 1 = one by one.
FIGURE_THREADS = int(os.environ.get("FIGURE_THREADS", "2"))

# Value reports (value/analysis.py): the page, its chart and the API share one computation; the
# key changes with new responses, activity, unit costs and budgets (docs/value.md).
VALUE_REPORT_CACHE_SECONDS = int(os.environ.get("VALUE_REPORT_CACHE_SECONDS", "300"))

# Follow-up messages (notifications/; README "Follow-ups and notifications").
# GOV.UK Notify sends SMS and e-mail when NOTIFY_API_KEY is set; otherwise SMS are written to the
# console and e-mail goes through Django's EMAIL_BACKEND (console locally, SMTP in production).
NOTIFY_API_KEY = os.environ.get("NOTIFY_API_KEY", "")
NOTIFY_BASE_URL = os.environ.get("NOTIFY_BASE_URL", "https://api.notifications.service.gov.uk")
# Notify template ids, e.g. NOTIFY_TEMPLATE_SMS_INVITE; personalisation: first_name and link.
# A language's own template adds its code: NOTIFY_TEMPLATE_SMS_INVITE_CY (key "sms:invite:cy");
# patients in a language with no template of its own get the English one.
NOTIFY_TEMPLATES = {
    f"{channel}:{kind}": os.environ.get(f"NOTIFY_TEMPLATE_{channel.upper()}_{kind.upper()}", "")
    for channel in ("sms", "email")
    for kind in ("invite", "reminder", "resend")
}


def notify_language_templates(environ) -> dict[str, str]:
    """``NOTIFY_TEMPLATE_<CHANNEL>_<KIND>_<LANGUAGE>`` variables as ``channel:kind:language``."""
    found = {}
    pattern = r"NOTIFY_TEMPLATE_(SMS|EMAIL)_(INVITE|REMINDER|RESEND)_([A-Z]+(?:_[A-Z]+)?)"
    for name, value in environ.items():
        match = re.fullmatch(pattern, name)
        if match and value:
            channel, kind, language = (part.lower() for part in match.groups())
            found[f"{channel}:{kind}:{language.replace('_', '-')}"] = value
    return found


NOTIFY_TEMPLATES.update(notify_language_templates(os.environ))
# Bearer token Notify presents on delivery-receipt and inbound-SMS callbacks.
NOTIFY_CALLBACK_TOKEN = os.environ.get("NOTIFY_CALLBACK_TOKEN", "")
NOTIFICATIONS_SMS_BACKEND = os.environ.get(
    "NOTIFICATIONS_SMS_BACKEND", "notify" if NOTIFY_API_KEY else "console"
)
NOTIFICATIONS_EMAIL_BACKEND = os.environ.get(
    "NOTIFICATIONS_EMAIL_BACKEND", "notify" if NOTIFY_API_KEY else "django"
)
EMAIL_HOST = os.environ.get("EMAIL_HOST", "localhost")
EMAIL_PORT = int(os.environ.get("EMAIL_PORT", "25"))
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
EMAIL_TIMEOUT = 30
# No SMS or e-mail in these local hours (held to the morning); letters are unaffected.
QUIET_HOURS = os.environ.get("QUIET_HOURS", "20:00-08:00")
QUIET_HOURS_TIMEZONE = "Europe/London"
NOTIFICATIONS_DISPATCH_BATCH = int(os.environ.get("NOTIFICATIONS_DISPATCH_BATCH", "5000"))
NOTIFICATIONS_MAX_ATTEMPTS = int(os.environ.get("NOTIFICATIONS_MAX_ATTEMPTS", "8"))
NOTIFICATIONS_RETRY_BASE_SECONDS = int(os.environ.get("NOTIFICATIONS_RETRY_BASE_SECONDS", "60"))
# A send still "sending" after this long belongs to a worker that stopped mid-send (a send takes
# seconds, Notify's client times out at 20): the relay then asks the provider what became of it.
NOTIFICATIONS_STALE_CLAIM_SECONDS = int(os.environ.get("NOTIFICATIONS_STALE_CLAIM_SECONDS", "900"))
# A message the relay queued but no worker sent (its task lost with Redis, or held by a killed
# worker) is queued again after this long.
NOTIFICATIONS_REQUEUE_SECONDS = int(os.environ.get("NOTIFICATIONS_REQUEUE_SECONDS", "600"))
# The embedded scheduler of scripts/serve (manage.py run_scheduler) ticks this often.
NOTIFICATIONS_SCHEDULER_SECONDS = int(os.environ.get("NOTIFICATIONS_SCHEDULER_SECONDS", "30"))

# Worklists (care/): "no contact for N weeks" starts at this many weeks (staff can pick others).
WORKLIST_NO_CONTACT_WEEKS = int(os.environ.get("WORKLIST_NO_CONTACT_WEEKS", "12"))
# The worklist counts on the staff home are kept this long per service (the lists are live).
WORKLIST_COUNTS_CACHE_SECONDS = int(os.environ.get("WORKLIST_COUNTS_CACHE_SECONDS", "60"))
