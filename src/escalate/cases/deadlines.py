"""The ``Deadline`` rows of one escalation, kept in step with the rules core.

Called by the services inside the transaction that changes the escalation, with the core's live
items for the new state: a date still due keeps its row (and what the sweep has already sent
about it); a date no longer due (met, moved, lapsed with its stage) loses its row; a new date
gets a new one.
"""

from __future__ import annotations

from collections.abc import Sequence

from escalate.cases.models import Deadline, Escalation
from escalate.procedures.clock import DueItem


def deadlines_sync(escalation: Escalation, items: Sequence[DueItem]) -> None:
    wanted = {(i.stage or 0, i.obligation or "", i.due_on) for i in items}
    have = {
        (d.stage, d.obligation, d.due_on): d.pk
        for d in Deadline.objects.filter(escalation=escalation)
    }
    gone = [pk for key, pk in have.items() if key not in wanted]
    if gone:
        Deadline.objects.filter(pk__in=gone).delete()
    Deadline.objects.bulk_create(
        Deadline(
            escalation=escalation,
            partnership_id=escalation.partnership_id,
            stage=stage,
            obligation=obligation,
            due_on=due_on,
        )
        for stage, obligation, due_on in sorted(wanted - have.keys())
    )
