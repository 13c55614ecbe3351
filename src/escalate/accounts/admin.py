"""Accounts in the admin, and django-otp's devices without their secrets.

An administrator can see that a user has an authenticator app and recovery codes, and (the
"set up a new authenticator app" action on users) remove them and let the user set up a new
app at their next sign-in, but never see a device's secret
key, its QR code or the recovery codes themselves.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse

# Imported first so that their registrations exist to be replaced below.
from django_otp.plugins.otp_static.admin import StaticDeviceAdmin
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.admin import TOTPDeviceAdmin
from django_otp.plugins.otp_totp.models import TOTPDevice

from escalate.accounts import mfa
from escalate.accounts.models import User
from escalate.audit.admin_mixin import AuditedAdminMixin

if TYPE_CHECKING:
    _UserAdmin = DjangoUserAdmin[User]
else:
    _UserAdmin = DjangoUserAdmin


@admin.register(User)
class UserAdmin(AuditedAdminMixin, _UserAdmin):
    readonly_fields = ("session_epoch", "set_up_allowed_until", "last_login", "date_joined")
    fieldsets = (
        *(DjangoUserAdmin.fieldsets or ()),
        ("Sessions and second factor", {"fields": ("session_epoch", "set_up_allowed_until")}),
    )
    actions = ["reset_second_factor"]

    @admin.action(
        description="Set up a new authenticator app (removes their app and recovery codes)",
        permissions=["change"],
    )
    def reset_second_factor(self, request: HttpRequest, queryset: Any) -> None:
        """For someone who has lost their phone, once you have checked who they are: their app
        and recovery codes go, and they may set up a new app at their next sign-in (within
        ``ESCALATE_SET_UP_WINDOW_HOURS``). Each is in the audit trail."""
        count = 0
        for user in queryset:
            mfa.reset_second_factor(user, actor=request.user)
            count += 1
        self.message_user(
            request,
            f"{count} {'person' if count == 1 else 'people'} may now set up a new app "
            f"(within {settings.ESCALATE_SET_UP_WINDOW_HOURS} hours)",
            messages.SUCCESS,
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
