"""``{% load sso %}``: links into single sign-on for other apps' templates, empty when SSO is off.

{% sso_sign_in_url next as sso_url %}{% if sso_url %}<a href="{{ sso_url }}">...</a>{% endif %}
{% sso_identities_url as identities_url %}
"""

from __future__ import annotations

from django import template
from django.urls import reverse

from escalate.accounts.redirects import with_next
from escalate.sso.conf import sso_enabled

register = template.Library()


@register.simple_tag
def sso_sign_in_url(next_url: str = "") -> str:
    """Where "Sign in with your organisation's account" goes (with ``next``), or ""."""
    if not sso_enabled():
        return ""
    return with_next(reverse("sso:start"), next_url)


@register.simple_tag
def sso_identities_url() -> str:
    """The "Your organisation accounts" page, or "" when SSO is off."""
    return reverse("sso:identities") if sso_enabled() else ""
