"""The escalation state machine: legal walks, refused transitions and their messages."""

import datetime as dt

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from escalate.procedures import clock
from escalate.procedures import events as ev
from escalate.procedures import lifecycle as lc
from escalate.procedures.calendar import working_calendar
from escalate.procedures.registry import load_registry
from escalate.procedures.schema import Procedure, TopOutcome

D = dt.date
REGISTRY = load_registry()
PROCEDURES = REGISTRY.latest()
NEL = REGISTRY.get("north-east-lincolnshire")
REDBRIDGE = REGISTRY.get("redbridge-sab")
SOMERSET = REGISTRY.get("north-somerset-sab")
CAL = working_calendar()
OUTSET = D(2026, 3, 2)  # a Monday


def raised(procedure: Procedure = NEL, **kwargs: object) -> lc.EscalationState:
    return lc.raise_escalation(
        procedure,
        outset_on=OUTSET,
        raised_on=OUTSET,
        calendar=CAL,
        **kwargs,  # type: ignore[arg-type]
    ).state


def walk_to_top(procedure: Procedure) -> lc.EscalationState:
    state = raised(procedure)
    day = OUTSET
    while state.current.number < procedure.top:
        day += dt.timedelta(days=1)
        state = lc.escalate(procedure, state, escalated_on=day, reason="Not agreed").state
    return state


@pytest.mark.parametrize("procedure", PROCEDURES, ids=lambda p: p.id)
def test_each_procedure_walks_from_raise_to_its_top_decision(procedure: Procedure) -> None:
    state = walk_to_top(procedure)
    assert [s.number for s in state.stages] == list(range(1, procedure.top + 1))
    done = lc.decide(procedure, state, decided_on=D(2026, 4, 1), decision="The panel decided X.")
    assert done.state.status is lc.Status.DECIDED
    (event,) = done.events
    assert isinstance(event, ev.TopStageDecided)
    assert event.produces is procedure.top_stage.produces
    assert done.state.closed_on == D(2026, 4, 1)


def test_top_outcomes_follow_the_seeds() -> None:
    produces = {p.id: p.top_stage.produces for p in PROCEDURES}
    assert produces == {
        "north-somerset-sab": TopOutcome.BINDING_DECISION,
        "north-east-lincolnshire": TopOutcome.RECOMMENDATIONS,
        "south-gloucestershire-cp": TopOutcome.BINDING_DECISION,
        "redbridge-sab": TopOutcome.RECOMMENDATIONS,
        "sunderland-sab": TopOutcome.FEEDBACK,
    }


def test_raise_produces_raised_and_entered() -> None:
    t = lc.raise_escalation(NEL, outset_on=D(2026, 2, 27), raised_on=OUTSET, calendar=CAL)
    assert t.events == (
        ev.EscalationRaised(NEL.key, D(2026, 2, 27), OUTSET, 1, None),
        ev.StageEntered(1, D(2026, 2, 27)),
    )
    assert t.state.status is lc.Status.OPEN
    assert t.state.current.entered_on == D(2026, 2, 27)  # stage 1 is entered on the outset


def test_immediate_risk_starts_higher_with_a_reason() -> None:
    t = lc.raise_escalation(
        NEL,
        outset_on=OUTSET,
        raised_on=OUTSET,
        at_stage=3,
        immediate_risk_reason="Child unsafe",
        calendar=CAL,
    )
    assert t.state.current.number == 3
    assert t.events[1] == ev.StageEntered(3, OUTSET, skipped=(1, 2))
    plan = clock.plan(NEL, CAL, t.state.facts())
    assert plan.stage(1).skipped
    assert plan.stage(2).skipped
    assert plan.stage(1).due_on is None
    # Immediate risk: the same working day, not the ordinary O + 11.
    assert plan.stage(3).rule_due_on == CAL.add_working_days(OUTSET, 11)
    assert plan.stage(3).due_on == OUTSET


@pytest.mark.parametrize("reason", [None, "", "   "])
def test_higher_start_without_reason_is_refused(reason: str | None) -> None:
    with pytest.raises(lc.LifecycleError) as caught:
        lc.raise_escalation(
            NEL,
            outset_on=OUTSET,
            raised_on=OUTSET,
            at_stage=2,
            immediate_risk_reason=reason,
            calendar=CAL,
        )
    assert str(caught.value) == lc.HIGHER_START_NEEDS_RISK.format(stage=2)


