"""Every change to an escalation goes through one of these services.

Each takes keyword-only, typed arguments, among them the **actor** (a person, or the system:
``actors.Actor``) and the date it acts on (``today``: time is an input; the web layer passes
``escalate.timekeeping.today()``). It checks access (``access.allowed_actions``); asks the rules
core for the transition; and in one transaction updates the projection with a version check,
stores the transition's events as timeline entries (``recording``, the one mapping between the
two), keeps the deadlines the sweep reads in step (``deadlines``), writes the outbox rows the
events call for (``escalate.notifications.outbox``), audits, and returns. A refused
transition raises :class:`ActionError`, and is audited too.

Conflicts. Every change takes ``version``: the escalation's version when the person opened the
form. What was added since then (entries with a higher ``Entry.version``) conflicts only if it
changed the stage or status (``STATE_CHANGING_KINDS``): then :class:`ConcurrentChangeError`
says so and carries those entries, so the page can show them above the person's own typing.
Anything else (a contact, a view, a duty done) is simply added beside the other change, checked
by the rules core against the escalation as it is now. A write that loses a race between
loading and saving is tried again from a fresh load.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import F, Max
from django.utils import timezone

from escalate.audit.models import AuditAction, AuditResult, ObjectType
from escalate.audit.services import audit_record
from escalate.cases import access, recording, rules, selectors
from escalate.cases.access import Action
from escalate.cases.actors import Actor, NoPersonError
from escalate.cases.deadlines import deadlines_sync
from escalate.cases.models import (
    STATE_CHANGING_KINDS,
    ContactMethod,
    Entry,
    Escalation,
    Party,
    PartyRole,
    Stage,
)
from escalate.cases.references import reference_key
from escalate.directory.models import Partnership
from escalate.procedures import lifecycle as lc
from escalate.procedures.calendar import WorkingCalendar
from escalate.procedures.schema import Procedure

CONCURRENT_CHANGE = (
    "Someone else changed the stage or status of this escalation after you opened this page. "
    "Nothing you entered has been saved yet: check what they did, then submit again if it is "
    "still needed."
)
NOT_ALLOWED = "You cannot {action} this escalation at its current stage."
DATE_IN_FUTURE = "The date cannot be in the future."
SAME_AGENCY = "The receiving agency must be a different agency from your own."
NOT_IN_PARTNERSHIP = "Choose an agency in your partnership."
UNKNOWN_CATEGORY = "Choose a category of disagreement."
NO_PERSON = "Your account is not linked to anyone in the directory."
UNKNOWN_ENTRY = "There is no entry {sequence} on this escalation."
CORRECTION_REQUIRED = "Say what the correction is."
UNKNOWN_METHOD = "Select how the contact was made."
VIEW_REQUIRED = "Enter your agency's view of the disagreement."
NOT_A_PARTY = (
    "The business unit oversees escalations and is never a party to one: a concern is raised "
    "by the agency that disagrees."
)
NAMES_NOT_RECORDED = "This partnership records only a case reference: leave the name blank."


class ServiceError(Exception):
    """A change refused. ``field`` names the form field it concerns, when one does."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


class ActionError(ServiceError):
    pass


class ConcurrentChangeError(ServiceError):
    """Someone else changed the stage or status since the person's ``version``. ``unseen``
    holds the entries added since then, oldest first."""

    def __init__(self, unseen: Sequence[Entry] = ()) -> None:
        super().__init__(CONCURRENT_CHANGE)
        self.unseen = list(unseen)


class _Raced(Exception):
    """Another change was saved between loading and writing: load again and retry."""


#: How many times a change that lost a race to a non-conflicting one is tried again.
ATTEMPTS = 4


def actor_for(user: object) -> Actor:
    """The person acting through a signed-in account; :class:`ActionError` if the account is
    linked to no one in the directory."""
    try:
        return Actor.of(user)
    except NoPersonError:
        raise ActionError(NO_PERSON) from None


def not_future(on: dt.date, now: dt.date, field_name: str) -> None:
    """Refuse a date after the day the service acts on (every service that takes one)."""
    if on > now:
        raise ActionError(DATE_IN_FUTURE, field_name)


# ---------------------------------------------------------------------------------------
# Raise


