"""The facts kept for counting (``escalate.procedures.facts``): hand-worked escalations, and
properties that hold along every path the lifecycle allows."""

from __future__ import annotations

import contextlib
import datetime as dt
import itertools
from dataclasses import replace

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from escalate.procedures import clock
from escalate.procedures import facts as fx
from escalate.procedures import lifecycle as lc
from escalate.procedures.calendar import WorkingCalendar, working_calendar
from escalate.procedures.schema import Division, Procedure
from tests.procedures.test_calendar import calendars
from tests.procedures.test_lifecycle import ACTIONS, CAL, NEL, OUTSET, PROCEDURES, REDBRIDGE

D = dt.date


def raised(
    procedure: Procedure = NEL, calendar: WorkingCalendar = CAL, **kwargs: object
) -> lc.EscalationState:
    return lc.raise_escalation(
        procedure,
        outset_on=OUTSET,
        raised_on=OUTSET,
        calendar=calendar,
        **kwargs,  # type: ignore[arg-type]
    ).state


# -- hand-worked -----------------------------------------------------------------------------


def _nel_walk(calendar: WorkingCalendar) -> list[lc.EscalationState]:
    """NEL, outset Monday 2 March 2026: stage 1 due 4 March (2 working days), stage 2 due 12
    March (8). Escalated on Thursday 5 March; stage 2 brought forward to Monday 9 March on the
    5th; resolved on Tuesday 10 March."""
    s0 = raised(NEL, calendar)
    s1 = lc.escalate(NEL, s0, escalated_on=D(2026, 3, 5), reason="r").state
    s2 = lc.set_protective_due(
        NEL, s1, calendar, stage=2, due_on=D(2026, 3, 9), reason="r", today=D(2026, 3, 5)
    ).state
    s3 = lc.resolve(NEL, s2, resolved_on=D(2026, 3, 10), outcome="o").state
    return [s0, s1, s2, s3]


def test_a_hand_worked_escalation() -> None:
    s0, s1, s2, s3 = (fx.facts_of(NEL, CAL, s) for s in _nel_walk(CAL))
    assert s0 == fx.EscalationFacts(
        status=lc.Status.OPEN,
        outset_on=OUTSET,
        raised_on=OUTSET,
        start_stage=1,
        stage_reached=1,
        closed_on=None,
        working_days_taken=None,
        stages_ended=0,
        stages_ended_within_due=0,
        stages=(fx.StageFacts(1, OUTSET, D(2026, 3, 4), None, fx.StageEnd.OPEN, None),),
    )
    late = fx.StageFacts(1, OUTSET, D(2026, 3, 4), D(2026, 3, 5), fx.StageEnd.ESCALATED, False)
    assert s1.stages == (
        late,
        fx.StageFacts(2, D(2026, 3, 5), D(2026, 3, 12), None, fx.StageEnd.OPEN, None),
    )
    assert (s1.stage_reached, s1.stages_ended, s1.stages_ended_within_due) == (2, 1, 0)
    assert s2.stages[1].due_on == D(2026, 3, 9)  # the protective date, not the rule's 12th
    assert s3.status is lc.Status.RESOLVED
    assert s3.closed_on == D(2026, 3, 10)
    assert s3.stages[1] == fx.StageFacts(
        2, D(2026, 3, 5), D(2026, 3, 9), D(2026, 3, 10), fx.StageEnd.RESOLVED, False
    )
    # (2 March, 10 March]: 3, 4, 5, 6, 9 and 10 March
    assert s3.working_days_taken == 6
    assert (s3.stages_ended, s3.stages_ended_within_due) == (2, 0)


def test_a_closure_day_moves_the_due_date_and_the_days_taken() -> None:
    closed = working_calendar(Division.ENGLAND_AND_WALES, frozenset({D(2026, 3, 4)}))
    last = fx.facts_of(NEL, closed, _nel_walk(closed)[-1])
    assert last.stages[0].due_on == D(2026, 3, 5)
    assert last.stages[0].within_due is True
    assert last.working_days_taken == 5
    assert (last.stages_ended, last.stages_ended_within_due) == (2, 1)


