"""The second factor: a TOTP authenticator app, with single-use recovery codes.

Devices are django-otp's: ``TOTPDevice`` (one confirmed device a user) and ``StaticDevice``
(the recovery codes, one ``StaticToken`` each). Everything a code's use changes is kept in the
database, so that no process can accept a code another has accepted:

- A TOTP code is checked by :func:`django_otp.verify_token`, which locks the device's row
  (``select_for_update``) inside a transaction; ``TOTPDevice.verify_token`` accepts only a time
  step later than the device's ``last_t`` and saves the step it accepted. So the same code (or
  an earlier one) is refused the second time, whichever process sees it.
- A recovery code's ``StaticToken`` row is deleted when it is used. The row holds the code's
  digest (:func:`recovery_code_digest`), never the code: a copy of the database does not give
  anyone a way to sign in.
- Both devices throttle wrong codes (django-otp's ``ThrottlingMixin``: 1, 2, 4, 8... seconds),
  and wrong codes count towards the sign-in lockout (``record_failure``).

Adding an app needs more than the password: an account with no app may set one up only while
its set-up window is open (:func:`allow_set_up`): for ``ESCALATE_SET_UP_WINDOW_HOURS`` after a
password chosen from an e-mailed link (which proves the person holds the account's mailbox) or
after an administrator's "set up a new app". Someone who has learnt only the password of an
account that never set one up cannot add their own.

A session is "verified" once :func:`complete_sign_in` has recorded the device in it
(``django_otp.login``); django-otp's middleware (``escalate.web.signed_in.SecondFactorMiddleware``,
which checks the device in the query that loads the user) reads it back on every request as
``request.user.is_verified()``.
"""

from __future__ import annotations

import hashlib
import secrets
from base64 import b32encode
from dataclasses import dataclass
from datetime import timedelta
from io import BytesIO
from typing import Any

import django_otp
import segno
from axes.handlers.proxy import AxesProxyHandler
from django.conf import settings
from django.contrib.auth.signals import user_login_failed
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone
from django_otp.models import Device
from django_otp.oath import TOTP, hotp
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from escalate.accounts.models import User
from escalate.audit.models import AuditAction, AuditResult
from escalate.audit.services import audit_account, client_ip

TOTP_DEVICE_NAME = "Authenticator app"
DEMO_DEVICE_NAME = "Demo authenticator"
RECOVERY_DEVICE_NAME = "Recovery codes"
RECOVERY_CODE_COUNT = 10
#: A recovery code: 16 characters of Crockford's base32 (80 random bits), shown as four groups
#: of four. No I, L, O or U, so nothing looks like anything else; typed look-alikes are mapped.
RECOVERY_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
RECOVERY_CODE_LENGTH = 16
_LOOK_ALIKES = str.maketrans({"I": "1", "L": "1", "O": "0"})
#: ``StaticToken.token`` holds 16 characters: the first 64 bits of the code's SHA-256, in hex.
RECOVERY_DIGEST_LENGTH = 16
#: Wrong codes in one sign-in before it starts again (each also counts towards the lockout).
MAX_CODE_ATTEMPTS = 5
#: Session key: how many wrong codes this sign-in has had.
FAILURES_KEY = "accounts_code_failures"


# ---------------------------------------------------------------------------------------
# Devices


def totp_device(user: Any, *, confirmed: bool = True) -> TOTPDevice | None:
    """The user's TOTP device (confirmed, or the one being set up)."""
    device: TOTPDevice | None = (
        TOTPDevice.objects.filter(user=user, confirmed=confirmed).order_by("pk").first()
    )
    return device


def device_being_set_up(user: Any) -> TOTPDevice:
    """The unconfirmed device of a user setting up their app, made if there is none."""
    device = totp_device(user, confirmed=False)
    if device is None:
        device = TOTPDevice.objects.create(user=user, name=TOTP_DEVICE_NAME, confirmed=False)
    return device


def demo_device(user: Any) -> TOTPDevice:
    """Demo only: a confirmed device for a user who has none, so that anyone can try the demo
    without an authenticator app (the sign-in page shows its current code). Refused unless
    ``ESCALATE_DEMO`` is on, which production refuses."""
    if not settings.ESCALATE_DEMO:
        raise PermissionError("Demo devices exist only in demo mode")
    device = totp_device(user)
    if device is None:
        device = TOTPDevice.objects.create(user=user, name=DEMO_DEVICE_NAME, confirmed=True)
    return device


