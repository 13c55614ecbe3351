"""SSO is off unless configured, and never gets in the way of signing in with a password."""

from __future__ import annotations

import pytest
from django.contrib.auth import authenticate
from django.core.exceptions import SuspiciousOperation
from django.test import Client, RequestFactory
from django.urls import reverse
from pytest_django.fixtures import Settings

from escalate.sso.backends import OidcIdentityBackend
from escalate.sso.checks import sso_configuration
from escalate.sso.conf import REQUIRED_SETTINGS, sso_enabled
from escalate.sso.models import OidcIdentity
from tests.sso.conftest import fully_signed_in, make_user
from tests.sso.provider import OpenIdProvider

pytestmark = pytest.mark.django_db


@pytest.fixture
def sso_off(settings: Settings) -> Settings:
    for name in REQUIRED_SETTINGS:
        setattr(settings, name, "")
    return settings


@pytest.mark.parametrize(
    ("method", "name", "args"),
    [
        ("get", "sso:start", []),
        ("get", "sso:callback", []),
        ("get", "sso:identities", []),
        ("post", "sso:link", []),
        ("post", "sso:unlink", [1]),
    ],
)
def test_every_sso_route_is_a_404_when_sso_is_not_configured(
    sso_off: Settings, method: str, name: str, args: list[int]
) -> None:
    user = make_user("alice")
    OidcIdentity.objects.create(user=user, issuer="https://i.example/v2.0", subject="s")
    for client in (fully_signed_in(user), fully_signed_in(make_user("bob"))):
        response = getattr(client, method)(reverse(name, args=args))
        assert response.status_code == 404
    assert OidcIdentity.objects.count() == 1


def test_anonymous_visitors_get_a_404_too_when_sso_is_not_configured(
    client: Client, sso_off: Settings
) -> None:
    assert client.get(reverse("sso:start")).status_code == 404
    assert client.get(reverse("sso:callback"), {"code": "c", "state": "s"}).status_code == 404


def test_sso_is_on_only_when_every_setting_is_given(
    settings: Settings, provider: OpenIdProvider
) -> None:
    for name, value in provider.settings.items():
        setattr(settings, name, value)
    assert sso_enabled()
    settings.OIDC_RP_CLIENT_SECRET = ""
    assert not sso_enabled()


def test_the_default_settings_leave_sso_off() -> None:
    # The test settings set no ESCALATE_OIDC_ variable.
    assert not sso_enabled()
    assert sso_configuration() == []


def test_a_partial_configuration_fails_the_system_checks(sso_off: Settings) -> None:
    sso_off.OIDC_OP_ISSUER = "https://login.microsoftonline.com/tenant/v2.0"
    errors = sso_configuration()
    assert [e.id for e in errors] == ["sso.E001"]
    assert "ESCALATE_OIDC_CLIENT_SECRET" in (errors[0].hint or "")


def test_a_provider_without_tls_fails_the_system_checks(
    settings: Settings, provider: OpenIdProvider
) -> None:
    for name, value in provider.settings.items():
        setattr(settings, name, value.replace("127.0.0.1", "idp.example"))
    assert {e.id for e in sso_configuration()} == {"sso.E002"}


@pytest.mark.parametrize("configured", [False, True])
def test_password_sign_in_still_works_with_the_sso_backend_installed(
    settings: Settings, provider: OpenIdProvider, configured: bool
) -> None:
    if configured:
        for name, value in provider.settings.items():
            setattr(settings, name, value)
    user = make_user("alice")
    request = RequestFactory().post("/account/sign-in/?code=c&state=s")
    assert authenticate(request, username="alice", password="not-used-here-1") == user


def test_the_sso_backend_never_answers_a_password(sso: OpenIdProvider) -> None:
    make_user("alice")
    request = RequestFactory().get("/?code=c&state=s")
    backend = OidcIdentityBackend()
    assert backend.authenticate(request, username="alice", password="not-used-here-1") is None
    assert sso.token_requests == []


def test_the_sso_backend_loads_only_active_users() -> None:
    user = make_user("alice")
    backend = OidcIdentityBackend()
    assert backend.get_user(user.pk) == user
    user.is_active = False
    user.save()
    assert backend.get_user(user.pk) is None


def test_the_sso_backend_never_creates_users(sso: OpenIdProvider) -> None:
    with pytest.raises(SuspiciousOperation, match="never creates"):
        OidcIdentityBackend().create_user({"iss": sso.issuer, "sub": "x", "email": "x@e.org"})
