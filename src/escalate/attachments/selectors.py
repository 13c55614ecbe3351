"""Reads of written representations. Each starts from an escalation the caller already got
through ``escalate.cases.selectors.escalation_get_for`` (which applies the access rules), so
nothing here can show a representation of an escalation its reader may not see."""

from __future__ import annotations

from django.db.models import QuerySet

from escalate.attachments.models import Representation, ScanStatus
from escalate.attachments.services import may_add
from escalate.cases.models import Escalation, Party
from escalate.directory.models import Person


def representations_for(escalation: Escalation) -> QuerySet[Representation]:
    """Every representation on the escalation, oldest first, with its agency (one query)."""
    return (
        Representation.objects.filter(escalation_id=escalation.pk)
        .select_related("agency")
        .order_by("uploaded_at", "pk")
    )


def representation_of(escalation: Escalation, pk: int) -> Representation | None:
    """One representation of this escalation (None for any other's id)."""
    return representations_for(escalation).filter(pk=pk).first()


def section_for(
    person: Person | None, escalation: Escalation, parties: list[Party]
) -> dict[str, object]:
    """What a page shows of an escalation's written representations: ``items`` (one query),
    ``unscanned`` (whether any was stored without a virus scan) and ``may_add`` (whether this
    person may add one now)."""
    items = list(representations_for(escalation))
    return {
        "items": items,
        "unscanned": any(r.scan_status == ScanStatus.NOT_SCANNED for r in items),
        "may_add": may_add(person, escalation, parties),
    }
