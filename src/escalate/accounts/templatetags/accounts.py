"""``{% load accounts %}``: what pages outside the accounts app may show about the session.

``{% idle_timeout_minutes %}`` is the idle time-out now in force (read from settings at each
render). ``{% include "accounts/includes/session_notice.html" %}`` is the footer's short notice
on a signed-in page: when the session ends if unused, and a link to stay signed in; it needs
no JavaScript. ``{% include "accounts/includes/timeout_warning.html" %}`` is the dialog that
``frontend/js/timeout-warning.mjs`` opens ``{% timeout_warning_seconds %}`` before the end
(with JavaScript only; closed, it shows nothing).
"""

from __future__ import annotations

from django import template
from django.conf import settings

from escalate.accounts.middleware import idle_timeout_seconds

register = template.Library()


@register.simple_tag
def idle_timeout_minutes() -> int:
    return idle_timeout_seconds() // 60


@register.simple_tag
def idle_timeout_seconds_tag() -> int:
    return idle_timeout_seconds()


@register.simple_tag
def timeout_warning_seconds() -> int:
    """How long before the time-out the warning opens: ``ESCALATE_TIMEOUT_WARNING_SECONDS``
    (default 120), and never more than half the time-out."""
    wanted = int(getattr(settings, "ESCALATE_TIMEOUT_WARNING_SECONDS", 120))
    return max(1, min(wanted, idle_timeout_seconds() // 2))
