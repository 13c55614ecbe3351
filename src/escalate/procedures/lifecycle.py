"""The state machine of one escalation, as pure functions.

Every transition takes the procedure, the current :class:`EscalationState` and typed keyword
arguments, and returns a :class:`Transition`: the new state and the events it produced. A
transition that the procedure does not allow raises :class:`LifecycleError` whose message says
why; the messages are named constants so that callers and tests can rely on them.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, replace
from enum import StrEnum

from escalate.procedures import clock, words
from escalate.procedures import events as ev
from escalate.procedures.calendar import WorkingCalendar
from escalate.procedures.schema import BUILT_IN_EVENTS, Event, Obligation, Procedure


class Status(StrEnum):
    OPEN = "open"
    RESOLVED = "resolved"
    WITHDRAWN = "withdrawn"
    DECIDED = "decided"


class Record(StrEnum):
    """What can be added to an escalation's record besides moving it on."""

    CONTACT = "contact"
    DUTY = "duty"
    EVENT = "event"


class LifecycleError(Exception):
    """A transition the procedure does not allow. The message says why."""


# The messages, named so that the tests and the web forms can refer to them.
NOT_OPEN = "This escalation is {status}: it can no longer be {action}."
REASON_REQUIRED = "Give a reason."
OUTCOME_REQUIRED = "Give the agreed outcome."
DECISION_REQUIRED = "Give the decision or recommendations."
CONFIRMER_REQUIRED = "Say who confirmed the outcome in writing."
KIND_REQUIRED = "Say how the contact was made."
VIEW_REQUIRED = "Enter your agency's view of the disagreement."
CORRECTION_REQUIRED = "Say what the correction is."
NO_SUCH_STAGE = "{procedure} has no stage {stage}: its stages are 1 to {top}."
HIGHER_START_NEEDS_RISK = (
    "An escalation starts at stage 1 unless the person is at immediate risk; "
    "give the reason to start at stage {stage}."
)
HIGHER_START_NOT_ALLOWED = "{procedure} does not allow starting above stage 1."
OUTSET_IN_FUTURE = "The date the concern was identified cannot be after the date it is raised."
BEFORE_OUTSET = "The date cannot be before the concern was identified ({outset})."
BEFORE_STAGE_ENTRY = "The date cannot be before stage {stage} was entered ({entered})."
BEFORE_RESOLUTION = "The date cannot be before the escalation was resolved ({resolved})."
AFTER_RECORDING = "The date cannot be after the day it is recorded ({recorded})."
AT_TOP_STAGE = "This escalation is at the top stage ({stage}); it cannot be escalated further."
NOT_AT_TOP_STAGE = "Only the top stage ({top}) makes the final {produces}; this is stage {stage}."
NOT_RESOLVED = "Only a resolved escalation can have its outcome confirmed in writing."
ALREADY_CONFIRMED = "The outcome was already confirmed in writing on {on}."
PROTECTIVE_NOT_ALLOWED = "Stage {stage} of {procedure} does not allow an earlier timescale."
PROTECTIVE_NOT_EARLIER = "A protective due date must be earlier than the current one ({due})."
PROTECTIVE_IN_PAST = "A protective due date cannot be before today ({today})."
PROTECTIVE_NOT_CURRENT = "Only the current stage ({stage}) can have its due dates brought forward."
UNKNOWN_EVENT = "{procedure} has no event '{event}'."
UNKNOWN_OBLIGATION = "Stage {stage} has no obligation '{obligation}'."
ALREADY_MET = "That obligation was already met on {on}."
BUILT_IN_EVENT = "The event '{event}' is recorded by its own action, not directly."
EVENT_NOT_AT_STAGE = "'{event}' is not recorded at stage {stage} of this procedure."
DUTY_BEFORE_RESOLUTION = "'{duty}' can only be done once the escalation is resolved."
PROTECTIVE_AFTER_ORDINARY = (
    "The due date cannot be later than the stage's ordinary due date ({due})."
)
PROTECTIVE_BEFORE_RAISED = "The due date cannot be before the day it is raised ({raised})."
LATER_DUE_NEEDS_REASON = "Give the reason the stage can wait past today."
DUE_NEEDS_RISK = "A due date is set at raising only when the person is at immediate risk."
IMMEDIATE_RISK_SAME_DAY = "Immediate risk of significant harm: same working day."


@dataclass(frozen=True)
class StageState:
    number: int
    entered_on: dt.date
    left_on: dt.date | None = None


