"""Production: everything from the environment; refuses to start when insecure."""

from django.core.exceptions import ImproperlyConfigured

from escalate.config.settings.base import *  # noqa: F403
from escalate.config.settings.base import env_bool

if not SECRET_KEY or len(SECRET_KEY) < 50:  # noqa: F405
    raise ImproperlyConfigured("DJANGO_SECRET_KEY must be set to a random value of 50+ characters")
if DEBUG:  # noqa: F405
    raise ImproperlyConfigured("DJANGO_DEBUG must be off in production")
if env_bool("ESCALATE_DEMO"):
    raise ImproperlyConfigured("ESCALATE_DEMO must be off in production")

ESCALATE_DEMO = False
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
SECURE_SSL_REDIRECT = True
SECURE_HSTS_SECONDS = 63072000
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
