from django.apps import AppConfig


class DemoConfig(AppConfig):
    name = "escalate.demo"
    label = "demo"
