from django.apps import AppConfig


class CasesConfig(AppConfig):
    name = "escalate.cases"
    label = "cases"
