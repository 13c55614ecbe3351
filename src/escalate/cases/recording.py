"""The one mapping between the rules core's events and the stored record.

The core returns past-tense events from every transition (``escalate.procedures.events``).
:func:`entry_of` turns one into the timeline entry it is stored as, and :func:`event_of` reads
an entry back into its event, so that the record can be replayed into the core's state
(``rules.state_of``). ``KIND_OF_EVENT`` is the table both directions use; a test checks that
every event survives the round trip and that every entry kind has its event.

``StageEntered`` has no entry of its own: the raise or the escalation that caused it is the
entry, and the stage rows hold its date. The outbox reads the events themselves
(``escalate.notifications.outbox``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping

from escalate.cases.models import Entry, EntryKind, Escalation
from escalate.procedures import clock
from escalate.procedures import events as ev
from escalate.procedures.schema import TopOutcome

#: Which entry each kind of event is stored as. ``StageEntered`` is stored as no entry.
KIND_OF_EVENT: Mapping[type[ev.Event], EntryKind] = {
    ev.EscalationRaised: EntryKind.RAISED,
    ev.ContactRecorded: EntryKind.CONTACT,
    ev.ProcedureEventRecorded: EntryKind.EVENT,
    ev.ObligationMet: EntryKind.OBLIGATION,
    ev.ProtectiveDueDateSet: EntryKind.PROTECTIVE,
    ev.StageEscalated: EntryKind.ESCALATED,
    ev.StageResolved: EntryKind.RESOLVED,
    ev.OutcomeConfirmedInWriting: EntryKind.CONFIRMED,
    ev.EscalationWithdrawn: EntryKind.WITHDRAWN,
    ev.TopStageDecided: EntryKind.DECIDED,
    ev.EntryCorrected: EntryKind.CORRECTION,
    ev.ViewGiven: EntryKind.VIEW,
}
#: The events that produce no entry.
UNRECORDED_EVENTS: frozenset[type[ev.Event]] = frozenset({ev.StageEntered})


def entry_of(  # noqa: C901 - one case per kind of event: a table, not logic
    event: ev.Event, *, by_sequence: Mapping[int, Entry] | None = None
) -> Entry | None:
    """The (unsaved) timeline entry an event is stored as, without author or sequence.
    ``by_sequence`` finds the entry a correction points at."""
    match event:
        case ev.EscalationRaised():
            text = event.immediate_risk_reason or ""
            return _entry(event, event.at_stage, event.raised_on, text=text)
        case ev.StageEntered():
            return None
        case ev.ContactRecorded():
            return _entry(
                event,
                event.stage,
                event.occurred_on,
                contact_method=event.kind,
                contact_by=event.contact_by,
                contact_with=event.contact_with,
                summary=event.summary,
                agreed=event.agreed,
                decision_makers=event.decision_makers,
            )
        case ev.ProcedureEventRecorded():
            return _entry(event, event.stage, event.occurred_on, event=event.event)
        case ev.ObligationMet():
            return _entry(event, event.stage, event.met_on, obligation=event.obligation)
        case ev.ProtectiveDueDateSet():
            return _entry(
                event,
                event.stage,
                event.set_on,
                due_on=event.due_on,
                text=event.reason,
                obligation=event.obligation or "",
            )
        case ev.StageEscalated():
            return _entry(event, event.from_stage, event.escalated_on, text=event.reason)
        case ev.StageResolved():
            return _entry(event, event.stage, event.resolved_on, text=event.outcome)
        case ev.OutcomeConfirmedInWriting():
            return _entry(event, event.stage, event.confirmed_on, text=event.confirmed_by)
        case ev.EscalationWithdrawn():
            return _entry(event, event.stage, event.withdrawn_on, text=event.reason)
        case ev.TopStageDecided():
            return _entry(event, event.stage, event.decided_on, text=event.decision)
        case ev.ViewGiven():
            return _entry(event, event.stage, event.given_on, text=event.view)
        case ev.EntryCorrected():
            target = (by_sequence or {}).get(event.sequence)
            return _entry(event, event.stage, event.corrected_on, text=event.text, corrects=target)


def _entry(source: ev.Event, stage: int, on: dt.date, **fields: object) -> Entry:
    return Entry(kind=KIND_OF_EVENT[type(source)], stage=stage, occurred_on=on, **fields)


def event_of(entry: Entry, escalation: Escalation) -> ev.Event:  # noqa: C901 - as entry_of
    """The event an entry records: the inverse of :func:`entry_of`.

    What an entry does not keep comes back from elsewhere or empty: the due date a protective
    date replaced (``previous_due_on``: None), the stage an escalation moved to (the next
    one), what the top stage produces (the procedure's).
    """
    on, stage, text = entry.occurred_on, entry.stage, entry.text
    match EntryKind(entry.kind):
        case EntryKind.RAISED:
            return ev.EscalationRaised(
                escalation.procedure_key, escalation.outset_on, on, stage, text or None
            )
        case EntryKind.CONTACT:
            return ev.ContactRecorded(
                stage,
                on,
                entry.recorded_at.date() if entry.recorded_at else on,
                entry.contact_method,
                contact_by=entry.contact_by,
                contact_with=entry.contact_with,
                summary=entry.summary,
                agreed=entry.agreed,
                decision_makers=entry.decision_makers,
            )
        case EntryKind.EVENT:
            return ev.ProcedureEventRecorded(stage, entry.event, on)
        case EntryKind.OBLIGATION:
            return ev.ObligationMet(stage, entry.obligation, on)
        case EntryKind.PROTECTIVE:
            assert entry.due_on is not None  # noqa: S101 - every protective entry has one
            return ev.ProtectiveDueDateSet(
                stage, entry.obligation or None, entry.due_on, None, text, on
            )
        case EntryKind.ESCALATED:
            return ev.StageEscalated(stage, stage + 1, on, text)
        case EntryKind.RESOLVED:
            return ev.StageResolved(stage, on, text)
        case EntryKind.CONFIRMED:
            return ev.OutcomeConfirmedInWriting(stage, on, text)
        case EntryKind.WITHDRAWN:
            return ev.EscalationWithdrawn(stage, on, text)
        case EntryKind.DECIDED:
            return ev.TopStageDecided(stage, on, _top_outcome(escalation), text)
        case EntryKind.VIEW:
            return ev.ViewGiven(stage, on, text)
        case EntryKind.CORRECTION:
            target = entry.corrects.sequence if entry.corrects_id and entry.corrects else 0
            return ev.EntryCorrected(stage, on, target, text)


def _top_outcome(escalation: Escalation) -> TopOutcome:
    from escalate.cases import rules  # rules reads the record through this module

    return rules.procedure_of(escalation).top_stage.produces


class Facts:
    """What the core's state is rebuilt from, read off the events of the record."""

    def __init__(self, events: Iterable[ev.Event]) -> None:
        self.events: list[clock.EventFact] = []
        self.protective: list[clock.ProtectiveDue] = []
        self.met: list[tuple[int, str, dt.date]] = []
        for event in events:
            match event:
                case ev.ProcedureEventRecorded():
                    self.events.append(clock.EventFact(event.stage, event.event, event.occurred_on))
                case ev.StageResolved():
                    self.events.append(clock.EventFact(event.stage, "resolved", event.resolved_on))
                case ev.StageEscalated():
                    self.events.append(
                        clock.EventFact(event.from_stage, "escalated", event.escalated_on)
                    )
                case ev.ProtectiveDueDateSet():
                    self.protective.append(
                        clock.ProtectiveDue(
                            event.stage, event.obligation, event.due_on, event.reason
                        )
                    )
                case ev.ObligationMet():
                    self.met.append((event.stage, event.obligation, event.met_on))
                case _:
                    pass
