"""Every read of escalations goes through here, so no page can forget the access rules."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from enum import StrEnum

from django.db.models import Count, Exists, F, OuterRef, Prefetch, Q, QuerySet
from django.db.models.expressions import OrderBy

from escalate.cases import access, rules
from escalate.cases.models import REFERENCE_RE, Entry, Escalation, Party, Status
from escalate.cases.references import escalation_reference
from escalate.directory.models import Agency, Person, StageContact
from escalate.directory.services import stage_role
from escalate.procedures.schema import AgencyType, Procedure


class EscalationNotFound(LookupError):
    """No such escalation for this viewer (whether or not it exists)."""


def escalation_visible_to(user: object) -> QuerySet[Escalation]:
    return Escalation.objects.filter(access.visible_q(access.person_of(user)))


class ListSort(StrEnum):
    """How a list is ordered: each order has an index that fits it (cases migration 0007), and
    ends on the id, so that every escalation has one place and appears on exactly one page."""

    DUE = "due"
    NEWEST = "newest"
    OLDEST = "oldest"


SORT_LABELS = {
    ListSort.DUE: "Soonest due first",
    ListSort.NEWEST: "Newest raised first",
    ListSort.OLDEST: "Oldest raised first",
}

_ORDER: dict[ListSort, tuple[OrderBy, ...]] = {
    # Nothing due (a closed escalation) last, on SQLite as on PostgreSQL.
    ListSort.DUE: (F("next_due_on").asc(nulls_last=True), F("raised_on").desc(), F("id").asc()),
    ListSort.NEWEST: (F("raised_on").desc(), F("id").desc()),
    ListSort.OLDEST: (F("raised_on").asc(), F("id").asc()),
}

#: The columns a list row shows, and no others (the issue, risk and aim stay on disk).
LIST_COLUMNS = (
    "reference",
    "status",
    "current_stage",
    "next_due_on",
    "immediate_risk",
    "raising_agency__name",
    "receiving_agency__name",
)


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
    immediate_risk: bool = False
    sort: ListSort = ListSort.DUE


def escalation_matches(user: object, filters: ListFilters, today: dt.date) -> QuerySet[Escalation]:
    """The escalations a list shows, in no order and with no columns chosen: what its count
    counts (an index answers it: see migration 0007)."""
    person = access.person_of(user)
    qs = escalation_visible_to(user)
    if filters.stage is not None:
        qs = qs.filter(current_stage=filters.stage)
    if filters.status:
        qs = qs.filter(status=filters.status)
    if filters.agency_id is not None:
        qs = qs.filter(
            Exists(Party.objects.filter(escalation=OuterRef("pk"), agency_id=filters.agency_id))
        )
    if filters.category:
        qs = qs.filter(category=filters.category)
    if filters.overdue:
        qs = qs.filter(overdue_q(today))
    if filters.immediate_risk:
        qs = qs.filter(immediate_risk_q())
    if filters.reference.strip():
        # Normalised as typed, then an exact match on the unique index (never UPPER(...)).
        wanted = escalation_reference(filters.reference)
        qs = qs.filter(reference=wanted) if wanted else qs.none()
    if filters.mine and person is not None:
        qs = qs.filter(Q(raising_person=person) | Q(receiving_person=person))
    if filters.awaiting and person is not None:
        qs = qs.filter(awaiting_q(person))
    return qs


def list_rows(matches: QuerySet[Escalation], sort: ListSort) -> QuerySet[Escalation]:
    """``matches`` in a list's order, reading only the columns a row shows (``LIST_COLUMNS``,
    the agencies' names joined in the same query)."""
    return (
        matches.select_related("raising_agency", "receiving_agency")
        .only(*LIST_COLUMNS)
        .order_by(*_ORDER[sort])
    )


class ListPages:
    """A list read a page at a time (give it to :func:`escalate.web.paging.paginate`): first the
    page's ids, in the list's order, from the index that fits the order (on PostgreSQL an
    index-only scan, however deep the page: the rows skipped to reach it are never read from
    the table), then only those rows, with the columns they show."""

    def __init__(self, matches: QuerySet[Escalation], sort: ListSort) -> None:
        self.matches = matches
        self.sort = sort

    def __getitem__(self, window: slice) -> list[Escalation]:
        ids = self.matches.order_by(*_ORDER[self.sort]).values("id")[window]
        return list(list_rows(Escalation.objects.filter(id__in=ids), self.sort))


