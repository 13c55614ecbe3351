"""Services and selectors of the shared record, on SQLite and PostgreSQL alike."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from escalate import timekeeping
from escalate.cases import selectors, services
from escalate.cases.actors import Actor
from escalate.cases.models import Entry, EntryKind, Escalation, Stage, Status
from escalate.cases.rules import registry
from escalate.directory.models import Agency
from escalate.procedures import lifecycle as lc
from escalate.procedures.schema import Level
from tests.cases.conftest import (
    PROCEDURE_IDS,
    World,
    escalated_to,
    highest,
    make_world,
    raise_one,
)
from tests.support import sign_in

pytestmark = pytest.mark.django_db
D = dt.date


def _walk_to_top(world: World, esc: Escalation) -> Escalation:
    return escalated_to(world, esc, registry().get(world.partnership.procedure_id).top)


@pytest.mark.parametrize("procedure_id", PROCEDURE_IDS)
def test_each_procedure_walks_from_raise_to_its_top_stage(procedure_id: str) -> None:
    world = make_world(procedure_id)
    esc = raise_one(world)
    assert esc.current_stage == 1
    assert esc.current_due_on is not None  # stage 1 always has a timescale
    esc = _walk_to_top(world, esc)
    proc = registry().get(procedure_id)
    assert esc.current_stage == proc.top
    assert list(esc.stages.values_list("number", flat=True)) == list(range(1, proc.top + 1))
    assert Stage.objects.filter(escalation=esc, left_on__isnull=True).count() == 1
    esc = services.escalation_decide(
        actor=Actor.of(world.bu_user),
        today=timekeeping.today(),
        escalation=esc,
        version=esc.version,
        on=D(2026, 3, 20),
        decision="The panel's decision",
    )
    assert esc.status == Status.DECIDED
    kinds = list(esc.entries.values_list("kind", flat=True))
    assert kinds == ["raised"] + ["escalated"] * (proc.top - 1) + ["decided"]


def test_raise_records_parties_stage_and_first_entry(world: World) -> None:
    esc = raise_one(world, subject_name="Sam Example")
    assert esc.reference.startswith("ESC-") and len(esc.reference) == 13
    roles = sorted(esc.parties.values_list("role", flat=True))
    assert roles == ["raising", "receiving"]
    assert esc.procedure_key == "north-east-lincolnshire@1"
    assert esc.current_due_on == D(2026, 3, 4)  # O + 2 from Monday 2 March
    assert esc.next_due_on == D(2026, 3, 4)
    (entry,) = esc.entries.all()
    assert entry.kind == EntryKind.RAISED


def test_other_parties_are_only_active_agencies_of_the_partnership(world: World) -> None:
    """The same rule as the receiving agency (selectors.party_agencies): an inactive agency,
    the partnership body or another partnership's agency posted as an "other agency" is not
    made a party."""
    closed = Agency.objects.create(
        partnership=world.partnership, name="Closed service", agency_type="police", is_active=False
    )
    body = Agency.objects.create(
        partnership=world.partnership,
        name="The board",
        agency_type="police",
        is_partnership_body=True,
    )
    other = make_world("redbridge-sab")
    esc = raise_one(world, other_agency_ids=[closed.pk, body.pk, other.b.pk])
    assert set(esc.parties.values_list("agency_id", flat=True)) == {world.a.pk, world.b.pk}
    with_c = raise_one(world, other_agency_ids=[world.c.pk])
    assert world.c.pk in set(with_c.parties.values_list("agency_id", flat=True))


def test_references_are_unique_and_not_sequential(world: World) -> None:
    refs = {raise_one(world).reference for _ in range(20)}
    assert len(refs) == 20


def test_raise_refusals(world: World) -> None:
    with pytest.raises(services.ActionError) as caught:
        raise_one(world, receiving_agency_id=world.a.pk)
    assert caught.value.message == services.SAME_AGENCY
    assert caught.value.field == "receiving_agency"
    other = make_world("redbridge-sab")
    with pytest.raises(services.ActionError, match="Choose an agency in your partnership"):
        raise_one(world, receiving_agency_id=other.b.pk)
    with pytest.raises(services.ActionError, match="Choose a category"):
        raise_one(world, category="not-a-category")
    with pytest.raises(services.ActionError, match="cannot be in the future"):
        raise_one(
            world, outset_on=timekeeping.today() + dt.timedelta(days=1), on=timekeeping.today()
        )
    with pytest.raises(services.ActionError) as caught:
        raise_one(world, start_stage=3, immediate_risk=True, immediate_risk_reason="")
    assert caught.value.message == lc.HIGHER_START_NEEDS_RISK.format(stage=3)
    assert Escalation.objects.count() == 0


def test_immediate_risk_starts_higher(world: World) -> None:
    esc = raise_one(
        world,
        start_stage=3,
        immediate_risk=True,
        immediate_risk_reason="Unsafe tonight",
        route_taken="Called MASH",
    )
    assert esc.current_stage == 3 and esc.start_stage == 3
    assert esc.immediate_risk_reason == "Unsafe tonight"


def test_wrong_transitions_are_refused_with_their_message(world: World) -> None:
    esc = raise_one(world)
    manager = highest(world)
    with pytest.raises(services.ActionError) as caught:
        services.escalation_decide(
            actor=Actor.of(manager),
            today=timekeeping.today(),
            escalation=esc,
            version=esc.version,
            on=D(2026, 3, 3),
            decision="x",
        )
    assert caught.value.message == services.NOT_ALLOWED.format(action="decide")
    esc = services.escalation_withdraw(
        actor=Actor.of(manager),
        today=timekeeping.today(),
        escalation=esc,
        version=esc.version,
        on=D(2026, 3, 3),
        reason="Raised in error",
    )
    with pytest.raises(services.ActionError) as caught:
        services.escalation_escalate(
            actor=Actor.of(manager),
            today=timekeeping.today(),
            escalation=esc,
            version=esc.version,
            on=D(2026, 3, 4),
            reason="x",
        )
    assert caught.value.message == services.NOT_ALLOWED.format(action="escalate")
    esc2 = raise_one(world)
    with pytest.raises(services.ActionError) as caught:
        services.escalation_resolve(
            actor=Actor.of(manager),
            today=timekeeping.today(),
            escalation=esc2,
            version=esc2.version,
            on=D(2026, 3, 1),
            outcome="x",
        )
    assert caught.value.message == lc.BEFORE_STAGE_ENTRY.format(stage=1, entered="2 March 2026")
    assert caught.value.field == "on"


def test_practitioner_cannot_act_above_their_level(world: World) -> None:
    esc = raise_one(world)
    practitioner = world.user("a", Level.PRACTITIONER)
    esc = services.escalation_escalate(
        actor=Actor.of(practitioner),
        today=timekeeping.today(),
        escalation=esc,
        version=esc.version,
        on=D(2026, 3, 4),
        reason="No agreement",
    )
    assert esc.current_stage == 2
    with pytest.raises(services.ActionError, match="cannot escalate"):
        services.escalation_escalate(
            actor=Actor.of(practitioner),
            today=timekeeping.today(),
            escalation=esc,
            version=esc.version,
            on=D(2026, 3, 5),
            reason="x",
        )
    # the receiving agency's second-tier manager holds stage 2
    esc = services.escalation_resolve(
        actor=Actor.of(world.user("b", Level.SECOND_TIER_MANAGER)),
        today=timekeeping.today(),
        escalation=esc,
        version=esc.version,
        on=D(2026, 3, 5),
        outcome="Agreed",
    )
    assert esc.status == Status.RESOLVED


def test_an_agency_not_party_cannot_act(world: World) -> None:
    esc = raise_one(world)
    with pytest.raises(services.ActionError):
        services.escalation_record_contact(
            actor=Actor.of(world.user("c", Level.BOARD_REPRESENTATIVE)),
            today=timekeeping.today(),
            escalation=esc,
            version=esc.version,
            occurred_on=D(2026, 3, 3),
            method="telephone",
            contact_by="x",
            contact_with="y",
            summary="s",
            agreed="a",
            decision_makers="",
        )


def test_resolve_and_confirm_in_writing(world: World) -> None:
    esc = raise_one(world)
    esc = services.escalation_record_contact(
        actor=Actor.of(world.user("b", Level.PRACTITIONER)),
        today=timekeeping.today(),
        escalation=esc,
        version=esc.version,
        occurred_on=D(2026, 3, 3),
        method="telephone",
        contact_by="B practitioner",
        contact_with="A practitioner",
        summary="Discussed",
        agreed="Assessment",
        decision_makers="",
    )
    esc = services.escalation_resolve(
        actor=Actor.of(world.user("b", Level.PRACTITIONER)),
        today=timekeeping.today(),
        escalation=esc,
        version=esc.version,
        on=D(2026, 3, 3),
        outcome="Assessment",
    )
    assert esc.status == Status.RESOLVED and esc.closed_on == D(2026, 3, 3)
    assert esc.next_due_on is None
    esc = services.escalation_confirm(
        actor=Actor.of(world.user("b", Level.PRACTITIONER)),
        today=timekeeping.today(),
        escalation=esc,
        version=esc.version,
        on=D(2026, 3, 4),
        confirmed_by="B practitioner to A practitioner",
    )
    assert esc.confirmed_on == D(2026, 3, 4)
    assert list(esc.entries.values_list("kind", flat=True)) == [
        "raised",
        "contact",
        "resolved",
        "confirmed",
    ]


def test_concurrent_escalation_leaves_one_stage_and_tells_the_second_user(world: World) -> None:
    esc = raise_one(world)
    first = Escalation.objects.get(pk=esc.pk)
    second = Escalation.objects.get(pk=esc.pk)  # both opened the page at version 1
    services.escalation_escalate(
        actor=Actor.of(highest(world, "a")),
        today=timekeeping.today(),
        escalation=first,
        version=first.version,
        on=D(2026, 3, 3),
        reason="A says no",
    )
    with pytest.raises(services.ConcurrentChangeError) as caught:
        services.escalation_escalate(
            actor=Actor.of(highest(world, "b")),
            today=timekeeping.today(),
            escalation=second,
            version=second.version,
            on=D(2026, 3, 3),
            reason="B says no",
        )
    assert caught.value.message == services.CONCURRENT_CHANGE
    esc.refresh_from_db()
    assert esc.current_stage == 2
    assert esc.stages.count() == 2
    assert esc.entries.filter(kind="escalated").count() == 1


def test_a_stale_version_is_refused_even_if_the_object_is_fresh(world: World) -> None:
    esc = raise_one(world)
    esc = services.escalation_escalate(
        actor=Actor.of(highest(world)),
        today=timekeeping.today(),
        escalation=esc,
        version=1,
        on=D(2026, 3, 3),
        reason="x",
    )
    with pytest.raises(services.ConcurrentChangeError):
        services.escalation_escalate(
            actor=Actor.of(highest(world)),
            today=timekeeping.today(),
            escalation=esc,
            version=1,
            on=D(2026, 3, 4),
            reason="x",
        )


def test_corrections_are_new_entries_and_nothing_is_overwritten(world: World) -> None:
    esc = raise_one(world)
    esc = services.escalation_record_contact(
        actor=Actor.of(world.user("a", Level.PRACTITIONER)),
        today=timekeeping.today(),
        escalation=esc,
        version=esc.version,
        occurred_on=D(2026, 3, 3),
        method="meeting",
        contact_by="A",
        contact_with="B",
        summary="Wrong date said",
        agreed="Nothing",
        decision_makers="",
    )
    original = esc.entries.get(sequence=2)
    esc = services.entry_correct(
        actor=Actor.of(world.user("b", Level.PRACTITIONER)),
        today=timekeeping.today(),
        escalation=esc,
        version=esc.version,
        sequence=2,
        text="The meeting was on 4 March",
    )
    correction = esc.entries.get(sequence=3)
    assert correction.kind == EntryKind.CORRECTION and correction.corrects_id == original.pk
    original.refresh_from_db()
    assert original.summary == "Wrong date said"
    with pytest.raises(services.ActionError, match="no entry 99"):
        services.entry_correct(
            actor=Actor.of(world.user("b", Level.PRACTITIONER)),
            today=timekeeping.today(),
            escalation=esc,
            version=esc.version,
            sequence=99,
            text="x",
        )


def test_bring_forward_only_where_the_procedure_allows(world: World) -> None:
    redbridge = make_world("redbridge-sab")
    esc = raise_one(redbridge, on=timekeeping.today(), outset_on=timekeeping.today())
    due = esc.current_due_on
    assert due is not None
    esc = services.escalation_bring_forward(
        actor=Actor.of(redbridge.user("a", Level.PRACTITIONER)),
        today=timekeeping.today(),
        escalation=esc,
        version=esc.version,
        due_on=timekeeping.today(),
        reason="Discharge tomorrow",
    )
    assert esc.current_due_on == timekeeping.today()
    somerset = make_world("north-somerset-sab")
    esc = raise_one(somerset, on=timekeeping.today(), outset_on=timekeeping.today())
    with pytest.raises(services.ActionError, match="cannot bring forward"):
        services.escalation_bring_forward(
            actor=Actor.of(somerset.user("a", Level.PRACTITIONER)),
            today=timekeeping.today(),
            escalation=esc,
            version=esc.version,
            due_on=timekeeping.today(),
            reason="x",
        )


def test_events_set_obligation_due_dates(world: World) -> None:
    redbridge = make_world("redbridge-sab")
    esc = raise_one(redbridge)
    esc = services.escalation_record_event(
        actor=Actor.of(redbridge.user("a", Level.PRACTITIONER)),
        today=timekeeping.today(),
        escalation=esc,
        version=esc.version,
        on=D(2026, 3, 3),
        event="matter-raised",
    )
    assert esc.next_due_on == D(2026, 3, 4)  # raising the matter (O + 2) is not marked done
    esc = services.escalation_meet_obligation(
        actor=Actor.of(redbridge.user("a", Level.PRACTITIONER)),
        today=timekeeping.today(),
        escalation=esc,
        version=esc.version,
        on=D(2026, 3, 3),
        obligation="raise-matter",
    )
    # speak to the raiser within 3 working days of being raised: Friday 6 March
    assert esc.next_due_on == D(2026, 3, 6)


# -- selectors and access --------------------------------------------------------------------


def test_no_page_shows_another_agencys_escalation(world: World) -> None:
    esc = raise_one(world)
    outsider = world.user("c", Level.BOARD_REPRESENTATIVE)
    assert not selectors.escalation_visible_to(outsider).exists()
    with pytest.raises(selectors.EscalationNotFound):
        selectors.escalation_get_for(outsider, esc.reference)
    for agency in ("a", "b"):
        assert selectors.escalation_get_for(world.user(agency, Level.PRACTITIONER), esc.reference)
    assert selectors.escalation_get_for(world.bu_user, esc.reference)


def test_business_unit_sees_only_its_own_partnership(world: World) -> None:
    raise_one(world)
    other = make_world("sunderland-sab")
    raise_one(other)
    assert selectors.escalation_visible_to(world.bu_user).count() == 1
    assert selectors.escalation_visible_to(other.bu_user).count() == 1


def test_list_filters(world: World) -> None:
    e1 = raise_one(world)
    e2 = raise_one(world)
    services.escalation_escalate(
        actor=Actor.of(highest(world)),
        today=timekeeping.today(),
        escalation=e2,
        version=e2.version,
        on=D(2026, 3, 3),
        reason="x",
    )
    user = world.user("a", Level.PRACTITIONER)
    today = D(2026, 3, 3)

    def by(**kw: object) -> set[str]:
        found = selectors.escalation_list_for(user, selectors.ListFilters(**kw), today)  # type: ignore[arg-type]
        return {e.reference for e in found}

    assert by() == {e1.reference, e2.reference}
    assert by(stage=2) == {e2.reference}
    assert by(reference=e1.reference.lower()) == {e1.reference}
    assert by(overdue=True) == set()
    later = D(2026, 3, 5)
    overdue = {
        e.reference
        for e in selectors.escalation_list_for(user, selectors.ListFilters(overdue=True), later)
    }
    assert overdue == {e1.reference}  # stage 1 was due 4 March; stage 2 is due 12 March
    assert by(mine=True) == {e1.reference, e2.reference}
    assert by(awaiting=True) == {e1.reference}  # a practitioner holds stage 1 only
    assert by(agency_id=world.c.pk) == set()


def _count(func: object) -> int:
    with CaptureQueriesContext(connection) as ctx:
        func()  # type: ignore[operator]
    return len(ctx.captured_queries)


def test_list_queries_do_not_grow_with_escalations(world: World) -> None:
    user = world.user("a", Level.PRACTITIONER)
    raise_one(world)

    def run() -> None:
        rows = list(selectors.escalation_list_for(user, selectors.ListFilters(), D(2026, 3, 3)))
        for e in rows:
            assert e.raising_agency.name and e.receiving_agency.name

    few = _count(run)
    for _ in range(10):
        raise_one(world)
    assert _count(run) == few


def test_detail_queries_do_not_grow_with_entries(world: World, client: object) -> None:
    from django.test import Client

    assert isinstance(client, Client)
    esc = raise_one(world)
    user = world.user("a", Level.PRACTITIONER)
    sign_in(client, user)
    url = f"/escalations/{esc.reference}/"
    assert client.get(url).status_code == 200
    few = _count(lambda: client.get(url))
    for i in range(8):
        esc = services.escalation_record_contact(
            actor=Actor.of(user),
            today=timekeeping.today(),
            escalation=esc,
            version=esc.version,
            occurred_on=D(2026, 3, 3),
            method="telephone",
            contact_by=f"A {i}",
            contact_with="B",
            summary="s",
            agreed="a",
            decision_makers="",
        )
    assert _count(lambda: client.get(url)) == few
    assert Entry.objects.filter(escalation=esc).count() == 9


def test_confirming_in_writing_meets_the_procedures_confirm_duty() -> None:
    redbridge = make_world("redbridge-sab")
    esc = raise_one(redbridge)
    user = redbridge.user("b", Level.PRACTITIONER)
    esc = services.escalation_resolve(
        actor=Actor.of(user),
        today=timekeeping.today(),
        escalation=esc,
        version=esc.version,
        on=D(2026, 3, 3),
        outcome="Agreed",
    )
    assert esc.next_due_on == D(2026, 3, 5)  # confirm within 2 working days of resolution
    esc = services.escalation_confirm(
        actor=Actor.of(user),
        today=timekeeping.today(),
        escalation=esc,
        version=esc.version,
        on=D(2026, 3, 4),
        confirmed_by="B to A",
    )
    assert esc.next_due_on is None
    assert list(esc.entries.values_list("kind", flat=True))[-2:] == ["confirmed", "obligation"]
