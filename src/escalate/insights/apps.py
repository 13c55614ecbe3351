from django.apps import AppConfig


class InsightsConfig(AppConfig):
    name = "escalate.insights"
    label = "insights"
    verbose_name = "The board's view"
    default_auto_field = "django.db.models.BigAutoField"