def test_withdrawn_and_decided_end_the_last_stage_so() -> None:
    withdrawn = lc.withdraw(NEL, raised(), withdrawn_on=D(2026, 3, 3), reason="r").state
    facts = fx.facts_of(NEL, CAL, withdrawn)
    assert facts.stages[0].ended is fx.StageEnd.WITHDRAWN
    assert facts.stages[0].within_due is True
    assert facts.working_days_taken == 1
    state = raised()
    for day in range(3, 3 + NEL.top - 1):
        state = lc.escalate(NEL, state, escalated_on=D(2026, 3, day), reason="r").state
    decided = lc.decide(NEL, state, decided_on=D(2026, 4, 1), decision="d").state
    facts = fx.facts_of(NEL, CAL, decided)
    assert [s.ended for s in facts.stages] == [fx.StageEnd.ESCALATED] * (NEL.top - 1) + [
        fx.StageEnd.DECIDED
    ]
    assert facts.stage_reached == NEL.top


def test_an_immediate_risk_start_counts_from_its_stage() -> None:
    state = raised(REDBRIDGE, at_stage=2, immediate_risk_reason="At risk")
    facts = fx.facts_of(REDBRIDGE, CAL, state)
    assert (facts.start_stage, facts.stage_reached) == (2, 2)
    assert [s.number for s in facts.stages] == [2]
    assert facts.stages[0].due_on == OUTSET  # the same working day


def test_a_stage_without_a_due_date_is_never_within_or_outside_it() -> None:
    procedure, number = next(
        (p, s.number) for p in PROCEDURES for s in p.stages if s.due is None
    )  # North Somerset's stage 4 sets no timescale
    state = raised(procedure)
    for day in range(3, 3 + number - 1):
        state = lc.escalate(procedure, state, escalated_on=D(2026, 3, day), reason="r").state
    state = lc.withdraw(procedure, state, withdrawn_on=D(2026, 4, 1), reason="r").state
    facts = fx.facts_of(procedure, CAL, state)
    last = facts.stages[-1]
    assert last.number == number
    assert (last.due_on, last.ended, last.within_due) == (None, fx.StageEnd.WITHDRAWN, None)
    assert facts.stages_ended == number
    assert facts.stages_ended_within_due < facts.stages_ended


def test_a_record_that_contradicts_itself_is_refused() -> None:
    state = lc.escalate(NEL, raised(), escalated_on=D(2026, 3, 3), reason="r").state
    unleft = replace(state, stages=(lc.StageState(1, OUTSET), state.stages[1]))
    with pytest.raises(clock.FactsError, match="stage 1"):
        fx.facts_of(NEL, CAL, unleft)
    closed_open_stage = replace(raised(), status=lc.Status.RESOLVED, closed_on=D(2026, 3, 3))
    with pytest.raises(clock.FactsError, match="stage 1"):
        fx.facts_of(NEL, CAL, closed_open_stage)
    with pytest.raises(ValueError, match="runs under"):
        fx.facts_of(REDBRIDGE, CAL, raised())


# -- properties along every lifecycle path -------------------------------------------------

#: The lifecycle tests' random actions, and days to bring the current stage's due date to.
WALKS = st.tuples(ACTIONS, st.lists(st.integers(min_value=0, max_value=6), max_size=12))


def _walk(
    procedure: Procedure,
    calendar: WorkingCalendar,
    start: int,
    actions: list[tuple[str, int]],
    forward: list[int],
) -> list[lc.EscalationState]:
    """Every state along a walk: each action taken if the lifecycle allows it, and after each
    action perhaps the current stage's due date brought forward (where allowed)."""
    reason = "At risk" if start > 1 else None
    state = raised(procedure, calendar, at_stage=start, immediate_risk_reason=reason)
    states, day = [state], OUTSET
    for i, (name, step) in enumerate(actions):
        day += dt.timedelta(days=max(step, 0))
        try:
            if name == "escalate":
                state = lc.escalate(procedure, state, escalated_on=day, reason="r").state
            elif name == "resolve":
                state = lc.resolve(procedure, state, resolved_on=day, outcome="o").state
            elif name == "withdraw":
                state = lc.withdraw(procedure, state, withdrawn_on=day, reason="r").state
            elif name == "decide":
                state = lc.decide(procedure, state, decided_on=day, decision="d").state
            elif name == "confirm":
                t = lc.confirm_in_writing(procedure, state, confirmed_on=day, confirmed_by="m")
                state = t.state
            elif procedure.events_at(state.current.number):
                event = procedure.events_at(state.current.number)[0].id
                state = lc.record_event(procedure, state, event=event, occurred_on=day).state
        except lc.LifecycleError:
            pass
        if i < len(forward):
            due_on = day + dt.timedelta(days=forward[i])
            with contextlib.suppress(lc.LifecycleError):
                state = lc.set_protective_due(
                    procedure,
                    state,
                    calendar,
                    stage=state.current.number,
                    due_on=due_on,
                    reason="r",
                    today=day,
                ).state
        states.append(state)
    return states


