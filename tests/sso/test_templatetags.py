"""The links other apps' templates use to reach single sign-on."""

from __future__ import annotations

from django.template import Context, Template
from pytest_django.fixtures import Settings

from escalate.sso.conf import REQUIRED_SETTINGS
from tests.sso.provider import OpenIdProvider

SNIPPET = Template(
    "{% load sso %}{% sso_sign_in_url next as sso_url %}{% sso_identities_url as ids %}"
    "[{{ sso_url }}][{{ ids }}]"
)


def test_the_links_are_there_when_sso_is_configured(
    settings: Settings, provider: OpenIdProvider
) -> None:
    for name, value in provider.settings.items():
        setattr(settings, name, value)
    assert SNIPPET.render(Context({"next": "/escalations/?a=1"})) == (
        "[/sso/start/?next=%2Fescalations%2F%3Fa%3D1][/sso/identities/]"
    )
    assert SNIPPET.render(Context({})) == "[/sso/start/][/sso/identities/]"


def test_the_links_are_empty_when_sso_is_off(settings: Settings) -> None:
    for name in REQUIRED_SETTINGS:
        setattr(settings, name, "")
    assert SNIPPET.render(Context({"next": "/"})) == "[][]"
