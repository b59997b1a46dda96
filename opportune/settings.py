"""Settings, all read from the environment (see the README's Configuration section)."""

import os
import secrets
from datetime import timedelta
from pathlib import Path
from typing import Any

import dj_database_url
import django_stubs_ext

# Lets Django's generic classes take type arguments at run time (admin.ModelAdmin[Team]).
django_stubs_ext.monkeypatch()

BASE_DIR = Path(__file__).resolve().parent.parent


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str) -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


DATA_DIR = Path(os.environ.get("OPPORTUNE_DATA_DIR", BASE_DIR / "var"))
DEBUG = env_bool("OPPORTUNE_DEBUG")


def _secret_key() -> str:
    """The configured key, else one generated once and kept in the data directory."""
    configured = os.environ.get("OPPORTUNE_SECRET_KEY")
    if configured:
        return configured
    key_file = DATA_DIR / "secret_key"
    if key_file.exists():
        return key_file.read_text().strip()
    DATA_DIR.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(50)
    key_file.write_text(key)
    key_file.chmod(0o600)
    return key


SECRET_KEY = _secret_key()
ALLOWED_HOSTS = env_list("OPPORTUNE_ALLOWED_HOSTS", "localhost,127.0.0.1,[::1]")
CSRF_TRUSTED_ORIGINS = env_list("OPPORTUNE_CSRF_TRUSTED_ORIGINS", "")

INSTALLED_APPS = [
    "opportune.web",  # first: its admin/base_site.html brands the admin
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_htmx",
    "template_partials",
    "django_tasks",
    "django_tasks_db",
    "opportune.identity",
    "opportune.leads",
    "opportune.accounts",
    "opportune.opportunities",
    "opportune.activities",
    "opportune.audit",
    "opportune.forecasting",
    "opportune.scoring",
    "opportune.capture",
    "opportune.imports",
    "opportune.work",
    "opportune.customfields",
    "opportune.webhooks",
    "opportune.privacy",
    "opportune.notifications",
    "opportune.savedviews",
    "opportune.search",
    "axes",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "opportune.web.middleware.content_security_policy",
    "django_htmx.middleware.HtmxMiddleware",
    "opportune.web.middleware.htmx_login_redirect",
    "opportune.web.middleware.RefusalsAsForbidden",
    "axes.middleware.AxesMiddleware",  # last: turns a locked-out login into the lockout page
]

ROOT_URLCONF = "opportune.urls"
WSGI_APPLICATION = "opportune.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
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


def _database() -> dict[str, Any]:
    url = os.environ.get("DATABASE_URL") or f"sqlite:///{DATA_DIR / 'opportune.sqlite3'}"
    parsed = dj_database_url.parse(url, conn_max_age=60, conn_health_checks=True)
    config: dict[str, Any] = dict(parsed)
    if config["ENGINE"] == "django.db.backends.sqlite3":
        Path(config["NAME"]).parent.mkdir(parents=True, exist_ok=True)
        config["CONN_MAX_AGE"] = 0
        config["OPTIONS"] = {
            # WAL lets readers run beside the writer; IMMEDIATE takes the write lock at BEGIN
            # so two writers queue on the busy timeout instead of failing mid-transaction.
            # mmap: a request's reads come from the OS's page cache without a copy into
            # SQLite's 2 MB one, which each request (a new connection) starts empty: 1M
            # deals, the admin's funnel 150 ms per quarter against 55 (docs/analytics.md).
            "init_command": (
                "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON; "
                "PRAGMA mmap_size=2147418112;"
            ),
            "transaction_mode": "IMMEDIATE",
            "timeout": 20,
        }
        config["TEST"] = {"NAME": os.environ.get("OPPORTUNE_TEST_SQLITE_NAME")}
    elif config["ENGINE"] == "django.db.backends.postgresql":
        # No JIT: the reports' statements over a million rows cost enough to trigger it, and
        # compiling them took seconds (6 s for win rates by stage) to save milliseconds.
        options = config.setdefault("OPTIONS", {})
        options["options"] = f"{options.get('options', '')} -c jit=off".strip()
    return config


DATABASES = {"default": _database()}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "identity.User"
# Axes first: it refuses a locked-out username+address before any password is checked.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "/login/"
LOGIN_REDIRECT_URL = "/"
LOGOUT_REDIRECT_URL = "/login/"

