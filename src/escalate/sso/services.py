"""Linking and unlinking organisation accounts. One entry point per change; the database's
unique (issuer, subject) constraint is the guard that holds even when two requests race."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db import IntegrityError, transaction
from django.utils import timezone

from escalate.sso.models import OidcIdentity

if TYPE_CHECKING:
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


def identity_link(*, user: User, issuer: str, subject: str) -> OidcIdentity:
    """Link the organisation account (issuer, subject), from a verified ID token, to ``user``."""
    existing = OidcIdentity.objects.filter(issuer=issuer, subject=subject).first()
    if existing is not None:
        raise IdentityLinkError(
            IDENTITY_ALREADY_LINKED
            if existing.user_id == user.pk
            else IDENTITY_LINKED_TO_ANOTHER_USER
        )
    try:
        with transaction.atomic():
            return OidcIdentity.objects.create(user=user, issuer=issuer, subject=subject)
    except IntegrityError:
        # Linked by someone else between the check above and this insert.
        raise IdentityLinkError(IDENTITY_LINKED_TO_ANOTHER_USER) from None


def identity_unlink(*, user: User, identity_id: int) -> None:
    """Remove one of ``user``'s own links; ``OidcIdentity.DoesNotExist`` for anyone else's."""
    deleted, _ = OidcIdentity.objects.filter(user=user, pk=identity_id).delete()
    if not deleted:
        raise OidcIdentity.DoesNotExist


def identity_record_use(*, issuer: str, subject: str) -> None:
    OidcIdentity.objects.filter(issuer=issuer, subject=subject).update(last_used_at=timezone.now())
