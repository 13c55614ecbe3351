from __future__ import annotations

from typing import TYPE_CHECKING

from django.db.models import QuerySet

from escalate.sso.models import OidcIdentity

if TYPE_CHECKING:
    from escalate.accounts.models import User


def identity_list_for(user: User) -> QuerySet[OidcIdentity]:
    """The organisation accounts linked to ``user`` (and only theirs)."""
    return OidcIdentity.objects.filter(user=user).order_by("created_at", "pk")
