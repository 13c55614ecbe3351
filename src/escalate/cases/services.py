"""Every change to an escalation goes through one of these services.

Each takes keyword-only, typed arguments; checks access (``access.allowed_actions``); asks the
rules core for the transition; and in one transaction updates the projection with a version
check, appends the timeline entries and returns. A refused transition raises
:class:`ActionError`.

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
from typing import cast

from django.db import IntegrityError, transaction
from django.db.models import F, Max
from django.utils import timezone

from escalate.accounts.models import User
from escalate.audit.models import AuditAction, AuditResult, ObjectType
from escalate.audit.services import audit_record
from escalate.cases import access, rules, selectors
from escalate.cases.access import Action
from escalate.cases.models import (
    STATE_CHANGING_KINDS,
    ContactMethod,
    Entry,
    EntryKind,
    Escalation,
    Party,
    PartyRole,
    Stage,
)
from escalate.cases.references import reference_key
from escalate.directory.models import Partnership, Person
from escalate.procedures import events as ev
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


def today() -> dt.date:
    """Today in the service's time zone: the one place the web layer reads the clock."""
    return timezone.localdate()


def _person(user: object) -> Person:
    person = access.person_of(user)
    if person is None:
        raise ActionError(NO_PERSON)
    return person


def _not_future(on: dt.date, now: dt.date, field_name: str) -> None:
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


