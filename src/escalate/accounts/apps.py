from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "escalate.accounts"
    label = "accounts"