def _working_days_after(calendar: WorkingCalendar, start: dt.date, end: dt.date) -> int:
    """Counted one day at a time: the working days in (start, end]."""
    days = (start + dt.timedelta(days=n) for n in range(1, (end - start).days + 1))
    return sum(1 for d in days if calendar.is_working_day(d))


def _check(procedure: Procedure, calendar: WorkingCalendar, state: lc.EscalationState) -> None:
    facts = fx.facts_of(procedure, calendar, state)
    assert facts == fx.facts_of(procedure, calendar, state)  # a function of its inputs
    assert [s.number for s in facts.stages] == [s.number for s in state.stages]
    assert [s.entered_on for s in facts.stages] == [s.entered_on for s in state.stages]
    assert [s.left_on for s in facts.stages] == [s.left_on for s in state.stages]
    assert facts.status is state.status
    assert facts.start_stage == state.start_stage == facts.stages[0].number
    assert facts.stage_reached == max(s.number for s in facts.stages) == facts.stages[-1].number
    assert (facts.outset_on, facts.raised_on, facts.closed_on) == (
        state.outset_on,
        state.raised_on,
        state.closed_on,
    )
    # Ended stages are exactly those left, and how they ended follows from what came after.
    ended = [s for s in facts.stages if s.ended is not fx.StageEnd.OPEN]
    assert ended == [s for s in facts.stages if s.left_on is not None]
    assert facts.stages_ended == len(ended)
    for s in facts.stages[:-1]:
        assert s.ended is fx.StageEnd.ESCALATED
    last = facts.stages[-1]
    assert last.ended.value == ("open" if state.is_open else state.status.value)
    # Within due: None while open or without a due date, else left by the due date.
    for s in facts.stages:
        if s.left_on is None or s.due_on is None:
            assert s.within_due is None
        else:
            assert s.within_due is (s.left_on <= s.due_on)
    within = [s for s in facts.stages if s.within_due]
    assert facts.stages_ended_within_due == len(within) <= facts.stages_ended
    # The due date is the rule's, or an earlier protective one for the stage.
    plan = clock.plan(procedure, calendar, state.facts())
    for s in facts.stages:
        rule = plan.stage(s.number).rule_due_on
        protective = [
            p.due_on for p in state.protective if p.stage == s.number and not p.obligation
        ]
        candidates = [d for d in (rule, *protective) if d is not None]
        assert s.due_on == (min(candidates) if candidates else None)
    # Working days taken: only once closed, counted a day at a time.
    if state.is_open:
        assert facts.working_days_taken is None
    else:
        assert state.closed_on is not None
        taken = _working_days_after(calendar, state.outset_on, state.closed_on)
        assert facts.working_days_taken == taken >= 0


@settings(max_examples=200, deadline=None)
@given(procedure=st.sampled_from(PROCEDURES), calendar=calendars, walk=WALKS, data=st.data())
def test_every_path_keeps_the_facts_coherent(
    procedure: Procedure,
    calendar: WorkingCalendar,
    walk: tuple[list[tuple[str, int]], list[int]],
    data: st.DataObject,
) -> None:
    higher = [2, procedure.top - 1] if procedure.immediate_risk.may_start_at_any_stage else []
    start = data.draw(st.sampled_from([1, 1, *higher]))
    states = _walk(procedure, calendar, start, *walk)
    for state in states:
        _check(procedure, calendar, state)


@settings(max_examples=150, deadline=None)
@given(procedure=st.sampled_from(PROCEDURES), calendar=calendars, walk=WALKS)
def test_what_has_ended_stays_as_it_ended(
    procedure: Procedure, calendar: WorkingCalendar, walk: tuple[list[tuple[str, int]], list[int]]
) -> None:
    """Once a stage has ended its facts never change, and the counts never go down, however
    the escalation goes on."""
    states = _walk(procedure, calendar, 1, *walk)
    facts = [fx.facts_of(procedure, calendar, s) for s in states]
    for before, after in itertools.pairwise(facts):
        for stage in before.stages:
            if stage.ended is not fx.StageEnd.OPEN:
                assert after.stages[stage.number - before.start_stage] == stage
        assert after.stages_ended >= before.stages_ended
        assert after.stages_ended_within_due >= before.stages_ended_within_due
        assert after.stage_reached >= before.stage_reached
        if before.status is not lc.Status.OPEN:
            assert after == before
