from django.apps import AppConfig


class DirectoryConfig(AppConfig):
    name = "escalate.directory"
    label = "directory"