LANGUAGE_CODE = "en-us"
TIME_ZONE = os.environ.get("OPPORTUNE_TIME_ZONE", "UTC")
# How every page writes a date (the templates' ``day``/``day_short``/``day_time`` filters):
# "medium" 1 Dec 2026 (the default: read alike in every locale, month names translated),
# "iso" 2026-12-01, "us" Dec 1, 2026; or a Django date format string of one's own.
OPPORTUNE_DATE_FORMAT = os.environ.get("OPPORTUNE_DATE_FORMAT", "medium").strip() or "medium"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = DATA_DIR / "static"
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
WHITENOISE_USE_FINDERS = DEBUG

TASKS = {
    "default": {
        "BACKEND": os.environ.get("OPPORTUNE_TASK_BACKEND", "django_tasks_db.DatabaseBackend"),
    }
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("OPPORTUNE_LOG_LEVEL", "INFO")},
}

# Webhooks: private and loopback addresses are refused unless allowed (server-side request
# forgery); a delivery is tried up to MAX_ATTEMPTS times, and a subscription whose receiver
# failed DISABLE_AFTER attempts in a row is switched off.
OPPORTUNE_WEBHOOKS_ALLOW_PRIVATE = env_bool("OPPORTUNE_WEBHOOKS_ALLOW_PRIVATE")
OPPORTUNE_WEBHOOK_TIMEOUT = float(os.environ.get("OPPORTUNE_WEBHOOK_TIMEOUT", "10"))
OPPORTUNE_WEBHOOK_MAX_ATTEMPTS = int(os.environ.get("OPPORTUNE_WEBHOOK_MAX_ATTEMPTS", "8"))
OPPORTUNE_WEBHOOK_RETRY_SECONDS = int(os.environ.get("OPPORTUNE_WEBHOOK_RETRY_SECONDS", "60"))
OPPORTUNE_WEBHOOK_DISABLE_AFTER = int(os.environ.get("OPPORTUNE_WEBHOOK_DISABLE_AFTER", "20"))

# Login throttling (django-axes; the API's bearer tokens do not go through it): after this many
# failed log-ins for one username from one address, that pair is locked out for the cool-off.
OPPORTUNE_LOGIN_FAILURES = int(os.environ.get("OPPORTUNE_LOGIN_FAILURES", "5"))
OPPORTUNE_LOGIN_COOLOFF_MINUTES = int(os.environ.get("OPPORTUNE_LOGIN_COOLOFF_MINUTES", "15"))
AXES_FAILURE_LIMIT = OPPORTUNE_LOGIN_FAILURES
AXES_COOLOFF_TIME = timedelta(minutes=OPPORTUNE_LOGIN_COOLOFF_MINUTES)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_ENABLE_ACCESS_FAILURE_LOG = True
AXES_LOCKOUT_CALLABLE = "opportune.identity.throttling.locked_out"
AXES_CLIENT_IP_CALLABLE = "opportune.addresses.client_ip"
AXES_VERBOSE = False  # no start-up banner on every CLI command; failures are still logged

# API requests one user may make per minute, over all their tokens (beyond: 429, Retry-After).
OPPORTUNE_API_RATE_PER_MINUTE = int(os.environ.get("OPPORTUNE_API_RATE_PER_MINUTE", "600"))

# Product settings.
OPPORTUNE_CURRENCY = os.environ.get("OPPORTUNE_CURRENCY", "USD")
# First month (1-12) of the fiscal year; quarters and default close dates follow it.
OPPORTUNE_FISCAL_YEAR_START_MONTH = int(os.environ.get("OPPORTUNE_FISCAL_YEAR_START_MONTH", "1"))
# Whether sales reps see their whole team's records, not only their own (PRODUCT.md section 8).
OPPORTUNE_REPS_SEE_TEAM = env_bool("OPPORTUNE_REPS_SEE_TEAM")
# Region whose numbering plan reads phone numbers written without a country code (duplicate
# matching normalizes phones to E.164).
OPPORTUNE_PHONE_REGION = os.environ.get("OPPORTUNE_PHONE_REGION", "US").upper()
# Web-to-lead posts accepted per minute from one address, per form.
OPPORTUNE_WEB_TO_LEAD_PER_MINUTE = int(os.environ.get("OPPORTUNE_WEB_TO_LEAD_PER_MINUTE", "10"))
# How many reverse proxies (each appending to X-Forwarded-For) stand before the CRM; the rate
# limit then counts the address the outermost one saw. 0: the socket peer's address.
OPPORTUNE_TRUSTED_PROXIES = int(os.environ.get("OPPORTUNE_TRUSTED_PROXIES", "0"))
# The CRM's public address, used in the web-to-lead snippet to paste into a website.
OPPORTUNE_BASE_URL = os.environ.get("OPPORTUNE_BASE_URL", "http://127.0.0.1:8000")
# Days a deleted record stays in the recycle bin, restorable, before the worker purges it.
OPPORTUNE_RECYCLE_BIN_DAYS = int(os.environ.get("OPPORTUNE_RECYCLE_BIN_DAYS", "30"))
# Days an import's uploaded file is kept once its job is done or failed (a dry run's file
# waits there for the real import), before the worker deletes it.
OPPORTUNE_IMPORT_UPLOAD_DAYS = int(os.environ.get("OPPORTUNE_IMPORT_UPLOAD_DAYS", "7"))
# Helper processes that check a large import's next rows while the worker writes (0: none;
# unset: one per core beyond the first, at most two).
_import_helpers = os.environ.get("OPPORTUNE_IMPORT_HELPERS", "")
OPPORTUNE_IMPORT_HELPERS = int(_import_helpers) if _import_helpers else None

