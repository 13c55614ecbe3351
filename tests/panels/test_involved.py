"""Who is involved, from the record, and what a seat on a partnership's panels lets one read."""

from __future__ import annotations

import pytest

from escalate.cases import access, selectors
from escalate.cases import services as case_services
from escalate.cases.actors import Actor
from escalate.cases.models import Escalation
from escalate.panels.selectors import people_involved
from escalate.procedures.schema import Level
from tests.cases.conftest import escalated_to, make_world, raise_one
from tests.panels.support import TODAY, at_top, person, seat

pytestmark = pytest.mark.django_db


def test_the_raiser_the_named_receiver_and_everyone_who_wrote_are_involved() -> None:
    world, esc = at_top("sunderland-sab", receiving_practitioner="B Practitioner, nurse")
    esc = case_services.escalation_record_view(
        actor=Actor.of(world.user("b", Level.LINE_MANAGER)),
        escalation=esc,
        version=esc.version,
        today=TODAY,
        view="Our view",
    )
    # the business unit records the sub-committee's meeting: it oversees, it is not involved
    esc = case_services.escalation_record_event(
        actor=Actor.of(world.bu_user),
        escalation=esc,
        version=esc.version,
        today=TODAY,
        on=TODAY,
        event="committee-meeting-held",
    )
    assert esc.entries.filter(author=world.bu_user).exists()
    found = {i.person.name: i.how for i in people_involved(esc)}
    assert found == {
        "a practitioner": ["raised the concern", "wrote in the record at stage 1"],
        "b practitioner": ["named as the receiving practitioner"],
        # escalated it at stages 1, 2 and 3 (the managers who acted at each stage)
        "a board-representative": [
            "wrote in the record at stage 1",
            "wrote in the record at stage 2",
            "wrote in the record at stage 3",
        ],
        "b line-manager": ["wrote in the record at stage 4"],
    }


def test_the_record_and_the_access_rule_agree_on_who_is_involved() -> None:
    """Everyone in the directory: involved by ``people_involved`` exactly when the access
    rule's ``involved_q`` matches the escalation for them."""
    world, esc = at_top("sunderland-sab", receiving_practitioner="b practitioner")
    esc = case_services.escalation_record_event(
        actor=Actor.of(world.bu_user),
        escalation=esc,
        version=esc.version,
        today=TODAY,
        on=TODAY,
        event="committee-meeting-held",
    )
    involved = {i.person.pk for i in people_involved(esc)}
    for someone in [*world.people.values(), world.business_unit]:
        assert someone is not None
        matched = Escalation.objects.filter(access.involved_q(someone), pk=esc.pk).exists()
        assert matched is (someone.pk in involved), someone.name
    assert len(involved) == 3


def test_a_seat_on_a_kind_of_panel_reads_what_is_referred_to_that_kind() -> None:
    """North Somerset convenes a resolution panel at stage 5: a seat on one reads the
    escalations there; a seat on mediation (which it does not convene) reads nothing."""
    world = make_world("north-somerset-sab")
    at_five = escalated_to(world, raise_one(world), 5)
    at_four = escalated_to(world, raise_one(world), 4)
    sits = person(world, "c")
    mediator = person(world, "c", Level.ASSISTANT_DIRECTOR)
    seat(sits, "resolution-panel")
    seat(mediator, "mediation")
    assert sits.user is not None and mediator.user is not None
    seen = set(selectors.escalation_visible_to(sits.user).values_list("pk", flat=True))
    assert seen == {at_five.pk}
    assert at_four.pk not in seen
    assert not selectors.escalation_visible_to(mediator.user).exists()


def test_nobody_without_a_seat_reads_what_is_referred_to_the_panel() -> None:
    world = make_world("sunderland-sab")
    escalated_to(world, raise_one(world), 4)
    outsider = person(world, "c")
    assert outsider.user is not None
    assert not selectors.escalation_visible_to(outsider.user).exists()
