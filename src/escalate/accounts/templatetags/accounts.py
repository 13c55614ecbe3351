"""``{% load accounts %}``: what pages outside the accounts app may show about the session.

``{% idle_timeout_minutes %}`` is the idle time-out now in force (read from settings at each
render). ``{% include "accounts/includes/session_notice.html" %}`` is a short notice for a
signed-in page, next to "Sign out": when the session ends if unused, and a link to stay signed
in. It needs no JavaScript.
"""

from __future__ import annotations

from django import template

from escalate.accounts.middleware import idle_timeout_seconds

register = template.Library()


@register.simple_tag
def idle_timeout_minutes() -> int:
    return idle_timeout_seconds() // 60
