"""Due dates from the recorded facts of one escalation.

Given a procedure, a working calendar and the facts (outset, stage entries, events, protective
timescales, what has been done), :func:`plan` computes every stage's and obligation's due date,
planning stages not yet entered on the previous stage's due date (``docs/procedures.md``).
:func:`overdue` and :func:`due_soon` say what is late or close on a given day, and
:func:`time_taken` how long something took. Today is always an argument, never the system clock.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field

from escalate.procedures.calendar import WorkingCalendar
from escalate.procedures.schema import Anchor, DueRule, Procedure, Stage, Unit


class FactsError(ValueError):
    """The facts contradict themselves or the procedure (an entry before the outset, say)."""


@dataclass(frozen=True)
class EventFact:
    stage: int
    event: str
    on: dt.date


@dataclass(frozen=True)
class ProtectiveDue:
    """An earlier due date set to protect the person, with the reason recorded."""

    stage: int
    obligation: str | None
    due_on: dt.date
    reason: str


@dataclass(frozen=True)
class Facts:
    outset_on: dt.date
    start_stage: int = 1
    entered: Mapping[int, dt.date] = field(default_factory=dict)
    left: Mapping[int, dt.date] = field(default_factory=dict)
    events: tuple[EventFact, ...] = ()
    protective: tuple[ProtectiveDue, ...] = ()
    met: Mapping[tuple[int, str], dt.date] = field(default_factory=dict)
    closed_on: dt.date | None = None
    withdrawn: bool = False

    def entry_of(self, stage: int) -> dt.date | None:
        if stage in self.entered:
            return self.entered[stage]
        if stage == self.start_stage == 1:
            return self.outset_on
        return None

    def event_on(self, stage: int, event: str) -> dt.date | None:
        """The first time an event happened at a stage."""
        found = [f.on for f in self.events if f.stage == stage and f.event == event]
        return min(found) if found else None

    def protective_for(self, stage: int, obligation: str | None) -> ProtectiveDue | None:
        found = [p for p in self.protective if p.stage == stage and p.obligation == obligation]
        return min(found, key=lambda p: p.due_on) if found else None

    @property
    def current_stage(self) -> int:
        """The stage the escalation is at (for a closed one, the stage where it ended)."""
        entered = [s for s in self.entered if self.entered[s] is not None]
        return max([self.start_stage, *entered])


@dataclass(frozen=True)
class ObligationPlan:
    id: str
    what: str
    who: str | None
    due_on: dt.date | None
    rule_due_on: dt.date | None
    protective_reason: str | None
    met_on: dt.date | None
    estimated: bool


@dataclass(frozen=True)
class StagePlan:
    number: int
    name: str
    skipped: bool
    entered_on: dt.date | None
    entered_is_planned: bool
    left_on: dt.date | None
    due_on: dt.date | None
    rule_due_on: dt.date | None
    protective_reason: str | None
    estimated: bool
    obligations: tuple[ObligationPlan, ...]


@dataclass(frozen=True)
class Plan:
    procedure_key: str
    division: str
    outset_on: dt.date
    overall_due_on: dt.date | None
    overall_estimated: bool
    stages: tuple[StagePlan, ...]

    def stage(self, number: int) -> StagePlan:
        return self.stages[number - 1]


@dataclass(frozen=True)
class Duration:
    working_days: int
    calendar_days: int


@dataclass(frozen=True)
class DueItem:
    """Something due: a stage (``obligation`` is None), an obligation, or the overall bound."""

    stage: int | None
    obligation: str | None
    what: str
    due_on: dt.date
    working_days: int  # overdue by (for overdue) or left (for due soon)


# ---------------------------------------------------------------------------------------


def apply_rule(calendar: WorkingCalendar, rule: DueRule, anchor_on: dt.date) -> dt.date:
    if rule.unit is Unit.WORKING_DAYS:
        return calendar.add_working_days(anchor_on, rule.amount)
    if rule.unit is Unit.CALENDAR_DAYS:
        return calendar.add_calendar_days(anchor_on, rule.amount)
    return calendar.add_hours(anchor_on, rule.amount)


def _anchor_on(
    rule: DueRule, facts: Facts, stage: int, entered_on: dt.date | None
) -> dt.date | None:
    if rule.after is Anchor.OUTSET:
        return facts.outset_on
    if rule.after is Anchor.ENTRY:
        return entered_on
    return facts.event_on(stage, rule.event) if rule.event is not None else None


def _due(
    calendar: WorkingCalendar,
    rule: DueRule | None,
    facts: Facts,
    stage: int,
    entered_on: dt.date | None,
) -> tuple[dt.date | None, bool]:
    if rule is None:
        return None, False
    anchor = _anchor_on(rule, facts, stage, entered_on)
    if anchor is None:
        return None, False
    due = apply_rule(calendar, rule, anchor)
    return due, calendar.span_is_estimated(anchor, due)


def _earlier(rule_due: dt.date | None, protective: ProtectiveDue | None) -> dt.date | None:
    if protective is None:
        return rule_due
    return protective.due_on if rule_due is None else min(rule_due, protective.due_on)


def validate_facts(procedure: Procedure, facts: Facts) -> None:
    """Raise :class:`FactsError` when facts cannot be planned from."""
    top = procedure.top
    if not 1 <= facts.start_stage <= top:
        raise FactsError(f"stage {facts.start_stage} does not exist (1 to {top})")
    if facts.start_stage > 1 and facts.start_stage not in facts.entered:
        raise FactsError(f"starting at stage {facts.start_stage} needs its entry date")
    previous: tuple[int, dt.date] | None = None
    for number in sorted(facts.entered):
        on = facts.entered[number]
        if not 1 <= number <= top:
            raise FactsError(f"stage {number} does not exist (1 to {top})")
        if number < facts.start_stage:
            raise FactsError(f"stage {number} comes before the starting stage {facts.start_stage}")
        if on < facts.outset_on:
            raise FactsError(f"stage {number} entered on {on}, before the outset {facts.outset_on}")
        if previous is not None and on < previous[1]:
            raise FactsError(
                f"stage {number} entered on {on}, before stage {previous[0]} ({previous[1]})"
            )
        previous = (number, on)


def plan(procedure: Procedure, calendar: WorkingCalendar, facts: Facts) -> Plan:
    """Every stage's and obligation's due date, planning the stages not yet entered."""
    validate_facts(procedure, facts)
    last_entered = facts.current_stage
    stages: list[StagePlan] = []
    previous_due: dt.date | None = None
    for stage in procedure.stages:
        n = stage.number
        skipped = n < facts.start_stage
        # a closed escalation never reaches the stages after the one where it ended
        unreached = facts.closed_on is not None and n > last_entered
        entered = None if skipped else facts.entry_of(n)
        planned = False
        if entered is None and not skipped and n > last_entered and facts.closed_on is None:
            entered, planned = previous_due, previous_due is not None
        rule_due, estimated = _due(calendar, stage.due, facts, n, entered)
        protective = facts.protective_for(n, None)
        if unreached:
            rule_due, estimated = None, False
        due = None if skipped else _earlier(rule_due, protective)
        stages.append(
            StagePlan(
                number=n,
                name=stage.name,
                skipped=skipped,
                entered_on=entered,
                entered_is_planned=planned,
                left_on=facts.left.get(n),
                due_on=due,
                rule_due_on=None if skipped else rule_due,
                protective_reason=protective.reason if protective and due != rule_due else None,
                estimated=estimated,
                obligations=() if skipped else _obligations(calendar, stage, facts, entered),
            )
        )
        previous_due = due
    overall, overall_estimated = None, False
    if procedure.overall is not None:
        overall = apply_rule(calendar, procedure.overall.due, facts.outset_on)
        overall_estimated = calendar.span_is_estimated(facts.outset_on, overall)
    return Plan(
        procedure_key=procedure.key,
        division=calendar.division.value,
        outset_on=facts.outset_on,
        overall_due_on=overall,
        overall_estimated=overall_estimated,
        stages=tuple(stages),
    )


def _obligations(
    calendar: WorkingCalendar, stage: Stage, facts: Facts, entered: dt.date | None
) -> tuple[ObligationPlan, ...]:
    out = []
    for ob in stage.obligations:
        rule_due, estimated = _due(calendar, ob.due, facts, stage.number, entered)
        protective = facts.protective_for(stage.number, ob.id)
        due = _earlier(rule_due, protective)
        out.append(
            ObligationPlan(
                id=ob.id,
                what=ob.what,
                who=ob.who,
                due_on=due,
                rule_due_on=rule_due,
                protective_reason=protective.reason if protective and due != rule_due else None,
                met_on=facts.met.get((stage.number, ob.id)),
                estimated=estimated,
            )
        )
    return tuple(out)


def live_items(procedure: Procedure, the_plan: Plan, facts: Facts) -> list[DueItem]:
    """What can still fall due: the open stage, its unmet duties, the overall bound."""
    if facts.withdrawn:
        return []
    current = the_plan.stage(facts.current_stage)
    items: list[DueItem] = []
    is_open = facts.closed_on is None
    if is_open and current.due_on is not None and current.left_on is None:
        what = f"Stage {current.number}: {current.name}"
        items.append(DueItem(current.number, None, what, current.due_on, 0))
    # Once closed, only the duties that follow a resolution (confirm in writing, send the
    # monitoring form) can still fall due; the rest lapsed with the stage.
    after_resolution = {
        o.id
        for o in procedure.stage(current.number).obligations
        if o.due is not None and o.due.after is Anchor.EVENT and o.due.event == "resolved"
    }
    for ob in current.obligations:
        live = is_open or ob.id in after_resolution
        if live and ob.due_on is not None and ob.met_on is None:
            items.append(DueItem(current.number, ob.id, ob.what, ob.due_on, 0))
    bound, overall_on = procedure.overall, the_plan.overall_due_on
    below_bound = bound is not None and (
        bound.until_stage is None or current.number < bound.until_stage
    )
    if is_open and below_bound and bound is not None and overall_on is not None:
        items.append(DueItem(None, None, f"Overall: {bound.meaning}", overall_on, 0))
    return items


def overdue(
    procedure: Procedure, calendar: WorkingCalendar, the_plan: Plan, facts: Facts, today: dt.date
) -> list[DueItem]:
    """Everything past its due date on ``today`` (due today is not yet overdue)."""
    return [
        DueItem(
            i.stage, i.obligation, i.what, i.due_on, calendar.working_days_between(i.due_on, today)
        )
        for i in live_items(procedure, the_plan, facts)
        if i.due_on < today
    ]


def due_soon(
    procedure: Procedure,
    calendar: WorkingCalendar,
    the_plan: Plan,
    facts: Facts,
    today: dt.date,
    within_working_days: int = 1,
) -> list[DueItem]:
    """What falls due from today up to ``within_working_days`` working days after today."""
    horizon = calendar.add_working_days(today, within_working_days)
    return [
        DueItem(
            i.stage, i.obligation, i.what, i.due_on, calendar.working_days_between(today, i.due_on)
        )
        for i in live_items(procedure, the_plan, facts)
        if today <= i.due_on <= horizon
    ]


def time_taken(calendar: WorkingCalendar, start: dt.date, end: dt.date) -> Duration:
    """Working days after ``start`` that ``end`` is, and the calendar days between them."""
    if end < start:
        raise FactsError(f"end {end} is before start {start}")
    return Duration(calendar.working_days_between(start, end), (end - start).days)
