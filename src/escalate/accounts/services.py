"""Changes to an account that are not its second factor (those are in ``mfa``): one entry
point each, with its audit entry in the same transaction. Views call these; they never change
an account or write its audit entry themselves."""

from __future__ import annotations

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.http import HttpRequest

from escalate.accounts import mfa
from escalate.accounts.forms import PasswordResetForm
from escalate.accounts.models import User
from escalate.audit.models import AuditAction
from escalate.audit.services import audit_account, audit_record

#: How a password was changed, as the audit trail records it.
FROM_ACCOUNT_PAGE = "account-page"
FROM_RESET_LINK = "reset-link"

#: The e-mail with a link to choose a password (its subject names no one).
RESET_SUBJECT_TEMPLATE = "accounts/email/password_reset_subject.txt"
RESET_EMAIL_TEMPLATE = "accounts/email/password_reset.txt"


def reset_email_context() -> dict[str, str]:
    """What the reset e-mail says about how long its link, and the set-up window, last."""
    return {
        "valid_minutes": str(settings.PASSWORD_RESET_TIMEOUT // 60),
        "set_up_hours": str(settings.ESCALATE_SET_UP_WINDOW_HOURS),
    }


def account_sign_out_everywhere(*, user: User) -> None:
    """End every session of ``user`` on every device: their sessions carry the epoch, so
    raising it makes each one stale at its next request."""
    with transaction.atomic():
        User.objects.filter(pk=user.pk).update(session_epoch=F("session_epoch") + 1)
        audit_account(actor=user, account=user, action=AuditAction.SIGNED_OUT_EVERYWHERE)


def account_record_password_change(*, user: User, how: str) -> None:
    """Record a new password (Django's forms set it). One chosen from an e-mailed link proves
    the person reads the account's mailbox, so an account with no authenticator app may now
    set one up."""
    with transaction.atomic():
        audit_account(
            actor=user, account=user, action=AuditAction.PASSWORD_CHANGED, detail={"how": how}
        )
        if how == FROM_RESET_LINK and mfa.totp_device(user) is None:
            mfa.allow_set_up(user, actor=user, how=FROM_RESET_LINK)


def account_record_password_reset_request(*, ip: str | None) -> None:
    """Record that someone asked for a reset link: the same whether or not the address has an
    account, and the address is not kept."""
    audit_record(actor=None, action=AuditAction.PASSWORD_RESET_REQUESTED, ip=ip)


def account_send_set_up_link(*, user: User, request: HttpRequest) -> None:
    """E-mail an account with no authenticator app a link to choose a password, to its own
    address: choosing one proves the person reads that mailbox, which opens the set-up window
    (:func:`account_record_password_change`). Callers limit how often this is asked for."""
    form = PasswordResetForm({"email": user.email})
    if form.is_valid():
        form.save(
            request=request,
            use_https=request.is_secure(),
            subject_template_name=RESET_SUBJECT_TEMPLATE,
            email_template_name=RESET_EMAIL_TEMPLATE,
            extra_email_context=reset_email_context(),
        )
    audit_account(
        actor=user,
        account=user,
        action=AuditAction.PASSWORD_RESET_REQUESTED,
        detail={"why": "set-up"},
    )
