"""Delivering the outbox's e-mail rows, each exactly once (see ``models`` for the states).

:func:`deliver_due` runs one batch:

1. **Recover** claims left by a worker that died (older than ``ESCALATE_OUTBOX_CLAIM_SECONDS``):
   a row still ``sending`` never reached its point of no return, so the server cannot have it,
   and it is queued again; a row ``committing`` may have been accepted, so it becomes
   ``uncertain`` and is never sent again by itself (the business unit's page offers a retry).
2. **Claim** due rows in a short committed transaction (``select_for_update(skip_locked)``:
   workers on PostgreSQL take different rows; on SQLite the database serialises writers), each
   with an :class:`Attempt`.
3. **Send** each: ``committing`` is committed at the point of no return (the sender calls
   back, see ``senders``), and only if this worker still holds the claim; then ``sent``, or
   back to ``queued`` with a later ``next_attempt_at`` (exponential back-off) and the reason,
   or ``failed`` after ``MAX_ATTEMPTS`` or a refusal that trying again will not change.

:func:`send_digests` sends each person's ``held`` rows as one e-mail a day, at the first
working-hours moment of their partnership's working day, by the same rules.

Call these outside any transaction: each step commits on its own. Sends are audited with
references only (``actor: system:worker``); nothing here logs an address or content.
"""

from __future__ import annotations

import datetime as dt
import functools
import logging
import os
import secrets
import socket
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass

from django.conf import settings
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from escalate.audit.models import AuditAction, ObjectType
from escalate.audit.services import audit_record
from escalate.directory.models import Partnership, Person
from escalate.notifications.messages import render, render_digest
from escalate.notifications.models import Attempt, Channel, Notification, Status
from escalate.notifications.senders import (
    Envelope,
    MaybeSent,
    NotSent,
    Sender,
    sender_for_settings,
)

logger = logging.getLogger(__name__)

#: Tries before a row is ``failed`` (about eight and a half hours of back-off in all).
MAX_ATTEMPTS = 10
FIRST_RETRY = dt.timedelta(minutes=1)
LONGEST_RETRY = dt.timedelta(hours=4)
#: Rows one batch claims.
BATCH = 50
#: ``claimed_by`` of a digest claim starts with this, so a recovered one goes back to ``held``.
DIGEST_CLAIM = "digest:"
DIGEST_KIND = "digest"

NO_ADDRESS = "no e-mail address"
STOPPED_BEFORE_SENDING = "the worker stopped before sending"
STOPPED_WHILE_SENDING = "the worker stopped while sending: it may have arrived"
NOT_TRIED = "not tried: {reason}"
COULD_NOT_WRITE = "the message could not be written"
ACTOR = "system:worker"


class ClaimLostError(Exception):
    """Another worker took this row over (this one's claim had expired): hand nothing over."""


@dataclass
class Report:
    """What one run did, in rows."""

    claimed: int = 0
    sent: int = 0
    retrying: int = 0
    failed: int = 0
    uncertain: int = 0
    #: Expired ``sending`` claims put back to be sent again.
    requeued: int = 0
    #: Claims another worker took over before this one sent them.
    lost: int = 0

    def as_dict(self) -> dict[str, int]:
        return asdict(self)

    def add(self, other: Report) -> None:
        for name, value in other.as_dict().items():
            setattr(self, name, getattr(self, name) + value)

    def __str__(self) -> str:
        return ", ".join(f"{k} {v}" for k, v in self.as_dict().items() if v)


@functools.cache
def _worker_name(pid: int) -> str:
    return f"{socket.gethostname()[:40]}:{pid}:{secrets.token_hex(4)}"


def worker_name() -> str:
    """This process's name in claims: host, process id and a random part (unique per start)."""
    return _worker_name(os.getpid())


def claim_timeout() -> dt.timedelta:
    """How long a claim holds before another worker may recover it. Longer than any one send
    can take (each network call has its own time-out)."""
    seconds: int = getattr(settings, "ESCALATE_OUTBOX_CLAIM_SECONDS", 300)
    return dt.timedelta(seconds=int(seconds))


def retry_delay(attempts: int) -> dt.timedelta:
    """1, 2, 4, ... minutes after the 1st, 2nd, 3rd ... failed attempt, at most 4 hours."""
    return min(FIRST_RETRY * (1 << min(max(attempts - 1, 0), 20)), LONGEST_RETRY)


def recipient_address(person: Person) -> str:
    """The directory's address for the person, else their account's."""
    if person.email:
        return person.email
    user = person.user if person.user_id else None
    return (user.email or "") if user is not None else ""


# ---------------------------------------------------------------------------------------
# Recording outcomes (each in its own transaction, audited inside it)


