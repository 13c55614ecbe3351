"""Every read of escalations goes through here, so no page can forget the access rules."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import Count, Prefetch, Q, QuerySet

from escalate.cases import access, rules
from escalate.cases.models import REFERENCE_RE, Entry, Escalation, Party, Status
from escalate.directory.models import Agency, Person, StageContact


class EscalationNotFound(LookupError):
    """No such escalation for this viewer (whether or not it exists)."""


def escalation_visible_to(user: object) -> QuerySet[Escalation]:
    return Escalation.objects.filter(access.visible_q(access.person_of(user)))


@dataclass(frozen=True)
class ListFilters:
    stage: int | None = None
    status: str | None = None
    agency_id: int | None = None
    category: str | None = None
    overdue: bool = False
    reference: str = ""
    mine: bool = False
    awaiting: bool = False


def escalation_list_for(user: object, filters: ListFilters, today: dt.date) -> QuerySet[Escalation]:
    person = access.person_of(user)
    qs = escalation_visible_to(user).select_related("raising_agency", "receiving_agency")
    if filters.stage is not None:
        qs = qs.filter(current_stage=filters.stage)
    if filters.status:
        qs = qs.filter(status=filters.status)
    if filters.agency_id is not None:
        qs = qs.filter(parties__agency_id=filters.agency_id).distinct()
    if filters.category:
        qs = qs.filter(category=filters.category)
    if filters.overdue:
        qs = qs.filter(overdue_q(today))
    if filters.reference.strip():
        qs = qs.filter(reference__iexact=filters.reference.strip().upper())
    if filters.mine and person is not None:
        qs = qs.filter(Q(raising_person=person) | Q(receiving_person=person))
    if filters.awaiting and person is not None:
        qs = qs.filter(awaiting_q(person))
    return qs.order_by("next_due_on", "-raised_on", "pk")


def overdue_q(today: dt.date) -> Q:
    """Open, and the next thing was due before ``today``."""
    return Q(status=Status.OPEN, next_due_on__lt=today)


def escalation_counts_for(user: object, today: dt.date) -> dict[str, int]:
    """How many escalations the user can see are open and overdue (one query)."""
    return escalation_visible_to(user).aggregate(
        open=Count("pk", filter=Q(status=Status.OPEN)),
        overdue=Count("pk", filter=overdue_q(today)),
    )


def awaiting_q(person: Person) -> Q:
    """Open escalations at a stage the person's level holds (the rule is access.holds_stage)."""
    procedure = rules.partnership_procedure(person.agency.partnership)
    return Q(status=Status.OPEN, current_stage__in=access.stages_held(person, procedure))


def party_agencies(partnership_id: int) -> QuerySet[Agency]:
    """The agencies that may be party to an escalation in a partnership: the active ones, and
    never the partnership body itself (its business unit oversees, it does not disagree)."""
    return Agency.objects.filter(
        partnership_id=partnership_id, is_active=True, is_partnership_body=False
    )


def escalation_get_for(user: object, reference: str) -> Escalation:
    """One escalation with everything its page shows, or :class:`EscalationNotFound`."""
    qs = (
        escalation_visible_to(user)
        .select_related(
            "partnership",
            "raising_agency",
            "receiving_agency",
            "raising_person",
            "receiving_person",
        )
        .prefetch_related(
            Prefetch("parties", queryset=Party.objects.select_related("agency").order_by("pk")),
            "stages",
            Prefetch(
                "entries", queryset=Entry.objects.select_related("corrects").order_by("sequence")
            ),
        )
    )
    found = _by_reference(qs, reference)
    if found is None:
        raise EscalationNotFound(reference)
    return found


def escalation_brief_for(user: object, reference: str) -> Escalation | None:
    """Only the reference and partnership of one escalation the user may see, else None: for
    pages that need to know which escalation, not what it holds."""
    return _by_reference(escalation_visible_to(user).only("reference", "partnership_id"), reference)


def _by_reference(qs: QuerySet[Escalation], reference: str) -> Escalation | None:
    wanted = reference.upper()
    if not REFERENCE_RE.match(wanted):
        # Not shaped like a reference: nothing to look up (and nothing a database may choke
        # on, such as a NUL byte, which PostgreSQL refuses in a text comparison).
        return None
    return qs.filter(reference=wanted).first()


def stage_contacts_for(escalation: Escalation, stage: int) -> list[StageContact]:
    """Who to contact at each party agency for a stage (one query)."""
    agency_ids = [p.agency_id for p in escalation.parties.all()]
    return list(
        StageContact.objects.filter(agency_id__in=agency_ids, stage=stage)
        .select_related("agency", "person")
        .order_by("agency__name", "role")
    )
