"""``escalate-manage recompute_facts``: rebuild the facts the board's view counts from the record,
and report what differed (``escalate.insights.facts.recompute``).

Run it after a partnership changes its closure days (due dates and working days taken move) and
after upgrading (escalations raised before the facts existed have none until then). It names
escalations by reference only.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from escalate.directory.models import Partnership
from escalate.insights import facts

#: Escalations listed by reference at the default verbosity (``-v 2`` lists every one).
LISTED = 50


class Command(BaseCommand):
    help = (
        "Recompute every escalation's facts (what the board's view counts) from the record and "
        "write what differs: after a partnership changes its closure days, and after upgrading."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--partnership", metavar="SLUG", help="Only this partnership's")
        parser.add_argument(
            "--dry-run", action="store_true", help="Report what differs, write nothing"
        )
        parser.add_argument(
            "--batch",
            type=int,
            default=facts.BATCH,
            help=f"Escalations per batch and transaction (default {facts.BATCH:,})",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        partnership = None
        if options["partnership"]:
            partnership = Partnership.objects.filter(slug=options["partnership"]).first()
            if partnership is None:
                raise CommandError(f"No partnership has the slug {options['partnership']!r}.")
        if options["batch"] < 1:
            raise CommandError("--batch must be at least 1.")
        every = options["verbosity"] > 1
        listed = 0

        def differed(difference: facts.Difference) -> None:
            nonlocal listed
            listed += 1
            if every or listed <= LISTED:
                self.stdout.write(f"  {difference.reference}: {', '.join(difference.fields)}")

        def failed(reference: str, why: str) -> None:
            self.stderr.write(f"  {reference}: its record cannot be counted ({why})")

        dry_run = options["dry_run"]
        result = facts.recompute(
            partnership=partnership,
            dry_run=dry_run,
            batch=options["batch"],
            on_difference=differed,
            on_failure=failed,
        )
        if listed > LISTED and not every:
            self.stdout.write(f"  ... and {listed - LISTED:,} more (-v 2 lists every one)")
        scope = f" of {partnership.short_name}" if partnership is not None else ""
        done = "dry run: nothing written" if dry_run else "their facts rewritten"
        self.stdout.write(
            f"Checked {result.checked:,} escalations{scope}: {result.differed:,} differed ({done})."
        )
        for name, count in sorted(result.fields.items()):
            self.stdout.write(f"  {name}: {count:,}")
        if result.failed:
            self.stdout.write(f"{result.failed:,} could not be computed from their record.")