@dataclass(frozen=True)
class _Run:
    """Who is sending (the claim's name), when, through which channel, counting where."""

    worker: str
    now: dt.datetime
    channel: str
    report: Report

    @property
    def extra(self) -> dict[str, str | bool]:
        return {"digest": True} if self.worker.startswith(DIGEST_CLAIM) else {}


def _audit(rows: Iterable[Notification], action: str, channel: str, **extra: str | bool) -> None:
    for row in rows:
        audit_record(
            actor=None,
            action=action,
            object_type=ObjectType.NOTIFICATION,
            object_ref=str(row.pk),
            partnership_id=row.partnership_id,
            detail={
                "reference": row.reference,
                "kind": row.kind,
                "channel": channel,
                "actor": ACTOR,
                **extra,
            },
        )


def _close_attempts(pks: Sequence[int], run: _Run, *, outcome: str, failure: str = "") -> None:
    Attempt.objects.filter(notification_id__in=pks, worker=run.worker, finished_at=None).update(
        finished_at=run.now, outcome=outcome, failure=failure
    )


def _held_by(pks: Sequence[int], worker: str) -> list[Notification]:
    """The rows of ``pks`` this worker still holds (sending or committing), locked."""
    return list(
        Notification.objects.select_for_update()
        .filter(pk__in=pks, claimed_by=worker, status__in=[Status.SENDING, Status.COMMITTING])
        .order_by("pk")
    )


def _record_sent(pks: Sequence[int], run: _Run) -> None:
    with transaction.atomic():
        rows = _held_by(pks, run.worker)
        Notification.objects.filter(pk__in=[r.pk for r in rows]).update(
            status=Status.SENT, sent_at=run.now, failure=""
        )
        _close_attempts([r.pk for r in rows], run, outcome=Status.SENT)
        _audit(rows, AuditAction.NOTIFICATION_SENT, run.channel, **run.extra)
    run.report.sent += len(rows)


def _record_not_sent(
    pks: Sequence[int], run: _Run, *, reason: str, permanent: bool, back_to: str
) -> None:
    """Back to ``back_to`` (queued, or held for a digest) after a back-off, or ``failed`` for
    good (a refusal that will not change, or the last attempt)."""
    with transaction.atomic():
        rows = _held_by(pks, run.worker)
        gave_up = [r for r in rows if permanent or r.attempts >= MAX_ATTEMPTS]
        again = [r for r in rows if r not in gave_up]
        for row in again:
            Notification.objects.filter(pk=row.pk).update(
                status=back_to,
                next_attempt_at=run.now + retry_delay(row.attempts),
                failure=reason,
            )
        Notification.objects.filter(pk__in=[r.pk for r in gave_up]).update(
            status=Status.FAILED, failure=reason
        )
        _close_attempts([r.pk for r in gave_up], run, outcome=Status.FAILED, failure=reason)
        _close_attempts([r.pk for r in again], run, outcome=back_to, failure=reason)
        _audit(gave_up, AuditAction.NOTIFICATION_FAILED, run.channel, failure=reason, **run.extra)
    run.report.failed += len(gave_up)
    run.report.retrying += len(again)


def _record_uncertain(pks: Sequence[int], run: _Run, *, reason: str) -> None:
    with transaction.atomic():
        rows = _held_by(pks, run.worker)
        Notification.objects.filter(pk__in=[r.pk for r in rows]).update(
            status=Status.UNCERTAIN, failure=reason
        )
        _close_attempts([r.pk for r in rows], run, outcome=Status.UNCERTAIN, failure=reason)
        _audit(
            rows,
            AuditAction.NOTIFICATION_FAILED,
            run.channel,
            failure=reason,
            outcome=Status.UNCERTAIN,
            **run.extra,
        )
    run.report.uncertain += len(rows)


def _commit_point(pks: Sequence[int], worker: str) -> Callable[[], None]:
    """What a sender calls at its point of no return: commit ``committing`` for every row it
    carries, or refuse (:class:`ClaimLostError`) if this worker no longer holds them all."""

    def commit() -> None:
        with transaction.atomic():
            changed = Notification.objects.filter(
                pk__in=pks, status=Status.SENDING, claimed_by=worker
            ).update(status=Status.COMMITTING)
            if changed != len(pks):
                raise ClaimLostError

    return commit


# ---------------------------------------------------------------------------------------
# Recovery and claims