def test_raise_refusals() -> None:
    with pytest.raises(lc.LifecycleError, match="cannot be after the date it is raised"):
        lc.raise_escalation(NEL, outset_on=D(2026, 3, 3), raised_on=OUTSET, calendar=CAL)
    with pytest.raises(lc.LifecycleError, match="has no stage 6"):
        lc.raise_escalation(NEL, outset_on=OUTSET, raised_on=OUTSET, at_stage=6, calendar=CAL)


def test_escalate_moves_to_the_next_stage_entered_that_day() -> None:
    t = lc.escalate(NEL, raised(), escalated_on=D(2026, 3, 4), reason="No agreement")
    assert t.state.current == lc.StageState(2, D(2026, 3, 4))
    assert t.state.stages[0].left_on == D(2026, 3, 4)
    assert t.events == (
        ev.StageEscalated(1, 2, D(2026, 3, 4), "No agreement"),
        ev.StageEntered(2, D(2026, 3, 4)),
    )


def test_escalate_at_top_stage_is_refused() -> None:
    state = walk_to_top(NEL)
    with pytest.raises(lc.LifecycleError) as caught:
        lc.escalate(NEL, state, escalated_on=D(2026, 4, 1), reason="x")
    assert str(caught.value) == lc.AT_TOP_STAGE.format(stage=5)


def test_decide_below_top_stage_is_refused() -> None:
    with pytest.raises(lc.LifecycleError) as caught:
        lc.decide(NEL, raised(), decided_on=OUTSET, decision="x")
    assert str(caught.value) == lc.NOT_AT_TOP_STAGE.format(
        top=5, produces="recommendations", stage=1
    )


def test_resolve_then_confirm_in_writing() -> None:
    t = lc.resolve(NEL, raised(), resolved_on=D(2026, 3, 3), outcome="Assessment to go ahead")
    assert t.state.status is lc.Status.RESOLVED
    assert t.events == (ev.StageResolved(1, D(2026, 3, 3), "Assessment to go ahead"),)
    c = lc.confirm_in_writing(NEL, t.state, confirmed_on=D(2026, 3, 4), confirmed_by="Team manager")
    assert c.state.confirmed_on == D(2026, 3, 4)
    with pytest.raises(lc.LifecycleError) as caught:
        lc.confirm_in_writing(NEL, c.state, confirmed_on=D(2026, 3, 5), confirmed_by="x")
    assert str(caught.value) == lc.ALREADY_CONFIRMED.format(on="4 March 2026")


def test_confirm_before_resolution_is_refused() -> None:
    with pytest.raises(lc.LifecycleError) as caught:
        lc.confirm_in_writing(NEL, raised(), confirmed_on=OUTSET, confirmed_by="x")
    assert str(caught.value) == lc.NOT_RESOLVED


@pytest.mark.parametrize(
    ("action", "message"),
    [
        (lambda s: lc.escalate(NEL, s, escalated_on=OUTSET, reason="x"), "escalated"),
        (lambda s: lc.resolve(NEL, s, resolved_on=OUTSET, outcome="x"), "resolved"),
        (lambda s: lc.withdraw(NEL, s, withdrawn_on=OUTSET, reason="x"), "withdrawn"),
    ],
)
def test_nothing_moves_after_withdrawal(action, message: str) -> None:  # type: ignore[no-untyped-def]
    state = lc.withdraw(NEL, raised(), withdrawn_on=OUTSET, reason="Raised in error").state
    with pytest.raises(lc.LifecycleError) as caught:
        action(state)
    assert str(caught.value) == lc.NOT_OPEN.format(status="withdrawn", action=message)


def test_empty_reason_and_outcome_are_refused() -> None:
    with pytest.raises(lc.LifecycleError, match=lc.REASON_REQUIRED):
        lc.escalate(NEL, raised(), escalated_on=OUTSET, reason="  ")
    with pytest.raises(lc.LifecycleError, match=lc.OUTCOME_REQUIRED):
        lc.resolve(NEL, raised(), resolved_on=OUTSET, outcome="")
    with pytest.raises(lc.LifecycleError, match=lc.REASON_REQUIRED):
        lc.withdraw(NEL, raised(), withdrawn_on=OUTSET, reason="")


def test_dates_before_the_stage_entry_are_refused() -> None:
    state = lc.escalate(NEL, raised(), escalated_on=D(2026, 3, 5), reason="x").state
    with pytest.raises(lc.LifecycleError) as caught:
        lc.resolve(NEL, state, resolved_on=D(2026, 3, 4), outcome="x")
    assert str(caught.value) == lc.BEFORE_STAGE_ENTRY.format(stage=2, entered="5 March 2026")