def escalation_raise(*, user: object, data: NewEscalation, on: dt.date | None = None) -> Escalation:
    """Raise a concern: the record, its parties, stage and first entry, in one transaction."""
    person = _person(user)
    if not access.may_raise(person):
        raise ActionError(NOT_A_PARTY)
    now = on or today()
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
    _not_future(data.outset_on, now, "outset_on")
    if data.subject_name.strip() and not partnership.record_subject_names:
        raise ActionError(NAMES_NOT_RECORDED, "subject_name")
    calendar = partnership.calendar()
    try:
        transition = lc.raise_escalation(
            procedure,
            outset_on=data.outset_on,
            raised_on=now,
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
    current_due, next_due = rules.derived_dates(procedure, calendar, state)
    others = eligible.filter(pk__in=data.other_agency_ids).exclude(
        pk__in=[person.agency_id, receiving.pk]
    )
    with transaction.atomic():
        escalation = Escalation.objects.create(
            partnership=partnership,
            procedure_key=procedure.key,
            subject_kind=data.subject_kind,
            subject_name=data.subject_name,
            subject_reference_kind=data.subject_reference_kind,
            subject_reference=data.subject_reference,
            subject_reference_key=reference_key(data.subject_reference),
            category=data.category,
            source=data.source,
            source_detail=data.source_detail,
            raising_agency=person.agency,
            raising_person=person,
            receiving_agency=receiving,
            receiving_practitioner=data.receiving_practitioner,
            receiving_person=selectors.person_named(receiving.pk, data.receiving_practitioner),
            issue=data.issue,
            risk=data.risk,
            aim=data.aim,
            immediate_risk=data.immediate_risk,
            immediate_risk_reason=state.immediate_risk_reason or "",
            route_taken=data.route_taken if data.immediate_risk else "",
            outset_on=data.outset_on,
            raised_on=now,
            raised_by=user,  # type: ignore[misc]
            start_stage=state.start_stage,
            current_stage=state.current.number,
            current_due_on=current_due,
            next_due_on=next_due,
        )
        Party.objects.create(escalation=escalation, agency=person.agency, role=PartyRole.RAISING)
        Party.objects.create(escalation=escalation, agency=receiving, role=PartyRole.RECEIVING)
        for other in others:
            Party.objects.create(escalation=escalation, agency=other, role=PartyRole.OTHER)
        Stage.objects.create(
            escalation=escalation, number=state.current.number, entered_on=state.current.entered_on
        )
        Entry.objects.create(
            escalation=escalation,
            sequence=1,
            kind=EntryKind.RAISED,
            stage=state.current.number,
            occurred_on=now,
            author=user,  # type: ignore[misc]
            author_name=person.name,
            author_agency=person.agency.name,
            text=state.immediate_risk_reason or "",
        )
        for sequence, protective in enumerate(state.protective, start=2):
            Entry.objects.create(
                escalation=escalation,
                sequence=sequence,
                kind=EntryKind.PROTECTIVE,
                stage=protective.stage,
                occurred_on=now,
                author=user,  # type: ignore[misc]
                author_name=person.name,
                author_agency=person.agency.name,
                due_on=protective.due_on,
                text=protective.reason,
            )
        audit_record(
            actor=user,
            action=AuditAction.ESCALATION_RAISED,
            object_type=ObjectType.ESCALATION,
            object_ref=escalation.reference,
            partnership_id=partnership.pk,
            detail={"service": "escalation_raise", "stage": state.current.number},
        )
    return escalation


# ---------------------------------------------------------------------------------------
# Changes to an existing escalation


@dataclass
class _Loaded:
    escalation: Escalation
    procedure: Procedure
    parties: list[Party]
    stages: list[Stage]
    entries: list[Entry]
    person: Person
    state: lc.EscalationState
    calendar: WorkingCalendar


def _load(user: object, escalation: Escalation, action: Action, version: int) -> _Loaded:
    """The escalation as it is now, refused if a change of stage or status happened since
    ``version`` (what the person saw) or if the person may not take this action now."""
    person = _person(user)
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
    if action not in access.allowed_actions(person, esc, parties, procedure):
        raise ActionError(NOT_ALLOWED.format(action=action.value.replace("-", " ")))
    stages = list(esc.stages.all())
    state = rules.state_of(esc, stages, entries)
    calendar = esc.partnership.calendar()
    return _Loaded(esc, procedure, parties, stages, entries, person, state, calendar)


def _commit(
    loaded: _Loaded,
    new_state: lc.EscalationState,
    entries: list[Entry],
    *,
    user: object,
    service: str,
) -> Escalation:
    """Write the new state if the escalation is still at the loaded version, then the entries.
    One transaction; :class:`_Raced` if another change got there first."""
    esc = loaded.escalation
    loaded_version = esc.version
    current_due, next_due = rules.derived_dates(loaded.procedure, loaded.calendar, new_state)
    changes = {
        "status": new_state.status.value,
        "current_stage": new_state.current.number,
        "outcome": new_state.outcome or "",
        "closed_on": new_state.closed_on,
        "confirmed_on": new_state.confirmed_on,
        "confirmed_by": new_state.confirmed_by or "",
        "current_due_on": current_due,
        "next_due_on": next_due,
        "updated_at": timezone.now(),
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
            for i, entry in enumerate(entries, start=1):
                entry.escalation = esc
                entry.sequence = last + i
                entry.version = loaded_version + 1
                entry.author_name = loaded.person.name
                entry.author_agency = loaded.person.agency.name
                entry.save(force_insert=True)
            audit_record(
                actor=user,
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
                },
            )
    except IntegrityError as exc:  # a concurrent writer got there first
        raise _Raced() from exc
    esc.refresh_from_db()
    return esc


Change = Callable[[_Loaded], tuple[lc.EscalationState, list[Entry]]]


def _change(
    *,
    user: object,
    escalation: Escalation,
    version: int,
    action: Action,
    service: str,
    make: Change,
) -> Escalation:
    """Load, decide (``make``: the new state and entries) and save; again from a fresh load if
    another change was saved in between. Every refusal is audited."""
    with _audited_refusal(user, escalation, service):
        for _attempt in range(ATTEMPTS):
            try:
                with transaction.atomic():
                    loaded = _load(user, escalation, action, version)
                    new_state, entries = make(loaded)
                    return _commit(loaded, new_state, entries, user=user, service=service)
            except _Raced:
                continue
        unseen = Entry.objects.filter(escalation_id=escalation.pk, version__gt=version)
        raise ConcurrentChangeError(list(unseen.order_by("sequence")))


def _run(
    *,
    user: object,
    escalation: Escalation,
    version: int,
    action: Action,
    step: Callable[[_Loaded], lc.Transition],
    entry: Callable[[_Loaded, lc.Transition], list[Entry]],
    field_name: str | None = None,
    service: str,
) -> Escalation:
    def make(loaded: _Loaded) -> tuple[lc.EscalationState, list[Entry]]:
        try:
            transition = step(loaded)
        except lc.LifecycleError as exc:
            raise ActionError(str(exc), field_name) from exc
        return transition.state, entry(loaded, transition)

    return _change(
        user=user, escalation=escalation, version=version, action=action, service=service, make=make
    )


@contextmanager
def _audited_refusal(user: object, escalation: Escalation, service: str) -> Iterator[None]:
    """A refused or conflicting change is recorded too, outside its rolled-back transaction."""
    try:
        yield
    except ServiceError as exc:
        concurrent = isinstance(exc, ConcurrentChangeError)
        audit_record(
            actor=user,
            action=AuditAction.ESCALATION_CHANGED,
            object_type=ObjectType.ESCALATION,
            object_ref=escalation.reference,
            partnership_id=escalation.partnership_id,
            result=AuditResult.FAILED if concurrent else AuditResult.REFUSED,
            detail={"service": service, "reason": "concurrent" if concurrent else "refused"},
        )
        raise


def _entry(user: object, loaded: _Loaded, kind: EntryKind, on: dt.date, **fields: object) -> Entry:
    return Entry(
        kind=kind,
        stage=loaded.state.current.number,
        occurred_on=on,
        author=cast(User, user),
        **fields,
    )


def escalation_record_contact(
    *,
    user: object,
    escalation: Escalation,
    version: int,
    occurred_on: dt.date,
    method: str,
    contact_by: str,
    contact_with: str,
    summary: str,
    agreed: str,
    decision_makers: str,
) -> Escalation:
    now = today()
    _not_future(occurred_on, now, "occurred_on")
    if method not in ContactMethod.values:
        raise ActionError(UNKNOWN_METHOD, "method")
    return _run(
        service="escalation_record_contact",
        user=user,
        escalation=escalation,
        version=version,
        action=Action.RECORD,
        field_name="occurred_on",
        step=lambda ld: lc.record_contact(
            ld.procedure, ld.state, occurred_on=occurred_on, recorded_on=now, kind=method
        ),
        entry=lambda ld, t: [
            _entry(
                user,
                ld,
                EntryKind.CONTACT,
                occurred_on,
                contact_method=method,
                contact_by=contact_by,
                contact_with=contact_with,
                summary=summary,
                agreed=agreed,
                decision_makers=decision_makers,
            )
        ],
    )


def escalation_escalate(
    *, user: object, escalation: Escalation, version: int, on: dt.date, reason: str
) -> Escalation:
    _not_future(on, today(), "on")
    return _run(
        service="escalation_escalate",
        user=user,
        escalation=escalation,
        version=version,
        action=Action.ESCALATE,
        field_name="on",
        step=lambda ld: lc.escalate(ld.procedure, ld.state, escalated_on=on, reason=reason),
        entry=lambda ld, t: [_entry(user, ld, EntryKind.ESCALATED, on, text=reason.strip())],
    )


def escalation_resolve(
    *, user: object, escalation: Escalation, version: int, on: dt.date, outcome: str
) -> Escalation:
    _not_future(on, today(), "on")
    return _run(
        service="escalation_resolve",
        user=user,
        escalation=escalation,
        version=version,
        action=Action.RESOLVE,
        field_name="on",
        step=lambda ld: lc.resolve(ld.procedure, ld.state, resolved_on=on, outcome=outcome),
        entry=lambda ld, t: [_entry(user, ld, EntryKind.RESOLVED, on, text=outcome.strip())],
    )


def escalation_confirm(
    *, user: object, escalation: Escalation, version: int, on: dt.date, confirmed_by: str
) -> Escalation:
    _not_future(on, today(), "on")
    return _run(
        service="escalation_confirm",
        user=user,
        escalation=escalation,
        version=version,
        action=Action.CONFIRM,
        field_name="on",
        step=lambda ld: lc.confirm_in_writing(
            ld.procedure, ld.state, confirmed_on=on, confirmed_by=confirmed_by
        ),
        entry=lambda ld, t: [
            _entry(user, ld, EntryKind.CONFIRMED, on, text=confirmed_by.strip()),
            *(
                _entry(user, ld, EntryKind.OBLIGATION, on, obligation=e.obligation)
                for e in t.events
                if isinstance(e, ev.ObligationMet)
            ),
        ],
    )


def escalation_bring_forward(
    *,
    user: object,
    escalation: Escalation,
    version: int,
    due_on: dt.date,
    reason: str,
    obligation: str | None = None,
) -> Escalation:
    now = today()
    return _run(
        service="escalation_bring_forward",
        user=user,
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
            today=now,
            obligation=obligation,
        ),
        entry=lambda ld, t: [
            _entry(
                user,
                ld,
                EntryKind.PROTECTIVE,
                now,
                due_on=due_on,
                text=reason.strip(),
                obligation=obligation or "",
            )
        ],
    )


