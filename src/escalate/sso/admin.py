"""Administrators may see and remove links, never add them: a link is made only by its owner,
signed in with both factors, completing the provider's sign-in (docs/sso.md)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.contrib import admin
from django.http import HttpRequest

from escalate.audit.admin_mixin import AuditedAdminMixin
from escalate.sso.models import OidcIdentity

if TYPE_CHECKING:
    _OidcIdentityAdmin = admin.ModelAdmin[OidcIdentity]
else:
    _OidcIdentityAdmin = admin.ModelAdmin


@admin.register(OidcIdentity)
class OidcIdentityAdmin(AuditedAdminMixin, _OidcIdentityAdmin):
    list_display = ["user", "issuer", "created_at", "last_used_at"]
    list_filter = ["issuer"]
    search_fields = ["user__username"]
    readonly_fields = ["user", "issuer", "subject", "created_at", "last_used_at"]

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