def recover_expired(*, now: dt.datetime, report: Report | None = None) -> Report:
    """Settle the claims of workers that stopped (see the module): ``sending`` goes back to be
    sent (``held`` for a digest), ``committing`` becomes ``uncertain``."""
    report = report if report is not None else Report()
    expired = Notification.objects.filter(
        channel=Channel.EMAIL, claimed_at__lt=now - claim_timeout()
    )
    with transaction.atomic():
        sending = list(
            expired.filter(status=Status.SENDING)
            .select_for_update(skip_locked=True)
            .values_list("pk", "claimed_by")
        )
        committing = list(
            expired.filter(status=Status.COMMITTING).select_for_update(skip_locked=True)
        )
        for back_to, pks in (
            (Status.HELD, [pk for pk, by in sending if by.startswith(DIGEST_CLAIM)]),
            (Status.QUEUED, [pk for pk, by in sending if not by.startswith(DIGEST_CLAIM)]),
        ):
            if not pks:
                continue
            Notification.objects.filter(pk__in=pks, status=Status.SENDING).update(
                status=back_to, claimed_by="", claimed_at=None, failure=STOPPED_BEFORE_SENDING
            )
            Attempt.objects.filter(notification_id__in=pks, finished_at=None).update(
                finished_at=now, outcome=back_to, failure=STOPPED_BEFORE_SENDING
            )
            report.requeued += len(pks)
        if committing:
            pks = [row.pk for row in committing]
            Notification.objects.filter(pk__in=pks).update(
                status=Status.UNCERTAIN, failure=STOPPED_WHILE_SENDING
            )
            Attempt.objects.filter(notification_id__in=pks, finished_at=None).update(
                finished_at=now, outcome=Status.UNCERTAIN, failure=STOPPED_WHILE_SENDING
            )
            _audit(
                committing,
                AuditAction.NOTIFICATION_FAILED,
                settings.ESCALATE_EMAIL_CHANNEL,
                failure=STOPPED_WHILE_SENDING,
                outcome=Status.UNCERTAIN,
            )
            report.uncertain += len(pks)
    return report


