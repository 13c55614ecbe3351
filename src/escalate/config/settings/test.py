"""Settings for the test suite. DATABASE_URL picks SQLite (default) or PostgreSQL."""

import os

from escalate.config.settings.base import *  # noqa: F403

SECRET_KEY = "test-only-not-secret"  # noqa: S105
ESCALATE_DEMO = True
WHITENOISE_USE_FINDERS = True
# Find a static file when it is asked for, not by walking every finder each time a test client
# loads the middleware (most of the permission matrix's time went on that walk).
WHITENOISE_AUTOREFRESH = True
# The test runner empties every table between transactional tests; allow it for the audit
# table too (the triggers still refuse any other delete).
ESCALATE_AUDIT_FLUSHABLE = True
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # fast, tests only
# E-mail stays in memory (django.core.mail.outbox); the test runner would insist anyway.
MAILERS = {"default": {"BACKEND": "django.core.mail.backends.locmem.EmailBackend"}}
# A test that runs the worker in another process points it at its own SMTP server on loopback.
if _smtp_port := os.environ.get("ESCALATE_TEST_SMTP_PORT"):
    MAILERS = {
        "default": {
            "BACKEND": "escalate.notifications.senders.SmtpEmailBackend",
            "OPTIONS": {"host": "127.0.0.1", "port": int(_smtp_port), "timeout": 5},
        }
    }
