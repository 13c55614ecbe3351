from django.apps import AppConfig


class DocumentsConfig(AppConfig):
    """The procedures' forms completed on screen: drafts, signatures, versions, sending, PDF."""

    name = "escalate.documents"
    label = "documents"
    verbose_name = "Forms"
