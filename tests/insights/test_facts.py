"""The facts kept for counting are written by the services, in the transaction of each change."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from escalate.cases import rules, services
from escalate.cases.actors import Actor
from escalate.cases.models import Escalation
from escalate.directory.models import Agency
from escalate.insights.facts import facts_sync
from escalate.insights.models import EscalationFact, StageFact
from escalate.procedures.schema import Level
from tests.cases.conftest import World, escalated_to, highest, make_world, raise_one
from tests.insights.conftest import all_rows, expected, stored

pytestmark = pytest.mark.django_db

D = dt.date
# North East Lincolnshire, outset Monday 2 March 2026: stage 1 due 4 March, stage 2 due 12 March.


@pytest.fixture
def world(db: None) -> World:
    return make_world("north-east-lincolnshire")


def _stages(esc: Escalation) -> list[tuple[object, ...]]:
    return list(
        StageFact.objects.filter(escalation=esc)
        .order_by("number")
        .values_list("number", "entered_on", "due_on", "left_on", "ended", "within_due")
    )


def _escalate(world: World, esc: Escalation, on: dt.date) -> Escalation:
    return services.escalation_escalate(
        actor=Actor.of(highest(world)),
        escalation=esc,
        version=esc.version,
        today=on,
        on=on,
        reason="Not agreed",
    )


def test_the_raise_writes_the_facts(world: World) -> None:
    esc = raise_one(world)
    fact = EscalationFact.objects.get(pk=esc.pk)
    assert (fact.status, fact.start_stage, fact.stage_reached) == ("open", 1, 1)
    assert (fact.closed_on, fact.working_days_taken) == (None, None)
    assert (fact.raising_agency_type, fact.receiving_agency_type) == (
        "local-authority-adults",
        "secondary-health",
    )
    assert (fact.procedure_id, fact.procedure_version) == tuple(esc.procedure_key.split("@"))
    assert _stages(esc) == [(1, D(2026, 3, 2), D(2026, 3, 4), None, "open", None)]
    assert stored(esc) == expected(esc)


def test_escalating_and_resolving_end_the_stages(world: World) -> None:
    esc = _escalate(world, raise_one(world), D(2026, 3, 5))  # a day late
    assert _stages(esc) == [
        (1, D(2026, 3, 2), D(2026, 3, 4), D(2026, 3, 5), "escalated", False),
        (2, D(2026, 3, 5), D(2026, 3, 12), None, "open", None),
    ]
    assert stored(esc) == expected(esc)
    esc = services.escalation_resolve(
        actor=Actor.of(highest(world)),
        escalation=esc,
        version=esc.version,
        today=D(2026, 3, 10),
        on=D(2026, 3, 10),
        outcome="Agreed",
    )
    assert _stages(esc)[1] == (2, D(2026, 3, 5), D(2026, 3, 12), D(2026, 3, 10), "resolved", True)
    fact = EscalationFact.objects.get(pk=esc.pk)
    assert (fact.status, fact.closed_on, fact.stage_reached) == ("resolved", D(2026, 3, 10), 2)
    assert fact.working_days_taken == 6  # 3, 4, 5, 6, 9 and 10 March
    assert (fact.stages_ended, fact.stages_ended_within_due) == (2, 1)
    assert stored(esc) == expected(esc)


def test_withdrawing_ends_the_stage_withdrawn(world: World) -> None:
    esc = services.escalation_withdraw(
        actor=Actor.of(world.user("a", Level.PRACTITIONER)),
        escalation=raise_one(world),
        version=1,
        today=D(2026, 3, 3),
        on=D(2026, 3, 3),
        reason="Raised in error",
    )
    assert _stages(esc) == [(1, D(2026, 3, 2), D(2026, 3, 4), D(2026, 3, 3), "withdrawn", True)]
    fact = EscalationFact.objects.get(pk=esc.pk)
    assert (fact.status, fact.working_days_taken) == ("withdrawn", 1)
    assert stored(esc) == expected(esc)


def test_the_top_decision_ends_the_top_stage_decided(world: World) -> None:
    top = rules.registry().get(world.partnership.procedure_id).top
    esc = escalated_to(world, raise_one(world), top)
    esc = services.escalation_decide(
        actor=Actor.of(world.bu_user),
        today=D(2026, 3, 20),
        escalation=esc,
        version=esc.version,
        on=D(2026, 3, 20),
        decision="The panel's decision",
    )
    ended = [row[4] for row in _stages(esc)]
    assert ended == ["escalated"] * (top - 1) + ["decided"]
    fact = EscalationFact.objects.get(pk=esc.pk)
    assert (fact.status, fact.stage_reached, fact.stages_ended) == ("decided", top, top)
    assert stored(esc) == expected(esc)


def test_a_due_date_brought_forward_is_the_stages_due_date(world: World) -> None:
    esc = raise_one(world)
    esc = services.escalation_bring_forward(
        actor=Actor.of(highest(world)),
        escalation=esc,
        version=esc.version,
        today=D(2026, 3, 2),
        due_on=D(2026, 3, 3),
        reason="Risk rising",
    )
    assert _stages(esc) == [(1, D(2026, 3, 2), D(2026, 3, 3), None, "open", None)]
    esc = _escalate(world, esc, D(2026, 3, 4))  # in time for the ordinary date, not this one
    assert _stages(esc)[0][4:] == ("escalated", False)
    assert stored(esc) == expected(esc)


def test_an_immediate_risk_start_counts_from_its_stage(world: World) -> None:
    esc = raise_one(
        world,
        immediate_risk=True,
        immediate_risk_reason="At risk tonight",
        route_taken="Police called",
        start_stage=3,
    )
    fact = EscalationFact.objects.get(pk=esc.pk)
    assert (fact.immediate_risk, fact.start_stage, fact.stage_reached) == (True, 3, 3)
    assert _stages(esc) == [(3, D(2026, 3, 2), D(2026, 3, 2), None, "open", None)]
    assert stored(esc) == expected(esc)


def test_a_failed_change_leaves_the_facts_as_they_were(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    esc = raise_one(world)
    before = all_rows()

    def broken(**_kwargs: object) -> None:
        raise RuntimeError("the audit trail is unavailable")

    monkeypatch.setattr(services, "audit_record", broken)  # written after the facts
    with pytest.raises(RuntimeError):
        _escalate(world, esc, D(2026, 3, 3))
    with pytest.raises(RuntimeError):
        raise_one(world)
    assert all_rows() == before
    assert Escalation.objects.count() == 1


def test_an_escalation_without_facts_gets_them_at_its_next_change(world: World) -> None:
    """Raised before the facts existed: the next change writes them, with the agencies'
    types as they are then (the record keeps no older ones)."""
    esc = raise_one(world)
    EscalationFact.objects.all().delete()
    StageFact.objects.all().delete()
    esc = services.escalation_record_contact(
        actor=Actor.of(world.user("a", Level.PRACTITIONER)),
        escalation=esc,
        version=esc.version,
        today=D(2026, 3, 3),
        occurred_on=D(2026, 3, 3),
        method="telephone",
        contact_by="A",
        contact_with="B",
        summary="Talked",
        agreed="",
        decision_makers="",
    )
    assert stored(esc) == expected(esc)


def test_the_agencies_types_are_those_at_the_raise(world: World) -> None:
    esc = raise_one(world)
    Agency.objects.filter(pk=world.b.pk).update(agency_type="police")
    esc = _escalate(world, esc, D(2026, 3, 3))
    fact = EscalationFact.objects.get(pk=esc.pk)
    assert fact.receiving_agency_type == "secondary-health"
    assert fact.stage_reached == 2


def test_writing_the_facts_takes_the_same_queries_however_far_it_went(world: World) -> None:
    def queries(esc: Escalation) -> int:
        procedure = rules.procedure_of(esc)
        state = rules.state_of(esc, esc.stages.all(), esc.entries.all())
        calendar = esc.partnership.calendar()
        with CaptureQueriesContext(connection) as captured:
            facts_sync(esc, procedure, calendar, state)
        return len(captured.captured_queries)

    low = raise_one(world)
    high = escalated_to(world, raise_one(world), 4)
    assert queries(low) == queries(high) == 3
