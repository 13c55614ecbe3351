"""Benchmark: the deadline sweep over 1,000,000 open stages on PostgreSQL.

Run as ``.venv/bin/python benchmarks/sweep.py [--database-url URL] [--stages N]`` (default
``postgres://postgres@127.0.0.1:5432/escalate_bench``). The database is the benchmark's own:
it is DROPPED and created afresh (with ``migrate``) unless ``--reuse`` finds it already filled.
The script refuses a database named ``escalate`` (the application's).

What it does:

1. Fills ``--partnerships`` partnerships (default 4, round robin), each with a few agencies,
   practitioners and a named contact per agency per stage, then ``--stages`` open escalations
   (one open stage each, with their two parties) and one ``Deadline`` row per open stage, with
   ``COPY``. Due dates are working days spread evenly over a year around "today" (Tuesday
   3 March 2026): about 60 working days in the past, 190 ahead. The rows are in the steady
   state of a sweep that ran every day until yesterday: every reminder and overdue mark whose
   day came before today is set; today's are not. ``ANALYZE`` afterwards.
2. Finding: the two queries the sweep reads its work with (``outbox.due_deadlines``: not yet
   reminded and due up to the remind horizon; not yet chased and due up to the overdue
   horizon), fetching every matching id, best of ``--repeats``; and each query's
   ``EXPLAIN (ANALYZE, BUFFERS)``, to show that the partial indexes ``deadline_to_remind`` and
   ``deadline_to_chase`` are used. Target: both together under 2 seconds.
3. Writing: one ``outbox.sweep(now=03 March 2026 00:30)``: every reminder and overdue message
   for the day (outbox rows, two per person told) and the marks, in locked batches; then a
   second sweep at the same moment, which must find nothing to do.

It is a report, not a test: targets are printed as PASS/FAIL and the exit status is 0 unless
something is wrong (the second sweep wrote anything, or a query did not use its index).
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import sys
import time
from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import urlparse, urlunparse

DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/escalate_bench"
DEFAULT_STAGES = 1_000_000
DEFAULT_PARTNERSHIPS = 4
DEFAULT_REPEATS = 5
TODAY = dt.date(2026, 3, 3)  # a Tuesday
DAYS_BEFORE = 60  # working days of due dates before today
DAYS_AFTER = 190  # ... and after
AGENCIES = 6  # per partnership
TARGET_FIND_SECONDS = 2.0
_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--database-url", default=DEFAULT_URL, help="the benchmark's database")
    parser.add_argument("--stages", type=int, default=DEFAULT_STAGES, help="open stages")
    parser.add_argument("--partnerships", type=int, default=DEFAULT_PARTNERSHIPS)
    parser.add_argument("--repeats", type=int, default=DEFAULT_REPEATS, help="timed finds")
    parser.add_argument(
        "--reuse", action="store_true", help="keep the database if it is already filled"
    )
    args = parser.parse_args(argv)
    url = urlparse(args.database_url)
    if url.scheme not in ("postgres", "postgresql"):
        parser.error("the benchmark runs on PostgreSQL only (postgres://...)")
    if url.path.strip("/") in ("", "escalate", "postgres"):
        parser.error("give the benchmark its own database (not escalate or postgres)")
    if args.stages < 1 or args.partnerships < 1 or args.repeats < 1:
        parser.error("--stages, --partnerships and --repeats must be at least 1")
    return args


def timed[T](fn: Callable[[], T]) -> tuple[float, T]:
    start = time.perf_counter()
    result = fn()
    return time.perf_counter() - start, result


def recreate_database(url: str, reuse: bool) -> bool:
    """Drop and create the benchmark's database (unless reusing it). True if it is new."""
    import psycopg

    parsed = urlparse(url)
    name = parsed.path.strip("/")
    admin = urlunparse(parsed._replace(path="/postgres"))
    with psycopg.connect(admin, autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if exists and reuse:
            return False
        if exists:
            conn.execute(f'DROP DATABASE "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    return True


def setup_django(url: str) -> None:
    os.environ["DATABASE_URL"] = url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "escalate.config.settings.local")
    import django

    django.setup()


def reference(n: int) -> str:
    chars = []
    for _ in range(8):
        n, r = divmod(n, 32)
        chars.append(_ALPHABET[r])
    text = "".join(reversed(chars))
    return f"ESC-{text[:4]}-{text[4:]}"


# -- filling ---------------------------------------------------------------------------------


Directory = list[tuple[Any, Any, list[Any], dict[int, Any]]]


def fill_directory(partnerships: int) -> Directory:
    """Partnerships, agencies, practitioners and a contact per agency per stage (ORM)."""
    from escalate.cases.rules import registry
    from escalate.directory.models import Agency, Partnership, Person, StageContact
    from escalate.procedures.schema import Level

    ids = registry().ids()
    directory: Directory = []
    for k in range(partnerships):
        procedure = registry().get(ids[k % len(ids)])
        p = Partnership.objects.create(
            slug=f"bench-{k}",
            name=f"Bench partnership {k}",
            short_name=f"Bench {k}",
            procedure_id=procedure.id,
            procedure_version=procedure.version,
        )
        agencies = []
        practitioners: dict[int, Any] = {}
        for a in range(AGENCIES):
            agency = Agency.objects.create(
                partnership=p, name=f"Agency {k}.{a}", agency_type="local-authority-adults"
            )
            agencies.append(agency)
            practitioners[agency.pk] = Person.objects.create(
                agency=agency,
                name=f"Practitioner {k}.{a}",
                job_title="Practitioner",
                level=Level.PRACTITIONER.value,
                email=f"p{k}.{a}@bench.invalid",
            )
            for stage in procedure.stages:
                person = Person.objects.create(
                    agency=agency,
                    name=f"Contact {k}.{a}.{stage.number}",
                    job_title="Contact",
                    level=Level.SENIOR_MANAGER.value,
                    email=f"c{k}.{a}.{stage.number}@bench.invalid",
                )
                StageContact.objects.create(
                    agency=agency, stage=stage.number, person=person, role="Contact"
                )
        directory.append((p, procedure, agencies, practitioners))
    return directory


def due_days(rules: Any) -> tuple[list[dt.date], dict[dt.date, tuple[Any, Any]]]:
    """Working days around today, and for each the marks a daily sweep has set by today."""
    cal = rules.calendar
    before: list[dt.date] = []
    day = TODAY
    while len(before) < DAYS_BEFORE:
        day -= dt.timedelta(days=1)
        if cal.is_working_day(day):
            before.append(day)
    days = [*reversed(before), TODAY]
    day = TODAY
    while len(days) < DAYS_BEFORE + 1 + DAYS_AFTER:
        day += dt.timedelta(days=1)
        if cal.is_working_day(day):
            days.append(day)
    marks = {}
    for d in days:
        remind, chase = rules.remind_on(d), rules.overdue_on(d)
        marks[d] = (remind if remind < TODAY else None, chase if chase < TODAY else None)
    return days, marks


ESCALATION_COLUMNS = (
    "reference, partnership_id, procedure_key, subject_kind, subject_name, "
    "subject_reference_kind, subject_reference, subject_reference_key, category, source, "
    "source_detail, raising_agency_id, raising_person_id, receiving_agency_id, "
    "receiving_practitioner, issue, risk, aim, immediate_risk, immediate_risk_reason, "
    "route_taken, outset_on, raised_on, status, start_stage, current_stage, outcome, "
    "confirmed_by, current_due_on, next_due_on, version, created_at, updated_at"
)


def escalation_rows(
    stages: int, directory: Directory, days: list[dt.date], now: dt.datetime
) -> Iterator[tuple[Any, ...]]:
    for n in range(stages):
        p, procedure, agencies, practitioners = directory[n % len(directory)]
        raising = agencies[n % AGENCIES]
        receiving = agencies[(n + 1) % AGENCIES]
        due = days[n % len(days)]
        outset = due - dt.timedelta(days=20)
        yield (
            reference(n),
            p.pk,
            procedure.key,
            "adult",
            "",
            "pid",
            f"PID-{n}",
            "",
            procedure.categories[0].id,
            "referral",
            "",
            raising.pk,
            practitioners[raising.pk].pk,
            receiving.pk,
            "",
            "The issue",
            "The risk",
            "The aim",
            False,
            "",
            "",
            outset,
            outset,
            "open",
            1,
            1 + n % min(3, procedure.top),
            "",
            "",
            due,
            due,
            1,
            now,
            now,
        )


def copy_rows(raw: Any, sql: str, rows: Iterator[tuple[Any, ...]]) -> float:
    start = time.perf_counter()
    with raw.cursor() as cur, cur.copy(sql) as copy:
        for row in rows:
            copy.write_row(row)
    return time.perf_counter() - start


def fill(stages: int, partnerships: int) -> dict[str, float]:
    """The directory (ORM), then escalations, parties and deadlines (COPY). Seconds taken."""
    from django.db import connection
    from django.utils import timezone

    from escalate.notifications.outbox import reminders_for

    took: dict[str, float] = {}
    took["directory"], directory = timed(lambda: fill_directory(partnerships))
    days, marks = due_days(reminders_for(directory[0][0]))
    connection.ensure_connection()
    raw = connection.connection
    if raw is None:
        raise RuntimeError("no database connection")
    took["escalations"] = copy_rows(
        raw,
        f"COPY cases_escalation ({ESCALATION_COLUMNS}) FROM STDIN",
        escalation_rows(stages, directory, days, timezone.now()),
    )
    with raw.cursor() as cur:
        cur.execute("SELECT min(id) FROM cases_escalation")
        first = cur.fetchone()[0]

    def parties() -> Iterator[tuple[Any, ...]]:
        for n in range(stages):
            agencies = directory[n % partnerships][2]
            yield (first + n, agencies[n % AGENCIES].pk, "raising")
            yield (first + n, agencies[(n + 1) % AGENCIES].pk, "receiving")

    def deadlines() -> Iterator[tuple[Any, ...]]:
        for n in range(stages):
            p, procedure, _agencies, _people = directory[n % partnerships]
            due = days[n % len(days)]
            reminded, chased = marks[due]
            yield (first + n, p.pk, 1 + n % min(3, procedure.top), "", due, reminded, chased)

    took["parties"] = copy_rows(
        raw, "COPY cases_party (escalation_id, agency_id, role) FROM STDIN", parties()
    )
    took["deadlines"] = copy_rows(
        raw,
        "COPY cases_deadline (escalation_id, partnership_id, stage, obligation, due_on, "
        "reminded_on, overdue_on) FROM STDIN",
        deadlines(),
    )
    start = time.perf_counter()
    with raw.cursor() as cur:
        for table in ("cases_escalation", "cases_party", "cases_deadline"):
            cur.execute(f"ANALYZE {table}")
    took["analyze"] = time.perf_counter() - start
    return took


# -- measuring -------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    fresh = recreate_database(args.database_url, args.reuse)
    setup_django(args.database_url)

    from django.core.management import call_command
    from django.db import connection

    from escalate.cases.models import Deadline
    from escalate.directory.models import Partnership
    from escalate.notifications.models import Notification
    from escalate.notifications.outbox import due_deadlines, reminders_for, sweep

    print(f"Python {platform.python_version()}, {platform.machine()}, {platform.system()}")
    with connection.cursor() as cur:
        cur.execute("SHOW server_version")
        print(f"PostgreSQL {cur.fetchone()[0]}")
    if fresh or not Deadline.objects.exists():
        t, _ = timed(lambda: call_command("migrate", verbosity=0))
        print(f"migrate: {t:.1f} s")
        took = fill(args.stages, args.partnerships)
        print(
            "fill: "
            + ", ".join(f"{k} {v:.1f} s" for k, v in took.items())
            + f" (total {sum(took.values()):.1f} s)"
        )
    else:
        Notification.objects.all().delete()
        print("reusing the filled database (outbox emptied; today's marks cleared)")
    deadlines = Deadline.objects.count()
    partnerships = list(Partnership.objects.order_by("pk"))
    print(f"{deadlines:,} open stages' deadlines, {len(partnerships)} partnerships")

    rules = reminders_for(partnerships[0])
    # The horizons one sweep at 00:30 on TODAY reads up to (the same for every partnership:
    # one calendar, default notice).
    remind_up_to = rules.remind_horizon(TODAY)
    chase_up_to = rules.overdue_horizon(TODAY)
    # Today's marks, cleared so that each run finds the same day's work.
    Deadline.objects.filter(reminded_on=TODAY).update(reminded_on=None)
    Deadline.objects.filter(overdue_on=TODAY).update(overdue_on=None)
    with connection.cursor() as cur:
        cur.execute("VACUUM ANALYZE cases_deadline")

    ok = True
    print(f"\nFinding the day's work (today {TODAY}, best of {args.repeats}):")
    found: dict[str, int] = {}
    total_best = 0.0
    for label, overdue, horizon, index in (
        ("due soon", False, remind_up_to, "deadline_to_remind"),
        ("overdue", True, chase_up_to, "deadline_to_chase"),
    ):
        qs = due_deadlines(overdue=overdue, horizon=horizon).values_list("pk", flat=True)
        best = float("inf")
        ids: list[int] = []
        for _ in range(args.repeats):
            start = time.perf_counter()
            ids = list(qs.all())
            best = min(best, time.perf_counter() - start)
        found[label] = len(ids)
        total_best += best
        plan = qs.explain(analyze=True, buffers=True)
        used = index in plan
        ok &= used
        print(f"  {label:9} (due_on <= {horizon}): {len(ids):,} rows in {best * 1000:.1f} ms")
        print("    " + plan.replace("\n", "\n    "))
        print(f"    uses {index}: {'yes' if used else 'NO'}")
    verdict = "PASS" if total_best < TARGET_FIND_SECONDS else "FAIL"
    print(f"  {verdict}: both finds {total_best * 1000:.1f} ms < {TARGET_FIND_SECONDS:.0f} s")

    print("\nWriting the day's outbox rows: sweep(now=today 00:30):")
    now = dt.datetime.combine(TODAY, dt.time(0, 30), tzinfo=rules.zone)
    t, report = timed(lambda: sweep(now=now))
    rows = Notification.objects.count()
    told = report.reminded + report.chased
    print(
        f"  {t:.2f} s: {report.reminded:,} reminded, {report.chased:,} chased, "
        f"{report.passed_over:,} passed over; {report.notifications:,} outbox rows "
        f"({rows:,} in the table)"
    )
    if told:
        print(
            f"  {t / told * 1000:.2f} ms per deadline, "
            f"{report.notifications / t:,.0f} rows per second"
        )
    t2, again = timed(lambda: sweep(now=now))
    print(f"  the same sweep again: {t2 * 1000:.1f} ms, {again.notifications} rows written")
    ok &= again.notifications == 0 and rows == report.notifications
    ok &= told == found["due soon"] + found["overdue"] - report.passed_over
    print("\nOK" if ok else "\nSOMETHING IS WRONG (see above)")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
