"""What each stage offers is what the procedure allows there, and immediate risk is urgent.

- Events are recorded only at the stages their definition names.
- A duty tied to the resolution cannot be done before it.
- Starting for immediate risk gives the start stage a protective due date: the same working day
  by default, later only with a reason and never past the stage's ordinary due date.
"""

import datetime as dt

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from escalate.procedures import clock
from escalate.procedures import lifecycle as lc
from escalate.procedures.calendar import working_calendar
from escalate.procedures.registry import load_registry
from escalate.procedures.schema import DefinitionError, Procedure, parse_definition

D = dt.date
REGISTRY = load_registry()
PROCEDURES = REGISTRY.latest()
NEL = REGISTRY.get("north-east-lincolnshire")
SOMERSET = REGISTRY.get("north-somerset-sab")
REDBRIDGE = REGISTRY.get("redbridge-sab")
CAL = working_calendar()
MONDAY = D(2026, 3, 2)


def raised(procedure: Procedure, at_stage: int = 1, **kwargs: object) -> lc.EscalationState:
    return lc.raise_escalation(
        procedure,
        outset_on=MONDAY,
        raised_on=MONDAY,
        at_stage=at_stage,
        calendar=CAL,
        immediate_risk_reason="At risk" if at_stage > 1 else None,
        **kwargs,  # type: ignore[arg-type]
    ).state


def at_stage(procedure: Procedure, stage: int) -> lc.EscalationState:
    state = raised(procedure)
    for _ in range(stage - 1):
        state = lc.escalate(procedure, state, escalated_on=MONDAY, reason="Not agreed").state
    return state


# -- events at their stages -----------------------------------------------------------------


@pytest.mark.parametrize("procedure", PROCEDURES, ids=lambda p: p.id)
def test_each_event_is_recorded_only_at_its_stages(procedure: Procedure) -> None:
    for stage in procedure.stages:
        state = at_stage(procedure, stage.number)
        offered = {e.id for e in lc.recordable_events(procedure, state)}
        for event in procedure.events:
            if stage.number in event.stages:
                assert event.id in offered
                lc.record_event(procedure, state, event=event.id, occurred_on=MONDAY)
            else:
                assert event.id not in offered
                with pytest.raises(lc.LifecycleError) as caught:
                    lc.record_event(procedure, state, event=event.id, occurred_on=MONDAY)
                assert str(caught.value) == lc.EVENT_NOT_AT_STAGE.format(
                    event=event.name, stage=stage.number
                )


def test_the_chair_is_not_notified_at_stage_1() -> None:
    state = raised(NEL)
    assert [e.id for e in lc.recordable_events(NEL, state)] == []
    with pytest.raises(lc.LifecycleError, match="not recorded at stage 1"):
        lc.record_event(NEL, state, event="chair-notified", occurred_on=MONDAY)
    top = at_stage(NEL, 5)
    assert "chair-notified" in {e.id for e in lc.recordable_events(NEL, top)}


def test_no_event_once_closed() -> None:
    state = lc.resolve(NEL, at_stage(NEL, 5), resolved_on=MONDAY, outcome="Agreed").state
    assert lc.recordable_events(NEL, state) == ()


def test_an_event_at_a_missing_stage_is_a_definition_error() -> None:
    broken = """
id: t
version: "1"
effective_from: 2026-01-01
title: T
board: B
protects: adults
source: s
categories: [{id: c, name: C}]
events: [{id: e, name: E, stages: [3]}]
immediate_risk: {route: Call 999}
top_stage: {produces: recommendations, text: The chair recommends}
stages:
  - {number: 1, name: One, who: W, levels: [practitioner], due: {after: outset, working_days: 1}}
  - {number: 2, name: Two, who: W, levels: [board-chair], due: {after: entry, working_days: 1}}
"""
    with pytest.raises(DefinitionError, match=r"events\[0\]\.stages: event recorded at stage 3"):
        parse_definition(broken, "t.yaml")


# -- duties tied to the resolution ----------------------------------------------------------


def test_the_monitoring_form_is_sent_only_once_resolved() -> None:
    state = at_stage(SOMERSET, 3)
    doable = {o.id for o in lc.doable_obligations(SOMERSET, state)}
    assert "send-monitoring-form" not in doable
    assert "complete-monitoring-form" in doable
    with pytest.raises(lc.LifecycleError) as caught:
        lc.meet_obligation(SOMERSET, state, obligation="send-monitoring-form", met_on=MONDAY)
    assert "only be done once the escalation is resolved" in str(caught.value)
    resolved = lc.resolve(SOMERSET, state, resolved_on=MONDAY, outcome="Agreed").state
    assert "send-monitoring-form" in {o.id for o in lc.doable_obligations(SOMERSET, resolved)}
    done = lc.meet_obligation(SOMERSET, resolved, obligation="send-monitoring-form", met_on=MONDAY)
    assert "send-monitoring-form" not in {o.id for o in lc.doable_obligations(SOMERSET, done.state)}