def escalation_withdraw(
    *, user: object, escalation: Escalation, version: int, on: dt.date, reason: str
) -> Escalation:
    _not_future(on, today(), "on")
    return _run(
        service="escalation_withdraw",
        user=user,
        escalation=escalation,
        version=version,
        action=Action.WITHDRAW,
        field_name="on",
        step=lambda ld: lc.withdraw(ld.procedure, ld.state, withdrawn_on=on, reason=reason),
        entry=lambda ld, t: [_entry(user, ld, EntryKind.WITHDRAWN, on, text=reason.strip())],
    )


def escalation_decide(
    *, user: object, escalation: Escalation, version: int, on: dt.date, decision: str
) -> Escalation:
    _not_future(on, today(), "on")
    return _run(
        service="escalation_decide",
        user=user,
        escalation=escalation,
        version=version,
        action=Action.DECIDE,
        field_name="on",
        step=lambda ld: lc.decide(ld.procedure, ld.state, decided_on=on, decision=decision),
        entry=lambda ld, t: [_entry(user, ld, EntryKind.DECIDED, on, text=decision.strip())],
    )


def escalation_record_event(
    *, user: object, escalation: Escalation, version: int, on: dt.date, event: str
) -> Escalation:
    _not_future(on, today(), "on")
    return _run(
        service="escalation_record_event",
        user=user,
        escalation=escalation,
        version=version,
        action=Action.RECORD,
        field_name="event",
        step=lambda ld: lc.record_event(ld.procedure, ld.state, event=event, occurred_on=on),
        entry=lambda ld, t: [_entry(user, ld, EntryKind.EVENT, on, event=event)],
    )


