"""Benchmark: the board's view at 100,000 escalations: the dashboard, its lists, the annual
report and the register's export.

Run as ``.venv/bin/python benchmarks/board.py [--database-url URL] [--runs N]`` (default
``postgres://postgres@127.0.0.1:5432/escalate_scale``, the load benchmark's database: created,
migrated and filled by ``generate_scale_data`` if it holds no escalation; an older data set
without the facts for counting gets them from ``recompute_facts``, timed). The script refuses a
database named ``escalate`` or ``postgres``.

What it does, in this process, through Django's test client with the production settings, as
the business manager of the partnership with the most escalations (a real, verified session):

1. Each page ``--runs`` times after one warm request: the dashboard for the last 12 months
   (its default), for a whole financial year, for a year narrowed to one agency, the first page
   of the escalations behind the year's total, and the annual report of that year. Prints the
   median and the slowest time, and the queries of one request. Every response must be a 200.
2. The anonymised register as CSV and as XLSX, for one month and for everything: rows, rows a
   second (a run without tracing), and the peak of memory the export allocated in Python
   (``tracemalloc``, a second run), so that one can see memory does not grow with the rows.

Target (issue 12): the dashboard for a whole year under one second a page. It is a report, not
a test: it exits 1 only if a page did not answer 200.
"""

from __future__ import annotations

import argparse
import datetime as dt
import statistics
import sys
import time
import tracemalloc
import warnings
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

# The load benchmark's database, settings and sign-in (this script's folder is on sys.path).
from load import (
    check_scale_database,
    ensure_database,
    fill_if_empty,
    scale_database_arguments,
    setup_django,
    sign_in,
)

TARGET_MS = 1000.0
DEFAULT_RUNS = 5


@dataclass(frozen=True)
class Timed:
    name: str
    median_ms: float
    slowest_ms: float
    queries: int


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    scale_database_arguments(parser)
    parser.add_argument("--runs", type=int, default=DEFAULT_RUNS, help="timed requests a page")
    args = parser.parse_args(argv)
    check_scale_database(parser, args)
    if args.runs < 1:
        parser.error("--runs must be at least 1")
    return args


def ensure_facts() -> None:
    """Facts for every escalation: an older data set gets them from the recompute command."""
    from django.core.management import call_command

    from escalate.cases.models import Escalation
    from escalate.insights.models import EscalationFact

    missing = Escalation.objects.count() - EscalationFact.objects.count()
    if missing <= 0:
        return
    print(f"{missing:,} escalations have no facts for counting: recompute_facts")
    start = time.perf_counter()
    call_command("recompute_facts")
    print(f"recompute_facts: {time.perf_counter() - start:.1f} s")


def business_manager() -> Any:
    """The generated business manager of the partnership with the most escalations."""
    from django.db.models import Count

    from escalate.cases.models import Escalation
    from escalate.demo.scale import SCALE_EMAIL_DOMAIN
    from escalate.directory.models import Person

    biggest = (
        Escalation.objects.values("partnership_id")
        .annotate(n=Count("id"))
        .order_by("-n")
        .values_list("partnership_id", flat=True)
        .first()
    )
    if biggest is None:
        raise SystemExit("the database holds no escalation")
    manager = (
        Person.objects.filter(
            is_business_unit=True,
            agency__partnership_id=biggest,
            email__endswith=f"@{SCALE_EMAIL_DOMAIN}",
            user__isnull=False,
        )
        .select_related("user", "agency__partnership")
        .first()
    )
    if manager is None:
        raise SystemExit("no generated business manager: is this a generate_scale_data database?")
    return manager


def client_for(user: Any) -> Any:
    from django.conf import settings
    from django.test import Client

    client = Client(HTTP_X_FORWARDED_PROTO="https")
    client.cookies[settings.SESSION_COOKIE_NAME] = sign_in(user)
    return client


