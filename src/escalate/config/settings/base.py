"""Settings shared by every environment. Values come from the environment, read here once at
start-up (never inside a request); see ``production.py`` for what production insists on."""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path

import dj_database_url
from django.utils.csp import CSP

SRC_DIR = Path(__file__).resolve().parents[2]  # src/escalate
BASE_DIR = SRC_DIR.parents[1]  # the repository (or the install root)


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str = "") -> list[str]:
    return [v.strip() for v in os.environ.get(name, default).split(",") if v.strip()]


SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", "")
DEBUG = env_bool("DJANGO_DEBUG")
ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS", "localhost,127.0.0.1,[::1]")

#: Demo mode shows demo sign-ins and allows loading demo data. Never on in production.
ESCALATE_DEMO = env_bool("ESCALATE_DEMO")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "axes",
    "escalate.accounts",
    "escalate.sso",
    "escalate.directory",
    "escalate.cases",
    "escalate.audit",
    "escalate.notifications",
    "escalate.demo",
    "django_tasks_db",
    "escalate.attachments",
    "escalate.documents",
    "escalate.panels",
    "escalate.insights",
    "escalate.web",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # Security: the Content-Security-Policy header (with a fresh nonce on every response) and
    # 405 for any method but GET, HEAD and POST. Before WhiteNoise, so static files get both.
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "escalate.web.middleware.CspNonceMiddleware",
    "escalate.web.middleware.MethodGuardMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # The client address for audit entries written by services that have no request.
    "escalate.audit.services.AuditContextMiddleware",
    # Sign-in (escalate.accounts): which second factor verified this session, the idle
    # time-out, and no page but the sign-in steps until the second factor is done.
    # django-otp's OTPMiddleware, answered from the user's own query (escalate.web.signed_in).
    "escalate.web.signed_in.SecondFactorMiddleware",
    "escalate.accounts.middleware.IdleTimeoutMiddleware",
    "escalate.accounts.middleware.SecondFactorRequiredMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "escalate.web.middleware.NoStoreMiddleware",
    # Last, as django-axes asks: turns a lockout into the "You cannot sign in" page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "escalate.config.urls"
WSGI_APPLICATION = "escalate.config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [SRC_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.csp",  # {{ csp_nonce }}
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "escalate.web.context.site",
            ],
        },
    },
]

DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL", f"sqlite:///{BASE_DIR / 'escalate.sqlite3'}"),
        conn_max_age=int(os.environ.get("DATABASE_CONN_MAX_AGE", "60")),
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # The embedded default: the web server and the background worker share the file. Each
    # writing transaction takes the write lock as it begins (so none fails half-way with
    # "database is locked") and waits up to 20 seconds for the other's.
    DATABASES["default"]["OPTIONS"] = {"timeout": 20, "transaction_mode": "IMMEDIATE"}

AUTH_USER_MODEL = "accounts.User"
LOGIN_URL = "accounts:sign-in"
LOGIN_REDIRECT_URL = "cases:home"
LOGOUT_REDIRECT_URL = "accounts:sign-in"

# django-axes first: it refuses a locked-out username before any password is checked.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    # Django's ModelBackend, loading the signed-in user with their person, agency and
    # second-factor check in one query (escalate.web.signed_in).
    "escalate.web.signed_in.SignedInBackend",
    # Single sign-on (escalate.sso): never checks a password; loads the users it signed in.
    "escalate.sso.backends.OidcIdentityBackend",
]

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-gb"
TIME_ZONE = "Europe/London"
USE_I18N = False
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [SRC_DIR / "static"]

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# -- Security (docs/security.md). production.py adds HTTPS-only cookies, HSTS and refusals. --
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_HTTPONLY = True
CSRF_COOKIE_SAMESITE = "Lax"
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
#: No inline scripts or styles anywhere; scripts may also carry the per-response nonce.
SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF, CSP.NONCE],
    "style-src": [CSP.SELF],
    "img-src": [CSP.SELF],
    "font-src": [CSP.SELF],
    "object-src": [CSP.NONE],
    "base-uri": [CSP.NONE],
    "frame-ancestors": [CSP.NONE],
    "form-action": [CSP.SELF],
}