@pytest.mark.parametrize("procedure", PROCEDURES, ids=lambda p: p.id)
def test_duties_due_after_resolution_are_tied_to_it(procedure: Procedure) -> None:
    for stage in procedure.stages:
        for ob in stage.obligations:
            due = ob.due
            if due is not None and due.event == "resolved":
                assert ob.tied_to_resolution, (stage.number, ob.id)
            if ob.met_by == "written-confirmation":
                assert ob.tied_to_resolution, (stage.number, ob.id)
        state = at_stage(procedure, stage.number)
        offered = {o.id for o in lc.doable_obligations(procedure, state)}
        assert offered == {o.id for o in stage.obligations if not o.tied_to_resolution}


# -- the top stage's outcome ----------------------------------------------------------------


@pytest.mark.parametrize("procedure", PROCEDURES, ids=lambda p: p.id)
def test_the_business_unit_records_every_top_outcome(procedure: Procedure) -> None:
    """Each of the five gives its top stage to a chair or a panel: the business unit records
    what they decided, never the parties' own representatives."""
    assert procedure.top_stage.recorded_by == "business-unit"


# -- immediate risk -------------------------------------------------------------------------


def test_immediate_risk_is_due_the_same_working_day_at_any_stage() -> None:
    saturday = D(2026, 3, 7)
    for start in (1, 2, 3):
        t = lc.raise_escalation(
            REDBRIDGE,
            outset_on=saturday,
            raised_on=saturday,
            at_stage=start,
            immediate_risk_reason="At risk",
            calendar=CAL,
        )
        plan = clock.plan(REDBRIDGE, CAL, t.state.facts())
        assert plan.stage(start).due_on == D(2026, 3, 9)  # the next working day, Monday
        assert plan.stage(start).protective_reason == lc.IMMEDIATE_RISK_SAME_DAY


def test_a_stage_without_a_protective_timescale_still_gets_the_same_day() -> None:
    assert not SOMERSET.stage(3).protective_timescale
    state = raised(SOMERSET, at_stage=3)
    step = clock.plan(SOMERSET, CAL, state.facts()).stage(3)
    assert step.rule_due_on == D(2026, 3, 5)
    assert step.due_on == MONDAY


def test_a_later_due_date_needs_a_reason_and_stays_within_the_ordinary_timescale() -> None:
    ordinary = CAL.add_working_days(MONDAY, 11)  # NEL stage 3: O + 11
    later = D(2026, 3, 4)
    with pytest.raises(lc.LifecycleError, match=lc.LATER_DUE_NEEDS_REASON):
        raised(NEL, at_stage=3, due_on=later)
    state = raised(NEL, at_stage=3, due_on=later, due_reason="Safety plan agreed today")
    step = clock.plan(NEL, CAL, state.facts()).stage(3)
    assert step.due_on == later
    assert step.protective_reason == "Safety plan agreed today"
    assert raised(NEL, at_stage=3, due_on=ordinary, due_reason="r").protective[0].due_on == (
        ordinary
    )
    with pytest.raises(lc.LifecycleError) as caught:
        raised(NEL, at_stage=3, due_on=ordinary + dt.timedelta(days=1), due_reason="r")
    assert str(caught.value) == lc.PROTECTIVE_AFTER_ORDINARY.format(due="17 March 2026")
    with pytest.raises(lc.LifecycleError, match="before the day it is raised"):
        raised(NEL, at_stage=3, due_on=D(2026, 3, 1), due_reason="r")


def test_a_due_date_at_raising_needs_immediate_risk() -> None:
    with pytest.raises(lc.LifecycleError, match=lc.DUE_NEEDS_RISK):
        raised(NEL, due_on=D(2026, 3, 3), due_reason="r")


@settings(max_examples=150, deadline=None)
@given(
    procedure=st.sampled_from(PROCEDURES),
    raised_on=st.dates(min_value=D(2025, 1, 1), max_value=D(2028, 12, 31)),
    back=st.integers(min_value=0, max_value=30),
    data=st.data(),
)
def test_immediate_risk_due_is_never_later_than_the_ordinary_one(
    procedure: Procedure, raised_on: dt.date, back: int, data: st.DataObject
) -> None:
    start = data.draw(st.integers(min_value=1, max_value=procedure.top - 1))
    outset = raised_on - dt.timedelta(days=back)
    t = lc.raise_escalation(
        procedure,
        outset_on=outset,
        raised_on=raised_on,
        at_stage=start,
        immediate_risk_reason="At risk",
        calendar=CAL,
    )
    step = clock.plan(procedure, CAL, t.state.facts()).stage(start)
    assert step.due_on is not None
    assert step.due_on <= CAL.add_working_days(raised_on, 0)
    if step.rule_due_on is not None:
        assert step.due_on <= step.rule_due_on


def test_a_day_off_before_the_next_working_day_means_the_same_working_day() -> None:
    saturday, monday = D(2026, 3, 7), D(2026, 3, 9)
    t = lc.raise_escalation(
        REDBRIDGE,
        outset_on=saturday,
        raised_on=saturday,
        at_stage=2,
        immediate_risk_reason="At risk",
        calendar=CAL,
        due_on=saturday,
    )
    assert t.state.protective[0].due_on == monday
