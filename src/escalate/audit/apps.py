from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "escalate.audit"
    label = "audit"
    verbose_name = "Audit trail"

    def ready(self) -> None:
        from django.contrib import admin

        from escalate.audit.admin_mixin import audit_every_admin
        from escalate.audit.signals import connect_auth_signals

        connect_auth_signals()
        # The admin has discovered every admin.py by now (it is an earlier installed app).
        audit_every_admin(admin.site)
