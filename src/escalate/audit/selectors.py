"""Reading the trail. Which escalations a person may ask about always comes from the cases
selectors (``escalation_get_for``, ``escalation_visible_to``), so the access rule is the one
written in ``escalate.cases.access``; this module only adds who may read the trail itself:

- the trail of one escalation: the business unit of the escalation's partnership;
- who has viewed escalations to which your own agency is party: anyone signed in.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from django.db.models import QuerySet

from escalate.audit.models import AuditAction, AuditEntry, AuditResult, ObjectType
from escalate.cases import access
from escalate.cases import selectors as cases_selectors
from escalate.cases.models import REFERENCE_RE, Escalation
from escalate.directory.models import Agency


class TrailNotFound(LookupError):
    """No trail for this viewer (whether or not the escalation exists). ``partnership_id`` is
    the escalation's partnership whenever the reference names one, so that the refusal is
    recorded in that partnership's trail; None for a reference that names no escalation."""

    def __init__(self, reference: str, partnership_id: int | None = None) -> None:
        super().__init__(reference)
        self.partnership_id = partnership_id


def reference_or_blank(text: str) -> str:
    """``text`` upper-cased if it is shaped like a reference, else "" (never record free text)."""
    candidate = text.strip().upper()
    return candidate if REFERENCE_RE.match(candidate) else ""


def refused_partnership_id(reference: str) -> int | None:
    """The partnership of the escalation ``reference`` names, whoever asks, or None.

    Only for the audit entry of a refused look: every entry about an escalation carries its
    partnership, so the business unit's trail shows who was refused. Nothing read here may
    reach the response, which stays the same "not found" whether or not the reference exists.
    """
    wanted = reference_or_blank(reference)
    if not wanted:
        return None
    found: int | None = (
        Escalation.objects.filter(reference=wanted).values_list("partnership_id", flat=True).first()
    )
    return found


def escalation_trail_for(user: object, reference: str) -> tuple[Escalation, QuerySet[AuditEntry]]:
    """The escalation and its audit entries, newest first, for its partnership's business unit.

    Raises :class:`TrailNotFound` for anyone else, and for escalations they cannot see.
    """
    escalation = cases_selectors.escalation_brief_for(user, reference)
    if escalation is None:
        raise TrailNotFound(reference, partnership_id=refused_partnership_id(reference))
    if access.business_unit_person(user) is None:
        raise TrailNotFound(reference, partnership_id=escalation.partnership_id)
    entries = AuditEntry.objects.filter(
        object_type=ObjectType.ESCALATION,
        object_ref=escalation.reference,
        partnership_id=escalation.partnership_id,
    ).order_by("-sequence")
    return escalation, entries


def refused_count(entries: QuerySet[AuditEntry]) -> int:
    """How many of an escalation's entries record something refused (a look or a change)."""
    return entries.exclude(result=AuditResult.SUCCESS).count()


def views_of_our_cases_for(user: object) -> QuerySet[AuditEntry]:
    """Views of the escalations to which the user's own agency is party, newest first."""
    person = access.person_of(user)
    if person is None:
        return AuditEntry.objects.none()
    ours = (
        cases_selectors.escalation_visible_to(user)
        .filter(parties__agency_id=person.agency_id)
        .values("reference")
    )
    return AuditEntry.objects.filter(
        action=AuditAction.ESCALATION_VIEWED,
        object_type=ObjectType.ESCALATION,
        object_ref__in=ours,
    ).order_by("-sequence")


@dataclass(frozen=True)
class Row:
    """One entry as a page shows it."""

    entry: AuditEntry
    agency_name: str
    detail_text: str


def rows(entries: Iterable[AuditEntry]) -> list[Row]:
    """Entries with the acting agency's name (one query) and their detail as text."""
    entries = list(entries)
    agency_ids = {e.actor_agency_id for e in entries if e.actor_agency_id is not None}
    names = dict(Agency.objects.filter(pk__in=agency_ids).values_list("pk", "name"))
    return [
        Row(
            entry=e,
            agency_name=names.get(e.actor_agency_id, "") if e.actor_agency_id else "",
            detail_text="; ".join(f"{k}: {_text(v)}" for k, v in sorted(e.detail.items())),
        )
        for e in entries
    ]


def _text(value: object) -> str:
    if isinstance(value, list):
        return ", ".join(_text(v) for v in value)
    if value is None:
        return "none"
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(value)
