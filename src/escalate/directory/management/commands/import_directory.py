"""``escalate-manage import_directory --partnership SLUG FILE [--dry-run]``."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from escalate.directory.models import Partnership
from escalate.directory.services import directory_import_csv


class Command(BaseCommand):
    help = (
        "Import a partnership's agencies, people and stage contacts from a CSV file "
        "(format: docs/directory-csv.md). Prints what was created, updated and rejected."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--partnership", required=True, help="The partnership's slug")
        parser.add_argument("file", type=Path, help="The CSV file (UTF-8)")
        parser.add_argument(
            "--dry-run", action="store_true", help="Check and count everything, save nothing"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        slug: str = options["partnership"]
        partnership = Partnership.objects.filter(slug=slug).first()
        if partnership is None:
            known = ", ".join(Partnership.objects.values_list("slug", flat=True)) or "none"
            raise CommandError(f"No partnership '{slug}' (known: {known}).")
        path: Path = options["file"]
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise CommandError(f"Cannot read {path}: {exc.strerror or exc}") from exc
        report = directory_import_csv(
            partnership=partnership,
            text=data,
            dry_run=options["dry_run"],
            actor=None,
            via="command",
        )
        if report.error is not None:
            raise CommandError(f"Nothing was imported. {report.error}")
        for line in report.lines():
            self.stdout.write(line)
