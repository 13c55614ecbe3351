"""The embedded default: SQLite, demo data and demo sign-ins, served on this machine only."""

from escalate.config.settings.base import *  # noqa: F403
from escalate.config.settings.base import env_bool

DEBUG = env_bool("DJANGO_DEBUG", default=False)
ESCALATE_DEMO = env_bool("ESCALATE_DEMO", default=True)
# Serve the built front end straight from the source tree (no collectstatic step).
WHITENOISE_USE_FINDERS = True
# A fixed key is acceptable only here: demo data, loopback only. Production refuses it.
SECRET_KEY = SECRET_KEY or "local-demo-only-not-secret-0c0ffee"  # noqa: F405
# E-mail (reminders, password-reset links) is written to var/mail/, one file per message and
# worker run, never sent: the demo's story writes hundreds of messages, too many for a console.
MAILERS = {
    "default": {
        "BACKEND": "django.core.mail.backends.filebased.EmailBackend",
        "OPTIONS": {"file_path": BASE_DIR / "var" / "mail"},  # noqa: F405
    }
}