@dataclass(frozen=True)
class NewEscalation:
    """What the raise journey collects."""

    subject_kind: str
    subject_name: str
    subject_reference_kind: str
    subject_reference: str
    category: str
    source: str
    source_detail: str
    receiving_agency_id: int
    receiving_practitioner: str
    issue: str
    risk: str
    aim: str
    outset_on: dt.date
    immediate_risk: bool = False
    immediate_risk_reason: str = ""
    route_taken: str = ""
    start_stage: int = 1
    #: Immediate risk only: by when the start stage must act (None: the same working day).
    due_on: dt.date | None = None
    due_reason: str = ""
    other_agency_ids: tuple[int, ...] = field(default_factory=tuple)


def raised_fields(data: NewEscalation, state: lc.EscalationState) -> dict[str, Any]:
    """The escalation's fields that are what its raiser gave, as the raise stores them (the
    service, and the scale data set, which must store exactly what the service would)."""
    return {
        "subject_kind": data.subject_kind,
        "subject_name": data.subject_name,
        "subject_reference_kind": data.subject_reference_kind,
        "subject_reference": data.subject_reference,
        "subject_reference_key": reference_key(data.subject_reference),
        "category": data.category,
        "source": data.source,
        "source_detail": data.source_detail,
        "receiving_practitioner": data.receiving_practitioner,
        "issue": data.issue,
        "risk": data.risk,
        "aim": data.aim,
        "immediate_risk": data.immediate_risk,
        "immediate_risk_reason": state.immediate_risk_reason or "",
        "route_taken": data.route_taken if data.immediate_risk else "",
        "outset_on": data.outset_on,
    }


def escalation_raise(
    *, actor: Actor, data: NewEscalation, today: dt.date, now: dt.datetime | None = None
) -> Escalation:
    """Raise a concern: the record, its parties, stage, entries, deadlines and outbox rows, in
    one transaction. A refusal is audited like any other refused change."""
    with audited_refusal(actor, None, "escalation_raise"):
        return _raise(actor=actor, data=data, today=today, now=now or timezone.now())


def _raise(*, actor: Actor, data: NewEscalation, today: dt.date, now: dt.datetime) -> Escalation:
    person = actor.person
    if person is None:
        raise ActionError(NO_PERSON)
    if not access.may_raise(person):
        raise ActionError(NOT_A_PARTY)
    partnership: Partnership = person.agency.partnership
    procedure = rules.partnership_procedure(partnership)
    if data.category not in {c.id for c in procedure.categories}:
        raise ActionError(UNKNOWN_CATEGORY, "category")
    eligible = selectors.party_agencies(partnership.pk)
    receiving = eligible.filter(pk=data.receiving_agency_id).first()
    if receiving is None:
        raise ActionError(NOT_IN_PARTNERSHIP, "receiving_agency")
    if receiving.pk == person.agency_id:
        raise ActionError(SAME_AGENCY, "receiving_agency")
    not_future(data.outset_on, today, "outset_on")
    if data.subject_name.strip() and not partnership.record_subject_names:
        raise ActionError(NAMES_NOT_RECORDED, "subject_name")
    calendar = partnership.calendar()
    try:
        transition = lc.raise_escalation(
            procedure,
            outset_on=data.outset_on,
            raised_on=today,
            at_stage=data.start_stage,
            immediate_risk_reason=data.immediate_risk_reason if data.immediate_risk else None,
            calendar=calendar,
            due_on=data.due_on if data.immediate_risk else None,
            due_reason=data.due_reason,
        )
    except lc.LifecycleError as exc:
        field_name = "due_on" if data.immediate_risk and data.due_on else "start_stage"
        raise ActionError(str(exc), field_name) from exc
    state = transition.state
    derived = rules.derived(procedure, calendar, state)
    others = eligible.filter(pk__in=data.other_agency_ids).exclude(
        pk__in=[person.agency_id, receiving.pk]
    )
    with transaction.atomic():
        escalation = Escalation.objects.create(
            partnership=partnership,
            procedure_key=procedure.key,
            **raised_fields(data, state),
            raising_agency=person.agency,
            raising_person=person,
            receiving_agency=receiving,
            receiving_person=selectors.person_named(receiving.pk, data.receiving_practitioner),
            raised_on=today,
            raised_by=actor.user,
            start_stage=state.start_stage,
            current_stage=state.current.number,
            current_due_on=derived.current_due_on,
            next_due_on=derived.next_due_on,
        )
        Party.objects.create(escalation=escalation, agency=person.agency, role=PartyRole.RAISING)
        Party.objects.create(escalation=escalation, agency=receiving, role=PartyRole.RECEIVING)
        for other in others:
            Party.objects.create(escalation=escalation, agency=other, role=PartyRole.OTHER)
        Stage.objects.create(
            escalation=escalation, number=state.current.number, entered_on=state.current.entered_on
        )
        entries = _record(escalation, transition, actor=actor, version=1, after=0)
        deadlines_sync(escalation, derived.items)
        _facts_sync(escalation, procedure, calendar, state)
        _notify(escalation, transition, actor=actor, version=1, now=now)
        audit_record(
            actor=actor.user,
            action=AuditAction.ESCALATION_RAISED,
            object_type=ObjectType.ESCALATION,
            object_ref=escalation.reference,
            partnership_id=partnership.pk,
            detail={
                "service": "escalation_raise",
                "stage": state.current.number,
                "entries": [e.sequence for e in entries],
                **actor.audit_detail(),
            },
        )
    return escalation


