"""Changes to an account that are not its second factor (those are in ``mfa``): one entry
point each, with its audit entry in the same transaction. Views call these; they never change
an account or write its audit entry themselves."""

from __future__ import annotations

from django.db import transaction
from django.db.models import F

from escalate.accounts import mfa
from escalate.accounts.models import User
from escalate.audit.models import AuditAction
from escalate.audit.services import audit_account

#: How a password was changed, as the audit trail records it.
FROM_ACCOUNT_PAGE = "account-page"
FROM_RESET_LINK = "reset-link"


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
