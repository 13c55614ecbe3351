"""Production settings refuse an insecure configuration, and pass ``check --deploy`` cleanly.

Each test imports ``escalate.config.settings.production`` in a fresh Python process with an
environment made for it (nothing inherited but PATH), as a server would at start-up.
"""

from __future__ import annotations

import json
import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest

GOOD_KEY = secrets.token_urlsafe(45)  # 60 characters
assert len(GOOD_KEY) == 60
GOOD_ENV = {
    "DJANGO_SECRET_KEY": GOOD_KEY,
    "DJANGO_ALLOWED_HOSTS": "escalate.example.org",
    "DATABASE_URL": "postgres://postgres@127.0.0.1:5432/escalate",
}
MANAGE = Path(sys.executable).parent / "escalate-manage"
REFUSED = "Escalate refuses to start with an insecure configuration"


def run(code: str, **env: str) -> subprocess.CompletedProcess[str]:
    clean = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), **env}
    return subprocess.run(  # noqa: S603
        [sys.executable, "-c", code], env=clean, capture_output=True, text=True, timeout=60
    )


def load(**env: str) -> subprocess.CompletedProcess[str]:
    return run("import escalate.config.settings.production", **env)


def with_env(**changes: str | None) -> dict[str, str]:
    env = dict(GOOD_ENV)
    for name, value in changes.items():
        if value is None:
            env.pop(name, None)
        else:
            env[name] = value
    return env


def test_a_good_configuration_starts() -> None:
    result = load(**GOOD_ENV)
    assert result.returncode == 0, result.stderr


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        pytest.param({"DJANGO_SECRET_KEY": None}, "DJANGO_SECRET_KEY is not set", id="no-key"),
        pytest.param({"DJANGO_SECRET_KEY": ""}, "DJANGO_SECRET_KEY is not set", id="empty-key"),
        pytest.param(
            {"DJANGO_SECRET_KEY": "x3-short-but-random-ish-Q9"}, "too short", id="short-key"
        ),
        pytest.param({"DJANGO_SECRET_KEY": "ab" * 40}, "too simple", id="simple-key"),
        pytest.param(
            {"DJANGO_SECRET_KEY": "local-demo-only-not-secret-0c0ffee"},
            "published demo or test key",
            id="demo-key",
        ),
        pytest.param(
            {"DJANGO_SECRET_KEY": "django-insecure-" + GOOD_KEY},
            "published demo or test key",
            id="insecure-key",
        ),
        pytest.param({"DJANGO_DEBUG": "1"}, "DJANGO_DEBUG must be off", id="debug"),
        pytest.param({"DJANGO_DEBUG": "true"}, "DJANGO_DEBUG must be off", id="debug-true"),
        pytest.param({"ESCALATE_DEMO": "on"}, "ESCALATE_DEMO must be off", id="demo"),
        pytest.param(
            {"DJANGO_ALLOWED_HOSTS": None}, "DJANGO_ALLOWED_HOSTS is not set", id="no-hosts"
        ),
        pytest.param(
            {"DJANGO_ALLOWED_HOSTS": " , "}, "DJANGO_ALLOWED_HOSTS is not set", id="blank-hosts"
        ),
        pytest.param(
            {"DJANGO_ALLOWED_HOSTS": "escalate.example.org,*"}, "must not contain '*'", id="star"
        ),
        pytest.param({"DATABASE_URL": None}, "DATABASE_URL is not set", id="no-database"),
        pytest.param(
            {"DATABASE_URL": "sqlite:////tmp/escalate.sqlite3"},
            "DATABASE_URL must be a PostgreSQL database",
            id="sqlite",
        ),
        pytest.param(
            {"DATABASE_URL": "mysql://u:p@db/escalate"},
            "DATABASE_URL must be a PostgreSQL database",
            id="mysql",
        ),
    ],
)
def test_refuses_an_insecure_configuration(changes: dict[str, str | None], message: str) -> None:
    result = load(**with_env(**changes))
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert REFUSED in result.stderr
    assert message in result.stderr, result.stderr