# ---------------------------------------------------------------------------------------
# What every change stores


def _record(
    escalation: Escalation,
    transition: lc.Transition,
    *,
    actor: Actor,
    version: int,
    after: int,
    by_sequence: dict[int, Entry] | None = None,
) -> list[Entry]:
    """The transition's events as timeline entries, numbered after entry ``after``."""
    entries = [
        entry
        for event in transition.events
        if (entry := recording.entry_of(event, by_sequence=by_sequence)) is not None
    ]
    for i, entry in enumerate(entries, start=1):
        entry.escalation = escalation
        entry.sequence = after + i
        entry.version = version
        entry.author = actor.user
        entry.author_name = actor.name
        entry.author_agency = actor.agency_name
        entry.save(force_insert=True)
    return entries


def _facts_sync(
    escalation: Escalation,
    procedure: Procedure,
    calendar: WorkingCalendar,
    state: lc.EscalationState,
) -> None:
    """The facts the board's view counts, kept in step in the caller's transaction."""
    from escalate.insights.facts import facts_sync  # insights reads cases, not the reverse

    facts_sync(escalation, procedure, calendar, state)


def _notify(
    escalation: Escalation,
    transition: lc.Transition,
    *,
    actor: Actor,
    version: int,
    now: dt.datetime,
) -> None:
    """The outbox rows the events call for, in the caller's transaction: a rolled-back change
    sends nothing."""
    from escalate.notifications import outbox  # notifications reads cases, not the reverse

    written = outbox.write_for_events(
        escalation=escalation, events=transition.events, version=version, actor=actor, now=now
    )
    if written:
        # Wake a worker once the change is committed, rather than at its next tick.
        transaction.on_commit(outbox.wake_delivery)


# ---------------------------------------------------------------------------------------
# Changes to an existing escalation


@dataclass
class _Loaded:
    escalation: Escalation
    procedure: Procedure
    parties: list[Party]
    stages: list[Stage]
    entries: list[Entry]
    actor: Actor
    state: lc.EscalationState
    calendar: WorkingCalendar


def _load(actor: Actor, escalation: Escalation, action: Action, version: int) -> _Loaded:
    """The escalation as it is now, refused if a change of stage or status happened since
    ``version`` (what the person saw) or if the actor may not take this action now."""
    # Locked until the change commits (PostgreSQL): a second writer waits, then reads this
    # one's result, so a contact beside a contact never races. SQLite writes one at a time.
    rows = Escalation.objects.select_for_update(of=("self",)).select_related("partnership")
    esc = rows.get(pk=escalation.pk)
    entries = list(esc.entries.all())
    unseen = [e for e in entries if e.version > version]
    if any(e.kind in STATE_CHANGING_KINDS for e in unseen):
        raise ConcurrentChangeError(unseen)
    procedure = rules.procedure_of(esc)
    parties = list(esc.parties.all())
    # The system acts for the partnership: what the rules core allows is what it may do.
    if actor.person is not None and action not in access.allowed_actions(
        actor.person, esc, parties, procedure
    ):
        raise ActionError(NOT_ALLOWED.format(action=action.value.replace("-", " ")))
    stages = list(esc.stages.all())
    state = rules.state_of(esc, stages, entries)
    calendar = esc.partnership.calendar()
    return _Loaded(esc, procedure, parties, stages, entries, actor, state, calendar)


