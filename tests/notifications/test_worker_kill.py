"""A worker killed mid-batch and started again delivers each message exactly once.

The worker (``escalate-manage run_worker``) runs in its own process against a file SQLite
database made by ``escalate-manage migrate``; the SMTP server (aiosmtpd, on loopback, slowed
down so that a batch takes seconds) counts what it accepts by the outbox row id header.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from collections.abc import Callable
from functools import partial
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.test import override_settings

from escalate.notifications.delivery import STOPPED_BEFORE_SENDING
from escalate.notifications.models import Status
from tests.cases.conftest import make_world
from tests.notifications.rows import an_escalation, email_row, recipient
from tests.notifications.smtp_server import Collector, SmtpServer
from tests.notifications.worker_process import (
    MANAGE,
    ROOT,
    environment,
    migrated_database,
    query,
    run_python,
)

MESSAGES = 12

SEED = """
import datetime as dt, json, sys
from django.utils import timezone
from tests.cases.conftest import make_world
from tests.notifications.rows import an_escalation, email_row, recipient
world = make_world("north-east-lincolnshire")
esc = an_escalation(world)
people = [recipient(world, agency) for agency in ("a", "b", "c")]
now = timezone.now() - dt.timedelta(minutes=1)
rows = [email_row(esc, people[i % 3], next_attempt_at=now) for i in range(int(sys.argv[1]))]
print(json.dumps([r.pk for r in rows]))
"""


def wait_for(condition: Callable[[], bool], *, seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.05)


def at_least(collector: Collector, count: int) -> bool:
    return len(collector) >= count


def start_worker(env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    with log.open("ab") as out:
        return subprocess.Popen(  # noqa: S603 - our own console script
            [MANAGE, "run_worker", "--tick-seconds", "0.2", "--poll-seconds", "0.1"],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )


def statuses(db: Path) -> dict[int, str]:
    return {
        pk: status for pk, status in query(db, "SELECT id, status FROM notifications_notification")
    }


def test_killing_the_worker_mid_batch_sends_each_message_exactly_once(tmp_path: Path) -> None:
    db = migrated_database(tmp_path)
    collector = Collector()
    log = tmp_path / "worker.log"
    with SmtpServer(collector=collector) as server:
        env = environment(
            db,
            ESCALATE_TEST_SMTP_PORT=str(server.port),
            ESCALATE_DELIVERY_SECONDS="1",
            ESCALATE_OUTBOX_CLAIM_SECONDS="2",
            ESCALATE_SWEEP_MINUTES="60",
        )
        rows: list[int] = json.loads(run_python(SEED, env, str(MESSAGES)))
        assert len(rows) == MESSAGES

        kills = 0
        # The first kill lands while the server takes its time over RCPT TO (before the
        # point of no return), the second while it takes its time to answer the end of DATA
        # (after it).
        for kill_at, rcpt_delay, data_delay in ((3, 0.25, 0.0), (7, 0.0, 0.25)):
            collector.rcpt_delay, collector.data_delay = rcpt_delay, data_delay
            worker = start_worker(env, log)
            wait_for(partial(at_least, collector, kill_at), seconds=60, what=f"{kill_at} sent")
            time.sleep(0.1)  # on to the next message
            os.killpg(worker.pid, signal.SIGKILL)
            worker.wait(10)
            kills += 1
            assert len(collector) < MESSAGES, "the kill should land mid-batch"

        collector.rcpt_delay = collector.data_delay = 0.0
        worker = start_worker(env, log)
        try:
            wait_for(
                lambda: all(s in (Status.SENT, Status.UNCERTAIN) for s in statuses(db).values()),
                seconds=90,
                what="every row settled",
            )
        finally:
            os.killpg(worker.pid, signal.SIGTERM)
            worker.wait(15)
        time.sleep(0.5)  # anything still in flight would have arrived by now

    counts = collector.outbox_counts()
    final = statuses(db)
    assert set(final) == set(rows)
    assert max(counts.values()) == 1, f"sent twice: {counts}\n{log.read_text()}"
    for pk, status in final.items():
        if status == Status.SENT:
            assert counts[pk] == 1, pk
        else:  # stopped between its point of no return and the server's answer
            assert status == Status.UNCERTAIN
            assert counts[pk] <= 1
    assert sum(1 for s in final.values() if s == Status.UNCERTAIN) <= kills
    # The kills left claimed rows that the next worker settled and sent.
    recovered = query(
        db,
        "SELECT COUNT(*) FROM notifications_attempt WHERE failure = ?",
        STOPPED_BEFORE_SENDING,
    )
    assert recovered[0][0] >= 1


@pytest.mark.django_db
def test_the_deliver_outbox_command_sends_what_is_due() -> None:
    world = make_world("north-east-lincolnshire")
    esc = an_escalation(world)
    rows = [email_row(esc, recipient(world)) for _ in range(3)]
    out = StringIO()
    with SmtpServer() as server, override_settings(MAILERS=server.mailers()):
        call_command("deliver_outbox", "--limit", "2", "--until-empty", stdout=out)
    assert server.collector.outbox_counts() == {row.pk: 1 for row in rows}
    assert "sent 3" in out.getvalue()