@dataclass(frozen=True)
class EscalationState:
    procedure_key: str
    outset_on: dt.date
    raised_on: dt.date
    start_stage: int
    immediate_risk_reason: str | None
    status: Status
    stages: tuple[StageState, ...]
    events: tuple[clock.EventFact, ...] = ()
    protective: tuple[clock.ProtectiveDue, ...] = ()
    met: tuple[tuple[int, str, dt.date], ...] = ()
    outcome: str | None = None
    closed_on: dt.date | None = None
    confirmed_on: dt.date | None = None
    confirmed_by: str | None = None

    @property
    def current(self) -> StageState:
        return self.stages[-1]

    @property
    def is_open(self) -> bool:
        return self.status is Status.OPEN

    def facts(self) -> clock.Facts:
        return clock.Facts(
            outset_on=self.outset_on,
            start_stage=self.start_stage,
            entered={s.number: s.entered_on for s in self.stages},
            left={s.number: s.left_on for s in self.stages if s.left_on is not None},
            events=self.events,
            protective=self.protective,
            met={(stage, ob): on for stage, ob, on in self.met},
            closed_on=self.closed_on,
            withdrawn=self.status is Status.WITHDRAWN,
        )


@dataclass(frozen=True)
class Transition:
    state: EscalationState
    events: tuple[ev.Event, ...]


# ---------------------------------------------------------------------------------------
# Guards


def _text(value: str | None, message: str) -> str:
    if value is None or not value.strip():
        raise LifecycleError(message)
    return value.strip()


def recordable(state: EscalationState) -> frozenset[Record]:
    """What may still be added to the record: contacts and duties done until the escalation is
    withdrawn (the written confirmation and any follow-up come after it is resolved or decided),
    procedure events only while it is open. The record functions below refuse the rest."""
    if state.is_open:
        return frozenset(Record)
    if state.status is Status.WITHDRAWN:
        return frozenset()
    return frozenset({Record.CONTACT, Record.DUTY})


def _concluded(state: EscalationState) -> bool:
    """Resolved, or decided at the top stage: what a duty "once resolved" waits for."""
    return state.status in (Status.RESOLVED, Status.DECIDED)


def recordable_events(procedure: Procedure, state: EscalationState) -> tuple[Event, ...]:
    """The procedure events that may be recorded now: those the definition places at the
    current stage, while the escalation is open."""
    if Record.EVENT not in recordable(state):
        return ()
    return procedure.events_at(state.current.number)


def doable_obligations(procedure: Procedure, state: EscalationState) -> tuple[Obligation, ...]:
    """The current stage's duties that may be marked done now: not yet done, and (for a duty
    tied to the resolution) only once the escalation is resolved."""
    if Record.DUTY not in recordable(state):
        return ()
    stage = state.current.number
    done = {o for s, o, _ in state.met if s == stage}
    return tuple(
        o
        for o in procedure.stage(stage).obligations
        if o.id not in done and (not o.tied_to_resolution or _concluded(state))
    )


def _require_open(state: EscalationState, action: str) -> None:
    if not state.is_open:
        raise LifecycleError(NOT_OPEN.format(status=state.status.value, action=action))


def _not_before_entry(state: EscalationState, on: dt.date) -> None:
    if on < state.current.entered_on:
        raise LifecycleError(
            BEFORE_STAGE_ENTRY.format(
                stage=state.current.number, entered=words.long_date(state.current.entered_on)
            )
        )


def _check_key(procedure: Procedure, state: EscalationState) -> None:
    if procedure.key != state.procedure_key:
        raise ValueError(f"state runs under {state.procedure_key}, not {procedure.key}")


def _leave_current(state: EscalationState, on: dt.date) -> tuple[StageState, ...]:
    return (*state.stages[:-1], replace(state.current, left_on=on))


# ---------------------------------------------------------------------------------------
# Transitions


