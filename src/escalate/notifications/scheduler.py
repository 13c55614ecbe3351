"""The periodic jobs: any number of workers tick, and one of them enqueues each slot.

Time is cut into slots per job (every ``ESCALATE_SWEEP_MINUTES`` for the sweep, every
``ESCALATE_DELIVERY_SECONDS`` for delivery, ...). A tick claims the current slot of each job by
inserting a :class:`ScheduledRun` (unique on job and slot) and enqueues the job's task in the
same transaction: the worker whose insert wins enqueues; every other one gets an
``IntegrityError`` and does nothing. A slot nobody ticked in (all workers stopped) is skipped,
which is harmless: each job does whatever is due when it next runs.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction

from escalate.notifications.models import ScheduledRun

_EPOCH = dt.datetime(2000, 1, 1, tzinfo=dt.UTC)
DIGEST_EVERY = dt.timedelta(minutes=5)
PRUNE_EVERY = dt.timedelta(days=1)


@dataclass(frozen=True)
class Job:
    name: str
    every: dt.timedelta
    task: Any  # a django.tasks Task

    def slot(self, now: dt.datetime) -> dt.datetime:
        """The start of the slot ``now`` falls in."""
        step = self.every.total_seconds()
        return _EPOCH + dt.timedelta(seconds=(now - _EPOCH).total_seconds() // step * step)


def jobs() -> list[Job]:
    from escalate.notifications import tasks

    return [
        Job("sweep", dt.timedelta(minutes=settings.ESCALATE_SWEEP_MINUTES), tasks.sweep_deadlines),
        Job(
            "deliver",
            dt.timedelta(seconds=settings.ESCALATE_DELIVERY_SECONDS),
            tasks.deliver_outbox,
        ),
        Job("digests", DIGEST_EVERY, tasks.deliver_digests),
        Job("prune", PRUNE_EVERY, tasks.prune_history),
    ]


def tick(*, now: dt.datetime, worker: str) -> list[str]:
    """Enqueue each job whose current slot no worker has claimed yet; the names enqueued."""
    enqueued = []
    for job in jobs():
        try:
            with transaction.atomic():
                ScheduledRun.objects.create(
                    name=job.name, slot=job.slot(now), claimed_by=worker[:100]
                )
                job.task.enqueue()
        except IntegrityError:
            continue  # another worker has this slot
        enqueued.append(job.name)
    return enqueued
