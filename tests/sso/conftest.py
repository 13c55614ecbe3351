"""Fixtures for single sign-on: a local OpenID provider, Escalate pointed at it, and a helper
that walks a browser (Django's test client) through the whole round trip."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

import pytest
import requests
from django.contrib.auth import SESSION_KEY
from django.test import Client
from django.urls import reverse
from django_otp import DEVICE_ID_SESSION_KEY
from pytest_django.fixtures import Settings

from escalate.accounts.models import User
from tests import support
from tests.sso.provider import Issue, OpenIdProvider


@pytest.fixture(scope="session")
def provider() -> Iterator[OpenIdProvider]:
    running = OpenIdProvider().start()
    yield running
    running.stop()


@pytest.fixture
def sso(
    settings: Settings, provider: OpenIdProvider, monkeypatch: pytest.MonkeyPatch
) -> OpenIdProvider:
    """SSO configured against the local provider (settings restored after the test)."""
    monkeypatch.setenv("NO_PROXY", "127.0.0.1")
    monkeypatch.setenv("no_proxy", "127.0.0.1")
    for name, value in provider.settings.items():
        setattr(settings, name, value)
    provider.reset()
    return provider


def make_user(username: str, email: str | None = None) -> User:
    return User.objects.create_user(
        username=username, email=email or f"{username}@example.org", password="not-used-here-1"
    )


def fully_signed_in(user: User) -> Client:
    """A client signed in as ``user`` past the second factor (the shared helper's rules)."""
    client = support.signed_in(user)
    assert DEVICE_ID_SESSION_KEY in client.session
    return client


def round_trip(
    client: Client,
    provider: OpenIdProvider,
    issue: Issue,
    *,
    link: bool = False,
    start_query: str = "",
) -> Any:
    """Start at Escalate, sign in at the provider as ``issue`` says, come back to the callback;
    return the callback's response."""
    if link:
        started = client.post(reverse("sso:link"))
    else:
        started = client.get(reverse("sso:start") + start_query)
    assert started.status_code == 302, started
    authorize_url = started["Location"]
    assert authorize_url.startswith(provider.url("/authorize?"))
    provider.sign_in_as(issue)
    at_provider = requests.get(authorize_url, allow_redirects=False, timeout=5)
    assert at_provider.status_code == 302, at_provider.text
    back = urlsplit(at_provider.headers["Location"])
    assert back.path == reverse("sso:callback")
    return client.get(f"{back.path}?{back.query}")


def session_user_id(client: Client) -> str | None:
    value = client.session.get(SESSION_KEY)
    return None if value is None else str(value)
