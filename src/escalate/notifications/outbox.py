"""Writing the outbox: the rows a change calls for, and the deadline sweep's reminders.

Every row is written in the transaction of its cause (a change to an escalation, or the
sweep's marking of a deadline), so a rolled-back change sends nothing, and keyed by its cause
(see ``models``), so writing the same cause again writes nothing.

- :func:`write_for_events`: called by the services inside their transaction with the events
  of a transition: one ``app`` row (delivered at once) and one ``email`` row (queued, or held
  for the recipient's daily digest when it is not urgent) per person told
  (``recipients.for_events``).
- :func:`sweep`: the deadline sweep. It reads the ``Deadline`` rows whose reminder or overdue
  day has come, by the partial indexes ``deadline_to_remind`` and ``deadline_to_chase``, in
  batches locked with ``SELECT ... FOR UPDATE SKIP LOCKED`` (two sweeps at once share the
  work), writes the messages and marks the rows in the same transaction. E-mail waits until
  the partnership's next working-hours moment (``procedures.reminders``): nothing goes at night,
  at a weekend or on a bank holiday. Run twice, it has the effect of running once.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from django.db import transaction
from django.db.models import Prefetch, Q, QuerySet

from escalate.cases.actors import Actor
from escalate.cases.models import Deadline, Escalation, Party
from escalate.cases.models import Status as CaseStatus
from escalate.cases.rules import procedure_of
from escalate.directory.models import Partnership
from escalate.notifications import recipients
from escalate.notifications.models import Channel, Delivery, Kind, Notification, Preference, Status
from escalate.procedures import events as ev
from escalate.procedures.reminders import Reminders, WorkingHours
from escalate.procedures.schema import Anchor, Recipient

#: Always sent at once, whatever the recipient prefers.
URGENT_KINDS = frozenset({Kind.OVERDUE, Kind.OVERDUE_NEXT_LEVEL})
#: Deadline rows handled per transaction by the sweep.
BATCH = 500
#: Columns the outbox never needs: the escalation's free text stays in the database.
_UNREAD = ("issue", "risk", "aim", "source_detail", "subject_name", "outcome", "route_taken")

logger = logging.getLogger(__name__)


def _is_urgent(escalation: Escalation, kind: Kind) -> bool:
    return kind in URGENT_KINDS or escalation.immediate_risk


def _digest_people(person_ids: Iterable[int]) -> set[int]:
    """Of these people, those who asked for a daily digest."""
    ids = set(person_ids)
    if not ids:
        return set()
    return set(
        Preference.objects.filter(person_id__in=ids, delivery=Delivery.DIGEST).values_list(
            "person_id", flat=True
        )
    )


@dataclass(frozen=True)
class _Message:
    """One message to one person, before it becomes its two rows."""

    escalation: Escalation
    key: str
    addressee: recipients.Addressee
    due_on: dt.date | None
    send_at: dt.datetime


def _rows(messages: Sequence[_Message]) -> list[Notification]:
    """Each message's ``app`` row (delivered: status sent, ``sent_at`` = its ``send_at``)
    and ``email`` row (queued for its ``send_at``, or held for the digest), less those
    already written."""
    if not messages:
        return []
    keys = {m.key for m in messages}
    have = set(
        Notification.objects.filter(key__in=keys).values_list("key", "recipient_id", "channel")
    )
    digest = _digest_people(m.addressee.person.pk for m in messages)
    rows: list[Notification] = []
    for m in messages:
        a, esc, send_at = m.addressee, m.escalation, m.send_at
        urgent = _is_urgent(esc, a.kind)
        common = {
            "partnership_id": esc.partnership_id,
            "escalation": esc,
            "reference": esc.reference,
            "key": m.key,
            "kind": a.kind.value,
            "stage": a.stage or None,
            "obligation": a.obligation,
            "due_on": m.due_on,
            "urgent": urgent,
            "recipient": a.person,
        }
        if (m.key, a.person.pk, Channel.APP.value) not in have:
            rows.append(
                Notification(
                    **common,
                    channel=Channel.APP,
                    status=Status.SENT,
                    next_attempt_at=send_at,
                    sent_at=send_at,
                )
            )
        if (m.key, a.person.pk, Channel.EMAIL.value) not in have:
            held = a.person.pk in digest and not urgent
            rows.append(
                Notification(
                    **common,
                    channel=Channel.EMAIL,
                    status=Status.HELD if held else Status.QUEUED,
                    next_attempt_at=send_at,
                )
            )
    return rows


def _write(rows: list[Notification]) -> int:
    # ignore_conflicts: a racing writer's identical row (same cause, person and channel) wins
    # and this one is dropped by the unique constraint, so nothing is written twice.
    Notification.objects.bulk_create(rows, ignore_conflicts=True)
    return len(rows)


# ---------------------------------------------------------------------------------------
# Changes


def write_for_events(
    *,
    escalation: Escalation,
    events: Sequence[ev.Event],
    version: int,
    actor: Actor,
    now: dt.datetime,
) -> int:
    """The outbox rows one change calls for, keyed ``event:<escalation>:<version>:<n>`` (the
    n-th event of the change that brought the escalation to ``version``). Call it inside the
    change's transaction, after the escalation's row, stages and deadlines are written.
    Returns the number of rows written (none when the same change was written before)."""
    fresh = (
        Escalation.objects.defer(*_UNREAD)
        .select_related("raising_person__line_manager", "receiving_person__line_manager")
        .prefetch_related("parties")
        .get(pk=escalation.pk)
    )
    case = recipients.Case.of(fresh)
    directory = recipients.Directory()
    addressed = recipients.for_events(case, events, directory, actor=actor.person)
    dues = {
        (d.stage, d.obligation): d.due_on for d in Deadline.objects.filter(escalation_id=fresh.pk)
    }
    messages = [
        _Message(
            escalation=fresh,
            key=f"event:{fresh.pk}:{version}:{index}",
            addressee=a,
            due_on=_due_for(a, dues, fresh),
            send_at=now,
        )
        for index, a in addressed
    ]
    return _write(_rows(messages))


def write_for_form(
    *,
    escalation: Escalation,
    form_id: str,
    version: int,
    stage: int,
    send_to: Sequence[Recipient],
    actor: Actor,
    now: dt.datetime,
) -> int:
    """The outbox rows for a signed form sent to its recipients (``escalate.documents``), keyed
    ``form:<escalation>:<form>:<version>``: a version is sent once. Call it inside the
    sending's transaction. The rows carry the reference, stage and form id, never the form's
    content."""
    fresh = (
        Escalation.objects.defer(*_UNREAD)
        .select_related("raising_person__line_manager", "receiving_person__line_manager")
        .prefetch_related("parties")
        .get(pk=escalation.pk)
    )
    case = recipients.Case.of(fresh)
    found = recipients.for_form(
        case,
        form_id=form_id,
        send_to=send_to,
        stage=stage,
        directory=recipients.Directory(),
        actor=actor.person,
    )
    key = f"form:{fresh.pk}:{form_id}:{version}"
    return _write(_rows([_Message(fresh, key, a, None, now) for a in found]))


def _due_for(
    a: recipients.Addressee, dues: dict[tuple[int, str], dt.date], esc: Escalation
) -> dt.date | None:
    """The due date a message about a change shows: the stage's (or the copied duty's) date
    still due, when there is one."""
    if a.kind is Kind.CLOSED:
        return dues.get((a.stage, a.obligation))
    found = dues.get((a.stage, a.obligation))
    if found is None and not a.obligation and a.stage == esc.current_stage:
        return esc.current_due_on
    return found


def write_to(
    *,
    escalation: Escalation,
    cause: str,
    addressed: Sequence[tuple[recipients.Addressee, dt.date | None]],
    now: dt.datetime,
) -> int:
    """The outbox rows for a change recorded beside the core's events (a panel convened, the
    top stage's outcome, a recommendation made or answered: ``escalate.panels``), keyed
    ``cause``: one app and one e-mail row per addressee, with the due date given for each.
    Call it inside the change's transaction; the same cause written again writes nothing.
    Returns the number of rows written."""
    messages = [
        _Message(escalation=escalation, key=cause, addressee=a, due_on=due_on, send_at=now)
        for a, due_on in addressed
    ]
    written = _write(_rows(messages))
    if written:
        transaction.on_commit(wake_delivery)
    return written


# ---------------------------------------------------------------------------------------
# The deadline sweep


@dataclass(frozen=True)
class SweepReport:
    #: Deadlines whose "due soon" messages were written.
    reminded: int = 0
    #: Deadlines whose "overdue" messages were written.
    chased: int = 0
    #: Deadlines marked without a message: their escalation closed or moved on, or the date
    #: had already passed before its reminder day was reached.
    passed_over: int = 0
    #: Outbox rows written.
    notifications: int = 0

    def __add__(self, other: SweepReport) -> SweepReport:
        return SweepReport(
            self.reminded + other.reminded,
            self.chased + other.chased,
            self.passed_over + other.passed_over,
            self.notifications + other.notifications,
        )


def reminders_for(partnership: Partnership) -> Reminders:
    """A partnership's reminder settings: calendar, working hours and notice."""
    return Reminders(
        partnership.calendar(),
        WorkingHours(partnership.working_hours_start, partnership.working_hours_end),
        days_before=partnership.remind_working_days_before,
    )


