"""Signing in (password, then a code from an authenticator app), signing out, sessions and
passwords.

Signing in:

1. ``SignInView``: username and password. django-axes checks them first and refuses a locked
   username. A correct password signs the user in *without* the second factor: from then on
   ``SecondFactorRequiredMiddleware`` lets them reach only the sign-in steps.
2. ``verify``: the 6-digit code from their app (or ``recovery_code``: one of their recovery
   codes). A user without an app is sent to ``set_up`` (QR code, then a code to confirm it,
   then ten recovery codes shown once). In demo mode a user without an app is given one, and
   the code page shows its current code; it must still be typed.

Wrong codes count as failed sign-ins for the lockout; five in one sign-in start it again.
"""

from __future__ import annotations

import time
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.contrib.auth.signals import user_login_failed
from django.forms import Form
from django.http import HttpRequest, HttpResponse, HttpResponseBase, HttpResponseRedirect
from django.shortcuts import redirect, render, resolve_url
from django.urls import reverse, reverse_lazy
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_http_methods

from escalate.accounts import mfa, services
from escalate.accounts.forms import (
    CODE_TOO_SOON,
    CODE_WRONG,
    RECOVERY_WRONG,
    CodeForm,
    PasswordChangeForm,
    PasswordResetForm,
    RecoveryCodeForm,
    SetPasswordForm,
    SignInForm,
)
from escalate.accounts.middleware import idle_timeout_seconds, seconds_left, touch
from escalate.accounts.models import User
from escalate.accounts.redirects import with_next
from escalate.audit.services import client_ip

#: Session key: when this sign-in last e-mailed a link to open the set-up window.
SET_UP_LINK_SENT_KEY = "accounts_set_up_link_sent"
SET_UP_LINK_INTERVAL_SECONDS = 60
#: Session key: recovery codes waiting to be shown once, straight after they are made.
NEW_RECOVERY_CODES_KEY = "accounts_new_recovery_codes"

SIGNED_OUT_EVERYWHERE = "You have been signed out on every device"
TOO_MANY_CODES = "You entered a wrong code too many times. Sign in again."
PASSWORD_CHANGED = "Your password has been changed"  # noqa: S105