def escalation_list_for(user: object, filters: ListFilters, today: dt.date) -> QuerySet[Escalation]:
    """The rows of a list: :func:`escalation_matches` through :func:`list_rows`."""
    return list_rows(escalation_matches(user, filters, today), filters.sort)


def overdue_q(today: dt.date) -> Q:
    """Open, and the next thing was due before ``today``."""
    return Q(status=Status.OPEN, next_due_on__lt=today)


def immediate_risk_q() -> Q:
    """Raised for a person at immediate risk of significant harm, and not yet closed."""
    return Q(status=Status.OPEN, immediate_risk=True)


def at_immediate_risk(escalation: Escalation) -> bool:
    """:func:`immediate_risk_q` for one escalation in hand (list rows too)."""
    return escalation.immediate_risk and escalation.status == Status.OPEN


def escalation_counts_for(user: object, today: dt.date) -> dict[str, int]:
    """How many escalations the user can see are open, overdue and open at immediate risk, in
    one query over the open ones only: on PostgreSQL an index-only scan of the partial index
    of open escalations (``esc_open_by_due``, which holds the partnership, the next due date
    and the immediate-risk flag), never a scan of the partnership's closed escalations."""
    return (
        escalation_visible_to(user)
        .filter(status=Status.OPEN)
        .aggregate(
            open=Count("id"),
            # overdue_q and immediate_risk_q, among the open ones: repeating their "open"
            # here led the planner away from the partial index.
            overdue=Count("id", filter=Q(next_due_on__lt=today)),
            immediate_risk=Count("id", filter=Q(immediate_risk=True)),
        )
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


def _name_key(text: str) -> str:
    return " ".join(text.split()).casefold()


def person_named(agency_id: int, text: str) -> Person | None:
    """The active person of an agency that ``text`` names, when exactly one does.

    ``text`` is what the raiser typed as "their name and job title": it names a person when
    the whole text, or its part before the first comma, equals the person's name, ignoring
    case and extra spaces ("Sam Smith, social worker" names Sam Smith). No match, or two
    people of that name, names nobody: the text is kept as typed either way."""
    wanted = {_name_key(text), _name_key(text.split(",", 1)[0])} - {""}
    if not wanted:
        return None
    people = Person.objects.filter(agency_id=agency_id, is_active=True).only("pk", "name")
    found = [p for p in people if _name_key(p.name) in wanted]
    return found[0] if len(found) == 1 else None


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
    wanted = escalation_reference(reference)
    if wanted is None or not REFERENCE_RE.match(wanted):
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


@dataclass(frozen=True)
class ContactPerson:
    """One person (or a role with no name) who acts for an agency at a stage."""

    name: str
    role: str
    email: str
    phone: str


@dataclass(frozen=True)
class AgencyContacts:
    """A party agency's contacts at a stage: the procedure's description of who acts there for
    that kind of agency (``who``, stated once) and the people, each once."""

    agency: Agency
    who: str
    people: list[ContactPerson]


def _who_for(procedure: Procedure, stage: int, agency_type: str) -> str:
    try:
        kind = AgencyType(agency_type)
    except ValueError:
        return ""
    return procedure.stage(stage).who_by_agency.get(kind, "")


def stage_contacts_by_agency(
    escalation: Escalation, stage: int, procedure: Procedure
) -> list[AgencyContacts]:
    """Who acts at a stage, per party agency (in the order of the parties): the stage's
    description for the agency once, then each person with their own role (a directory role
    that only repeats the stage's description gives way to the person's job title)."""
    contacts = stage_contacts_for(escalation, stage)
    groups: list[AgencyContacts] = []
    for party in sorted(escalation.parties.all(), key=lambda p: p.pk):
        agency = party.agency
        who = " ".join(_who_for(procedure, stage, agency.agency_type).split())
        described = {who, stage_role(procedure, stage, agency.agency_type)}
        people: list[ContactPerson] = []
        for contact in contacts:
            if contact.agency_id != agency.pk:
                continue
            role = " ".join(contact.role.split())
            if role in described:
                role = ""
            person = contact.person
            entry = ContactPerson(
                name=person.name if person else "",
                role=role or (person.job_title if person else ""),
                email=person.email if person else "",
                phone=person.phone if person else "",
            )
            if (entry.name or entry.role) and entry not in people:
                people.append(entry)
        groups.append(AgencyContacts(agency=agency, who=who, people=people))
    return groups