def set_up_allowed(user: Any) -> bool:
    """Whether this account may set up an authenticator app now."""
    until = getattr(user, "set_up_allowed_until", None)
    return until is not None and timezone.now() < until


def allow_set_up(user: Any, *, actor: Any, how: str) -> None:
    """Open the account's set-up window (recorded in the audit trail with ``how``)."""
    hours = int(settings.ESCALATE_SET_UP_WINDOW_HOURS)
    until = timezone.now() + timedelta(hours=hours)
    with transaction.atomic():
        User.objects.filter(pk=user.pk).update(set_up_allowed_until=until)
        user.set_up_allowed_until = until
        audit_account(
            actor=actor,
            account=user,
            action=AuditAction.MFA_SET_UP_ALLOWED,
            detail={"how": how, "hours": hours},
        )


def reset_second_factor(user: Any, *, actor: Any, how: str = "administrator") -> None:
    """An administrator's "set up a new app": remove the user's app and recovery codes (each
    of their sessions must pass the second factor again, with the new app) and open the
    set-up window. For a lost phone, once the person's identity has been checked."""
    with transaction.atomic():
        TOTPDevice.objects.filter(user=user).delete()
        StaticDevice.objects.filter(user=user).delete()
        allow_set_up(user, actor=actor, how=how)


def confirm_device(device: TOTPDevice) -> None:
    """The app is set up: confirm it, close the set-up window, and record it."""
    with transaction.atomic():
        device.confirmed = True
        device.save(update_fields=["confirmed"])
        User.objects.filter(pk=device.user_id).update(set_up_allowed_until=None)
        audit_account(actor=device.user, account=device.user, action=AuditAction.MFA_SET_UP)


def secret_text(device: TOTPDevice) -> str:
    """The secret as people type it into an app: base32, in groups of four."""
    secret = b32encode(device.bin_key).decode("ascii").rstrip("=")
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))


def qr_code_svg(device: TOTPDevice) -> bytes:
    """The set-up QR code as a standalone SVG document (no scripts, no styles). It holds
    django-otp's ``otpauth://`` address for the device, with ``settings.OTP_TOTP_ISSUER`` as
    its issuer and label prefix."""
    out = BytesIO()
    segno.make(device.config_url, error="m").save(
        out,
        kind="svg",
        scale=5,
        border=4,
        dark="#0b0c0c",
        light="#ffffff",
        title="QR code for your authenticator app",
        xmldecl=True,
    )
    return out.getvalue()


def current_code(device: TOTPDevice) -> str | None:
    """The code the device would accept now (demo mode shows it). The current time step's
    code, or the next step's if the current one has been used; None if neither is usable."""
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    now = totp.t()
    for step in range(now, now + device.tolerance + 1):
        if step > device.last_t:
            return f"{hotp(device.bin_key, step, digits=device.digits):0{device.digits}d}"
    return None


# ---------------------------------------------------------------------------------------
# Recovery codes


def normalise_recovery_code(text: str) -> str:
    """A typed code as it was issued: capitals, no spaces or dashes, look-alikes mapped."""
    kept = "".join(ch for ch in text.upper() if ch.isascii() and ch.isalnum())
    return kept.translate(_LOOK_ALIKES)


def recovery_code_digest(code: str) -> str:
    """What is stored for a recovery code. The code has 80 random bits, so its digest (64 of
    SHA-256's bits, all a ``StaticToken`` row holds) cannot be turned back into a code that
    works in any useful time; a plain hash is enough, with no key to lose or rotate."""
    normal = normalise_recovery_code(code)
    return hashlib.sha256(normal.encode()).hexdigest()[:RECOVERY_DIGEST_LENGTH]


def _new_recovery_code() -> str:
    raw = "".join(secrets.choice(RECOVERY_ALPHABET) for _ in range(RECOVERY_CODE_LENGTH))
    return "-".join(raw[i : i + 4] for i in range(0, RECOVERY_CODE_LENGTH, 4))


def new_recovery_codes(user: Any, *, reason: str) -> list[str]:
    """Replace the user's recovery codes with ten new ones and return them (shown once; only
    their digests are kept). ``reason`` (``set-up`` or ``asked``) goes into the audit trail."""
    codes = [_new_recovery_code() for _ in range(RECOVERY_CODE_COUNT)]
    with transaction.atomic():
        StaticDevice.objects.filter(user=user).delete()
        device = StaticDevice.objects.create(user=user, name=RECOVERY_DEVICE_NAME, confirmed=True)
        StaticToken.objects.bulk_create(
            StaticToken(device=device, token=recovery_code_digest(code)) for code in codes
        )
        audit_account(
            actor=user,
            account=user,
            action=AuditAction.RECOVERY_CODES_ISSUED,
            detail={"reason": reason},
        )
    return codes


