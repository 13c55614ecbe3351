"""The background tasks (Django's tasks framework, on django-tasks-db's database queue).

Tasks are wake-ups only: what must not be lost lives in the outbox rows and the deadlines, so a
task that is lost, run twice or killed half-way costs nothing but time. The scheduler
(``scheduler.tick``) enqueues them; ``escalate-manage run_worker`` runs them.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Any

from django.tasks import task
from django.utils import timezone

#: Batches one delivery task sends at most before it leaves the rest to the next one.
MAX_BATCHES = 20
#: Finished task results and claimed schedule slots are kept this long.
KEEP_HISTORY = dt.timedelta(days=2)


@task()
def deliver_outbox() -> dict[str, int]:
    """Send the e-mail that is due, batch after batch while batches come back full."""
    from escalate.notifications.delivery import BATCH, Report, deliver_due, worker_name

    total = Report()
    for _ in range(MAX_BATCHES):
        report = deliver_due(now=timezone.now(), worker=worker_name())
        total.add(report)
        if report.claimed < BATCH:
            break
    return total.as_dict()


@task()
def deliver_digests() -> dict[str, int]:
    """Send the daily digests whose moment has come."""
    from escalate.notifications.delivery import send_digests, worker_name

    return send_digests(now=timezone.now(), worker=worker_name()).as_dict()


@task()
def sweep_deadlines() -> dict[str, Any]:
    """Write the reminders and overdue messages that are due (idempotent)."""
    from escalate.notifications.outbox import sweep

    report = sweep(now=timezone.now())
    if dataclasses.is_dataclass(report) and not isinstance(report, type):
        return dataclasses.asdict(report)
    return {"report": str(report)}


@task()
def prune_history() -> dict[str, int]:
    """Forget finished task results and old schedule slots (the outbox keeps its own record)."""
    from django_tasks_db.models import DBTaskResult

    from escalate.notifications.models import ScheduledRun

    cutoff = timezone.now() - KEEP_HISTORY
    results, _ = DBTaskResult.objects.finished().filter(finished_at__lt=cutoff).delete()
    slots, _ = ScheduledRun.objects.filter(slot__lt=cutoff).delete()
    return {"task_results": results, "slots": slots}