def _commit(
    loaded: _Loaded, transition: lc.Transition, *, service: str, now: dt.datetime
) -> Escalation:
    """Write the new state if the escalation is still at the loaded version, then the entries,
    deadlines, outbox rows and audit entry. One transaction; :class:`_Raced` if another change
    got there first."""
    esc, actor, new_state = loaded.escalation, loaded.actor, transition.state
    loaded_version = esc.version
    derived = rules.derived(loaded.procedure, loaded.calendar, new_state)
    changes = {
        "status": new_state.status.value,
        "current_stage": new_state.current.number,
        "outcome": new_state.outcome or "",
        "closed_on": new_state.closed_on,
        "confirmed_on": new_state.confirmed_on,
        "confirmed_by": new_state.confirmed_by or "",
        "current_due_on": derived.current_due_on,
        "next_due_on": derived.next_due_on,
        "updated_at": now,
    }
    try:
        with transaction.atomic():
            updated = Escalation.objects.filter(pk=esc.pk, version=loaded_version).update(
                version=F("version") + 1, **changes
            )
            if updated != 1:
                raise _Raced()
            existing = {s.number: s for s in loaded.stages}
            for s in new_state.stages:
                row = existing.get(s.number)
                if row is None:
                    Stage.objects.create(
                        escalation=esc, number=s.number, entered_on=s.entered_on, left_on=s.left_on
                    )
                elif row.left_on != s.left_on:
                    Stage.objects.filter(pk=row.pk, left_on__isnull=True).update(left_on=s.left_on)
            last = esc.entries.aggregate(m=Max("sequence"))["m"] or 0
            entries = _record(
                esc,
                transition,
                actor=actor,
                version=loaded_version + 1,
                after=last,
                by_sequence={e.sequence: e for e in loaded.entries},
            )
            deadlines_sync(esc, derived.items)
            _facts_sync(esc, loaded.procedure, loaded.calendar, new_state)
            _notify(esc, transition, actor=actor, version=loaded_version + 1, now=now)
            audit_record(
                actor=actor.user,
                action=AuditAction.ESCALATION_CHANGED,
                object_type=ObjectType.ESCALATION,
                object_ref=esc.reference,
                partnership_id=esc.partnership_id,
                detail={
                    "service": service,
                    "stage": new_state.current.number,
                    "status": new_state.status.value,
                    "version": loaded_version + 1,
                    "entries": [e.sequence for e in entries],
                    **actor.audit_detail(),
                },
            )
    except IntegrityError as exc:  # a concurrent writer got there first
        raise _Raced() from exc
    esc.refresh_from_db()
    return esc


def _change(
    *,
    actor: Actor,
    escalation: Escalation,
    version: int,
    action: Action,
    service: str,
    step: Callable[[_Loaded], lc.Transition],
    field_name: str | None = None,
    now: dt.datetime | None = None,
) -> Escalation:
    """Load, ask the rules core (``step``) and save; again from a fresh load if another change
    was saved in between. Every refusal is audited."""
    with audited_refusal(actor, escalation, service):
        for _attempt in range(ATTEMPTS):
            try:
                with transaction.atomic():
                    loaded = _load(actor, escalation, action, version)
                    try:
                        transition = step(loaded)
                    except lc.LifecycleError as exc:
                        raise ActionError(str(exc), field_name) from exc
                    return _commit(loaded, transition, service=service, now=now or timezone.now())
            except _Raced:
                continue
        unseen = Entry.objects.filter(escalation_id=escalation.pk, version__gt=version)
        raise ConcurrentChangeError(list(unseen.order_by("sequence")))


