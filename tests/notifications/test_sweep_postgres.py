"""Two sweeps at once on PostgreSQL share the work and send nothing twice (helper B).

Runs on PostgreSQL only (``DATABASE_URL=postgres://...``): SQLite has no row locks, and writes
one transaction at a time anyway. Each thread has its own database connection.
"""

from __future__ import annotations

import datetime as dt
import threading
import time
from collections.abc import Iterator

import pytest
from django.db import connection, connections

from escalate.cases.models import Deadline
from escalate.notifications import recipients as r
from escalate.notifications.models import Notification
from escalate.notifications.outbox import SweepReport, sweep
from tests.audit.support import erase_trail
from tests.notifications.sweep_world import at, bare_escalation, make_notify_world, sync_deadlines

ESCALATIONS = 40
SWEEPERS = 2


@pytest.fixture
def postgres_only(transactional_db: None) -> Iterator[None]:
    if connection.vendor != "postgresql":
        pytest.skip("row locks (SELECT ... FOR UPDATE SKIP LOCKED): PostgreSQL only")
    yield
    erase_trail()


@pytest.mark.usefixtures("postgres_only")
def test_two_sweeps_at_once_send_nothing_twice(monkeypatch: pytest.MonkeyPatch) -> None:
    world = make_notify_world("north-east-lincolnshire")
    outset = dt.date(2026, 5, 1)
    for n in range(ESCALATIONS):
        # outsets a day apart: some deadlines are due soon, some overdue, some neither
        esc = bare_escalation(world, outset_on=outset - dt.timedelta(days=n % 8))
        sync_deadlines(esc)
    now = at(dt.date(2026, 5, 5), 0, 30)

    # Slow each deadline's look-up a little, so that both sweeps are inside their batches at
    # the same time and each finds rows the other holds locked.
    real = r.for_deadline

    def slow(*args: object, **kwargs: object) -> list[r.Addressee]:
        time.sleep(0.01)
        return real(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(r, "for_deadline", slow)

    start = threading.Barrier(SWEEPERS)
    reports: list[SweepReport] = []
    errors: list[BaseException] = []

    def sweeper() -> None:
        try:
            start.wait()
            reports.append(sweep(now=now, batch=4))
        except BaseException as exc:  # reported by the main thread
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=sweeper) for _ in range(SWEEPERS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not errors, errors
    assert len(reports) == SWEEPERS

    rows = list(Notification.objects.filter(key__startswith="remind:"))
    total = sum(reports, SweepReport())
    # every row written was counted by exactly one sweep: none was written twice
    assert total.notifications == len(rows) > 0
    assert total.reminded > 0
    assert total.chased > 0
    # each deadline was taken by one sweep only, and both sweeps took some
    taken = Deadline.objects.filter(reminded_on__isnull=False).count()
    chased = Deadline.objects.filter(overdue_on__isnull=False).count()
    assert total.reminded + total.chased + total.passed_over == taken + chased
    assert all(rep.reminded + rep.chased + rep.passed_over > 0 for rep in reports), reports
    assert len({(n.key, n.recipient_id, n.channel) for n in rows}) == len(rows)

    # and a third sweep afterwards finds nothing left to do
    assert sweep(now=now) == SweepReport()
