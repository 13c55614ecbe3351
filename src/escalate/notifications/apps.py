from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    name = "escalate.notifications"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # django-tasks-db's admin shows each task's traceback. Operators read the worker's log
        # and the business unit the outbox page; no admin page shows what a failure printed.
        from django.contrib import admin
        from django_tasks_db.models import DBTaskResult

        if admin.site.is_registered(DBTaskResult):
            admin.site.unregister(DBTaskResult)