@contextmanager
def audited_refusal(
    actor: Actor,
    escalation: Escalation | None,
    service: str,
    *,
    concurrent: tuple[type[ServiceError], ...] = (),
    **detail: str,
) -> Iterator[None]:
    """A refused or conflicting change is recorded too, outside its rolled-back transaction.
    Every service that changes an escalation (here, and in the apps above: forms, panels,
    representations) wraps itself in this, so a refusal is audited the same way everywhere.
    ``concurrent`` names the app's own "someone else changed it" errors; ``detail`` adds
    references (never words a person typed)."""
    try:
        yield
    except ServiceError as exc:
        is_concurrent = isinstance(exc, (ConcurrentChangeError, *concurrent))
        audit_record(
            actor=actor.user,
            action=AuditAction.ESCALATION_CHANGED
            if escalation is not None
            else AuditAction.ESCALATION_RAISED,
            object_type=ObjectType.ESCALATION,
            object_ref=escalation.reference if escalation is not None else "",
            partnership_id=escalation.partnership_id
            if escalation is not None
            else (actor.person.partnership_id if actor.person is not None else None),
            result=AuditResult.FAILED if is_concurrent else AuditResult.REFUSED,
            detail={
                "service": service,
                **detail,
                "reason": "concurrent" if is_concurrent else "refused",
                **({"field": exc.field} if exc.field else {}),
                **actor.audit_detail(),
            },
        )
        raise


def escalation_record_contact(
    *,
    actor: Actor,
    escalation: Escalation,
    version: int,
    today: dt.date,
    now: dt.datetime | None = None,
    occurred_on: dt.date,
    method: str,
    contact_by: str,
    contact_with: str,
    summary: str,
    agreed: str,
    decision_makers: str,
) -> Escalation:
    not_future(occurred_on, today, "occurred_on")
    if method not in ContactMethod.values:
        raise ActionError(UNKNOWN_METHOD, "method")
    return _change(
        now=now,
        service="escalation_record_contact",
        actor=actor,
        escalation=escalation,
        version=version,
        action=Action.RECORD,
        field_name="occurred_on",
        step=lambda ld: lc.record_contact(
            ld.procedure,
            ld.state,
            occurred_on=occurred_on,
            recorded_on=today,
            kind=method,
            contact_by=contact_by,
            contact_with=contact_with,
            summary=summary,
            agreed=agreed,
            decision_makers=decision_makers,
        ),
    )


def escalation_escalate(
    *,
    actor: Actor,
    escalation: Escalation,
    version: int,
    today: dt.date,
    now: dt.datetime | None = None,
    on: dt.date,
    reason: str,
) -> Escalation:
    not_future(on, today, "on")
    return _change(
        now=now,
        service="escalation_escalate",
        actor=actor,
        escalation=escalation,
        version=version,
        action=Action.ESCALATE,
        field_name="on",
        step=lambda ld: lc.escalate(ld.procedure, ld.state, escalated_on=on, reason=reason),
    )


def escalation_resolve(
    *,
    actor: Actor,
    escalation: Escalation,
    version: int,
    today: dt.date,
    now: dt.datetime | None = None,
    on: dt.date,
    outcome: str,
) -> Escalation:
    not_future(on, today, "on")
    return _change(
        now=now,
        service="escalation_resolve",
        actor=actor,
        escalation=escalation,
        version=version,
        action=Action.RESOLVE,
        field_name="on",
        step=lambda ld: lc.resolve(ld.procedure, ld.state, resolved_on=on, outcome=outcome),
    )


def escalation_confirm(
    *,
    actor: Actor,
    escalation: Escalation,
    version: int,
    today: dt.date,
    now: dt.datetime | None = None,
    on: dt.date,
    confirmed_by: str,
) -> Escalation:
    not_future(on, today, "on")
    return _change(
        now=now,
        service="escalation_confirm",
        actor=actor,
        escalation=escalation,
        version=version,
        action=Action.CONFIRM,
        field_name="on",
        step=lambda ld: lc.confirm_in_writing(
            ld.procedure, ld.state, confirmed_on=on, confirmed_by=confirmed_by
        ),
    )


def escalation_bring_forward(
    *,
    actor: Actor,
    escalation: Escalation,
    version: int,
    today: dt.date,
    now: dt.datetime | None = None,
    due_on: dt.date,
    reason: str,
    obligation: str | None = None,
) -> Escalation:
    return _change(
        now=now,
        service="escalation_bring_forward",
        actor=actor,
        escalation=escalation,
        version=version,
        action=Action.BRING_FORWARD,
        field_name="due_on",
        step=lambda ld: lc.set_protective_due(
            ld.procedure,
            ld.state,
            ld.calendar,
            stage=ld.state.current.number,
            due_on=due_on,
            reason=reason,
            today=today,
            obligation=obligation,
        ),
    )


