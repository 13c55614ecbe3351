"""Sign-in, sign-out and failed sign-in, from Django's auth signals.

Not connected on import: call :func:`connect_auth_signals` once (from an ``AppConfig.ready()``)
to turn them on. A failed sign-in names the account only when the username typed is one that
exists (then ``actor`` is that account and the result ``failed``); otherwise nothing typed is
kept, because people type passwords into username boxes.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth import BACKEND_SESSION_KEY, get_user_model
from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.http import HttpRequest

from escalate.audit.models import AuditAction, AuditResult, ObjectType
from escalate.audit.services import audit_account, audit_record, client_ip


def _ip(request: HttpRequest | None) -> str | None:
    return client_ip(request) if request is not None else None


#: Backends whose sign-in is through the organisation's identity provider.
SINGLE_SIGN_ON_BACKENDS = "escalate.sso."


def sign_in_method(request: HttpRequest | None, user: Any) -> str:
    """How the first factor was given: ``single-sign-on`` or ``password`` (from the backend
    ``auth.login`` recorded in the session, else the one ``authenticate`` set on the user)."""
    session = getattr(request, "session", None)
    backend = str(
        (session.get(BACKEND_SESSION_KEY) if session is not None else None)
        or getattr(user, "backend", "")
        or ""
    )
    return "single-sign-on" if backend.startswith(SINGLE_SIGN_ON_BACKENDS) else "password"


def on_signed_in(sender: object, request: HttpRequest | None, user: Any, **kwargs: Any) -> None:
    audit_account(
        actor=user,
        account=user,
        action=AuditAction.SIGN_IN,
        ip=_ip(request),
        detail={"method": sign_in_method(request, user)},
    )


def on_signed_out(
    sender: object, request: HttpRequest | None, user: Any | None, **kwargs: Any
) -> None:
    if user is None or not getattr(user, "is_authenticated", False):
        return  # signing out when not signed in: nothing happened
    audit_account(actor=user, account=user, action=AuditAction.SIGN_OUT, ip=_ip(request))


def on_sign_in_failed(
    sender: object,
    credentials: dict[str, Any],
    request: HttpRequest | None = None,
    **kwargs: Any,
) -> None:
    user_model = get_user_model()
    username = credentials.get(user_model.USERNAME_FIELD) or credentials.get("username")
    account = (
        user_model._default_manager.filter(**{user_model.USERNAME_FIELD: username}).first()
        if isinstance(username, str) and username
        else None
    )
    audit_record(
        actor=account,
        action=AuditAction.SIGN_IN_FAILED,
        object_type=ObjectType.USER if account is not None else "",
        object_ref=str(account.pk) if account is not None else "",
        ip=_ip(request),
        result=AuditResult.FAILED,
    )


def connect_auth_signals() -> None:
    user_logged_in.connect(on_signed_in, dispatch_uid="escalate.audit.sign-in")
    user_logged_out.connect(on_signed_out, dispatch_uid="escalate.audit.sign-out")
    user_login_failed.connect(on_sign_in_failed, dispatch_uid="escalate.audit.sign-in-failed")


def disconnect_auth_signals() -> None:
    user_logged_in.disconnect(dispatch_uid="escalate.audit.sign-in")
    user_logged_out.disconnect(dispatch_uid="escalate.audit.sign-out")
    user_login_failed.disconnect(dispatch_uid="escalate.audit.sign-in-failed")
