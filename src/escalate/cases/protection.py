"""Data protection: retention of closed escalations, and subject access exports.

Retention: each partnership keeps a closed escalation for ``retention_years`` after it closed
(default six). :func:`retention_apply` deletes the expired ones (their parties, stages and
entries go with them) and writes one audit entry per deletion, carrying the reference only.
The audit trail itself is never deleted.

Subject access: :func:`subject_access_export` gathers everything held about one subject
reference in the business unit's partnership into one JSON document.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction

from escalate.audit.models import AuditAction, ObjectType
from escalate.audit.services import audit_record
from escalate.cases import access, selectors
from escalate.cases.actors import Actor
from escalate.cases.models import Entry, EntryKind, Escalation, Status
from escalate.cases.references import reference_key
from escalate.directory.models import Partnership

NOT_BUSINESS_UNIT = "Only the partnership's business unit can export a subject's records."
REFERENCE_REQUIRED = "Enter the case reference or NHS number"


def _years_before(day: dt.date, years: int) -> dt.date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February
        return day.replace(year=day.year - years, day=28)


@dataclass
class RetentionResult:
    removed: list[str] = field(default_factory=list)


#: Who applies retention when no one else is named: the system, from its command.
RETENTION = Actor.for_system("retention")


def retention_apply(
    *, today: dt.date, dry_run: bool = False, actor: Actor = RETENTION
) -> RetentionResult:
    """Delete closed escalations older than their partnership's retention period."""
    result = RetentionResult()
    for partnership in Partnership.objects.all():
        cutoff = _years_before(today, partnership.retention_years)
        expired = Escalation.objects.filter(partnership=partnership, closed_on__lt=cutoff).exclude(
            status=Status.OPEN
        )
        for escalation in expired.order_by("closed_on", "pk"):
            result.removed.append(escalation.reference)
            if dry_run:
                continue
            with transaction.atomic():
                audit_record(
                    actor=actor.user,
                    action=AuditAction.RETENTION_APPLIED,
                    object_type=ObjectType.ESCALATION,
                    object_ref=escalation.reference,
                    partnership_id=partnership.pk,
                    detail={
                        "closed_on": escalation.closed_on.isoformat()
                        if escalation.closed_on
                        else None,
                        "retention_years": partnership.retention_years,
                        **actor.audit_detail(),
                    },
                )
                escalation.delete()
    return result


def subject_access_export(*, user: object, reference: str) -> bytes:
    """Everything held about one subject reference, as a JSON file (business unit only)."""
    person = access.business_unit_person(user)
    if person is None:
        raise PermissionError(NOT_BUSINESS_UNIT)
    if not reference.strip():
        raise ValueError(REFERENCE_REQUIRED)
    candidates = selectors.escalation_visible_to(user).prefetch_related(
        "parties__agency", "stages", "entries"
    )
    # What is typed and what was stored at raise are compared by the same key
    # (references.reference_key): "pid-ir-1" finds "PID-IR-1", for every kind of reference.
    found = list(candidates.filter(subject_reference_key=reference_key(reference)))
    document: dict[str, Any] = {
        "subject_reference": reference.strip(),
        "escalations": [_escalation_json(e) for e in found],
    }
    audit_record(
        actor=user,
        action=AuditAction.EXPORT,
        object_type="subject",
        object_ref="",
        partnership_id=person.agency.partnership_id,
        detail={
            "kind": "subject-access",
            "count": len(found),
            "references": [e.reference for e in found],
        },
    )
    return json.dumps(document, indent=2, default=str).encode()


def _escalation_json(e: Escalation) -> dict[str, Any]:
    fields = [
        "reference", "procedure_key", "subject_kind", "subject_name", "subject_reference_kind",
        "subject_reference", "category", "source", "source_detail", "issue", "risk", "aim",
        "immediate_risk", "immediate_risk_reason", "route_taken", "outset_on", "raised_on",
        "status", "current_stage", "outcome", "closed_on", "confirmed_on", "confirmed_by",
    ]  # fmt: skip
    out: dict[str, Any] = {name: getattr(e, name) for name in fields}
    entries = list(e.entries.all())
    out["parties"] = [
        {"agency": p.agency.name, "role": p.role, "views": _views_of(p.agency.name, entries)}
        for p in e.parties.all()
    ]
    out["stages"] = [
        {"number": s.number, "entered_on": s.entered_on, "left_on": s.left_on}
        for s in e.stages.all()
    ]
    entry_fields = [
        "sequence", "kind", "stage", "occurred_on", "recorded_at", "author_name",
        "author_agency", "contact_method", "contact_by", "contact_with", "summary", "agreed",
        "decision_makers", "text", "event", "obligation", "due_on",
    ]  # fmt: skip
    out["entries"] = [{f: getattr(x, f) for f in entry_fields} for x in entries]
    return out


def _views_of(agency_name: str, entries: list[Entry]) -> list[dict[str, Any]]:
    """An agency's views are the record's view entries written for it (the agency named on
    the entry when it was written), oldest first; a later view sits beside the earlier."""
    return [
        {
            "sequence": x.sequence,
            "given_on": x.occurred_on,
            "by": x.author_name,
            "text": x.text,
            "corrected_by": [c.sequence for c in entries if c.corrects_id == x.pk],
        }
        for x in entries
        if x.kind == EntryKind.VIEW and x.author_agency == agency_name
    ]