def test_contacts_are_recorded_at_the_current_stage() -> None:
    t = lc.record_contact(
        NEL, raised(), occurred_on=OUTSET, recorded_on=D(2026, 3, 3), kind="telephone"
    )
    assert t.events == (ev.ContactRecorded(1, OUTSET, D(2026, 3, 3), "telephone"),)
    with pytest.raises(lc.LifecycleError, match="before the concern was identified"):
        lc.record_contact(NEL, raised(), occurred_on=D(2026, 3, 1), recorded_on=OUTSET, kind="x")
    with pytest.raises(lc.LifecycleError, match="after the day it is recorded"):
        lc.record_contact(NEL, raised(), occurred_on=D(2026, 3, 5), recorded_on=OUTSET, kind="x")


def test_events_anchor_obligations() -> None:
    state = walk_to_top(NEL)
    plan = clock.plan(NEL, CAL, state.facts())
    chair = next(o for o in plan.stage(5).obligations if o.id == "chair-recommendation")
    assert chair.due_on is None  # the Chair has not been notified yet
    t = lc.record_event(NEL, state, event="chair-notified", occurred_on=D(2026, 3, 9))
    plan = clock.plan(NEL, CAL, t.state.facts())
    chair = next(o for o in plan.stage(5).obligations if o.id == "chair-recommendation")
    assert chair.due_on == D(2026, 3, 16)  # 5 working days after Monday 9 March
    with pytest.raises(lc.LifecycleError, match="has no event 'tea-break'"):
        lc.record_event(NEL, state, event="tea-break", occurred_on=D(2026, 3, 9))
    with pytest.raises(lc.LifecycleError, match="recorded by its own action"):
        lc.record_event(NEL, state, event="resolved", occurred_on=D(2026, 3, 9))


def test_protective_due_date_only_earlier_and_where_allowed() -> None:
    state = raised(REDBRIDGE)
    due = clock.plan(REDBRIDGE, CAL, state.facts()).stage(1).due_on
    assert due == D(2026, 3, 9)
    t = lc.set_protective_due(
        REDBRIDGE,
        state,
        CAL,
        stage=1,
        due_on=D(2026, 3, 4),
        reason="Adult returning home",
        today=OUTSET,
    )
    plan = clock.plan(REDBRIDGE, CAL, t.state.facts())
    assert plan.stage(1).due_on == D(2026, 3, 4)
    assert plan.stage(1).rule_due_on == D(2026, 3, 9)
    assert plan.stage(1).protective_reason == "Adult returning home"
    assert plan.stage(2).entered_on == D(2026, 3, 4)  # later stages plan on the earlier date
    with pytest.raises(lc.LifecycleError) as caught:
        lc.set_protective_due(
            REDBRIDGE, t.state, CAL, stage=1, due_on=D(2026, 3, 4), reason="x", today=OUTSET
        )
    assert str(caught.value) == lc.PROTECTIVE_NOT_EARLIER.format(due="4 March 2026")
    with pytest.raises(lc.LifecycleError, match="cannot be before today"):
        lc.set_protective_due(
            REDBRIDGE, state, CAL, stage=1, due_on=D(2026, 3, 3), reason="x", today=D(2026, 3, 4)
        )
    with pytest.raises(lc.LifecycleError, match="does not allow an earlier timescale"):
        lc.set_protective_due(
            SOMERSET, raised(SOMERSET), CAL, stage=1, due_on=OUTSET, reason="x", today=OUTSET
        )
    with pytest.raises(lc.LifecycleError, match="Only the current stage"):
        lc.set_protective_due(
            REDBRIDGE, state, CAL, stage=2, due_on=OUTSET, reason="x", today=OUTSET
        )


def test_state_of_another_procedure_is_refused() -> None:
    with pytest.raises(ValueError, match="runs under"):
        lc.escalate(REDBRIDGE, raised(NEL), escalated_on=OUTSET, reason="x")


# -- a property: any sequence of actions keeps the record coherent --------------------------

ACTIONS = st.lists(
    st.tuples(
        st.sampled_from(["escalate", "resolve", "withdraw", "decide", "contact", "confirm"]),
        st.integers(min_value=-2, max_value=6),
    ),
    max_size=12,
)


