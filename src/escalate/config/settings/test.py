"""Settings for the test suite. DATABASE_URL picks SQLite (default) or PostgreSQL."""

from escalate.config.settings.base import *  # noqa: F403

SECRET_KEY = "test-only-not-secret"  # noqa: S105
ESCALATE_DEMO = True
WHITENOISE_USE_FINDERS = True
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # fast, tests only
