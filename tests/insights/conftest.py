"""What the facts tests share (the facts helper's): the facts an escalation's record gives, worked
out here from the whole record through the rules core, and the facts stored for it.

``expected`` reads every entry (``rules.state_of``, as the escalation page does) and names each
column itself, so that it checks ``insights.facts`` rather than repeating it.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from escalate.cases import rules
from escalate.cases.models import Escalation
from escalate.insights.models import EscalationFact, StageFact
from escalate.procedures import facts as core

Facts = tuple[dict[str, Any], list[tuple[Any, ...]]]


def expected(esc: Escalation) -> Facts:
    """The facts of ``esc`` as the rules core computes them from its record now."""
    state = rules.state_of(esc, esc.stages.all(), esc.entries.select_related("corrects"))
    calendar = esc.partnership.calendar()
    facts = core.facts_of(rules.procedure_of(esc), calendar, state)
    taken = None
    if esc.closed_on is not None:
        taken = calendar.working_days_between(esc.outset_on, esc.closed_on)
    assert facts.working_days_taken == taken
    return (
        {
            "partnership_id": esc.partnership_id,
            "procedure": esc.procedure_key,
            "category": esc.category,
            "subject_kind": esc.subject_kind,
            "agencies": (esc.raising_agency_id, esc.receiving_agency_id),
            "agency_types": (esc.raising_agency.agency_type, esc.receiving_agency.agency_type),
            "dates": (esc.outset_on, esc.raised_on, esc.closed_on),
            "immediate_risk": esc.immediate_risk,
            "stages": (esc.start_stage, esc.current_stage),
            "status": esc.status,
            "working_days_taken": taken,
            "ended": (
                facts.stages_ended,
                sum(1 for s in facts.stages if s.within_due is True),
            ),
        },
        [
            (
                esc.partnership_id,
                s.number,
                s.entered_on,
                s.due_on,
                s.left_on,
                s.ended.value,
                s.within_due,
            )
            for s in facts.stages
        ],
    )


def stored(esc: Escalation) -> Facts:
    """The facts stored for ``esc``, in the shape of :func:`expected`."""
    f = EscalationFact.objects.get(pk=esc.pk)
    return (
        {
            "partnership_id": f.partnership_id,
            "procedure": f"{f.procedure_id}@{f.procedure_version}",
            "category": f.category,
            "subject_kind": f.subject_kind,
            "agencies": (f.raising_agency_id, f.receiving_agency_id),
            "agency_types": (f.raising_agency_type, f.receiving_agency_type),
            "dates": (f.outset_on, f.raised_on, f.closed_on),
            "immediate_risk": f.immediate_risk,
            "stages": (f.start_stage, f.stage_reached),
            "status": f.status,
            "working_days_taken": f.working_days_taken,
            "ended": (f.stages_ended, f.stages_ended_within_due),
        },
        list(
            StageFact.objects.filter(escalation=esc)
            .order_by("number")
            .values_list(
                "partnership_id", "number", "entered_on", "due_on", "left_on", "ended", "within_due"
            )
        ),
    )


def all_rows() -> list[tuple[Any, ...]]:
    """Every stored fact, to see that nothing changed."""
    escalations = [
        tuple(getattr(f, c.attname) for c in EscalationFact._meta.concrete_fields)
        for f in EscalationFact.objects.order_by("pk")
    ]
    stages = [
        tuple(getattr(s, c.attname) for c in StageFact._meta.concrete_fields)
        for s in StageFact.objects.order_by("pk")
    ]
    return escalations + stages


def a_working_day_inside(esc: Escalation, number: int) -> dt.date | None:
    """A working day after the stage was entered, no later than its due date nor the day it
    was left: closing that day moves the due date and, for a closed escalation, the working
    days taken. None if there is no such day."""
    row = StageFact.objects.get(escalation=esc, number=number)
    if row.due_on is None:
        return None
    last = min(row.due_on, row.left_on or row.due_on)
    calendar = esc.partnership.calendar()
    day = row.entered_on + dt.timedelta(days=1)
    while day <= last:
        if calendar.is_working_day(day):
            return day
        day += dt.timedelta(days=1)
    return None
