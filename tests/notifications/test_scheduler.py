"""The ticker: any number of workers tick; each periodic job's slot is enqueued once."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest
from django.core import mail
from django.test import override_settings
from django_tasks_db.models import DBTaskResult

from escalate.notifications import tasks
from escalate.notifications.models import ScheduledRun, Status
from escalate.notifications.scheduler import jobs, tick
from tests.cases.conftest import World, make_world
from tests.notifications.rows import an_escalation, email_row, recipient
from tests.notifications.worker_process import ROOT, environment, migrated_database, query

#: Tuesday 3 March 2026, 10:00:00 UTC: the start of a slot of every job.
AT = dt.datetime(2026, 3, 3, 10, 0, tzinfo=dt.UTC)


def enqueued_paths() -> Counter[str]:
    return Counter(DBTaskResult.objects.values_list("task_path", flat=True))


@pytest.mark.django_db
@override_settings(ESCALATE_SWEEP_MINUTES=5, ESCALATE_DELIVERY_SECONDS=60)
def test_a_slot_is_enqueued_by_the_first_ticker_only() -> None:
    # Changes made by shared set-up elsewhere in the run may have woken delivery already.
    before = enqueued_paths()
    assert tick(now=AT, worker="one") == ["sweep", "deliver", "digests", "prune"]
    assert tick(now=AT + dt.timedelta(seconds=59), worker="two") == []
    assert tick(now=AT, worker="one") == []
    assert enqueued_paths() - before == Counter(
        {
            "escalate.notifications.tasks.sweep_deadlines": 1,
            "escalate.notifications.tasks.deliver_outbox": 1,
            "escalate.notifications.tasks.deliver_digests": 1,
            "escalate.notifications.tasks.prune_history": 1,
        }
    )
    assert tick(now=AT + dt.timedelta(minutes=1), worker="two") == ["deliver"]
    assert tick(now=AT + dt.timedelta(minutes=5), worker="one") == [
        "sweep",
        "deliver",
        "digests",
    ]
    assert set(ScheduledRun.objects.values_list("claimed_by", flat=True)) == {"one", "two"}


@override_settings(ESCALATE_SWEEP_MINUTES=15)
def test_slots_follow_the_settings() -> None:
    sweep = next(j for j in jobs() if j.name == "sweep")
    assert sweep.every == dt.timedelta(minutes=15)
    assert sweep.slot(AT + dt.timedelta(minutes=14, seconds=59)) == AT
    assert sweep.slot(AT + dt.timedelta(minutes=15)) == AT + dt.timedelta(minutes=15)


@pytest.mark.django_db
def test_the_delivery_task_sends_what_is_due() -> None:
    world: World = make_world("north-east-lincolnshire")
    row = email_row(an_escalation(world), recipient(world))
    result = tasks.deliver_outbox.call()
    assert result["sent"] == 1
    assert len(mail.outbox) == 1  # the test settings' in-memory mailer
    row.refresh_from_db()
    assert row.status == Status.SENT


TICKER = """
import datetime as dt, json, sys, time
from escalate.notifications.scheduler import tick
start, name = float(sys.argv[1]), sys.argv[2]
at = dt.datetime(2026, 3, 3, 10, 0, tzinfo=dt.UTC)
won = []
for i in range(15):
    while time.time() < start + i * 0.1:
        time.sleep(0.001)
    won.append(tick(now=at + dt.timedelta(minutes=5 * i), worker=name))
print(json.dumps(won))
"""


def test_two_worker_processes_ticking_at_once_enqueue_each_slot_once(tmp_path: Path) -> None:
    db = migrated_database(tmp_path)
    env = environment(db, ESCALATE_SWEEP_MINUTES="5", ESCALATE_DELIVERY_SECONDS="60")
    start = time.time() + 4  # both have started Django by then, and tick in step
    prelude = "import django\ndjango.setup()\n"
    procs = [
        subprocess.Popen(  # noqa: S603 - our own interpreter, fixed code
            [sys.executable, "-c", prelude + TICKER, str(start), name],
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for name in ("one", "two")
    ]
    outputs = []
    for proc in procs:
        out, err = proc.communicate(timeout=60)
        assert proc.returncode == 0, err
        outputs.append(json.loads(out))
    for i, (first, second) in enumerate(zip(*outputs, strict=True)):
        expected = ["sweep", "deliver", "digests"] + (["prune"] if i == 0 else [])
        assert sorted(first + second) == sorted(expected), (i, first, second)
    runs = query(db, "SELECT name, slot, claimed_by FROM notifications_scheduledrun")
    assert len(runs) == 15 * 3 + 1
    assert {by for _, _, by in runs} <= {"one", "two"}
    [(count,)] = query(db, "SELECT COUNT(*) FROM django_tasks_database_dbtaskresult")
    assert count == len(runs)


@pytest.mark.django_db
def test_the_sweep_task_runs_the_outbox_sweep(monkeypatch: pytest.MonkeyPatch) -> None:
    from escalate.notifications import outbox

    seen: list[dt.datetime] = []

    def sweep(*, now: dt.datetime) -> outbox.SweepReport:
        seen.append(now)
        return outbox.SweepReport()

    monkeypatch.setattr(outbox, "sweep", sweep)
    result = tasks.sweep_deadlines.call()
    assert len(seen) == 1
    assert seen[0].tzinfo is not None
    assert result == dataclasses.asdict(outbox.SweepReport())
