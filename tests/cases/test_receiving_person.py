"""The receiving practitioner named at raise is linked to their directory entry, and the lists
and access rules that read ``Escalation.receiving_person`` then see them."""

from __future__ import annotations

import datetime as dt

import pytest

from escalate.cases import selectors
from escalate.directory.models import Person
from escalate.procedures.schema import Level
from tests.cases.conftest import World, escalated_to, make_world, raise_one
from tests.panels.support import seat_on_every_panel
from tests.support import signed_in

pytestmark = pytest.mark.django_db


def _receiver(world: World) -> Person:
    return world.people[("b", Level.PRACTITIONER)]  # named "b practitioner"


@pytest.mark.parametrize(
    "typed",
    [
        "b practitioner",
        "B Practitioner, social worker",
        "  b   PRACTITIONER  ,  Senior nurse, ward 4",
    ],
)
def test_the_named_practitioner_is_linked_to_their_directory_entry(
    world: World, typed: str
) -> None:
    esc = raise_one(world, receiving_practitioner=typed)
    assert esc.receiving_person == _receiver(world)
    esc.refresh_from_db()
    assert esc.receiving_person_id == _receiver(world).pk
    assert esc.receiving_practitioner == typed  # what was typed stays as typed


@pytest.mark.parametrize(
    "typed",
    [
        "",  # not given
        "b practitioner's manager",  # not a name in the directory
        "a practitioner",  # a name in the raising agency, not the receiving one
        "practitioner",  # part of a name is not a name
    ],
)
def test_no_link_without_a_match_in_the_receiving_agency(world: World, typed: str) -> None:
    assert raise_one(world, receiving_practitioner=typed).receiving_person is None


def test_no_link_when_the_name_is_not_unique_or_the_person_inactive(world: World) -> None:
    twin = _receiver(world)
    Person.objects.create(
        agency=world.b, name="B Practitioner", job_title="x", level="practitioner"
    )
    assert raise_one(world, receiving_practitioner="b practitioner").receiving_person is None
    Person.objects.filter(agency=world.b, name="B Practitioner").update(is_active=False)
    assert raise_one(world, receiving_practitioner="b practitioner").receiving_person == twin
    Person.objects.filter(pk=twin.pk).update(is_active=False)
    assert raise_one(world, receiving_practitioner="b practitioner").receiving_person is None


def test_the_receiving_practitioner_sees_it_under_mine(world: World) -> None:
    named = raise_one(world, receiving_practitioner="b practitioner, social worker")
    unnamed = raise_one(world, receiving_practitioner="")
    receiver = world.user("b", Level.PRACTITIONER)
    mine = selectors.escalation_list_for(
        receiver, selectors.ListFilters(mine=True), dt.date(2026, 3, 3)
    )
    assert list(mine.values_list("reference", flat=True)) == [named.reference]
    page = signed_in(receiver).get("/escalations/", {"view": "mine"})
    assert named.reference in page.content.decode()
    assert unnamed.reference not in page.content.decode()


def test_sunderland_committee_member_who_received_the_case_does_not_sit_on_it() -> None:
    """Sunderland's committee excludes anyone involved in the case. The practitioner who
    received it (named at raise) later moved to the police and joined the committee: the case
    referred to the committee is not shown to them, while an uninvolved member sees it."""
    world = make_world("sunderland-sab")
    receiver = _receiver(world)
    esc = escalated_to(world, raise_one(world, receiving_practitioner="b practitioner"), 4)
    other = raise_one(world, receiving_practitioner="")
    other = escalated_to(world, other, 4)
    receiver.agency = world.c
    receiver.save()
    seat_on_every_panel(receiver)
    uninvolved = world.people[("c", Level.SENIOR_MANAGER)]
    seat_on_every_panel(uninvolved)
    assert receiver.user is not None and uninvolved.user is not None
    seen = set(selectors.escalation_visible_to(receiver.user).values_list("reference", flat=True))
    assert seen == {other.reference}
    seen_uninvolved = set(
        selectors.escalation_visible_to(uninvolved.user).values_list("reference", flat=True)
    )
    assert seen_uninvolved == {esc.reference, other.reference}
