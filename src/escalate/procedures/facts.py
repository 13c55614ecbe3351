"""The facts kept for counting: one escalation as the board's figures count it.

From a procedure, a working calendar and an escalation's state, :func:`facts_of` says for each
stage entered when it was entered, when it was due (the rules core's plan, so after any
protective timescale), when it was left, how it ended and whether by its due date; and for the
escalation how far it went, how it ended and how many working days it took. The application
stores them beside the record (``escalate.insights``) so that the dashboard counts rows instead
of planning every escalation; nothing here reads the clock or a database.

How a stage ended: a stage left when a later one was entered was escalated; the last stage of a
closed escalation ended as the escalation did (resolved, withdrawn or decided); the last stage
of an open one is still open. The working days taken are those from the outset to the close
(:func:`clock.time_taken`, as the forms' "working days taken" counts them), None while open.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from enum import StrEnum

from escalate.procedures import clock
from escalate.procedures import lifecycle as lc
from escalate.procedures.calendar import WorkingCalendar
from escalate.procedures.schema import Procedure


class StageEnd(StrEnum):
    """How a stage ended (``open`` while it has not)."""

    OPEN = "open"
    RESOLVED = "resolved"
    ESCALATED = "escalated"
    WITHDRAWN = "withdrawn"
    DECIDED = "decided"


#: How the last stage of a closed escalation ended, by the escalation's status.
_LAST_STAGE_END = {
    lc.Status.RESOLVED: StageEnd.RESOLVED,
    lc.Status.WITHDRAWN: StageEnd.WITHDRAWN,
    lc.Status.DECIDED: StageEnd.DECIDED,
}


@dataclass(frozen=True)
class StageFacts:
    number: int
    entered_on: dt.date
    #: After any protective timescale; None for a stage whose timescale has not started.
    due_on: dt.date | None
    left_on: dt.date | None
    ended: StageEnd
    #: Left by its due date; None while open or when the stage has no due date.
    within_due: bool | None


@dataclass(frozen=True)
class EscalationFacts:
    status: lc.Status
    outset_on: dt.date
    raised_on: dt.date
    start_stage: int
    #: The highest stage entered.
    stage_reached: int
    closed_on: dt.date | None
    #: Working days from the outset to the close, by the calendar; None while open.
    working_days_taken: int | None
    stages_ended: int
    stages_ended_within_due: int
    #: The stages entered, in order.
    stages: tuple[StageFacts, ...]


def _ended(state: lc.EscalationState, index: int) -> StageEnd:
    stage = state.stages[index]
    is_last = index == len(state.stages) - 1
    if not is_last:
        if stage.left_on is None:
            raise clock.FactsError(f"stage {stage.number} was never left, yet a later one entered")
        return StageEnd.ESCALATED
    if state.is_open:
        if stage.left_on is not None:
            raise clock.FactsError(f"stage {stage.number} was left, yet the escalation is open")
        return StageEnd.OPEN
    if stage.left_on is None:
        raise clock.FactsError(f"stage {stage.number} is still open, yet the escalation closed")
    return _LAST_STAGE_END[state.status]


def facts_of(
    procedure: Procedure, calendar: WorkingCalendar, state: lc.EscalationState
) -> EscalationFacts:
    """What the board's figures count of one escalation, from its state.

    :class:`clock.FactsError` if the state contradicts itself (a stage left open below a later
    one, a closed escalation with a stage still open, a date out of order).
    """
    if procedure.key != state.procedure_key:
        raise ValueError(f"state runs under {state.procedure_key}, not {procedure.key}")
    if state.is_open != (state.closed_on is None):
        raise clock.FactsError(
            f"an escalation {state.status.value} has a close date only when closed"
        )
    plan = clock.plan(procedure, calendar, state.facts())
    stages = []
    for index, stage in enumerate(state.stages):
        ended = _ended(state, index)
        due_on = plan.stage(stage.number).due_on
        within = None
        if stage.left_on is not None and due_on is not None:
            within = stage.left_on <= due_on
        stages.append(
            StageFacts(stage.number, stage.entered_on, due_on, stage.left_on, ended, within)
        )
    taken = None
    if state.closed_on is not None:
        taken = clock.time_taken(calendar, state.outset_on, state.closed_on).working_days
    return EscalationFacts(
        status=state.status,
        outset_on=state.outset_on,
        raised_on=state.raised_on,
        start_stage=state.start_stage,
        stage_reached=max(s.number for s in state.stages),
        closed_on=state.closed_on,
        working_days_taken=taken,
        stages_ended=sum(1 for s in stages if s.ended is not StageEnd.OPEN),
        stages_ended_within_due=sum(1 for s in stages if s.within_due),
        stages=tuple(stages),
    )
