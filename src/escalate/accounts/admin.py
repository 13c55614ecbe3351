"""Accounts in the admin, and django-otp's devices without their secrets.

An administrator can see that a user has an authenticator app and recovery codes, and delete
them (the user then sets up a new app at their next sign-in), but never see a device's secret
key, its QR code or the recovery codes themselves.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse

# Imported first so that their registrations exist to be replaced below.
from django_otp.plugins.otp_static.admin import StaticDeviceAdmin
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.admin import TOTPDeviceAdmin
from django_otp.plugins.otp_totp.models import TOTPDevice

from escalate.accounts.models import User
from escalate.audit.admin_mixin import AuditedAdminMixin

if TYPE_CHECKING:
    _UserAdmin = DjangoUserAdmin[User]
else:
    _UserAdmin = DjangoUserAdmin


@admin.register(User)
class UserAdmin(AuditedAdminMixin, _UserAdmin):
    readonly_fields = ("session_epoch", "last_login", "date_joined")
    fieldsets = (
        *(DjangoUserAdmin.fieldsets or ()),
        ("Sessions", {"fields": ("session_epoch",)}),
    )


class SecretFreeTOTPDeviceAdmin(AuditedAdminMixin, TOTPDeviceAdmin):  # type: ignore[misc, unused-ignore]
    """TOTP devices: who has one and when it was used; no key, no QR code."""

    list_display = ["user", "name", "created_at", "last_used_at", "confirmed"]

    def get_list_display(self, request: HttpRequest) -> list[str]:
        return list(self.list_display)

    def get_fieldsets(self, request: HttpRequest, obj: Any = None) -> Any:
        fieldsets = super().get_fieldsets(request, obj)
        if obj is None:
            return fieldsets
        return [
            (
                name,
                {**opts, "fields": [f for f in opts["fields"] if f not in {"key", "qrcode_link"}]},
            )
            for name, opts in fieldsets
            if [f for f in opts["fields"] if f not in {"key", "qrcode_link"}]
        ]

    def config_view(self, request: HttpRequest, pk: Any) -> HttpResponse:
        raise PermissionDenied

    def qrcode_view(self, request: HttpRequest, pk: Any) -> HttpResponse:
        raise PermissionDenied


class SecretFreeStaticDeviceAdmin(AuditedAdminMixin, StaticDeviceAdmin):  # type: ignore[misc, unused-ignore]
    """Recovery codes: how many a user has, never the codes."""

    def get_inline_instances(self, request: HttpRequest, obj: Any = None) -> list[Any]:
        return []


for model, model_admin in (
    (TOTPDevice, SecretFreeTOTPDeviceAdmin),
    (StaticDevice, SecretFreeStaticDeviceAdmin),
):
    if admin.site.is_registered(model):
        admin.site.unregister(model)
    admin.site.register(model, model_admin)