# -- Sessions and sign-in (escalate.accounts; docs in its module docstrings). --
#: Signed out after this many minutes without a request (read at request time).
ESCALATE_IDLE_TIMEOUT_MINUTES = int(os.environ.get("ESCALATE_IDLE_TIMEOUT_MINUTES", "30"))
#: With JavaScript, the time-out warning opens this long before the end (at most half of it).
ESCALATE_TIMEOUT_WARNING_SECONDS = int(os.environ.get("ESCALATE_TIMEOUT_WARNING_SECONDS", "120"))
#: A password-reset link works once and for this long (Django's default is three days).
PASSWORD_RESET_TIMEOUT = 60 * int(os.environ.get("ESCALATE_PASSWORD_RESET_MINUTES", "60"))
#: An account with no authenticator app may set one up only within this many hours of proving
#: it holds its mailbox (choosing a password from an e-mailed link) or of an administrator's
#: "set up a new app" (escalate.accounts.mfa.allow_set_up): a password alone never adds an app.
ESCALATE_SET_UP_WINDOW_HOURS = int(os.environ.get("ESCALATE_SET_UP_WINDOW_HOURS", "24"))
#: The issuer (and label prefix) in the set-up QR code's ``otpauth://`` address: django-otp's
#: ``TOTPDevice.config_url`` reads it (escalate.accounts.mfa.qr_code_svg).
OTP_TOTP_ISSUER = "Escalate"
SESSION_ENGINE = "django.contrib.sessions.backends.db"  # signing out deletes the session
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_AGE = 12 * 60 * 60  # the server forgets an abandoned session after 12 hours

# Lockout (django-axes, kept in the database so every process sees it): 5 failed sign-ins for
# a username, wrong passwords and wrong second-factor codes alike, lock that username for 15
# minutes, from wherever the attempts come. By username, not IP address: our users sit behind
# shared council, NHS and police gateways, where one person's mistakes must not lock out the
# whole office, and an attack spread over many addresses must still be stopped. (Password
# spraying across usernames gains nothing without each account's second factor.)
AXES_HANDLER = "axes.handlers.database.AxesDatabaseHandler"
AXES_FAILURE_LIMIT = 5
AXES_COOLOFF_TIME = timedelta(minutes=15)
AXES_LOCKOUT_PARAMETERS = ["username"]
AXES_RESET_ON_SUCCESS = False  # reset only once the second factor is done, not on a password
AXES_LOCKOUT_CALLABLE = "escalate.accounts.views.locked_out"
AXES_SENSITIVE_PARAMETERS = [
    "username",
    "ip_address",
    "csrfmiddlewaretoken",
    "otp_token",
    "recovery_code",
    "old_password",
    "new_password1",
    "new_password2",
]
#: axes.W006 asks for ip_address in AXES_LOCKOUT_PARAMETERS; by username is deliberate (above).
SILENCED_SYSTEM_CHECKS = ["axes.W006"]

# -- Single sign-on with OpenID Connect (escalate.sso, docs/sso.md) --------------------------
# Off unless every ESCALATE_OIDC_ variable below is set (a partial set fails the system checks).
# No discovery at start-up: the endpoints are given. mozilla-django-oidc reads the OIDC_ names.
OIDC_OP_ISSUER = os.environ.get("ESCALATE_OIDC_ISSUER", "")
OIDC_OP_AUTHORIZATION_ENDPOINT = os.environ.get("ESCALATE_OIDC_AUTHORIZATION_ENDPOINT", "")
OIDC_OP_TOKEN_ENDPOINT = os.environ.get("ESCALATE_OIDC_TOKEN_ENDPOINT", "")
OIDC_OP_JWKS_ENDPOINT = os.environ.get("ESCALATE_OIDC_JWKS_ENDPOINT", "")
OIDC_OP_USER_ENDPOINT = ""  # never called: who signed in comes from the signed ID token
OIDC_RP_CLIENT_ID = os.environ.get("ESCALATE_OIDC_CLIENT_ID", "")
OIDC_RP_CLIENT_SECRET = os.environ.get("ESCALATE_OIDC_CLIENT_SECRET", "")
OIDC_RP_SIGN_ALGO = "RS256"
OIDC_RP_SCOPES = "openid"  # only the subject is needed: no e-mail, name or profile
OIDC_USE_NONCE = True
OIDC_USE_PKCE = True
OIDC_TIMEOUT = int(os.environ.get("ESCALATE_OIDC_TIMEOUT_SECONDS", "10"))
OIDC_CREATE_USER = False
OIDC_ALLOW_UNSECURED_JWT = False
OIDC_STORE_ACCESS_TOKEN = False
OIDC_STORE_ID_TOKEN = False
OIDC_AUTHENTICATION_CALLBACK_URL = "sso:callback"

# Logs carry references and ids, never case content: no request bodies are logged.
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
}