def remind_key(deadline: Deadline, kind: Kind) -> str:
    obligation = deadline.obligation
    return f"remind:{deadline.escalation_id}:{deadline.stage}:{obligation}:{deadline.due_on}:{kind}"


@dataclass(frozen=True)
class _Day:
    """One partnership's view of ``now``: its date, its next sending moment, and the latest
    due dates reminded and chased by then."""

    today: dt.date
    send_at: dt.datetime
    remind_up_to: dt.date
    chase_up_to: dt.date

    @classmethod
    def of(cls, partnership: Partnership, now: dt.datetime) -> _Day:
        rules = reminders_for(partnership)
        today = rules.today(now)
        return cls(
            today=today,
            send_at=rules.next_sending_moment(now),
            remind_up_to=rules.remind_horizon(today),
            chase_up_to=rules.overdue_horizon(today),
        )

    def horizon(self, *, overdue: bool) -> dt.date:
        return self.chase_up_to if overdue else self.remind_up_to


def sweep(*, now: dt.datetime, batch: int = BATCH) -> SweepReport:
    """Write every reminder and overdue message due at ``now``, each once. Safe to run at
    any time, any number of times, on any number of workers at once.

    Each kind is one pass over its partial index, in (due date, id) order, up to the latest
    horizon of any partnership; a row not yet due in its own partnership (one that reminds
    fewer days ahead) is left for a later sweep."""
    days = {p.pk: _Day.of(p, now) for p in Partnership.objects.order_by("pk")}
    report = SweepReport()
    if not days:
        return report
    directory = recipients.Directory()
    for overdue in (True, False):
        horizon = max(d.horizon(overdue=overdue) for d in days.values())
        after: tuple[dt.date, int] | None = None
        while True:
            done = _sweep_batch(
                days,
                overdue=overdue,
                horizon=horizon,
                after=after,
                batch=batch,
                directory=directory,
            )
            if done is None:
                break
            found, after = done
            report += found
    return report