@settings(max_examples=200)
@given(st.sampled_from(PROCEDURES), ACTIONS)
def test_random_walks_keep_the_record_coherent(procedure: Procedure, actions) -> None:  # type: ignore[no-untyped-def]
    state = raised(procedure)
    day = OUTSET
    for name, step in actions:
        day += dt.timedelta(days=step)
        before = state
        try:
            if name == "escalate":
                state = lc.escalate(procedure, state, escalated_on=day, reason="r").state
            elif name == "resolve":
                state = lc.resolve(procedure, state, resolved_on=day, outcome="o").state
            elif name == "withdraw":
                state = lc.withdraw(procedure, state, withdrawn_on=day, reason="r").state
            elif name == "decide":
                state = lc.decide(procedure, state, decided_on=day, decision="d").state
            elif name == "contact":
                lc.record_contact(procedure, state, occurred_on=day, recorded_on=day, kind="call")
            else:
                state = lc.confirm_in_writing(
                    procedure, state, confirmed_on=day, confirmed_by="m"
                ).state
        except lc.LifecycleError:
            refused = True
        else:
            refused = False
        if refused:
            assert state == before  # a refused transition changes nothing
        numbers = [s.number for s in state.stages]
        assert numbers == list(range(1, len(numbers) + 1))
        entries = [s.entered_on for s in state.stages]
        assert entries == sorted(entries)
        assert all(s.left_on is not None for s in state.stages[:-1])
        assert (state.closed_on is None) == state.is_open
        assert state.current.number <= procedure.top
        if state.status is lc.Status.DECIDED:
            assert state.current.number == procedure.top
        clock.plan(procedure, CAL, state.facts())  # always plannable


def test_written_confirmation_meets_the_confirm_duty() -> None:
    state = lc.resolve(REDBRIDGE, raised(REDBRIDGE), resolved_on=D(2026, 3, 3), outcome="x").state
    facts = state.facts()
    plan = clock.plan(REDBRIDGE, CAL, facts)
    owed = clock.overdue(REDBRIDGE, CAL, plan, facts, D(2026, 3, 10))
    assert [i.obligation for i in owed] == ["confirm-outcome-in-writing"]
    t = lc.confirm_in_writing(REDBRIDGE, state, confirmed_on=D(2026, 3, 4), confirmed_by="m")
    assert t.events[1] == ev.ObligationMet(1, "confirm-outcome-in-writing", D(2026, 3, 4))
    facts = t.state.facts()
    plan = clock.plan(REDBRIDGE, CAL, facts)
    assert clock.overdue(REDBRIDGE, CAL, plan, facts, D(2026, 3, 10)) == []


def _closed_states(procedure: Procedure) -> dict[str, lc.EscalationState]:
    day = OUTSET + dt.timedelta(days=1)
    top = walk_to_top(procedure)
    return {
        "open": raised(procedure),
        "resolved": lc.resolve(procedure, raised(procedure), resolved_on=day, outcome="x").state,
        "withdrawn": lc.withdraw(procedure, raised(procedure), withdrawn_on=day, reason="x").state,
        "decided": lc.decide(procedure, top, decided_on=D(2026, 5, 1), decision="x").state,
    }


def _record(
    procedure: Procedure, state: lc.EscalationState, kind: lc.Record, on: dt.date
) -> lc.Transition:
    if kind is lc.Record.CONTACT:
        return lc.record_contact(procedure, state, occurred_on=on, recorded_on=on, kind="call")
    stage = state.current.number
    if kind is lc.Record.EVENT:
        event = procedure.events_at(stage)[0].id
        return lc.record_event(procedure, state, event=event, occurred_on=on)
    doable = lc.doable_obligations(procedure, state) or procedure.stage(stage).obligations
    return lc.meet_obligation(procedure, state, obligation=doable[-1].id, met_on=on)


@pytest.mark.parametrize("procedure", PROCEDURES, ids=lambda p: p.id)
def test_recordable_says_exactly_what_the_record_functions_accept(procedure: Procedure) -> None:
    """The page offers what ``recordable`` names; each record function accepts exactly that,
    and refuses the rest with the not-open message."""
    on = D(2026, 5, 1)
    tried = 0
    for status, state in _closed_states(procedure).items():
        kinds = [lc.Record.CONTACT]
        if procedure.events_at(state.current.number):
            kinds.append(lc.Record.EVENT)
        if procedure.stage(state.current.number).obligations:
            kinds.append(lc.Record.DUTY)
        allowed = lc.recordable(state)
        for kind in kinds:
            tried += 1
            if kind in allowed:
                _record(procedure, state, kind, on)
                continue
            with pytest.raises(lc.LifecycleError) as caught:
                _record(procedure, state, kind, on)
            assert str(caught.value).startswith(f"This escalation is {status}:"), (status, kind)
    assert tried >= 4
    assert lc.recordable(_closed_states(procedure)["withdrawn"]) == frozenset()
    assert lc.recordable(raised(procedure)) == frozenset(lc.Record)
