from django.apps import AppConfig


class PanelsConfig(AppConfig):
    name = "escalate.panels"
    label = "panels"
    default_auto_field = "django.db.models.BigAutoField"