def _claim(candidates: Iterable[int], *, now: dt.datetime, worker: str, status: str) -> list[int]:
    """Inside the caller's transaction: mark ``candidates`` still in ``status`` as claimed by
    ``worker`` (one more attempt each) and return those it got."""
    pks = list(candidates)
    if not pks:
        return []
    Notification.objects.filter(pk__in=pks, status=status).update(
        status=Status.SENDING, claimed_by=worker, claimed_at=now, attempts=F("attempts") + 1
    )
    got = list(
        Notification.objects.filter(
            pk__in=pks, status=Status.SENDING, claimed_by=worker, claimed_at=now
        )
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    Attempt.objects.bulk_create(
        Attempt(notification_id=pk, started_at=now, worker=worker, outcome=Status.SENDING)
        for pk in got
    )
    return got


def claim_due(*, now: dt.datetime, worker: str, limit: int = BATCH) -> list[int]:
    """Claim up to ``limit`` queued e-mail rows that are due, oldest first."""
    with transaction.atomic():
        candidates = (
            Notification.objects.select_for_update(skip_locked=True)
            .filter(channel=Channel.EMAIL, status=Status.QUEUED, next_attempt_at__lte=now)
            .order_by("next_attempt_at", "pk")
            .values_list("pk", flat=True)[:limit]
        )
        return _claim(candidates, now=now, worker=worker, status=Status.QUEUED)


# ---------------------------------------------------------------------------------------
# Sending


def _envelope(rows: Sequence[Notification], *, digest_on: dt.date | None) -> Envelope | None:
    """The message for ``rows`` (one row, or one person's digest); None with no address."""
    first = rows[0]
    address = recipient_address(first.recipient)
    if not address:
        return None
    if digest_on is None:
        message = render(first)
        kind, stage, due_on = first.kind, first.stage, first.due_on
    else:
        message = render_digest(rows, on=digest_on)
        kind, stage, due_on = DIGEST_KIND, None, None
    return Envelope(
        to=address,
        message=message,
        outbox_ids=tuple(r.pk for r in rows),
        reference=", ".join(dict.fromkeys(r.reference for r in rows)),
        kind=kind,
        stage=stage,
        due_on=due_on,
    )


def _send(
    rows: Sequence[Notification],
    run: _Run,
    sender: Sender,
    *,
    back_to: str,
    digest_on: dt.date | None = None,
) -> str | None:
    """Send one message carrying ``rows`` and record the outcome. Returns the reason when the
    server could not be reached at all (the rest of the batch need not try), else None."""
    pks = [r.pk for r in rows]
    try:
        envelope = _envelope(rows, digest_on=digest_on)
    except Exception:
        logger.exception("Outbox rows %s: the message could not be written", pks)
        _record_not_sent(pks, run, reason=COULD_NOT_WRITE, permanent=False, back_to=back_to)
        return None
    if envelope is None:
        _record_not_sent(pks, run, reason=NO_ADDRESS, permanent=True, back_to=back_to)
        return None
    try:
        sender.send(envelope, commit=_commit_point(pks, run.worker))
    except ClaimLostError:
        run.report.lost += len(pks)
    except NotSent as error:
        _record_not_sent(pks, run, reason=error.reason, permanent=error.permanent, back_to=back_to)
        return error.reason if error.unreachable else None
    except MaybeSent as error:
        _record_uncertain(pks, run, reason=error.reason)
    else:
        _record_sent(pks, run)
    return None


def _rows(pks: Sequence[int]) -> list[Notification]:
    return list(
        Notification.objects.filter(pk__in=pks)
        .select_related("partnership", "escalation", "recipient__user")
        .order_by("created_at", "pk")
    )


def deliver_due(*, now: dt.datetime, worker: str, limit: int = BATCH) -> Report:
    """Recover expired claims, then claim and send up to ``limit`` due e-mail rows."""
    report = recover_expired(now=now)
    pks = claim_due(now=now, worker=worker, limit=limit)
    report.claimed = len(pks)
    if not pks:
        return report
    with sender_for_settings() as sender:
        run = _Run(worker=worker, now=now, channel=sender.channel, report=report)
        rows = _rows(pks)
        for index, row in enumerate(rows):
            unreachable = _send([row], run, sender, back_to=Status.QUEUED)
            if unreachable is not None:
                rest = [r.pk for r in rows[index + 1 :]]
                _record_not_sent(
                    rest,
                    run,
                    reason=NOT_TRIED.format(reason=unreachable),
                    permanent=False,
                    back_to=Status.QUEUED,
                )
                break
    logger.info("Outbox delivery by %s: %s", worker, report)
    return report


# ---------------------------------------------------------------------------------------
# Daily digests


def digest_window(partnership: Partnership, on: dt.date) -> tuple[dt.datetime, dt.datetime] | None:
    """When ``on``'s digests go out for a partnership: its working hours, on a working day."""
    if not partnership.calendar().is_working_day(on):
        return None
    zone = timezone.get_default_timezone()
    start = dt.datetime.combine(on, partnership.working_hours_start, tzinfo=zone)
    end = dt.datetime.combine(on, partnership.working_hours_end, tzinfo=zone)
    return start, end


def _digest_due(*, start: dt.datetime, now: dt.datetime) -> Q:
    """Held rows for today's digest: those that could be sent by the day's first working
    moment (``next_attempt_at`` is when a row may first go), and earlier tries of a digest
    once their back-off has passed. A row that arrives later in the day waits for tomorrow."""
    return Q(attempts=0, next_attempt_at__lte=start) | Q(attempts__gt=0, next_attempt_at__lte=now)


def _claim_digest(
    partnership_id: int, recipient_id: int, *, start: dt.datetime, now: dt.datetime, worker: str
) -> list[int]:
    with transaction.atomic():
        candidates = (
            Notification.objects.select_for_update(skip_locked=True)
            .filter(
                channel=Channel.EMAIL,
                status=Status.HELD,
                partnership_id=partnership_id,
                recipient_id=recipient_id,
            )
            .filter(_digest_due(start=start, now=now))
            .order_by("pk")
            .values_list("pk", flat=True)
        )
        return _claim(candidates, now=now, worker=worker, status=Status.HELD)


def send_digests(*, now: dt.datetime, worker: str) -> Report:
    """Send each person's held rows as one e-mail, once today's working hours have begun in
    their partnership (see :func:`_digest_due` for which rows)."""
    report = recover_expired(now=now)
    claimer = f"{DIGEST_CLAIM}{worker}"[:100]
    today = timezone.localtime(now).date()
    held = Notification.objects.filter(channel=Channel.EMAIL, status=Status.HELD)
    partnerships = Partnership.objects.filter(pk__in=held.values("partnership_id"))
    with sender_for_settings() as sender:
        run = _Run(worker=claimer, now=now, channel=sender.channel, report=report)
        for partnership in partnerships:
            window = digest_window(partnership, today)
            if window is None or not window[0] <= now < window[1]:
                continue
            start = window[0]
            recipients = (
                held.filter(_digest_due(start=start, now=now), partnership=partnership)
                .values_list("recipient_id", flat=True)
                .distinct()
                .order_by("recipient_id")
            )
            for recipient_id in list(recipients):
                pks = _claim_digest(
                    partnership.pk, recipient_id, start=start, now=now, worker=claimer
                )
                if not pks:
                    continue
                report.claimed += len(pks)
                _send(_rows(pks), run, sender, back_to=Status.HELD, digest_on=today)
    if report.claimed or report.requeued or report.uncertain:
        logger.info("Outbox digests by %s: %s", worker, report)
    return report