def time_page(client: Any, name: str, path: str, runs: int) -> Timed:
    from django.db import connection

    executed: list[str] = []

    def count(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        executed.append(sql)
        return execute(sql, params, many, context)

    with connection.execute_wrapper(count):
        response = client.get(path)
    if response.status_code != 200:
        raise SystemExit(f"{name}: {path} answered {response.status_code}")
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        response = client.get(path)
        times.append(1000 * (time.perf_counter() - start))
        if response.status_code != 200:
            raise SystemExit(f"{name}: {path} answered {response.status_code}")
    return Timed(name, statistics.median(times), max(times), len(executed))


def _drain(chunks: Iterable[bytes]) -> tuple[int, int]:
    """Bytes and lines read from a streamed response."""
    size = lines = 0
    for chunk in chunks:
        size += len(chunk)
        lines += chunk.count(b"\n")
    return size, lines


def export_figures(client: Any, path: str) -> tuple[int, float, float]:
    """Rows, rows a second (untraced run), and the peak of Python memory (traced run), MiB."""
    start = time.perf_counter()
    response = client.get(path)
    if response.status_code != 200:
        raise SystemExit(f"{path} answered {response.status_code}")
    _size, lines = _drain(response.streaming_content)
    seconds = time.perf_counter() - start
    rows = _xlsx_rows(client, path) if ".xlsx" in path else max(lines - 1, 0)
    tracemalloc.start()
    response = client.get(path)
    _drain(response.streaming_content)
    _current, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return rows, rows / seconds if seconds else 0.0, peak / 2**20


def _xlsx_rows(client: Any, path: str) -> int:
    """Data rows of an XLSX export (its first sheet, less the header), read back with openpyxl."""
    import io

    from openpyxl import load_workbook

    body = b"".join(client.get(path).streaming_content)
    sheet = load_workbook(io.BytesIO(body), read_only=True).worksheets[0]
    return max(sum(1 for _row in sheet.iter_rows(values_only=True)) - 1, 0)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    # The production settings serve static files from STATIC_ROOT; no page here fetches any.
    warnings.filterwarnings("ignore", message="No directory at", category=UserWarning)
    ensure_database(args.database_url)
    import secrets

    setup_django(args.database_url, secrets.token_urlsafe(45))
    fill_if_empty(args.escalations)
    ensure_facts()

    from django.urls import reverse

    from escalate import timekeeping
    from escalate.insights.forms import financial_year_start
    from escalate.insights.models import EscalationFact

    manager = business_manager()
    partnership = manager.agency.partnership
    client = client_for(manager.user)
    today = timekeeping.today()
    year_start = financial_year_start(today).replace(year=financial_year_start(today).year - 1)
    year_end = year_start.replace(year=year_start.year + 1) - dt.timedelta(days=1)
    facts = EscalationFact.objects.filter(partnership=partnership)
    agency = facts.values_list("receiving_agency_id", flat=True).first()
    year = {"from": year_start.isoformat(), "to": year_end.isoformat()}
    dashboard = reverse("insights:dashboard")
    print(
        f"\n{partnership.short_name}: {facts.count():,} escalations, "
        f"{facts.filter(raised_on__range=(year_start, year_end)).count():,} raised in "
        f"{year_start:%d %b %Y} to {year_end:%d %b %Y}; {args.runs} timed requests a page\n"
    )
    pages = [
        ("dashboard, last 12 months", dashboard),
        ("dashboard, a financial year", f"{dashboard}?{urlencode(year)}"),
        ("dashboard, a year, one agency", f"{dashboard}?{urlencode({**year, 'agency': agency})}"),
        (
            "escalations behind the year",
            f"{reverse('insights:escalations')}?{urlencode(year)}",
        ),
        (
            "annual report of the year",
            reverse("insights:annual-report", args=[year_start.year]),
        ),
    ]
    header = f"{'page':<34} {'median':>9} {'slowest':>9} {'queries':>8}"
    print(header)
    print("-" * len(header))
    timed = [time_page(client, name, path, args.runs) for name, path in pages]
    for t in timed:
        print(f"{t.name:<34} {t.median_ms:>7.0f}ms {t.slowest_ms:>7.0f}ms {t.queries:>8}")

    month = {"from": (today - dt.timedelta(days=30)).isoformat(), "to": today.isoformat()}
    everything = {"from": "2000-01-01", "to": today.isoformat()}
    print(f"\n{'register export':<34} {'rows':>8} {'rows/s':>9} {'peak MiB':>9}")
    for kind in ("csv", "xlsx"):
        base = reverse(f"insights:export-register-{kind}")
        for label, period in (("a month", month), ("everything", everything)):
            rows, rate, peak = export_figures(client, f"{base}?{urlencode(period)}")
            print(f"{kind.upper() + ', ' + label:<34} {rows:>8,} {rate:>9,.0f} {peak:>9.1f}")

    print(f"\ntarget (issue 12): the dashboard for a whole year under {TARGET_MS:.0f} ms a page")
    for t in timed:
        ok = t.slowest_ms < TARGET_MS
        print(f"  {'PASS' if ok else 'FAIL'}  {t.name}: slowest {t.slowest_ms:.0f} ms")
    return 0


if __name__ == "__main__":
    sys.exit(main())