def due_deadlines(
    *, overdue: bool, horizon: dt.date, after: tuple[dt.date, int] | None = None
) -> QuerySet[Deadline]:
    """The deadlines not yet reminded (or chased) due up to ``horizon``, after the row
    ``after`` (due date, id) in that order: read through the partial index of the unmarked
    rows (``deadline_to_remind``, ``deadline_to_chase``)."""
    marked = "overdue_on" if overdue else "reminded_on"
    rows = Deadline.objects.filter(**{f"{marked}__isnull": True}, due_on__lte=horizon)
    if after is not None:
        due_on, pk = after
        rows = rows.filter(Q(due_on__gt=due_on) | Q(due_on=due_on, pk__gt=pk))
    return rows.order_by("due_on", "pk")


def _sweep_batch(
    days: dict[int, _Day],
    *,
    overdue: bool,
    horizon: dt.date,
    after: tuple[dt.date, int] | None,
    batch: int,
    directory: recipients.Directory,
) -> tuple[SweepReport, tuple[dt.date, int]] | None:
    """One locked batch: its messages and its marks, in one transaction, and where the next
    batch starts. None when there is nothing (left) to take."""
    with transaction.atomic():
        rows = list(
            due_deadlines(overdue=overdue, horizon=horizon, after=after).select_for_update(
                skip_locked=True, of=("self",)
            )[:batch]
        )
        if not rows:
            return None
        last = (rows[-1].due_on, rows[-1].pk)
        rows = [
            d
            for d in rows
            if d.partnership_id in days
            and d.due_on <= days[d.partnership_id].horizon(overdue=overdue)
        ]
        escalations = (
            Escalation.objects.defer(*_UNREAD)
            .select_related("raising_person__line_manager", "receiving_person__line_manager")
            .prefetch_related(Prefetch("parties", queryset=Party.objects.order_by("pk")))
            .in_bulk({d.escalation_id for d in rows})
        )
        directory.load(p.agency_id for e in escalations.values() for p in e.parties.all())
        messages: list[_Message] = []
        cases: dict[int, recipients.Case] = {}
        told = passed = 0
        marks: dict[dt.date, list[int]] = {}
        for deadline in rows:
            esc = escalations[deadline.escalation_id]
            day = days[deadline.partnership_id]
            marks.setdefault(day.today, []).append(deadline.pk)
            if not _still_due(deadline, esc) or (not overdue and deadline.due_on < day.today):
                passed += 1
                continue
            case = cases.get(esc.pk) or cases.setdefault(esc.pk, recipients.Case.of(esc))
            found = recipients.for_deadline(
                case,
                stage=deadline.stage,
                obligation=deadline.obligation,
                overdue=overdue,
                directory=directory,
            )
            messages.extend(
                _Message(esc, remind_key(deadline, a.kind), a, deadline.due_on, day.send_at)
                for a in found
            )
            told += 1
        written = _write(_rows(messages))
        marked = "overdue_on" if overdue else "reminded_on"
        for today, pks in marks.items():
            Deadline.objects.filter(pk__in=pks).update(**{marked: today})
    if overdue:
        return SweepReport(chased=told, passed_over=passed, notifications=written), last
    return SweepReport(reminded=told, passed_over=passed, notifications=written), last