# --- HTTPS and browser protections (README: Production) -----------------------------------------
# Served over HTTPS: cookies only travel encrypted, browsers remember to use HTTPS (HSTS, a
# year, subdomains too) and plain-HTTP requests are redirected.
OPPORTUNE_HTTPS = env_bool("OPPORTUNE_HTTPS")
SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = SECURE_SSL_REDIRECT = OPPORTUNE_HTTPS
SECURE_HSTS_SECONDS = 365 * 24 * 3600 if OPPORTUNE_HTTPS else 0
SECURE_HSTS_INCLUDE_SUBDOMAINS = OPPORTUNE_HTTPS
# Preloading is a promise to browser vendors an installation makes on its own.
SECURE_HSTS_PRELOAD = env_bool("OPPORTUNE_HSTS_PRELOAD")
SILENCED_SYSTEM_CHECKS = [] if SECURE_HSTS_PRELOAD else ["security.W021"]
# Behind a reverse proxy that ends TLS, its X-Forwarded-Proto says whether the request was
# HTTPS (the proxy must set that header and drop any the client sent).
OPPORTUNE_BEHIND_PROXY = env_bool("OPPORTUNE_BEHIND_PROXY")
if OPPORTUNE_BEHIND_PROXY:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
# Django's defaults, stated: Referrer-Policy same-origin, X-Content-Type-Options nosniff.
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CONTENT_TYPE_NOSNIFF = True
# Scripts only from Opportune's own static files (no inline script, no event attributes);
# inline styles stay allowed: templates use style attributes and htmx and Chart.js set styles.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; object-src 'none'; base-uri 'self'; form-action 'self'; "
    "frame-ancestors 'none'"
)

# --- E-mail (notifications; docs/notifications.md) ----------------------------------------------
# Sent by the worker, never in a request. The backend is Django's: a dotted path, or one of
# the short names "console" (the default: printed by the worker), "smtp", "file", "dummy".
_EMAIL_BACKENDS = {
    name: f"django.core.mail.backends.{name}.EmailBackend"
    for name in ("console", "smtp", "filebased", "dummy", "locmem")
} | {"file": "django.core.mail.backends.filebased.EmailBackend"}
_email_backend = os.environ.get("OPPORTUNE_EMAIL_BACKEND", "console")
EMAIL_BACKEND = _EMAIL_BACKENDS.get(_email_backend, _email_backend)
OPPORTUNE_EMAIL_FROM = os.environ.get("OPPORTUNE_EMAIL_FROM", "Opportune <opportune@localhost>")
DEFAULT_FROM_EMAIL = SERVER_EMAIL = OPPORTUNE_EMAIL_FROM
EMAIL_HOST = os.environ.get("OPPORTUNE_EMAIL_HOST", "localhost")
EMAIL_PORT = int(os.environ.get("OPPORTUNE_EMAIL_PORT", "25"))
EMAIL_HOST_USER = os.environ.get("OPPORTUNE_EMAIL_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("OPPORTUNE_EMAIL_PASSWORD", "")
EMAIL_USE_TLS = env_bool("OPPORTUNE_EMAIL_TLS")  # STARTTLS (port 587)
EMAIL_USE_SSL = env_bool("OPPORTUNE_EMAIL_SSL")  # TLS from the start (port 465)
EMAIL_TIMEOUT = int(os.environ.get("OPPORTUNE_EMAIL_TIMEOUT", "30"))
EMAIL_FILE_PATH = str(DATA_DIR / "mail")
