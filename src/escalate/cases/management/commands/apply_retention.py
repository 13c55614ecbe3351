"""Delete closed escalations past their partnership's retention period; audit each one."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from escalate import timekeeping
from escalate.cases.protection import retention_apply


class Command(BaseCommand):
    help = __doc__

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--dry-run", action="store_true", help="list, delete nothing")
        parser.add_argument("--today", help="YYYY-MM-DD (default: today)")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            today = dt.date.fromisoformat(options["today"]) if options["today"] else None
        except ValueError as exc:
            raise CommandError("--today must be a date YYYY-MM-DD") from exc
        result = retention_apply(today=today or timekeeping.today(), dry_run=options["dry_run"])
        prefix = "Dry run: would have " if options["dry_run"] else ""
        self.stdout.write(prefix + f"removed {len(result.removed)} escalation(s) past retention.")
        for ref in result.removed:
            self.stdout.write(f"  {ref}")