def raise_escalation(
    procedure: Procedure,
    *,
    outset_on: dt.date,
    raised_on: dt.date,
    at_stage: int = 1,
    calendar: WorkingCalendar,
    immediate_risk_reason: str | None = None,
    due_on: dt.date | None = None,
    due_reason: str | None = None,
) -> Transition:
    """Start an escalation: at stage 1, or higher for immediate risk with a reason.

    Immediate risk (a reason given): the stage it starts at gets a
    protective due date, the same working day as it is raised by default, whether or not that
    stage otherwise accepts one. The raiser may give a later ``due_on`` with a ``due_reason``,
    never past the stage's ordinary due date.
    """
    if outset_on > raised_on:
        raise LifecycleError(OUTSET_IN_FUTURE)
    if not 1 <= at_stage <= procedure.top:
        raise LifecycleError(
            NO_SUCH_STAGE.format(procedure=procedure.title, stage=at_stage, top=procedure.top)
        )
    reason = immediate_risk_reason.strip() if immediate_risk_reason else None
    if at_stage > 1:
        if not procedure.immediate_risk.may_start_at_any_stage:
            raise LifecycleError(HIGHER_START_NOT_ALLOWED.format(procedure=procedure.title))
        if not reason:
            raise LifecycleError(HIGHER_START_NEEDS_RISK.format(stage=at_stage))
    entered_on = outset_on if at_stage == 1 else raised_on
    state = EscalationState(
        procedure_key=procedure.key,
        outset_on=outset_on,
        raised_on=raised_on,
        start_stage=at_stage,
        immediate_risk_reason=reason,
        status=Status.OPEN,
        stages=(StageState(at_stage, entered_on),),
    )
    events: tuple[ev.Event, ...] = (
        ev.EscalationRaised(procedure.key, outset_on, raised_on, at_stage, reason),
        ev.StageEntered(at_stage, entered_on, skipped=tuple(range(1, at_stage))),
    )
    if reason:
        fact = _immediate_risk_due(procedure, state, calendar, due_on, due_reason)
        ordinary = clock.plan(procedure, calendar, state.facts()).stage(at_stage).rule_due_on
        state = replace(state, protective=(fact,))
        events = (
            *events,
            ev.ProtectiveDueDateSet(at_stage, None, fact.due_on, ordinary, fact.reason, raised_on),
        )
    elif due_on is not None:
        raise LifecycleError(DUE_NEEDS_RISK)
    return Transition(state, events)


def _immediate_risk_due(
    procedure: Procedure,
    state: EscalationState,
    calendar: WorkingCalendar,
    due_on: dt.date | None,
    due_reason: str | None,
) -> clock.ProtectiveDue:
    """The protective due date of the stage an immediate-risk escalation starts at."""
    same_day = calendar.add_working_days(state.raised_on, 0)
    stage = state.start_stage
    if due_on is not None and due_on < state.raised_on:
        raise LifecycleError(
            PROTECTIVE_BEFORE_RAISED.format(raised=words.long_date(state.raised_on))
        )
    if due_on is None or due_on <= same_day:
        # Today, or a day off before the next working day: the same working day.
        return clock.ProtectiveDue(stage, None, same_day, IMMEDIATE_RISK_SAME_DAY)
    ordinary = clock.plan(procedure, calendar, state.facts()).stage(stage).rule_due_on
    if ordinary is not None and due_on > ordinary:
        raise LifecycleError(PROTECTIVE_AFTER_ORDINARY.format(due=words.long_date(ordinary)))
    return clock.ProtectiveDue(stage, None, due_on, _text(due_reason, LATER_DUE_NEEDS_REASON))


def record_contact(
    procedure: Procedure,
    state: EscalationState,
    *,
    occurred_on: dt.date,
    recorded_on: dt.date,
    kind: str,
    contact_by: str = "",
    contact_with: str = "",
    summary: str = "",
    agreed: str = "",
    decision_makers: str = "",
) -> Transition:
    """A contact, discussion or meeting: allowed while open, and after resolution too (the
    written confirmation and follow-up are recorded as contacts)."""
    _check_key(procedure, state)
    if Record.CONTACT not in recordable(state):
        _require_open(state, "added to")
    kind = _text(kind, KIND_REQUIRED)
    if occurred_on < state.outset_on:
        raise LifecycleError(BEFORE_OUTSET.format(outset=words.long_date(state.outset_on)))
    if occurred_on > recorded_on:
        raise LifecycleError(AFTER_RECORDING.format(recorded=words.long_date(recorded_on)))
    event = ev.ContactRecorded(
        state.current.number,
        occurred_on,
        recorded_on,
        kind,
        contact_by=contact_by.strip(),
        contact_with=contact_with.strip(),
        summary=summary.strip(),
        agreed=agreed.strip(),
        decision_makers=decision_makers.strip(),
    )
    return Transition(state, (event,))


