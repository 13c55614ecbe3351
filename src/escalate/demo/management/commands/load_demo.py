"""``escalate-manage load_demo [--reset]``: the fictional demo partnerships and sign-ins."""

from __future__ import annotations

import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db.models import ProtectedError, RestrictedError

from escalate.demo.scenario import (
    DEMO_PASSWORD,
    DemoDisabledError,
    demo_load,
    demo_sign_ins,
    demo_status_counts,
)


class Command(BaseCommand):
    help = (
        "Load the fictional demo partnerships (one per built-in procedure) with people, "
        "sign-ins and escalations. Only when ESCALATE_DEMO is on. A demo partnership that "
        "exists already is left as it is; --reset deletes and rebuilds them all."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--reset",
            action="store_true",
            help="Delete the demo partnerships and their accounts first, then build them anew "
            "(dates relative to today)",
        )
        parser.add_argument(
            "--quiet-sign-ins", action="store_true", help="Do not list the demo sign-ins"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        started = time.perf_counter()
        try:
            result = demo_load(reset=options["reset"])
        except DemoDisabledError as exc:
            raise CommandError(str(exc)) from exc
        except (ProtectedError, RestrictedError) as exc:
            raise CommandError(
                "The demo partnerships cannot be deleted: other records still refer to them "
                f"({exc.args[0]})."
            ) from exc
        took = time.perf_counter() - started
        if result.removed:
            self.stdout.write(f"Removed: {', '.join(result.removed)}.")
        if result.built:
            self.stdout.write(
                f"Built {', '.join(result.built)}: {result.agencies} agencies, {result.people} "
                f"people ({result.users} accounts), {result.stage_contacts} stage contacts, "
                f"{result.escalations} escalations, in {took:.1f} s."
            )
        if result.skipped:
            self.stdout.write(
                f"Already there, left as they are: {', '.join(result.skipped)} "
                "(--reset rebuilds them)."
            )
        counts = demo_status_counts()
        self.stdout.write(
            "Demo escalations: " + ", ".join(f"{n} {status}" for status, n in counts.items())
        )
        if options["quiet_sign_ins"]:
            return
        sign_ins = demo_sign_ins()
        self.stdout.write(f"\nDemo sign-ins ({len(sign_ins)}), every password: {DEMO_PASSWORD}")
        widths = [
            max([len(getattr(s, name)) for s in sign_ins] + [0])
            for name in ("partnership", "username", "person", "level")
        ]
        for s in sign_ins:
            cells = (s.partnership, s.username, s.person, s.level)
            line = "  ".join(c.ljust(w) for c, w in zip(cells, widths, strict=True))
            self.stdout.write(f"{line}  {s.agency}")