def _still_due(deadline: Deadline, esc: Escalation) -> bool:
    """Whether the escalation's rules still ask for this date (the ``Deadline`` rows should
    hold only such dates; this is checked again): its stage (or the overall bound) only while
    it is open at that stage; once it is resolved or decided, only the duties of its last
    stage that count from the resolution (confirm in writing); nothing once withdrawn."""
    if esc.status == CaseStatus.WITHDRAWN:
        return False
    if deadline.stage and deadline.stage != esc.current_stage:
        return False
    if esc.status == CaseStatus.OPEN:
        return True
    if not deadline.obligation:
        return False
    stage = procedure_of(esc).stage(esc.current_stage)
    return any(
        o.id == deadline.obligation
        and o.due is not None
        and o.due.after is Anchor.EVENT
        and o.due.event == "resolved"
        for o in stage.obligations
    )


def wake_delivery() -> None:
    """Ask a worker to deliver now (after a change that wrote e-mail rows has committed). A
    queue that cannot be reached loses nothing: the rows wait for the ticker's next delivery
    run."""
    from escalate.notifications.tasks import deliver_outbox

    try:
        deliver_outbox.enqueue()
    except Exception:  # the rows are safe; only the wake-up is lost
        logger.warning("Could not enqueue an outbox delivery; the next tick will send.")
