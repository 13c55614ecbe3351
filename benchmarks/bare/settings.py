"""The least Django needs to answer a request: no apps, no middleware, no database, no
templates. DEBUG is off, as in the application's production settings. Loopback only."""

SECRET_KEY = "bare-benchmark-loopback-only-not-secret"  # noqa: S105 - serves one constant page
DEBUG = False
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]
ROOT_URLCONF = "bare.urls"
INSTALLED_APPS: list[str] = []
MIDDLEWARE: list[str] = []
DATABASES: dict[str, dict[str, str]] = {}
USE_TZ = True
