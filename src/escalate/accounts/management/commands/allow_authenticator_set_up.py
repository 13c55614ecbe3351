"""``escalate-manage allow_authenticator_set_up USERNAME [--new-app]``.

For the operator of a new installation (the first administrator, made with ``createsuperuser``,
before e-mail is working) or for someone who has lost their phone: opens the account's set-up
window so that its next sign-in may set up an authenticator app. ``--new-app`` first removes an
app and recovery codes the account already has. Recorded in the audit trail."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from escalate.accounts import mfa
from escalate.accounts.models import User


class Command(BaseCommand):
    help = "Let an account set up an authenticator app at its next sign-in."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username")
        parser.add_argument(
            "--new-app",
            action="store_true",
            help="Remove the account's app and recovery codes first (a lost phone)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        user = User.objects.filter(username=options["username"]).first()
        if user is None or not user.is_active:
            raise CommandError("No active account has that username.")
        if options["new_app"]:
            mfa.reset_second_factor(user, actor=None, how="command")
        elif mfa.totp_device(user) is not None:
            raise CommandError(
                "That account already has an authenticator app. "
                "Use --new-app to replace it (for a lost phone)."
            )
        else:
            mfa.allow_set_up(user, actor=None, how="command")
        hours = settings.ESCALATE_SET_UP_WINDOW_HOURS
        self.stdout.write(f"The account may set up an authenticator app in the next {hours} hours.")
