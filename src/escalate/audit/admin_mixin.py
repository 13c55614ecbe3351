"""Django admin changes into the audit trail.

Put :class:`AuditedAdminMixin` first in a ``ModelAdmin``'s bases. Every add, change and delete
the admin logs (including "delete selected", which Django logs in bulk without signals) becomes
an ``admin-change`` entry carrying the model's label and the object's id, never its ``str()``
(an admin object's name is often a person's name). :func:`audit_every_admin` gives the
mixin to any registered admin that lacks it (Django's own and third parties').
"""

from __future__ import annotations

from typing import Any

from django.contrib.admin import AdminSite
from django.contrib.admin.models import ADDITION, CHANGE, DELETION
from django.db.models import Model, QuerySet
from django.http import HttpRequest

from escalate.audit.models import AuditAction
from escalate.audit.services import audit_record, client_ip
from escalate.web.admin_hardening import mix_into_every_admin

FLAGS = {ADDITION: "added", CHANGE: "changed", DELETION: "deleted"}


def _partnership_of(obj: Model) -> int | None:
    """The partnership an object belongs to, when it says (for scoping); else ``None``."""
    if obj._meta.label_lower == "directory.partnership" and isinstance(obj.pk, int):
        return obj.pk
    for path in ("partnership_id", "agency.partnership_id"):
        value: Any = obj
        for part in path.split("."):
            value = getattr(value, part, None)
            if value is None:
                break
        if isinstance(value, int):
            return value
    return None


def audit_admin_change(request: HttpRequest, obj: Model, flag: int) -> None:
    audit_record(
        actor=request.user,
        action=AuditAction.ADMIN_CHANGE,
        object_type=obj._meta.label_lower,
        object_ref=str(obj.pk),
        partnership_id=_partnership_of(obj),
        ip=client_ip(request),
        detail={"change": FLAGS[flag]},
    )


class AuditedAdminMixin:
    """Records every admin addition, change and deletion (see the module docstring)."""

    def log_addition(self, request: HttpRequest, obj: Model, message: Any) -> Any:
        audit_admin_change(request, obj, ADDITION)
        return super().log_addition(request, obj, message)  # type: ignore[misc]

    def log_change(self, request: HttpRequest, obj: Model, message: Any) -> Any:
        audit_admin_change(request, obj, CHANGE)
        return super().log_change(request, obj, message)  # type: ignore[misc]

    def log_deletions(self, request: HttpRequest, queryset: QuerySet[Any]) -> Any:
        for obj in queryset:
            audit_admin_change(request, obj, DELETION)
        return super().log_deletions(request, queryset)  # type: ignore[misc]


def audit_every_admin(site: AdminSite) -> list[str]:
    """Give every model admin registered on ``site`` the mixin, so that no admin page (Django's
    groups, django-axes' lockout records, or one added later) changes anything unrecorded.
    Admins that already have it are left alone. Returns the labels of the models it wrapped.
    Called from ``AuditConfig.ready()``, after the admin has discovered every ``admin.py``."""
    return mix_into_every_admin(site, AuditedAdminMixin)