@pytest.mark.parametrize(
    "setting",
    [
        "EMAIL_BACKEND = 'django.core.mail.backends.console.EmailBackend'",
        "MAILERS = {'default': {'BACKEND': 'django.core.mail.backends.console.EmailBackend'}}",
        "MAILERS = {'default': {'BACKEND': 'django.core.mail.backends.locmem.EmailBackend'}}",
    ],
    ids=["email-backend-console", "mailers-console", "mailers-locmem"],
)
def test_refuses_an_email_backend_that_does_not_deliver(setting: str) -> None:
    # Whatever sets the e-mail backend in base.py, production checks the value it ends with.
    code = (
        "import escalate.config.settings.base as base\n"
        "base.MAILERS = None\n"
        f"base.{setting}\n"
        "import escalate.config.settings.production\n"
    )
    result = run(code, **GOOD_ENV)
    assert result.returncode != 0
    assert "does not deliver e-mail" in result.stderr, result.stderr


def test_reports_every_problem_at_once() -> None:
    result = load(DJANGO_DEBUG="1", ESCALATE_DEMO="1", DJANGO_ALLOWED_HOSTS="*")
    assert result.returncode != 0
    for message in (
        "DJANGO_SECRET_KEY is not set",
        "DJANGO_DEBUG must be off",
        "ESCALATE_DEMO must be off",
        "must not contain '*'",
        "DATABASE_URL is not set",
    ):
        assert message in result.stderr
    assert GOOD_KEY not in result.stderr


def test_the_secret_key_is_never_printed() -> None:
    result = load(**with_env(DJANGO_DEBUG="1"))
    assert result.returncode != 0
    assert GOOD_KEY not in result.stderr + result.stdout


def production_values() -> dict[str, object]:
    code = (
        "import json\n"
        "import escalate.config.settings.production as s\n"
        "names = [n for n in dir(s) if n.isupper() and (n.startswith(('SECURE_', 'SESSION_',"
        " 'CSRF_')) or n in ('DEBUG', 'ESCALATE_DEMO', 'ALLOWED_HOSTS', 'X_FRAME_OPTIONS',"
        " 'DEBUG_PROPAGATE_EXCEPTIONS'))]\n"
        "print(json.dumps({n: getattr(s, n) for n in names}, default=str))\n"
    )
    result = run(code, **GOOD_ENV)
    assert result.returncode == 0, result.stderr
    values: dict[str, object] = json.loads(result.stdout)
    return values


def test_production_values() -> None:
    values = production_values()
    assert values["DEBUG"] is False
    assert values["ESCALATE_DEMO"] is False
    assert values["ALLOWED_HOSTS"] == ["escalate.example.org"]
    assert values["SECURE_SSL_REDIRECT"] is True
    assert values["SECURE_HSTS_SECONDS"] >= 31536000  # type: ignore[operator]
    assert values["SECURE_HSTS_INCLUDE_SUBDOMAINS"] is True
    assert values["SESSION_COOKIE_SECURE"] is True
    assert values["CSRF_COOKIE_SECURE"] is True
    assert values["SESSION_COOKIE_HTTPONLY"] is True
    assert values["CSRF_COOKIE_HTTPONLY"] is True
    assert str(values["SESSION_COOKIE_NAME"]).startswith("__Host-")
    assert str(values["CSRF_COOKIE_NAME"]).startswith("__Host-")
    assert values["X_FRAME_OPTIONS"] == "DENY"
    assert values["SECURE_CONTENT_TYPE_NOSNIFF"] is True
    assert values["SECURE_REFERRER_POLICY"]


def test_check_deploy_has_no_warnings() -> None:
    """The Makefile runs this same command; it must exit 0 and report no issues."""
    clean = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), **GOOD_ENV}
    clean["DJANGO_SETTINGS_MODULE"] = "escalate.config.settings.production"
    result = subprocess.run(  # noqa: S603
        [str(MANAGE), "check", "--deploy", "--fail-level", "WARNING"],
        env=clean,
        capture_output=True,
        text=True,
        timeout=120,
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "System check identified no issues" in output, output
    assert "WARNING" not in output