def _next_url(request: HttpRequest) -> str:
    """Where to go after signing in: a safe ``next`` from the request, else the home page."""
    wanted = request.POST.get("next") or request.GET.get("next") or ""
    if any(ord(ch) < 32 or ord(ch) == 127 for ch in wanted):
        wanted = ""  # a control character is never part of a page of ours
    if wanted and url_has_allowed_host_and_scheme(
        wanted, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return wanted
    return resolve_url(settings.LOGIN_REDIRECT_URL)


def _user(request: HttpRequest) -> User:
    user = request.user
    assert isinstance(user, User)  # noqa: S101 - only called once is_authenticated holds
    return user


# ---------------------------------------------------------------------------------------
# Step 1: password


class SignInView(auth_views.LoginView):
    template_name = "accounts/sign_in.html"
    form_class = SignInForm
    redirect_authenticated_user = True

    def form_valid(self, form: Any) -> HttpResponse:
        super().form_valid(form)  # signs in (not yet past the second factor)
        return HttpResponseRedirect(with_next(reverse("accounts:verify"), self.get_success_url()))

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        if settings.ESCALATE_DEMO:
            from escalate.demo.scenario import DEMO_PASSWORD, demo_sign_ins

            context["demo_sign_ins"] = demo_sign_ins()
            context["demo_password"] = DEMO_PASSWORD
        return context


# ---------------------------------------------------------------------------------------
# Step 2: the second factor


def _restart(request: HttpRequest) -> HttpResponse:
    """Too many wrong codes: sign out; a locked-out username gets the lockout page (django-axes'
    middleware replaces this response), anyone else signs in again."""
    locked = bool(getattr(request, "axes_locked_out", False))
    logout(request)
    if not locked:
        messages.error(request, TOO_MANY_CODES)
    return redirect("accounts:sign-in")


def _before_second_factor(request: HttpRequest) -> HttpResponse | None:
    """The response for a request that is not half-way through signing in, if any."""
    if not request.user.is_authenticated:
        return redirect("accounts:sign-in")
    if mfa.is_verified(request.user):
        return redirect(_next_url(request))
    if mfa.is_locked_out(request):
        logout(request)
        return locked_out(request)
    return None


def _duration(seconds: int) -> str:
    """'5 seconds', '3 minutes', '2 hours' (rounded up)."""
    for unit, size in (("hour", 3600), ("minute", 60)):
        if seconds > 2 * size:
            count = -(-seconds // size)
            return f"{count} {unit}s"
    return f"{seconds} second{'' if seconds == 1 else 's'}"


def _code_refused(
    request: HttpRequest, form: Form, field: str, checked: mfa.Checked, wrong: str
) -> HttpResponse | None:
    """A code that was not accepted. A wrong one counts as a failure, and too many start the
    sign-in again (that response is returned); otherwise the form says why (``wrong``, or how
    long to wait after the device's back-off)."""
    if checked.result == mfa.CodeResult.WRONG and mfa.record_failure(request):
        return _restart(request)
    if checked.result == mfa.CodeResult.TOO_SOON:
        wrong = CODE_TOO_SOON.format(wait=_duration(checked.wait_seconds))
    form.add_error(field, wrong)
    return None


@require_http_methods(["GET", "POST"])
def verify(request: HttpRequest) -> HttpResponse:
    """Enter the 6-digit code from your authenticator app."""
    early = _before_second_factor(request)
    if early is not None:
        return early
    user = _user(request)
    next_url = _next_url(request)
    device = mfa.totp_device(user)
    if device is None:
        if not settings.ESCALATE_DEMO:
            return redirect(with_next(reverse("accounts:set-up"), next_url))
        device = mfa.demo_device(user)

    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        checked = mfa.check_totp(user, device, form.cleaned_data["otp_token"])
        if checked.result == mfa.CodeResult.ACCEPTED and checked.device is not None:
            mfa.complete_sign_in(request, checked.device)
            return HttpResponseRedirect(next_url)
        if restart := _code_refused(request, form, "otp_token", checked, CODE_WRONG):
            return restart
    context = {
        "form": form,
        "next": next_url,
        "has_recovery_codes": mfa.recovery_codes_left(user) > 0,
        "demo_code": mfa.current_code(device) if settings.ESCALATE_DEMO else None,
    }
    return render(request, "accounts/verify.html", context)


@require_http_methods(["GET", "POST"])
def recovery_code(request: HttpRequest) -> HttpResponse:
    """Sign in with one of the recovery codes instead of the app (each works once)."""
    early = _before_second_factor(request)
    if early is not None:
        return early
    user = _user(request)
    next_url = _next_url(request)
    form = RecoveryCodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        checked = mfa.check_recovery_code(user, form.cleaned_data["recovery_code"])
        if checked.result == mfa.CodeResult.ACCEPTED and checked.device is not None:
            mfa.complete_sign_in(request, checked.device)
            left = mfa.recovery_codes_left(user)
            messages.warning(
                request,
                f"You used a recovery code. You have {left} left: get new ones from "
                "Your account if you are running out.",
            )
            return HttpResponseRedirect(next_url)
        if restart := _code_refused(request, form, "recovery_code", checked, RECOVERY_WRONG):
            return restart
    return render(request, "accounts/recovery_code.html", {"form": form, "next": next_url})


# ---------------------------------------------------------------------------------------
# Setting up an authenticator app (first sign-in)


@require_http_methods(["GET", "POST"])
def set_up(request: HttpRequest) -> HttpResponse:
    """Set up an authenticator app: scan the QR code (or type the key), then enter a code.
    Only for a user who has none: a confirmed app is never replaced from here."""
    early = _before_second_factor(request)
    if early is not None:
        return early
    user = _user(request)
    next_url = _next_url(request)
    if mfa.totp_device(user) is not None:
        return redirect(with_next(reverse("accounts:verify"), next_url))
    if not mfa.set_up_allowed(user):
        return _set_up_needs_link(request, user, next_url)
    device = mfa.device_being_set_up(user)

    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        checked = mfa.check_totp(user, device, form.cleaned_data["otp_token"])
        if checked.result == mfa.CodeResult.ACCEPTED:
            mfa.confirm_device(device)
            mfa.complete_sign_in(request, device)
            codes = mfa.new_recovery_codes(user, reason="set-up")
            request.session[NEW_RECOVERY_CODES_KEY] = codes
            return redirect(with_next(reverse("accounts:recovery-codes"), next_url))
        if restart := _code_refused(request, form, "otp_token", checked, CODE_WRONG):
            return restart
    context = {"form": form, "next": next_url, "secret": mfa.secret_text(device)}
    return render(request, "accounts/set_up.html", context)


def _set_up_needs_link(request: HttpRequest, user: User, next_url: str) -> HttpResponse:
    """An account with no app and no open set-up window: the password alone is not enough to
    add an app. A POST e-mails the account's own address a link to choose a password (which
    opens the window); at most one a minute, so the page cannot flood a mailbox."""
    sent = False
    if request.method == "POST":
        last = float(request.session.get(SET_UP_LINK_SENT_KEY, 0))
        if time.time() - last >= SET_UP_LINK_INTERVAL_SECONDS:
            services.account_send_set_up_link(user=user, request=request)
            request.session[SET_UP_LINK_SENT_KEY] = time.time()
        sent = True
    context = {"sent": sent, "next": next_url, **services.reset_email_context()}
    return render(request, "accounts/set_up_needs_link.html", context)


@require_GET
def set_up_qr(request: HttpRequest) -> HttpResponse:
    """The QR code of the app being set up, as an SVG image (never cached)."""
    if not request.user.is_authenticated or mfa.is_verified(request.user):
        return HttpResponse(status=404)
    if not mfa.set_up_allowed(request.user):
        return HttpResponse(status=404)
    device = mfa.totp_device(_user(request), confirmed=False)
    if device is None:
        return HttpResponse(status=404)
    response = HttpResponse(mfa.qr_code_svg(device), content_type="image/svg+xml")
    response["Cache-Control"] = "no-store"
    return response


@require_GET
@login_required
def recovery_codes(request: HttpRequest) -> HttpResponse:
    """The new recovery codes, shown once."""
    codes = request.session.pop(NEW_RECOVERY_CODES_KEY, None)
    if not codes:
        return redirect("accounts:account")
    return render(
        request,
        "accounts/recovery_codes.html",
        {"codes": codes, "next": _next_url(request)},
    )


@require_http_methods(["GET", "POST"])
@login_required
def new_recovery_codes(request: HttpRequest) -> HttpResponse:
    """Replace the recovery codes (the old ones stop working)."""
    if request.method == "POST":
        codes = mfa.new_recovery_codes(request.user, reason="asked")
        request.session[NEW_RECOVERY_CODES_KEY] = codes
        return redirect("accounts:recovery-codes")
    left = mfa.recovery_codes_left(request.user)
    return render(request, "accounts/new_recovery_codes.html", {"left": left})


# ---------------------------------------------------------------------------------------
# Lockout (django-axes: AXES_LOCKOUT_CALLABLE)


def locked_out(
    request: HttpRequest,
    original_response: HttpResponseBase | None = None,
    credentials: dict[str, Any] | None = None,
) -> HttpResponse:
    """ "You cannot sign in for 15 minutes": django-axes shows this for a locked-out username.
    It says nothing about whether the account exists (unknown usernames are locked alike)."""
    from axes.helpers import get_cool_off

    if request.user.is_authenticated:
        logout(request)
    cool_off = get_cool_off(request)
    minutes = int(cool_off.total_seconds() // 60) if cool_off else 0
    return render(request, "accounts/locked_out.html", {"minutes": minutes}, status=429)


# ---------------------------------------------------------------------------------------
# Your account, sessions, signing out


@require_GET
@login_required
def account(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "accounts/account.html",
        {
            "recovery_codes_left": mfa.recovery_codes_left(request.user),
            "idle_minutes": idle_timeout_seconds() // 60,
        },
    )


class SignOutView(auth_views.LogoutView):
    http_method_names = ["post", "options"]


@require_http_methods(["GET", "POST"])
@login_required
def sign_out_everywhere(request: HttpRequest) -> HttpResponse:
    """End every session of this user, on every device, this one included."""
    if request.method == "POST":
        user = _user(request)
        services.account_sign_out_everywhere(user=user)
        logout(request)
        messages.success(request, SIGNED_OUT_EVERYWHERE)
        return redirect("accounts:sign-in")
    return render(request, "accounts/sign_out_everywhere.html")


@require_GET
def timed_out(request: HttpRequest) -> HttpResponse:
    """ "You have been signed out" after the idle time-out."""
    return render(
        request, "accounts/timed_out.html", {"idle_minutes": idle_timeout_seconds() // 60}
    )


@require_http_methods(["GET", "POST"])
@login_required
def session(request: HttpRequest) -> HttpResponse:
    """When this session will end if unused, with a "Stay signed in" button (POST)."""
    if request.method == "POST":
        touch(request, force=True)
        return HttpResponseRedirect(_next_url(request))
    return render(
        request,
        "accounts/session.html",
        {
            "idle_minutes": idle_timeout_seconds() // 60,
            "minutes_left": max(1, seconds_left(request) // 60),
            "next": _next_url(request),
        },
    )


# ---------------------------------------------------------------------------------------
# Passwords


class PasswordChangeView(auth_views.PasswordChangeView):
    """Change your password. Your other sessions end (the session hash includes it)."""

    form_class = PasswordChangeForm
    template_name = "accounts/password_change.html"
    success_url = reverse_lazy("accounts:account")

    def form_invalid(self, form: Any) -> HttpResponse:
        if "old_password" in form.errors and form.data.get("old_password"):
            # A wrong current password counts towards the lockout like a wrong sign-in.
            user_login_failed.send(
                sender=__name__,
                credentials={"username": self.request.user.get_username()},
                request=self.request,
            )
            if getattr(self.request, "axes_locked_out", False):
                logout(self.request)
        return super().form_invalid(form)

    def form_valid(self, form: Any) -> HttpResponse:
        response = super().form_valid(form)
        services.account_record_password_change(
            user=_user(self.request), how=services.FROM_ACCOUNT_PAGE
        )
        messages.success(self.request, PASSWORD_CHANGED)
        return response


class PasswordResetView(auth_views.PasswordResetView):
    """Ask for a reset link. The answer is the same whether or not the address has an
    account; the e-mail's subject names no one."""

    form_class = PasswordResetForm
    template_name = "accounts/password_reset.html"
    subject_template_name = services.RESET_SUBJECT_TEMPLATE
    email_template_name = services.RESET_EMAIL_TEMPLATE
    success_url = reverse_lazy("accounts:password-reset-done")

    @property
    def extra_email_context(self) -> dict[str, str]:  # type: ignore[override]
        return services.reset_email_context()

    def form_valid(self, form: Any) -> HttpResponse:
        services.account_record_password_reset_request(ip=client_ip(self.request))
        return super().form_valid(form)


class PasswordResetDoneView(auth_views.PasswordResetDoneView):
    template_name = "accounts/password_reset_done.html"


class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    """Choose a new password from the e-mailed link (which works once). It does not sign
    in: signing in still takes the second factor."""

    form_class = SetPasswordForm
    template_name = "accounts/password_reset_confirm.html"
    success_url = reverse_lazy("accounts:password-reset-complete")
    post_reset_login = False

    def form_valid(self, form: Any) -> HttpResponse:
        response = super().form_valid(form)
        user = form.user
        services.account_record_password_change(user=user, how=services.FROM_RESET_LINK)
        return response


class PasswordResetCompleteView(auth_views.PasswordResetCompleteView):
    template_name = "accounts/password_reset_complete.html"