# Background work (escalate.notifications): Django's tasks framework on a database-backed queue,
# so the embedded default needs no broker and production runs any number of workers against
# PostgreSQL (`escalate-manage run_worker`).
TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}
# How often each worker's ticker asks for the deadline sweep and an outbox delivery run.
ESCALATE_SWEEP_MINUTES = int(os.environ.get("ESCALATE_SWEEP_MINUTES", "5"))
# The address links in messages start with (no trailing slash).
ESCALATE_SITE_URL = os.environ.get("ESCALATE_SITE_URL", "http://127.0.0.1:8000")
# Who messages come from.
DEFAULT_FROM_EMAIL = os.environ.get("ESCALATE_FROM_EMAIL", "escalate@localhost")
# E-mail goes out through Django's e-mail backends ("smtp", the default) or GOV.UK Notify
# ("notify": the official client, with one template per kind of message named below).
ESCALATE_EMAIL_CHANNEL = os.environ.get("ESCALATE_EMAIL_CHANNEL", "smtp")
ESCALATE_NOTIFY_API_KEY = os.environ.get("ESCALATE_NOTIFY_API_KEY", "")
ESCALATE_NOTIFY_BASE_URL = os.environ.get(
    "ESCALATE_NOTIFY_BASE_URL", "https://api.notifications.service.gov.uk"
)
# SMTP (the default channel): Escalate's backend is Django's, with a time-out on every call and
# a recorded point of no return (escalate.notifications.senders), so that a worker killed while
# sending never sends a message twice. Local and test settings replace it (files, memory).
MAILERS = {
    "default": {
        "BACKEND": "escalate.notifications.senders.SmtpEmailBackend",
        "OPTIONS": {
            "host": os.environ.get("ESCALATE_SMTP_HOST", "localhost"),
            "port": int(os.environ.get("ESCALATE_SMTP_PORT", "25")),
            "username": os.environ.get("ESCALATE_SMTP_USER", ""),
            "password": os.environ.get("ESCALATE_SMTP_PASSWORD", ""),
            "use_tls": env_bool("ESCALATE_SMTP_USE_TLS"),
            "timeout": int(os.environ.get("ESCALATE_SMTP_TIMEOUT_SECONDS", "20")),
        },
    }
}
# How often the worker delivers the outbox (seconds), and how long a worker's claim on a message
# holds before another worker may settle it (longer than any one send can take).
ESCALATE_DELIVERY_SECONDS = int(os.environ.get("ESCALATE_DELIVERY_SECONDS", "60"))
ESCALATE_OUTBOX_CLAIM_SECONDS = int(os.environ.get("ESCALATE_OUTBOX_CLAIM_SECONDS", "300"))
# Template ids by kind of message; "default" is used for any kind not named. Each template takes
# the personalisation fields subject, body, reference, stage, due_date and link.
ESCALATE_NOTIFY_TEMPLATES: dict[str, str] = {
    key.removeprefix("ESCALATE_NOTIFY_TEMPLATE_").lower().replace("_", "-"): value
    for key, value in os.environ.items()
    if key.startswith("ESCALATE_NOTIFY_TEMPLATE_")
}

# -- Written representations (escalate.attachments): uploads, kept private -------------------
# Stored here, outside every static or template directory (a system check insists), under
# random names; read only by the download view, after the access rules.
ESCALATE_UPLOAD_ROOT = Path(
    os.environ.get("ESCALATE_UPLOAD_ROOT", str(BASE_DIR / "var" / "uploads"))
)
# The largest upload accepted, in megabytes.
ESCALATE_UPLOAD_MAX_MB = int(os.environ.get("ESCALATE_UPLOAD_MAX_MB", "20"))
# Which virus scanner checks each upload before it is stored: "" for none (uploads are stored
# marked "not scanned"), "clamav" (the clamd daemon at ESCALATE_CLAMAV_ADDRESS: a Unix socket
# path or host:port), or the dotted path of a scanner class. A scanner that does not answer
# within the time-out refuses the upload.
ESCALATE_VIRUS_SCANNER = os.environ.get("ESCALATE_VIRUS_SCANNER", "")
ESCALATE_CLAMAV_ADDRESS = os.environ.get("ESCALATE_CLAMAV_ADDRESS", "/var/run/clamav/clamd.ctl")
ESCALATE_CLAMAV_TIMEOUT_SECONDS = float(os.environ.get("ESCALATE_CLAMAV_TIMEOUT_SECONDS", "30"))