def escalation_withdraw(
    *,
    actor: Actor,
    escalation: Escalation,
    version: int,
    today: dt.date,
    now: dt.datetime | None = None,
    on: dt.date,
    reason: str,
) -> Escalation:
    not_future(on, today, "on")
    return _change(
        now=now,
        service="escalation_withdraw",
        actor=actor,
        escalation=escalation,
        version=version,
        action=Action.WITHDRAW,
        field_name="on",
        step=lambda ld: lc.withdraw(ld.procedure, ld.state, withdrawn_on=on, reason=reason),
    )


def escalation_decide(
    *,
    actor: Actor,
    escalation: Escalation,
    version: int,
    today: dt.date,
    now: dt.datetime | None = None,
    on: dt.date,
    decision: str,
) -> Escalation:
    not_future(on, today, "on")
    return _change(
        now=now,
        service="escalation_decide",
        actor=actor,
        escalation=escalation,
        version=version,
        action=Action.DECIDE,
        field_name="on",
        step=lambda ld: lc.decide(ld.procedure, ld.state, decided_on=on, decision=decision),
    )


def escalation_record_event(
    *,
    actor: Actor,
    escalation: Escalation,
    version: int,
    today: dt.date,
    now: dt.datetime | None = None,
    on: dt.date,
    event: str,
) -> Escalation:
    not_future(on, today, "on")
    return _change(
        now=now,
        service="escalation_record_event",
        actor=actor,
        escalation=escalation,
        version=version,
        action=Action.RECORD,
        field_name="event",
        step=lambda ld: lc.record_event(ld.procedure, ld.state, event=event, occurred_on=on),
    )


def escalation_meet_obligation(
    *,
    actor: Actor,
    escalation: Escalation,
    version: int,
    today: dt.date,
    now: dt.datetime | None = None,
    on: dt.date,
    obligation: str,
) -> Escalation:
    not_future(on, today, "on")
    return _change(
        now=now,
        service="escalation_meet_obligation",
        actor=actor,
        escalation=escalation,
        version=version,
        action=Action.RECORD,
        field_name="obligation",
        step=lambda ld: lc.meet_obligation(
            ld.procedure, ld.state, obligation=obligation, met_on=on
        ),
    )


def escalation_record_view(
    *,
    actor: Actor,
    escalation: Escalation,
    version: int,
    today: dt.date,
    now: dt.datetime | None = None,
    view: str,
) -> Escalation:
    """An agency party states its view of the disagreement. A later view is added beside the
    earlier one; nothing is overwritten."""
    if not view.strip():
        raise ActionError(VIEW_REQUIRED, "view")

    def step(loaded: _Loaded) -> lc.Transition:
        person = loaded.actor.person
        if person is None or access.is_party(person, loaded.parties) is None:
            raise ActionError(NOT_ALLOWED.format(action="give a view on"))
        return lc.give_view(loaded.state, view=view, given_on=today)

    return _change(
        now=now,
        actor=actor,
        escalation=escalation,
        version=version,
        action=Action.RECORD,
        service="escalation_record_view",
        field_name="view",
        step=step,
    )


def entry_correct(
    *,
    actor: Actor,
    escalation: Escalation,
    version: int,
    today: dt.date,
    now: dt.datetime | None = None,
    sequence: int,
    text: str,
) -> Escalation:
    """A correction is a new entry pointing at the one it corrects; nothing is overwritten."""
    if not text.strip():
        raise ActionError(CORRECTION_REQUIRED, "text")

    def step(loaded: _Loaded) -> lc.Transition:
        if not any(e.sequence == sequence for e in loaded.entries):
            raise ActionError(UNKNOWN_ENTRY.format(sequence=sequence), "sequence")
        return lc.correct_entry(loaded.state, sequence=sequence, text=text, corrected_on=today)

    return _change(
        now=now,
        actor=actor,
        escalation=escalation,
        version=version,
        action=Action.RECORD,
        service="entry_correct",
        field_name="text",
        step=step,
    )