def recovery_codes_left(user: Any) -> int:
    return int(StaticToken.objects.filter(device__user=user, device__confirmed=True).count())


# ---------------------------------------------------------------------------------------
# Checking a code


class CodeResult:
    ACCEPTED = "accepted"
    WRONG = "wrong"
    TOO_SOON = "too-soon"  # the device is throttled after a wrong code: wait, then try again


@dataclass(frozen=True)
class Checked:
    result: str
    device: Device | None = None
    wait_seconds: int = 0


def _check(user: Any, device: Device, token: str) -> Checked:
    allowed, data = device.verify_is_allowed()
    if not allowed:
        wait = 1
        locked_until = (data or {}).get("locked_until")
        if locked_until is not None:
            wait = max(1, int((locked_until - timezone.now()).total_seconds()) + 1)
        return Checked(CodeResult.TOO_SOON, wait_seconds=wait)
    # django_otp.verify_token reloads the device with select_for_update in a transaction:
    # two requests with the same code cannot both pass.
    verified = django_otp.verify_token(user, device.persistent_id, token)
    if verified is None:
        return Checked(CodeResult.WRONG)
    return Checked(CodeResult.ACCEPTED, device=verified)


def check_totp(user: Any, device: TOTPDevice, token: str) -> Checked:
    token = "".join(token.split())
    if not token.isdigit() or len(token) != device.digits:
        return Checked(CodeResult.WRONG)
    return _check(user, device, token)


def check_recovery_code(user: Any, code: str) -> Checked:
    device = StaticDevice.objects.filter(user=user, confirmed=True).first()
    if device is None:
        return Checked(CodeResult.WRONG)
    if len(normalise_recovery_code(code)) != RECOVERY_CODE_LENGTH:
        return Checked(CodeResult.WRONG)  # not a code we issue: no need to ask the database
    return _check(user, device, recovery_code_digest(code))


# ---------------------------------------------------------------------------------------
# The sign-in


def complete_sign_in(request: HttpRequest, device: Device) -> None:
    """Mark this session as past the second factor (as django-otp's own views do), under a
    new session key, and clear the user's failed attempts: the lockout's count, and the
    back-off of their app (which a recovery code would not otherwise clear)."""
    request.session.cycle_key()
    django_otp.login(request, device)
    request.session.pop(FAILURES_KEY, None)
    _audit(request, AuditAction.MFA_VERIFIED, AuditResult.SUCCESS)
    TOTPDevice.objects.filter(user=request.user).update(
        throttling_failure_count=0, throttling_failure_timestamp=None
    )
    if axes_enabled():
        AxesProxyHandler.reset_attempts(username=request.user.get_username())


def record_failure(request: HttpRequest) -> bool:
    """Count a wrong code: towards the lockout (as a failed sign-in for this username, through
    django-axes) and towards this sign-in's limit. True when the sign-in must start again."""
    username = request.user.get_username()
    failures = int(request.session.get(FAILURES_KEY, 0)) + 1
    request.session[FAILURES_KEY] = failures
    _audit(request, AuditAction.MFA_FAILED, AuditResult.FAILED)
    user_login_failed.send(sender=__name__, credentials={"username": username}, request=request)
    return failures >= MAX_CODE_ATTEMPTS or bool(getattr(request, "axes_locked_out", False))


def axes_enabled() -> bool:
    return bool(getattr(settings, "AXES_ENABLED", True))


def is_verified(user: Any) -> bool:
    """Whether this user's session has passed the second factor (django-otp's middleware
    gives signed-in users ``is_verified()``; without it, no one has)."""
    check = getattr(user, "is_verified", None)
    return bool(callable(check) and check())


def is_locked_out(request: HttpRequest) -> bool:
    """True when the signed-in (not yet verified) user's username is locked out."""
    if not axes_enabled():
        return False
    credentials = {"username": request.user.get_username()}
    return not AxesProxyHandler.is_allowed(request, credentials)


def _audit(request: HttpRequest, action: str, result: str) -> None:
    """Second-factor outcomes go into the audit trail (the user's id, never the code)."""
    audit_account(
        actor=request.user,
        account=request.user,
        action=action,
        ip=client_ip(request),
        result=result,
    )