def give_view(state: EscalationState, *, view: str, given_on: dt.date) -> Transition:
    """An agency's view of the disagreement, at any time: a later view is added beside the
    earlier one. Who may give one (a party) is the application's access rule."""
    text = _text(view, VIEW_REQUIRED)
    return Transition(state, (ev.ViewGiven(state.current.number, given_on, text),))


def correct_entry(
    state: EscalationState, *, sequence: int, text: str, corrected_on: dt.date
) -> Transition:
    """A correction of entry ``sequence`` (which the caller has checked exists), added beside
    it."""
    correction = _text(text, CORRECTION_REQUIRED)
    event = ev.EntryCorrected(state.current.number, corrected_on, sequence, correction)
    return Transition(state, (event,))


def record_event(
    procedure: Procedure, state: EscalationState, *, event: str, occurred_on: dt.date
) -> Transition:
    """A procedure event (meeting held, review completed, chair notified...)."""
    _check_key(procedure, state)
    if Record.EVENT not in recordable(state):
        _require_open(state, "changed")
    if event in BUILT_IN_EVENTS:
        raise LifecycleError(BUILT_IN_EVENT.format(event=event))
    if event not in procedure.event_ids():
        raise LifecycleError(UNKNOWN_EVENT.format(procedure=procedure.title, event=event))
    if event not in {e.id for e in recordable_events(procedure, state)}:
        name = procedure.event_name(event)
        raise LifecycleError(EVENT_NOT_AT_STAGE.format(event=name, stage=state.current.number))
    _not_before_entry(state, occurred_on)
    fact = clock.EventFact(state.current.number, event, occurred_on)
    new = replace(state, events=(*state.events, fact))
    return Transition(new, (ev.ProcedureEventRecorded(fact.stage, event, occurred_on),))


def meet_obligation(
    procedure: Procedure, state: EscalationState, *, obligation: str, met_on: dt.date
) -> Transition:
    """Mark a duty of the current stage done (the monitoring form sent, say)."""
    _check_key(procedure, state)
    if Record.DUTY not in recordable(state):
        _require_open(state, "changed")
    stage = state.current.number
    found = [o for o in procedure.stage(stage).obligations if o.id == obligation]
    if not found:
        raise LifecycleError(UNKNOWN_OBLIGATION.format(stage=stage, obligation=obligation))
    for s, o, on in state.met:
        if (s, o) == (stage, obligation):
            raise LifecycleError(ALREADY_MET.format(on=words.long_date(on)))
    if found[0].tied_to_resolution and not _concluded(state):
        raise LifecycleError(DUTY_BEFORE_RESOLUTION.format(duty=found[0].what))
    _not_before_entry(state, met_on)
    new = replace(state, met=(*state.met, (stage, obligation, met_on)))
    return Transition(new, (ev.ObligationMet(stage, obligation, met_on),))


def set_protective_due(
    procedure: Procedure,
    state: EscalationState,
    calendar: WorkingCalendar,
    *,
    stage: int,
    due_on: dt.date,
    reason: str,
    today: dt.date,
    obligation: str | None = None,
) -> Transition:
    """Bring a due date of the current stage earlier, never later, with the reason."""
    _check_key(procedure, state)
    _require_open(state, "changed")
    if stage != state.current.number:
        raise LifecycleError(PROTECTIVE_NOT_CURRENT.format(stage=state.current.number))
    if not procedure.stage(stage).protective_timescale:
        raise LifecycleError(PROTECTIVE_NOT_ALLOWED.format(stage=stage, procedure=procedure.title))
    reason = _text(reason, REASON_REQUIRED)
    current = clock.plan(procedure, calendar, state.facts()).stage(stage)
    if obligation is None:
        current_due = current.due_on
    else:
        found = [o for o in current.obligations if o.id == obligation]
        if not found:
            raise LifecycleError(UNKNOWN_OBLIGATION.format(stage=stage, obligation=obligation))
        current_due = found[0].due_on
    if due_on < today:
        raise LifecycleError(PROTECTIVE_IN_PAST.format(today=words.long_date(today)))
    if current_due is not None and due_on >= current_due:
        raise LifecycleError(PROTECTIVE_NOT_EARLIER.format(due=words.long_date(current_due)))
    _not_before_entry(state, due_on)
    fact = clock.ProtectiveDue(stage, obligation, due_on, reason)
    new = replace(state, protective=(*state.protective, fact))
    event = ev.ProtectiveDueDateSet(stage, obligation, due_on, current_due, reason, today)
    return Transition(new, (event,))


