"""``escalate-manage generate_scale_data``: a large invented data set for load and scale tests
(``escalate.demo.scale``; its forms and panels in ``escalate.demo.scale_papers``). It refuses a
database that already holds escalations unless ``--add`` is given."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from escalate import timekeeping
from escalate.demo import scale


def _positive(text: str) -> int:
    value = int(text)
    if value < 1:
        raise ValueError(text)
    return value


class Command(BaseCommand):
    help = (
        "Generate partnerships, agencies, people and escalations for load and scale tests: "
        "each escalation with its stages, entries, deadlines and audit entries, its forms "
        "(signed and sent, some left as drafts), for a decision its panel, outcome, "
        "recommendations and responses, and the facts kept for counting. Invented data, the "
        "same for the same seed and day. Refuses a database that already holds escalations "
        "unless --add is given."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--escalations",
            type=_positive,
            default=scale.DEFAULT_ESCALATIONS,
            help=f"How many escalations (default {scale.DEFAULT_ESCALATIONS:,})",
        )
        parser.add_argument(
            "--partnerships",
            type=_positive,
            default=scale.DEFAULT_PARTNERSHIPS,
            help="How many partnerships, running the registry's procedures in turn "
            f"(default {scale.DEFAULT_PARTNERSHIPS})",
        )
        parser.add_argument(
            "--seed",
            type=int,
            default=scale.DEFAULT_SEED,
            help=f"The random seed (default {scale.DEFAULT_SEED}); partnerships are named by it",
        )
        parser.add_argument(
            "--today",
            type=dt.date.fromisoformat,
            default=None,
            help="The day the data ends on, YYYY-MM-DD (default: today)",
        )
        parser.add_argument(
            "--add",
            action="store_true",
            help="Add to a database that already holds escalations",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        today = options["today"] or timekeeping.today()
        self.stdout.write(
            f"Generating {options['escalations']:,} escalations in "
            f"{options['partnerships']} partnerships (seed {options['seed']}, today {today})..."
        )
        try:
            result = scale.generate(
                escalations=options["escalations"],
                partnerships=options["partnerships"],
                seed=options["seed"],
                today=today,
                add=options["add"],
                progress=self.stdout.write if options["verbosity"] > 1 else None,
            )
        except scale.AlreadyThereError as exc:
            raise CommandError(str(exc)) from exc
        for line in scale.summary_lines(result):
            self.stdout.write(line)
