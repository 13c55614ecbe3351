"""The bridge from stored records to the rules core: procedure, calendar, facts, plan."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from escalate.cases import recording
from escalate.cases.models import Entry, Escalation, Stage
from escalate.directory.models import Partnership
from escalate.directory.procedures import partnership_procedure, registry
from escalate.procedures import clock
from escalate.procedures import lifecycle as lc
from escalate.procedures.calendar import WorkingCalendar
from escalate.procedures.schema import Procedure

__all__ = ["partnership_procedure", "registry"]  # and what is defined below


def procedure_of(escalation: Escalation) -> Procedure:
    procedure_id, _, version = escalation.procedure_key.partition("@")
    return registry().get(procedure_id, version)


def state_of(
    escalation: Escalation, stages: Iterable[Stage], entries: Iterable[Entry]
) -> lc.EscalationState:
    """Rebuild the core's state from the stored projection and the events the entries
    record (``recording``: the one mapping between the two)."""
    facts = recording.Facts(recording.event_of(e, escalation) for e in entries)
    events, protective, met = facts.events, facts.protective, facts.met
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


@dataclass(frozen=True)
class Derived:
    """What the services store beside the record after every change, from the rules core."""

    #: The current stage's due date.
    current_due_on: dt.date | None
    #: The earliest date anything live falls due.
    next_due_on: dt.date | None
    #: Everything live (the ``Deadline`` rows the sweep reads).
    items: list[clock.DueItem]


def derived(procedure: Procedure, calendar: WorkingCalendar, state: lc.EscalationState) -> Derived:
    facts = state.facts()
    plan = clock.plan(procedure, calendar, facts)
    items = clock.live_items(procedure, plan, facts)
    return Derived(
        current_due_on=plan.stage(state.current.number).due_on,
        next_due_on=min((i.due_on for i in items), default=None),
        items=items,
    )


def outset_needs_confirming(
    partnership: Partnership, outset_on: dt.date, *, today: dt.date
) -> bool:
    """A concern identified more than the partnership's limit before today
    (``outset_confirm_after_days``, a year by default) is confirmed before it is raised: such
    a date is more often a typing slip than a disagreement that old."""
    return (today - outset_on).days > partnership.outset_confirm_after_days
