from django.apps import AppConfig


class WebConfig(AppConfig):
    name = "escalate.web"
    label = "web"
    verbose_name = "Web"

    def ready(self) -> None:
        from django.contrib import admin

        from escalate.web.admin_hardening import AdminSignInForm, harden_every_admin

        # The last installed app: every admin is registered (and audited) by now.
        harden_every_admin(admin.site)
        admin.site.login_form = AdminSignInForm
