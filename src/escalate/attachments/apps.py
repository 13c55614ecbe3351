from django.apps import AppConfig


class AttachmentsConfig(AppConfig):
    name = "escalate.attachments"
    label = "attachments"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from django.db.models.signals import post_delete

        from escalate.attachments import checks, storage
        from escalate.attachments.models import Representation

        checks.register()
        # A stored file goes with its row, once the deletion commits (retention deletes an
        # escalation and, with it, its representations): housekeeping, not a rule.
        post_delete.connect(
            storage.delete_with_row, sender=Representation, dispatch_uid="representation-file"
        )
