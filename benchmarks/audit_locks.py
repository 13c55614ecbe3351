"""Benchmark: do audited page views wait on a lock that partnerships share?

Run as ``.venv/bin/python benchmarks/audit_locks.py`` (or ``make bench-audit-locks``), on the
scale data set of ``benchmarks/load.py`` (database ``escalate_scale``, generated there on first
use; ``--database-url`` to choose another). Every view of an escalation's page writes an audit
entry, under the advisory lock of its partnership's chain (ADR 0006).

Two runs of ``--duration`` seconds (default 15) against the application under gunicorn with
4 workers, 8 connections in all:

- **across partnerships**: four partnerships' escalation pages at once, 2 connections each;
- **one partnership**: the same 8 connections all on one partnership's page, the contrast,
  which shows that the sampler does see waits when writers do share a lock.

Meanwhile a separate connection samples ``pg_locks`` about every millisecond for advisory
locks that are waited for, and names the chain (``objid``) each waiter waits on and the chains
of the sessions holding it. It prints, per run, the requests a second, the samples taken, those
in which some view was waiting, and whether any wait was on a lock held by another partnership:
the target is none (a wait on one's own partnership's chain is the queue within a partnership,
not a lock shared across them). It is a report, not a test.
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import subprocess
import sys
import threading
import time
import warnings
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import load  # the load benchmark's data set, servers and driver

WORKERS = 4
CONNECTIONS = 8
PARTNERSHIPS = 4
DEFAULT_DURATION = 15
SAMPLE_SECONDS = 0.001

_WAITING = """
SELECT waiting.objid, holding.objid
FROM pg_locks AS waiting
JOIN pg_locks AS holding
  ON holding.locktype = 'advisory' AND holding.granted
 AND holding.classid = waiting.classid AND holding.objid = waiting.objid
 AND holding.objsubid = waiting.objsubid AND holding.database = waiting.database
WHERE waiting.locktype = 'advisory' AND NOT waiting.granted
"""


@dataclass
class Samples:
    taken: int = 0
    with_wait: int = 0
    waits_by_chain: Counter[int] = field(default_factory=Counter)
    across: int = 0  # waits on a lock whose key is another chain's: must stay 0


def sample(url: str, stop: threading.Event, into: Samples) -> None:
    import psycopg

    with psycopg.connect(url.replace("postgres://", "postgresql://"), autocommit=True) as conn:
        while not stop.is_set():
            rows = conn.execute(_WAITING).fetchall()
            into.taken += 1
            if rows:
                into.with_wait += 1
                for waited, held in rows:
                    into.waits_by_chain[int(waited)] += 1
                    if waited != held:
                        into.across += 1
            time.sleep(SAMPLE_SECONDS)


def escalation_pages(count: int) -> list[load.Page]:
    """An open escalation's page per partnership, for a practitioner of its raising agency."""
    from django.conf import settings

    from escalate.directory.models import Partnership

    found = []
    for partnership in Partnership.objects.order_by("pk")[:count]:
        escalation = load.practitioners_escalation(partnership.pk)
        if escalation is None or escalation.raising_person is None:
            continue
        user: Any = escalation.raising_person.user
        key = load.sign_in(user)
        found.append(
            load.Page(
                f"partnership {partnership.pk}",
                f"/escalations/{escalation.reference}/",
                f"{settings.SESSION_COOKIE_NAME}={key}",
                key,
                escalation.reference,
            )
        )
    if len(found) < count:
        raise SystemExit(f"found open escalations in {len(found)} partnerships, not {count}")
    return found


def run(
    base: str, pages: list[load.Page], per_page: int, seconds: int, url: str
) -> tuple[float, Samples]:
    headers = {"X-Forwarded-Proto": "https"}
    samples = Samples()
    stop = threading.Event()
    sampler = threading.Thread(target=sample, args=(url, stop, samples))
    sampler.start()
    drivers = [
        subprocess.Popen(  # noqa: S603 - our own command
            [
                str(load.AUTOCANNON),
                "-c",
                str(per_page),
                "-d",
                str(seconds),
                "-H",
                f"Cookie: {page.cookie}",
                "-H",
                "X-Forwarded-Proto: https",
                "-j",
                f"{base}{page.path}",
            ],
            stdout=subprocess.PIPE,
            text=True,
            cwd=load.ROOT,
        )
        for page in pages
    ]
    total = 0.0
    for driver, page in zip(drivers, pages, strict=True):
        out, _ = driver.communicate()
        result = json.loads(out)
        if result["non2xx"] or result["errors"]:
            raise SystemExit(f"{page.path}: not every response was a 200")
        total += float(result["requests"]["average"])
    stop.set()
    sampler.join()
    for page in pages:
        load.check_page(f"{base}{page.path}", {"Cookie": page.cookie, **headers}, page.shows)
    return total, samples


def report(name: str, rate: float, samples: Samples) -> None:
    share = 100 * samples.with_wait / samples.taken if samples.taken else 0.0
    chains = ", ".join(f"chain {c}: {n}" for c, n in sorted(samples.waits_by_chain.items()))
    print(
        f"{name:<22} {rate:>8.1f} req/s  {samples.taken:>6} samples, {samples.with_wait:>5} "
        f"with a view waiting ({share:.1f} %); waits on another partnership's lock: "
        f"{samples.across}"
    )
    print(f"{'':<22} waits by chain: {chains or 'none'}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--database-url", default=load.DEFAULT_URL)
    parser.add_argument("--escalations", type=int, default=load.DEFAULT_ESCALATIONS)
    parser.add_argument("--duration", type=int, default=DEFAULT_DURATION, help="seconds a run")
    args = parser.parse_args(argv)
    warnings.filterwarnings("ignore", message="No directory at", category=UserWarning)
    load.ensure_database(args.database_url)
    secret_key = secrets.token_urlsafe(45)
    load.setup_django(args.database_url, secret_key)
    load.fill_if_empty(args.escalations)
    pages = escalation_pages(PARTNERSHIPS)
    env = load.server_environment(args.database_url, secret_key)
    print(
        f"{WORKERS} gthread workers of one thread, {CONNECTIONS} connections, "
        f"{args.duration} s a run; {os.cpu_count()} cores"
    )
    with load.gunicorn("escalate.config.wsgi:application", env, "gthread", workers=WORKERS) as base:
        for page in pages:
            load.check_page(
                f"{base}{page.path}",
                {"Cookie": page.cookie, "X-Forwarded-Proto": "https"},
                page.shows,
            )
        per = CONNECTIONS // PARTNERSHIPS
        across = run(base, pages, per, args.duration, args.database_url)
        one = run(base, pages[:1], CONNECTIONS, args.duration, args.database_url)
    report("across partnerships", *across)
    report("one partnership", *one)
    verdict = "PASS" if across[1].across == 0 and one[1].across == 0 else "FAIL"
    print(f"target: no wait on a lock shared across partnerships: {verdict}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
