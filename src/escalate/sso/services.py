"""Linking and unlinking organisation accounts. One entry point per change; the database's
unique (issuer, subject) constraint is the guard that holds even when two requests race.

Every link and unlink, every refused one, and every refused round trip to the provider is in the
audit trail: the user's id, the link's id and the provider (issuer), never the subject or any
other claim."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db import IntegrityError, transaction
from django.utils import timezone

from escalate.audit.models import AuditAction, AuditResult
from escalate.audit.services import audit_account, audit_record
from escalate.sso.models import OidcIdentity

if TYPE_CHECKING:
    from django.contrib.auth.base_user import AbstractBaseUser
    from django.contrib.auth.models import AnonymousUser

    from escalate.accounts.models import User

IDENTITY_LINKED_TO_ANOTHER_USER = (
    "This organisation account is already linked to another Escalate account. "
    "Ask your business unit for help"
)
IDENTITY_ALREADY_LINKED = "This organisation account is already linked to your Escalate account"


class IdentityLinkError(Exception):
    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


#: Why a link was refused, as the audit trail records it.
REASON_ALREADY_LINKED = "already-linked-to-this-account"
REASON_LINKED_TO_ANOTHER = "linked-to-another-account"


def _audit(
    action: AuditAction, user: User, result: AuditResult, **detail: str | int | None
) -> None:
    audit_account(actor=user, account=user, action=action, result=result, detail=detail)


def identity_link(*, user: User, issuer: str, subject: str) -> OidcIdentity:
    """Link the organisation account (issuer, subject), from a verified ID token, to ``user``."""
    existing = OidcIdentity.objects.filter(issuer=issuer, subject=subject).first()
    if existing is not None:
        mine = existing.user_id == user.pk
        reason = REASON_ALREADY_LINKED if mine else REASON_LINKED_TO_ANOTHER
        _audit(AuditAction.SSO_LINKED, user, AuditResult.REFUSED, issuer=issuer, reason=reason)
        raise IdentityLinkError(
            IDENTITY_ALREADY_LINKED if mine else IDENTITY_LINKED_TO_ANOTHER_USER
        )
    try:
        with transaction.atomic():
            identity = OidcIdentity.objects.create(user=user, issuer=issuer, subject=subject)
            _audit(
                AuditAction.SSO_LINKED,
                user,
                AuditResult.SUCCESS,
                identity=identity.pk,
                issuer=issuer,
            )
            return identity
    except IntegrityError:
        # Linked by someone else between the check above and this insert.
        _audit(
            AuditAction.SSO_LINKED,
            user,
            AuditResult.REFUSED,
            issuer=issuer,
            reason=REASON_LINKED_TO_ANOTHER,
        )
        raise IdentityLinkError(IDENTITY_LINKED_TO_ANOTHER_USER) from None


def identity_unlink(*, user: User, identity_id: int) -> None:
    """Remove one of ``user``'s own links; ``OidcIdentity.DoesNotExist`` for anyone else's."""
    with transaction.atomic():
        identity = OidcIdentity.objects.filter(user=user, pk=identity_id).first()
        if identity is not None:
            issuer = identity.issuer
            identity.delete()
            _audit(
                AuditAction.SSO_UNLINKED,
                user,
                AuditResult.SUCCESS,
                identity=identity_id,
                issuer=issuer,
            )
            return
    _audit(AuditAction.SSO_UNLINKED, user, AuditResult.REFUSED, identity=identity_id)
    raise OidcIdentity.DoesNotExist


def identity_record_use(*, issuer: str, subject: str) -> None:
    OidcIdentity.objects.filter(issuer=issuer, subject=subject).update(last_used_at=timezone.now())


def round_trip_record_refusal(
    *, user: AbstractBaseUser | AnonymousUser, linking: bool, reason: str
) -> None:
    """A refused round trip to the provider. A refused sign-in is a failed sign-in by nobody
    known; a refused link is the signed-in ``user``'s. Either way only our reason is kept: no
    claim, no subject, no e-mail address."""
    detail = {"method": "single-sign-on", "reason": reason}
    if linking and user.is_authenticated:
        audit_account(
            actor=user,
            account=user,
            action=AuditAction.SSO_LINKED,
            result=AuditResult.REFUSED,
            detail=detail,
        )
        return
    audit_record(
        actor=None, action=AuditAction.SIGN_IN_FAILED, result=AuditResult.FAILED, detail=detail
    )
