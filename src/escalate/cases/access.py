"""Who may see and do what, written once. Every selector, page and service asks here.

- A person sees the escalations their agency is party to, in their own partnership.
- The partnership's business unit sees every escalation of its partnership, and no other's.
- A panel or committee member (someone with a ``PanelSeat`` in the directory) also sees the
  escalations at a stage where the procedure convenes a panel of a kind they sit on, except
  (where that panel excludes anyone involved, as Sunderland's does) those they are involved in
  (:func:`involved_q`: they raised, received or wrote in it). They read; they do not act.
- Anyone else (including an administrator with no directory person) sees none.
- Acting at a stage needs a level that holds that stage (a manager holds the stages of the
  levels below theirs); stages held only by the board's chair or a panel, and the top stage
  where the procedure gives its outcome to the business unit (``top_stage.recorded_by``), are
  recorded by the business unit alone, never by the parties' own representatives. The
  business unit holds no other stage: it oversees, it is never a party. Only the raising
  agency withdraws its concern.
"""

from __future__ import annotations

from enum import StrEnum

from django.db.models import Exists, OuterRef, Q

from escalate.cases.models import Entry, Escalation, Party, PartyRole
from escalate.directory.models import LEVEL_RANK, PanelSeat, Person
from escalate.directory.people import business_unit_person, person_of
from escalate.directory.procedures import partnership_procedure
from escalate.procedures.schema import Level, Procedure

__all__ = ["Action", "business_unit_person", "person_of"]


class Action(StrEnum):
    RECORD = "record"  # contacts, events, duties done, corrections
    ESCALATE = "escalate"
    RESOLVE = "resolve"
    CONFIRM = "confirm"
    BRING_FORWARD = "bring-forward"
    WITHDRAW = "withdraw"
    DECIDE = "decide"


def may_raise(person: Person | None) -> bool:
    """Whether a person may raise a concern: someone of an active agency that can be a party,
    never the business unit or its partnership body (they oversee; they do not disagree)."""
    return (
        person is not None
        and not person.is_business_unit
        and person.agency.is_active
        and not person.agency.is_partnership_body
    )


def visible_q(person: Person | None) -> Q:
    """The filter of escalations a person may see (matches nothing for no person)."""
    if person is None:
        return Q(pk__in=[])
    partnership = Q(partnership_id=person.agency.partnership_id)
    if person.is_business_unit:
        return partnership
    party = Party.objects.filter(escalation=OuterRef("pk"), agency_id=person.agency_id)
    seen = Q(Exists(party))
    kinds = set(
        PanelSeat.objects.filter(
            person=person, partnership_id=person.agency.partnership_id
        ).values_list("kind", flat=True)
    )
    if kinds:
        seen |= _referred_to_panel_q(person, kinds)
    return partnership & seen


def _referred_to_panel_q(person: Person, kinds: set[str]) -> Q:
    """Escalations at a stage where the partnership's procedure convenes a panel of one of
    these kinds; where every such panel there excludes anyone involved, not those the person
    is involved in."""
    procedure = partnership_procedure(person.agency.partnership)
    q = Q(pk__in=[])
    for stage in procedure.stages:
        if stage.panel is None:
            continue
        sits = [p for p in stage.panel.options if p.kind in kinds]
        if not sits:
            continue
        at_stage = Q(current_stage=stage.number)
        if all(p.exclude_involved for p in sits):
            at_stage &= ~involved_q(person)
        q |= at_stage
    return q


def involved_q(person: Person) -> Q:
    """The escalations the record shows a person involved in: they raised it, are named as
    its receiving practitioner, or wrote in its record (every contact, escalation, resolution
    and view names its author: so too the managers who acted at each stage). What the business
    unit writes (a chair's or panel's work it records, the outcome) does not make it involved:
    it oversees, it is never a party."""
    q = Q(raising_person=person) | Q(receiving_person=person)
    if person.user_id is not None and not person.is_business_unit:
        wrote = Entry.objects.filter(escalation=OuterRef("pk"), author_id=person.user_id)
        q |= Q(raised_by_id=person.user_id) | Q(Exists(wrote))
    return q


def is_party(person: Person, parties: list[Party]) -> PartyRole | None:
    for party in parties:
        if party.agency_id == person.agency_id:
            return PartyRole(party.role)
    return None


def holds_stage(person: Person, procedure: Procedure, stage: int) -> bool:
    """Whether the person acts at a stage. The business unit holds only the stages it records
    for a chair or panel (and the top stage where the procedure gives its outcome to the
    business unit), never a stage of the parties; nobody else holds those."""
    ranks = [LEVEL_RANK[lv] for lv in procedure.stage(stage).levels if lv in LEVEL_RANK]
    by_business_unit = not ranks or (
        stage == procedure.top and procedure.top_stage.recorded_by == "business-unit"
    )
    if by_business_unit or person.is_business_unit:
        return by_business_unit and person.is_business_unit
    return LEVEL_RANK[Level(person.level)] >= min(ranks)


def stages_held(person: Person, procedure: Procedure) -> list[int]:
    """The stages of a procedure at which this person's level acts."""
    return [s.number for s in procedure.stages if holds_stage(person, procedure, s.number)]


def allowed_actions(
    person: Person | None, escalation: Escalation, parties: list[Party], procedure: Procedure
) -> frozenset[Action]:
    """What this person may do to this escalation now (the service checks again)."""
    if person is None or person.agency.partnership_id != escalation.partnership_id:
        return frozenset()
    role = is_party(person, parties)
    if role is None and not person.is_business_unit:
        return frozenset()
    allowed = {Action.RECORD}
    status = escalation.status
    stage = escalation.current_stage
    at_top = stage == procedure.top
    if status == "resolved" and escalation.confirmed_on is None and role is not None:
        allowed.add(Action.CONFIRM)
    if status != "open":
        return frozenset(allowed)
    holds = holds_stage(person, procedure, stage)
    if holds and (role is not None or at_top):
        allowed.add(Action.RESOLVE)
        if not at_top:
            allowed.add(Action.ESCALATE)
        if procedure.stage(stage).protective_timescale:
            allowed.add(Action.BRING_FORWARD)
    if at_top and holds:
        allowed.add(Action.DECIDE)
    if role is PartyRole.RAISING:
        allowed.add(Action.WITHDRAW)
    return frozenset(allowed)
