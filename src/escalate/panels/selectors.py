"""Reads for the panel pages: who is involved, who may sit, the panels and the outcome.

The escalation itself is always read through ``escalate.cases.selectors.escalation_get_for``
(the access rules); everything here is about an escalation already in hand. Each function is
a fixed number of queries, whatever the number of panels, members or recommendations.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db.models import Prefetch, QuerySet

from escalate.cases import rules
from escalate.cases.models import Entry, Escalation
from escalate.directory.models import PanelSeat, Person
from escalate.panels.models import (
    Outcome,
    Panel,
    PanelMember,
    Recommendation,
    RecommendationResponse,
)
from escalate.procedures import panels as core
from escalate.procedures import schema

# -- who is involved --------------------------------------------------------------------------


@dataclass
class Involvement:
    """One person the record shows involved in the escalation, and how."""

    person: Person
    how: list[str] = field(default_factory=list)


def people_involved(escalation: Escalation) -> list[Involvement]:
    """Everyone the record shows involved: the raiser, the receiving agency's practitioner
    named at raise, and everyone who wrote in the record (the managers who acted at each
    stage among them; not the business unit, which records for the chair or panel and is
    never a party), each once with every way they were involved. The same people
    ``escalate.cases.access.involved_q`` excludes from a panel's view. Two queries (the
    entries, unless prefetched, and the people)."""
    found: dict[int, Involvement] = {}
    order: list[int] = []

    def add(person: Person | None, how: str) -> None:
        if person is None:
            return
        if person.pk not in found:
            found[person.pk] = Involvement(person)
            order.append(person.pk)
        if how not in found[person.pk].how:
            found[person.pk].how.append(how)

    entries: list[Entry] = sorted(escalation.entries.all(), key=lambda e: e.sequence)
    users = {e.author_id for e in entries if e.author_id is not None}
    if escalation.raised_by_id is not None:
        users.add(escalation.raised_by_id)
    by_user = {
        p.user_id: p
        for p in Person.objects.filter(user_id__in=users, is_business_unit=False).select_related(
            "agency"
        )
    }
    add(escalation.raising_person, "raised the concern")
    if escalation.raised_by_id is not None:
        add(by_user.get(escalation.raised_by_id), "raised the concern")
    add(escalation.receiving_person, "named as the receiving practitioner")
    for entry in entries:
        if entry.author_id is not None:
            add(by_user.get(entry.author_id), f"wrote in the record at stage {entry.stage}")
    return [found[pk] for pk in order]


def involved_ids(escalation: Escalation) -> set[int]:
    return {i.person.pk for i in people_involved(escalation)}


# -- who may sit ------------------------------------------------------------------------------


def seats_for(partnership_id: int, kind: str) -> QuerySet[PanelSeat]:
    """The directory's seats on a partnership's panels of one kind: active people only."""
    return (
        PanelSeat.objects.filter(partnership_id=partnership_id, kind=kind, person__is_active=True)
        .select_related("person", "agency")
        .order_by("person__name", "agency__name", "pk")
    )


# -- the panels and the outcome ---------------------------------------------------------------


def panels_for(escalation: Escalation) -> list[Panel]:
    """The panels convened on an escalation, each with its members (two queries)."""
    members = PanelMember.objects.select_related("agency", "person")
    return list(
        Panel.objects.filter(escalation=escalation).prefetch_related(
            Prefetch("members", queryset=members)
        )
    )


def panel_of(escalation: Escalation, pk: int) -> Panel | None:
    """One panel of this escalation (None for any other escalation's)."""
    return next((p for p in panels_for(escalation) if p.pk == pk), None)


def definition_of(escalation: Escalation, panel: Panel) -> schema.Panel | None:
    """The procedure's rule for a convened panel."""
    procedure = rules.procedure_of(escalation)
    if not 1 <= panel.stage <= procedure.top:
        return None
    stage_panel = procedure.stage(panel.stage).panel
    return stage_panel.option(panel.kind) if stage_panel is not None else None


def core_members(panel: Panel, involved: set[int]) -> list[core.Member]:
    return [
        core.Member(
            person=m.person_id or -m.pk,
            name=m.name,
            agency=m.agency_id,
            agency_type=schema.AgencyType(m.agency.agency_type),
            role=core.Role(m.role),
            involved=m.person_id in involved,
        )
        for m in panel.members.all()
    ]


def core_parties(escalation: Escalation) -> list[core.Party]:
    return [
        core.Party(agency=p.agency_id, name=p.agency.name)
        for p in sorted(escalation.parties.all(), key=lambda p: p.pk)
    ]


def composition_problems(
    escalation: Escalation, panel: Panel, involved: set[int]
) -> list[core.Problem]:
    """What keeps a convened panel from meeting its procedure's rule now (the members may have
    become involved since, or the rule changed)."""
    definition = definition_of(escalation, panel)
    if definition is None:
        return []
    return core.check(definition, core_members(panel, involved), parties=core_parties(escalation))


def outcome_for(escalation: Escalation) -> Outcome | None:
    """The top stage's outcome with its recommendations and their responses (three queries),
    or None before it is recorded."""
    responses = RecommendationResponse.objects.order_by("recorded_at", "pk")
    recommendations = Recommendation.objects.select_related("agency").prefetch_related(
        Prefetch("responses", queryset=responses)
    )
    return (
        Outcome.objects.filter(escalation=escalation)
        .select_related("panel")
        .prefetch_related(Prefetch("recommendations", queryset=recommendations))
        .first()
    )


def recommendation_of(escalation: Escalation, pk: int) -> Recommendation | None:
    """One recommendation of this escalation (None for any other's)."""
    return (
        Recommendation.objects.filter(escalation=escalation, pk=pk).select_related("agency").first()
    )
