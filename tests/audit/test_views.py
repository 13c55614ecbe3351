"""The two pages: an escalation's trail (its business unit only) and who viewed our cases."""

from __future__ import annotations

import re

import pytest
from django.test import Client

from escalate import timekeeping
from escalate.accounts.models import User
from escalate.audit.models import AuditAction, AuditEntry, AuditResult
from escalate.audit.services import audit_record
from escalate.cases import services
from escalate.cases.actors import Actor
from escalate.cases.models import Escalation
from escalate.procedures.schema import Level
from tests.cases.conftest import World, new_escalation, raise_one
from tests.support import signed_in

pytestmark = pytest.mark.django_db


def viewed(world: World, esc: Escalation, user: User, ip: str = "192.0.2.5") -> AuditEntry:
    return audit_record(
        actor=user,
        action=AuditAction.ESCALATION_VIEWED,
        object_type="escalation",
        object_ref=esc.reference,
        partnership_id=esc.partnership_id,
        ip=ip,
    )


def trail_url(esc: Escalation) -> str:
    return f"/audit/escalations/{esc.reference}/"


def last(action: str) -> AuditEntry:
    entry = AuditEntry.objects.filter(action=action).order_by("-sequence").first()
    assert entry is not None, f"no {action} entry"
    return entry


# -- one escalation's trail --------------------------------------------------------------


def test_the_business_unit_sees_an_escalations_trail(world: World) -> None:
    esc = raise_one(world)
    viewer = world.user("b", Level.LINE_MANAGER)
    viewed(world, esc, viewer, ip="198.51.100.23")
    audit_record(
        actor=world.user("a", Level.PRACTITIONER),
        action=AuditAction.ESCALATION_CHANGED,
        object_type="escalation",
        object_ref=esc.reference,
        partnership_id=esc.partnership_id,
        detail={"service": "escalation_escalate", "stage": 2},
    )
    response = signed_in(world.bu_user).get(trail_url(esc))
    assert response.status_code == 200
    page = response.content.decode()
    assert f"Audit trail of {esc.reference} - Escalate</title>" in page
    assert viewer.username in page
    assert world.b.name in page
    assert "198.51.100.23" in page
    assert "Viewed the escalation" in page
    assert "service: escalation_escalate; stage: 2" in page
    assert "Viewed the audit trail" not in page  # this view is recorded after it is read
    seen = last(AuditAction.AUDIT_VIEWED)
    assert (seen.actor_id, seen.object_ref, seen.partnership_id) == (
        world.bu_user.pk,
        esc.reference,
        world.partnership.pk,
    )


def test_the_trail_accepts_a_lower_case_reference(world: World) -> None:
    esc = raise_one(world)
    response = signed_in(world.bu_user).get(f"/audit/escalations/{esc.reference.lower()}/")
    assert response.status_code == 200


@pytest.mark.parametrize(
    ("agency", "level"),
    [("a", Level.PRACTITIONER), ("b", Level.BOARD_REPRESENTATIVE), ("c", Level.PRACTITIONER)],
)
def test_anyone_but_the_business_unit_gets_404_and_is_recorded(
    world: World, agency: str, level: Level
) -> None:
    esc = raise_one(world)
    user = world.user(agency, level)
    response = signed_in(user).get(trail_url(esc))
    assert response.status_code == 404
    refused = last(AuditAction.ACCESS_DENIED)
    assert refused.result == AuditResult.REFUSED
    assert refused.actor_id == user.pk
    assert refused.object_ref == esc.reference
    # Every entry about an escalation carries its partnership, whether or not the viewer
    # may see the escalation itself, so that its business unit's trail shows the refusal.
    assert refused.partnership_id == world.partnership.pk
    assert not AuditEntry.objects.filter(action=AuditAction.AUDIT_VIEWED).exists()


def test_another_partnerships_business_unit_gets_404(world: World, other_world: World) -> None:
    esc = raise_one(world)
    assert signed_in(other_world.bu_user).get(trail_url(esc)).status_code == 404
    assert last(AuditAction.ACCESS_DENIED).partnership_id == world.partnership.pk


def test_a_user_outside_the_directory_gets_404(world: World) -> None:
    esc = raise_one(world)
    admin = User.objects.create_user(
        username="admin", email="admin@test.invalid", password="x", is_staff=True
    )
    assert signed_in(admin).get(trail_url(esc)).status_code == 404


def test_an_unknown_reference_is_404_and_typed_text_is_not_recorded(world: World) -> None:
    bu = signed_in(world.bu_user)
    assert bu.get("/audit/escalations/ESC-0000-0000/").status_code == 404
    assert last(AuditAction.ACCESS_DENIED).object_ref == "ESC-0000-0000"
    assert bu.get("/audit/escalations/Jane%20Smith/").status_code == 404
    assert last(AuditAction.ACCESS_DENIED).object_ref == ""


def test_signed_out_visitors_are_sent_to_sign_in(world: World) -> None:
    esc = raise_one(world)
    for url in (trail_url(esc), "/audit/views-of-our-cases/"):
        response = Client().get(url)
        assert response.status_code == 302
        assert "/account/sign-in/" in response["Location"]


