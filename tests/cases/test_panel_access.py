"""Panel and committee members see what is referred to their panel, not what they were in."""

from __future__ import annotations

import datetime as dt
import re

import pytest

from escalate import timekeeping
from escalate.accounts.models import User
from escalate.cases import selectors, services
from escalate.cases.actors import Actor
from escalate.directory.models import Person
from escalate.procedures.schema import Level
from tests.cases.conftest import World, escalated_to, make_world, raise_one
from tests.panels.support import seat_on_every_panel
from tests.support import signed_in

pytestmark = pytest.mark.django_db
D = dt.date


def _panel_member(world: World, key: str, level: Level) -> User:
    person: Person = world.people[(key, level)]
    seat_on_every_panel(person)
    assert person.user is not None
    return person.user


def test_sunderland_committee_sees_referred_escalations_but_not_its_own_cases() -> None:
    world = make_world("sunderland-sab")
    member = _panel_member(world, "c", Level.SENIOR_MANAGER)
    involved = _panel_member(world, "c", Level.ASSISTANT_DIRECTOR)
    at_three = escalated_to(world, raise_one(world), 3)
    at_four = escalated_to(world, raise_one(world), 4)
    # the involved member wrote in this one before it reached the committee
    touched = raise_one(world)
    at_four_touched = escalated_to(world, touched, 4)
    from escalate.cases.models import Entry, EntryKind

    Entry.objects.create(
        escalation=at_four_touched,
        sequence=99,
        kind=EntryKind.CONTACT,
        stage=1,
        occurred_on=D(2026, 3, 2),
        author=involved,
        author_name="x",
        author_agency="y",
    )
    seen = set(selectors.escalation_visible_to(member).values_list("reference", flat=True))
    assert seen == {at_four.reference, at_four_touched.reference}
    assert at_three.reference not in seen
    seen_by_involved = set(
        selectors.escalation_visible_to(involved).values_list("reference", flat=True)
    )
    assert seen_by_involved == {at_four.reference}
    page = signed_in(involved).get(f"/escalations/{at_four_touched.reference}/")
    assert page.status_code == 404


def test_panel_member_reads_but_does_not_act() -> None:
    world = make_world("north-somerset-sab")
    member = _panel_member(world, "c", Level.SENIOR_MANAGER)
    esc = escalated_to(world, raise_one(world), 5)
    client = signed_in(member)
    assert client.get(f"/escalations/{esc.reference}/").status_code == 200
    assert client.get(f"/escalations/{esc.reference}/decide/").status_code == 404
    with pytest.raises(services.ActionError):
        services.escalation_record_contact(
            actor=Actor.of(member),
            today=timekeeping.today(),
            escalation=esc,
            version=esc.version,
            occurred_on=D(2026, 3, 9),
            method="meeting",
            contact_by="x",
            contact_with="y",
            summary="s",
            agreed="a",
            decision_makers="",
        )


def test_panel_members_of_another_partnership_see_nothing() -> None:
    world = make_world("sunderland-sab")
    esc = escalated_to(world, raise_one(world), 4)
    other = make_world("sunderland-sab", slug="elsewhere")
    member = _panel_member(other, "c", Level.SENIOR_MANAGER)
    assert not selectors.escalation_visible_to(member).filter(pk=esc.pk).exists()


def test_excluded_member_reaches_no_page_of_the_case_they_were_in() -> None:
    """Sunderland: nobody involved in the case may sit on it. Every page that takes an
    escalation's reference answers 404 to the involved member, as if the case did not exist,
    while the uninvolved member reads it."""
    from django.urls import reverse

    from escalate.web.routes import ROUTES, iter_routes

    world = make_world("sunderland-sab")
    member = _panel_member(world, "c", Level.SENIOR_MANAGER)
    esc = raise_one(world)
    # the member received the case's contact at stage 1: involved
    esc.receiving_person = world.people[("c", Level.SENIOR_MANAGER)]
    esc.save(update_fields=["receiving_person"])
    esc = escalated_to(world, esc, 4)
    other = _panel_member(world, "c", Level.ASSISTANT_DIRECTOR)
    routes = [
        r for r in iter_routes() if r.key in ROUTES and "<str:reference>" in r.pattern and r.name
    ]
    assert len(routes) >= 10
    involved, uninvolved = signed_in(member), signed_in(other)
    for route in routes:
        kwargs: dict[str, object] = {"reference": esc.reference}
        # Any other part of the URL (an entry, a panel, a form...): the escalation answers first.
        for converter, name in re.findall(r"<(\w+):(\w+)>", route.pattern):
            if name != "reference":
                kwargs[name] = 1 if converter == "int" else "x"
        url = reverse(route.name or "", kwargs=kwargs)
        assert involved.get(url).status_code == 404, url
        assert involved.post(url, {}).status_code in (404, 405), url
    assert uninvolved.get(f"/escalations/{esc.reference}/").status_code == 200
