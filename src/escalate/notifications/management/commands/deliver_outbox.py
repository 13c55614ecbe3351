"""``escalate-manage deliver_outbox``: send the e-mail that is due now, once.

For operators (after mending the mail settings, say) and tests; the worker does the same every
minute. Safe beside running workers: each row is claimed by one of them.
"""

from __future__ import annotations

from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand
from django.utils import timezone

from escalate.notifications.delivery import BATCH, Report, deliver_due, send_digests, worker_name


class Command(BaseCommand):
    help = "Send the outbox's e-mail that is due now (and, with --digests, the daily digests)."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument(
            "--limit", type=int, default=BATCH, help=f"Rows a batch takes (default {BATCH})."
        )
        parser.add_argument(
            "--until-empty",
            action="store_true",
            help="Run batch after batch until nothing due is left.",
        )
        parser.add_argument(
            "--digests", action="store_true", help="Also send the digests that are due."
        )
        parser.add_argument(
            "--worker-id", default="", help="This run's name in claims (default: host:pid)."
        )

    def handle(
        self, *, limit: int, until_empty: bool, digests: bool, worker_id: str, **options: Any
    ) -> None:
        worker = (worker_id or worker_name())[:64]
        total = Report()
        while True:
            report = deliver_due(now=timezone.now(), worker=worker, limit=limit)
            total.add(report)
            if not until_empty or report.claimed < limit:
                break
        if digests:
            total.add(send_digests(now=timezone.now(), worker=worker))
        self.stdout.write(f"Outbox: {str(total) or 'nothing due'}")