def test_the_trail_pages_and_refuses_post(world: World) -> None:
    esc = raise_one(world)
    user = world.user("b", Level.PRACTITIONER)
    for _ in range(60):
        viewed(world, esc, user)
    bu = signed_in(world.bu_user)
    first = bu.get(trail_url(esc))
    assert first.status_code == 200
    assert 'rel="next"' in first.content.decode()
    second = bu.get(trail_url(esc) + "?page=2")
    assert 'rel="prev"' in second.content.decode()
    assert bu.post(trail_url(esc)).status_code == 405


def test_the_trail_shows_only_its_own_escalation(world: World) -> None:
    esc, other = raise_one(world), raise_one(world)
    viewed(world, other, world.user("c", Level.SENIOR_MANAGER))
    page = signed_in(world.bu_user).get(trail_url(esc)).content.decode()
    assert world.user("c", Level.SENIOR_MANAGER).username not in page


# -- who has viewed our agency's escalations ---------------------------------------------


def test_views_of_our_cases_lists_only_our_agencys_escalations(
    world: World, other_world: World
) -> None:
    a_and_b = raise_one(world)  # a raised it with b
    b_and_c = services.escalation_raise(
        actor=Actor.of(world.user("b", Level.PRACTITIONER)),
        today=timekeeping.today(),
        data=new_escalation(world, receiving_agency_id=world.c.pk),
    )
    elsewhere = raise_one(other_world)
    viewed(world, a_and_b, world.user("b", Level.LINE_MANAGER))
    viewed(world, b_and_c, world.user("c", Level.LINE_MANAGER))
    viewed(other_world, elsewhere, other_world.user("a", Level.PRACTITIONER))

    def listed(user: User) -> str:
        response = signed_in(user).get("/audit/views-of-our-cases/")
        assert response.status_code == 200
        return response.content.decode()

    page_a = listed(world.user("a", Level.PRACTITIONER))
    assert a_and_b.reference in page_a
    assert world.user("b", Level.LINE_MANAGER).username in page_a and world.b.name in page_a
    assert b_and_c.reference not in page_a
    assert elsewhere.reference not in page_a

    page_b = listed(world.user("b", Level.PRACTITIONER))
    assert a_and_b.reference in page_b and b_and_c.reference in page_b

    # The business unit sits in agency c: it sees its own agency's cases here, not all.
    page_bu = listed(world.bu_user)
    assert b_and_c.reference in page_bu and a_and_b.reference not in page_bu

    page_other = listed(other_world.user("a", Level.PRACTITIONER))
    assert elsewhere.reference in page_other and a_and_b.reference not in page_other

    seen = last(AuditAction.AUDIT_VIEWED)
    assert seen.object_type == "agency" and seen.object_ref == str(other_world.a.pk)


def test_views_of_our_cases_lists_only_views(world: World) -> None:
    esc = raise_one(world)
    audit_record(
        actor=world.user("c", Level.PRACTITIONER),
        action=AuditAction.ACCESS_DENIED,
        object_type="escalation",
        object_ref=esc.reference,
        partnership_id=esc.partnership_id,
        result=AuditResult.REFUSED,
    )
    page = signed_in(world.user("a", Level.PRACTITIONER)).get("/audit/views-of-our-cases/")
    assert "No one has viewed an escalation involving" in page.content.decode()


def test_views_of_our_cases_needs_a_directory_person(db: None) -> None:
    admin = User.objects.create_user(username="admin", email="admin@test.invalid", password="x")
    assert signed_in(admin).get("/audit/views-of-our-cases/").status_code == 404


# -- refused looks are in the escalation's trail ---------------------------------------------


def _same_page(one: bytes, other: bytes) -> bool:
    """Equal but for the per-response CSRF token and nonce."""
    volatile = re.compile(rb'(name="csrfmiddlewaretoken" value|nonce)="[^"]*"')
    return volatile.sub(b"", one) == volatile.sub(b"", other)


@pytest.mark.parametrize("page", ["", "raised/", "contact/", "view/"])
def test_a_non_partys_refused_look_appears_in_the_business_units_trail(
    world: World, other_world: World, page: str
) -> None:
    """A practitioner whose agency is not party (c), and one from another partnership, try an
    escalation's pages: each gets the same 404 as for a reference that does not exist, and the
    business unit's trail of that escalation shows who was refused and when."""
    esc = raise_one(world)
    outsider = world.user("c", Level.PRACTITIONER)
    stranger = other_world.user("a", Level.PRACTITIONER)
    for user in (outsider, stranger):
        client = signed_in(user)
        refused = client.get(f"/escalations/{esc.reference}/{page}")
        entry = last(AuditAction.ACCESS_DENIED)
        assert (entry.actor_id, entry.object_ref) == (user.pk, esc.reference)
        assert entry.partnership_id == world.partnership.pk
        unknown = client.get(f"/escalations/ESC-0000-0000/{page}")
        assert refused.status_code == unknown.status_code == 404
        assert _same_page(
            refused.content.replace(esc.reference.encode(), b"REF"),
            unknown.content.replace(b"ESC-0000-0000", b"REF"),
        )
    assert last(AuditAction.ACCESS_DENIED).partnership_id is None  # the unknown reference
    trail = signed_in(world.bu_user).get(trail_url(esc)).content.decode()
    for user in (outsider, stranger):
        assert user.username in trail
    assert trail.count("Access refused") == 2
    assert "2 attempts to open or change this escalation were refused or failed" in trail
    assert trail.count('govuk-tag--red">Refused<') == 2
