"""``escalate-manage run_worker``: the background worker.

Two things in one process: a ticker thread that asks the scheduler every few seconds whether a
periodic job's slot has come (``scheduler.tick``: one worker of however many enqueues each
slot), and, in the main thread, django-tasks-db's task runner, which runs the queued tasks
(deliver the outbox, sweep the deadlines, send the digests). Run as many as you like, on any
machines that reach the database; stop one with SIGTERM or Ctrl-C (it finishes its task).
"""

from __future__ import annotations

import logging
import threading
from argparse import ArgumentParser
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand
from django.db import connection
from django.utils import timezone
from django_tasks_db.management.commands.db_worker import Worker

from escalate.notifications.delivery import worker_name
from escalate.notifications.scheduler import tick
from escalate.web.warm import warm_up

logger = logging.getLogger(__name__)


def tick_forever(*, worker: str, every: float, stop: threading.Event) -> None:
    """The ticker thread: tick, close this thread's database connection, wait, again."""
    while not stop.is_set():
        try:
            enqueued = tick(now=timezone.now(), worker=worker)
            if enqueued:
                logger.debug("Enqueued %s", ", ".join(enqueued))
        except Exception:
            logger.exception("The ticker failed; it tries again in %s seconds", every)
        finally:
            connection.close()
        stop.wait(every)


def _queues() -> list[str]:
    return list(settings.TASKS["default"].get("QUEUES") or ["default"])


class Command(BaseCommand):
    help = "Run the background worker: the scheduler's ticker beside the task runner."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument(
            "--tick-seconds",
            type=float,
            default=15.0,
            help="How often the ticker asks whether a periodic job is due (default 15).",
        )
        parser.add_argument(
            "--poll-seconds",
            type=float,
            default=1.0,
            help="How long the task runner waits when the queue is empty (default 1).",
        )
        parser.add_argument(
            "--once",
            action="store_true",
            help="Tick once, run every queued task, then exit (for tests and cron).",
        )
        parser.add_argument(
            "--worker-id", default="", help="This worker's name (default: host:pid:random)."
        )

    def handle(
        self,
        *,
        tick_seconds: float,
        poll_seconds: float,
        once: bool,
        worker_id: str,
        **options: Any,
    ) -> None:
        worker = (worker_id or worker_name())[:64]
        warm_up()
        # Each task's start and end only with -v 2: what the outbox did is said either way.
        verbose = int(options.get("verbosity", 1)) > 1
        logging.getLogger("django_tasks_db").setLevel(logging.INFO if verbose else logging.WARNING)
        runner = Worker(
            queue_names=_queues(),
            interval=0 if once else poll_seconds,
            batch=once,
            backend_name="default",
            startup_delay=not once,
            max_tasks=None,
            worker_id=worker,
            excluded_queue_names=[],
        )
        if once:
            enqueued = tick(now=timezone.now(), worker=worker)
            self.stdout.write(f"Enqueued: {', '.join(enqueued) or 'nothing'}")
            runner.run()
            return
        stop = threading.Event()
        ticker = threading.Thread(
            target=tick_forever,
            kwargs={"worker": worker, "every": tick_seconds, "stop": stop},
            name="escalate-ticker",
            daemon=True,
        )
        self.stdout.write(f"Escalate worker {worker} started (Ctrl-C to stop).")
        ticker.start()
        runner.configure_signals()
        try:
            runner.run()
        finally:
            stop.set()
