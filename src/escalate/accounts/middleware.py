"""Two sign-in rules applied to every request.

``IdleTimeoutMiddleware``: a signed-in session unused for ``ESCALATE_IDLE_TIMEOUT_MINUTES``
(read at each request; 30 by default) is ended, and the user sees "You have been signed out".

``SecondFactorRequiredMiddleware``: a user who has given their password but not yet their
second factor reaches only the sign-in steps (and signing out, and password reset); every other
page, the admin included, sends them to the code page. It needs django-otp's ``OTPMiddleware``
(here its subclass ``escalate.web.signed_in.SecondFactorMiddleware``) before it; without it no
one counts as verified.

Both go after ``AuthenticationMiddleware`` in ``MIDDLEWARE``:

    AuthenticationMiddleware, SecondFactorMiddleware, IdleTimeoutMiddleware,
    SecondFactorRequiredMiddleware
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.contrib.auth import logout
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import resolve_url
from django.urls import NoReverseMatch, reverse

from escalate.accounts import mfa
from escalate.accounts.redirects import with_next

#: Session key: when this session last made a request (whole seconds since the epoch).
LAST_ACTIVITY_KEY = "accounts_last_activity"
#: The stored time is refreshed at most this often, to spare a session write per request.
ACTIVITY_RESOLUTION_SECONDS = 30
DEFAULT_IDLE_TIMEOUT_MINUTES = 30

#: Pages a user may open between their password and their second factor.
SIGN_IN_VIEWS = frozenset(
    {
        "accounts:sign-in",
        "accounts:verify",
        "accounts:recovery-code",
        "accounts:set-up",
        "accounts:set-up-qr",
        "accounts:sign-out",
        "accounts:timed-out",
        "accounts:password-reset",
        "accounts:password-reset-done",
        "accounts:password-reset-confirm",
        "accounts:password-reset-complete",
    }
)


def idle_timeout_seconds() -> int:
    minutes = getattr(settings, "ESCALATE_IDLE_TIMEOUT_MINUTES", DEFAULT_IDLE_TIMEOUT_MINUTES)
    return max(1, int(minutes)) * 60


def now_seconds() -> int:
    return int(time.time())


def seconds_left(request: HttpRequest) -> int:
    """How long this session may stay unused before it is ended."""
    last = request.session.get(LAST_ACTIVITY_KEY)
    if not isinstance(last, int):
        return idle_timeout_seconds()
    return max(0, idle_timeout_seconds() - (now_seconds() - last))


def touch(request: HttpRequest, *, force: bool = False) -> None:
    """Record activity now (at most every ``ACTIVITY_RESOLUTION_SECONDS`` unless forced)."""
    now = now_seconds()
    last = request.session.get(LAST_ACTIVITY_KEY)
    if force or not isinstance(last, int) or now - last >= ACTIVITY_RESOLUTION_SECONDS:
        request.session[LAST_ACTIVITY_KEY] = now


def _url(name: str, fallback: str) -> str:
    try:
        return reverse(name)
    except NoReverseMatch:  # a URLconf without the accounts pages (some tests use one)
        return resolve_url(fallback)


class IdleTimeoutMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.user.is_authenticated:
            last = request.session.get(LAST_ACTIVITY_KEY)
            if isinstance(last, int) and now_seconds() - last > idle_timeout_seconds():
                logout(request)  # flushes the session: its key is no use to anyone now
                return HttpResponseRedirect(_url("accounts:timed-out", settings.LOGIN_URL))
            touch(request)
        return self.get_response(request)


class SecondFactorRequiredMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_view(
        self,
        request: HttpRequest,
        view_func: Callable[..., Any],
        view_args: Any,
        view_kwargs: Any,
    ) -> HttpResponse | None:
        user = request.user
        if not user.is_authenticated:
            return None
        if mfa.is_verified(user):
            return None
        match = request.resolver_match
        if match is not None and match.view_name in SIGN_IN_VIEWS:
            return None
        target = _url("accounts:verify", settings.LOGIN_URL)
        if request.method in ("GET", "HEAD"):
            target = with_next(target, request.get_full_path())
        return HttpResponseRedirect(target)