def escalation_meet_obligation(
    *, user: object, escalation: Escalation, version: int, on: dt.date, obligation: str
) -> Escalation:
    _not_future(on, today(), "on")
    return _run(
        service="escalation_meet_obligation",
        user=user,
        escalation=escalation,
        version=version,
        action=Action.RECORD,
        field_name="obligation",
        step=lambda ld: lc.meet_obligation(
            ld.procedure, ld.state, obligation=obligation, met_on=on
        ),
        entry=lambda ld, t: [_entry(user, ld, EntryKind.OBLIGATION, on, obligation=obligation)],
    )


def escalation_record_view(
    *, user: object, escalation: Escalation, version: int, view: str
) -> Escalation:
    """An agency party states its view of the disagreement. A later view is added beside the
    earlier one; nothing is overwritten."""
    if not view.strip():
        raise ActionError(VIEW_REQUIRED, "view")

    def make(loaded: _Loaded) -> tuple[lc.EscalationState, list[Entry]]:
        if access.is_party(loaded.person, loaded.parties) is None:
            raise ActionError(NOT_ALLOWED.format(action="give a view on"))
        return loaded.state, [_entry(user, loaded, EntryKind.VIEW, today(), text=view.strip())]

    return _change(
        user=user,
        escalation=escalation,
        version=version,
        action=Action.RECORD,
        service="escalation_record_view",
        make=make,
    )


def entry_correct(
    *, user: object, escalation: Escalation, version: int, sequence: int, text: str
) -> Escalation:
    """A correction is a new entry pointing at the one it corrects; nothing is overwritten."""
    if not text.strip():
        raise ActionError(CORRECTION_REQUIRED, "text")

    def make(loaded: _Loaded) -> tuple[lc.EscalationState, list[Entry]]:
        target = next((e for e in loaded.entries if e.sequence == sequence), None)
        if target is None:
            raise ActionError(UNKNOWN_ENTRY.format(sequence=sequence), "sequence")
        entry = _entry(
            user, loaded, EntryKind.CORRECTION, today(), text=text.strip(), corrects=target
        )
        return loaded.state, [entry]

    return _change(
        user=user,
        escalation=escalation,
        version=version,
        action=Action.RECORD,
        service="entry_correct",
        make=make,
    )