def resolve(
    procedure: Procedure, state: EscalationState, *, resolved_on: dt.date, outcome: str
) -> Transition:
    """The parties agree an outcome at the current stage."""
    _check_key(procedure, state)
    _require_open(state, "resolved")
    outcome = _text(outcome, OUTCOME_REQUIRED)
    _not_before_entry(state, resolved_on)
    stage = state.current.number
    new = replace(
        state,
        status=Status.RESOLVED,
        stages=_leave_current(state, resolved_on),
        events=(*state.events, clock.EventFact(stage, "resolved", resolved_on)),
        outcome=outcome,
        closed_on=resolved_on,
    )
    return Transition(new, (ev.StageResolved(stage, resolved_on, outcome),))


def confirm_in_writing(
    procedure: Procedure, state: EscalationState, *, confirmed_on: dt.date, confirmed_by: str
) -> Transition:
    """The outcome is confirmed in writing to the raiser."""
    _check_key(procedure, state)
    if state.status is not Status.RESOLVED:
        raise LifecycleError(NOT_RESOLVED)
    if state.confirmed_on is not None:
        raise LifecycleError(ALREADY_CONFIRMED.format(on=words.long_date(state.confirmed_on)))
    confirmed_by = _text(confirmed_by, CONFIRMER_REQUIRED)
    if state.closed_on is not None and confirmed_on < state.closed_on:
        raise LifecycleError(BEFORE_RESOLUTION.format(resolved=words.long_date(state.closed_on)))
    stage = state.current.number
    done = {o for s, o, _ in state.met if s == stage}
    duties = [
        o.id
        for o in procedure.stage(stage).obligations
        if o.met_by == "written-confirmation" and o.id not in done
    ]
    new = replace(
        state,
        confirmed_on=confirmed_on,
        confirmed_by=confirmed_by,
        met=(*state.met, *((stage, d, confirmed_on) for d in duties)),
    )
    return Transition(
        new,
        (
            ev.OutcomeConfirmedInWriting(stage, confirmed_on, confirmed_by),
            *(ev.ObligationMet(stage, d, confirmed_on) for d in duties),
        ),
    )


def escalate(
    procedure: Procedure, state: EscalationState, *, escalated_on: dt.date, reason: str
) -> Transition:
    """Not resolved at this stage: move to the next, entered on the same day."""
    _check_key(procedure, state)
    _require_open(state, "escalated")
    here = state.current.number
    if here >= procedure.top:
        raise LifecycleError(AT_TOP_STAGE.format(stage=here))
    reason = _text(reason, REASON_REQUIRED)
    _not_before_entry(state, escalated_on)
    nxt = here + 1
    new = replace(
        state,
        stages=(*_leave_current(state, escalated_on), StageState(nxt, escalated_on)),
        events=(*state.events, clock.EventFact(here, "escalated", escalated_on)),
    )
    return Transition(
        new,
        (ev.StageEscalated(here, nxt, escalated_on, reason), ev.StageEntered(nxt, escalated_on)),
    )


def withdraw(
    procedure: Procedure, state: EscalationState, *, withdrawn_on: dt.date, reason: str
) -> Transition:
    _check_key(procedure, state)
    _require_open(state, "withdrawn")
    reason = _text(reason, REASON_REQUIRED)
    _not_before_entry(state, withdrawn_on)
    new = replace(
        state,
        status=Status.WITHDRAWN,
        stages=_leave_current(state, withdrawn_on),
        closed_on=withdrawn_on,
    )
    return Transition(new, (ev.EscalationWithdrawn(state.current.number, withdrawn_on, reason),))


def decide(
    procedure: Procedure, state: EscalationState, *, decided_on: dt.date, decision: str
) -> Transition:
    """The top stage's binding decision or recommendations end the procedure."""
    _check_key(procedure, state)
    _require_open(state, "decided")
    here = state.current.number
    produces = procedure.top_stage.produces
    if here != procedure.top:
        raise LifecycleError(
            NOT_AT_TOP_STAGE.format(
                top=procedure.top, produces=produces.value.replace("-", " "), stage=here
            )
        )
    decision = _text(decision, DECISION_REQUIRED)
    _not_before_entry(state, decided_on)
    new = replace(
        state,
        status=Status.DECIDED,
        stages=_leave_current(state, decided_on),
        outcome=decision,
        closed_on=decided_on,
    )
    return Transition(new, (ev.TopStageDecided(here, decided_on, produces, decision),))
