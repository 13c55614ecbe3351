"""Production: everything from the environment; refuses to start when insecure.

Every problem found is reported at once, in one ``ImproperlyConfigured``, so a deployer fixes
them in one pass. ``escalate-manage check --deploy --fail-level WARNING`` passes with no
warnings under these settings (tests/security/test_production_settings.py). See
docs/security.md.
"""

import os

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

from escalate.config.settings.base import *  # noqa: F403
from escalate.config.settings.base import env_bool, env_list

#: Keys that are in the repository and so are known to everyone.
_PUBLIC_KEYS = frozenset({"local-demo-only-not-secret-0c0ffee", "test-only-not-secret"})
_MIN_SECRET_KEY_LENGTH = 50
#: E-mail backends that do not deliver: notifications would be lost, or written to the log.
_UNDELIVERED_EMAIL = frozenset(
    {
        "django.core.mail.backends.console.EmailBackend",
        "django.core.mail.backends.locmem.EmailBackend",
        "django.core.mail.backends.dummy.EmailBackend",
        "django.core.mail.backends.filebased.EmailBackend",
    }
)

# Read again here, without base.py's conveniences: no default hosts, no default database.
SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", "")
DEBUG = env_bool("DJANGO_DEBUG")
ESCALATE_DEMO = env_bool("ESCALATE_DEMO")
ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS")
_DATABASE_URL = os.environ.get("DATABASE_URL", "")


def _secret_key_problem() -> str | None:
    if not SECRET_KEY:
        return "DJANGO_SECRET_KEY is not set: set it to a random value of 50+ characters"
    if SECRET_KEY in _PUBLIC_KEYS or SECRET_KEY.startswith("django-insecure-"):
        return "DJANGO_SECRET_KEY is a published demo or test key: generate a new one"
    if len(SECRET_KEY) < _MIN_SECRET_KEY_LENGTH or len(set(SECRET_KEY)) < 5:
        return (
            f"DJANGO_SECRET_KEY is too short or too simple: use a random value of "
            f"{_MIN_SECRET_KEY_LENGTH}+ characters"
        )
    return None


def _problems() -> list[str]:
    found: list[str] = []
    if key_problem := _secret_key_problem():
        found.append(key_problem)
    if DEBUG:
        found.append("DJANGO_DEBUG must be off in production (it shows code and settings)")
    if ESCALATE_DEMO:
        found.append("ESCALATE_DEMO must be off in production (demo sign-ins and data)")
    if not ALLOWED_HOSTS:
        found.append("DJANGO_ALLOWED_HOSTS is not set: list the host names the service answers")
    elif "*" in ALLOWED_HOSTS:
        found.append("DJANGO_ALLOWED_HOSTS must not contain '*': list the host names")
    if not _DATABASE_URL:
        found.append("DATABASE_URL is not set: give the PostgreSQL database's URL")
    else:
        try:
            engine = dj_database_url.parse(_DATABASE_URL)["ENGINE"]
        except ValueError:
            engine = "unknown"
        if engine != "django.db.backends.postgresql":
            found.append(
                "DATABASE_URL must be a PostgreSQL database (postgres://...): SQLite and "
                "others are not for production"
            )
    for backend in _email_backends():
        if backend in _UNDELIVERED_EMAIL:
            found.append(f"E-mail backend {backend} does not deliver e-mail: use SMTP")
    return found


def _email_backends() -> list[str]:
    """The e-mail backends in use: each of Django 6.1's ``MAILERS``, else ``EMAIL_BACKEND``."""
    mailers = globals().get("MAILERS")
    if isinstance(mailers, dict) and mailers:
        return [str(m.get("BACKEND", "")) for m in mailers.values() if isinstance(m, dict)]
    return [str(globals().get("EMAIL_BACKEND", "django.core.mail.backends.smtp.EmailBackend"))]


_FOUND = _problems()
if _FOUND:
    raise ImproperlyConfigured(
        "Escalate refuses to start with an insecure configuration:\n- " + "\n- ".join(_FOUND)
    )

DEBUG_PROPAGATE_EXCEPTIONS = False

# HTTPS only. The proxy in front terminates TLS and must set X-Forwarded-Proto (and overwrite
# any value a client sent); see docs/security.md.
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = True
SECURE_HSTS_SECONDS = 63072000  # two years
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True

# Cookies only over HTTPS, never to scripts; the __Host- prefix also binds them to this host.
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
SESSION_COOKIE_NAME = "__Host-escalate-session"
CSRF_COOKIE_NAME = "__Host-escalate-csrf"
