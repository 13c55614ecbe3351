from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "escalate.audit"
    label = "audit"
    verbose_name = "Audit trail"

    def ready(self) -> None:
        from escalate.audit.signals import connect_auth_signals

        connect_auth_signals()
