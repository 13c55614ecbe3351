"""The bridge from stored records to the rules core: procedure, calendar, facts, plan."""

from __future__ import annotations

import datetime as dt
import functools
import os
from collections.abc import Iterable
from dataclasses import dataclass

from escalate.cases.models import Entry, EntryKind, Escalation, Stage
from escalate.directory.models import Partnership
from escalate.procedures import clock
from escalate.procedures import lifecycle as lc
from escalate.procedures.calendar import WorkingCalendar
from escalate.procedures.registry import Registry, dirs_from_env, load_registry
from escalate.procedures.schema import Procedure


@functools.cache
def registry() -> Registry:
    """Every procedure definition, loaded and validated once per process."""
    return load_registry(dirs_from_env(os.environ))


def partnership_procedure(partnership: Partnership) -> Procedure:
    """The procedure version a partnership runs (for new escalations and its pages)."""
    return registry().get(partnership.procedure_id, partnership.procedure_version)


def procedure_of(escalation: Escalation) -> Procedure:
    procedure_id, _, version = escalation.procedure_key.partition("@")
    return registry().get(procedure_id, version)


def state_of(
    escalation: Escalation, stages: Iterable[Stage], entries: Iterable[Entry]
) -> lc.EscalationState:
    """Rebuild the core's state from the stored projection and the entries."""
    entries = list(entries)
    events: list[clock.EventFact] = []
    protective: list[clock.ProtectiveDue] = []
    met: list[tuple[int, str, dt.date]] = []
    for e in entries:
        if e.kind == EntryKind.EVENT:
            events.append(clock.EventFact(e.stage, e.event, e.occurred_on))
        elif e.kind == EntryKind.RESOLVED:
            events.append(clock.EventFact(e.stage, "resolved", e.occurred_on))
        elif e.kind == EntryKind.ESCALATED:
            events.append(clock.EventFact(e.stage, "escalated", e.occurred_on))
        elif e.kind == EntryKind.PROTECTIVE and e.due_on is not None:
            protective.append(clock.ProtectiveDue(e.stage, e.obligation or None, e.due_on, e.text))
        elif e.kind == EntryKind.OBLIGATION:
            met.append((e.stage, e.obligation, e.occurred_on))
    return lc.EscalationState(
        procedure_key=escalation.procedure_key,
        outset_on=escalation.outset_on,
        raised_on=escalation.raised_on,
        start_stage=escalation.start_stage,
        immediate_risk_reason=escalation.immediate_risk_reason or None,
        status=lc.Status(escalation.status),
        stages=tuple(
            lc.StageState(s.number, s.entered_on, s.left_on)
            for s in sorted(stages, key=lambda s: s.number)
        ),
        events=tuple(events),
        protective=tuple(protective),
        met=tuple(met),
        outcome=escalation.outcome or None,
        closed_on=escalation.closed_on,
        confirmed_on=escalation.confirmed_on,
        confirmed_by=escalation.confirmed_by or None,
    )


@dataclass(frozen=True)
class Schedule:
    """Everything the escalation page needs to know about time, for one day."""

    procedure: Procedure
    calendar: WorkingCalendar
    plan: clock.Plan
    overdue: list[clock.DueItem]
    due_soon: list[clock.DueItem]
    today: dt.date
    taken: clock.Duration


def schedule(
    procedure: Procedure,
    calendar: WorkingCalendar,
    state: lc.EscalationState,
    today: dt.date,
) -> Schedule:
    facts = state.facts()
    plan = clock.plan(procedure, calendar, facts)
    end = state.closed_on or max(today, state.outset_on)
    return Schedule(
        procedure=procedure,
        calendar=calendar,
        plan=plan,
        overdue=clock.overdue(procedure, calendar, plan, facts, today),
        due_soon=clock.due_soon(procedure, calendar, plan, facts, today),
        today=today,
        taken=clock.time_taken(calendar, state.outset_on, end),
    )


def derived_dates(
    procedure: Procedure, calendar: WorkingCalendar, state: lc.EscalationState
) -> tuple[dt.date | None, dt.date | None]:
    """The current stage's due date and the earliest date anything live falls due."""
    facts = state.facts()
    plan = clock.plan(procedure, calendar, facts)
    current_due = plan.stage(state.current.number).due_on
    items = clock.live_items(procedure, plan, facts)
    return current_due, min((i.due_on for i in items), default=None)


def outset_needs_confirming(
    partnership: Partnership, outset_on: dt.date, *, today: dt.date
) -> bool:
    """A concern identified more than the partnership's limit before today
    (``outset_confirm_after_days``, a year by default) is confirmed before it is raised: such
    a date is more often a typing slip than a disagreement that old."""
    return (today - outset_on).days > partnership.outset_confirm_after_days
