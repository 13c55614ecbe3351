"""Fixtures for the shared record: a partnership per procedure, people at every level."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import pytest

from escalate import timekeeping
from escalate.accounts.models import User
from escalate.cases import services
from escalate.cases.actors import Actor
from escalate.cases.models import Escalation
from escalate.cases.rules import registry
from escalate.directory.models import LEVEL_LABELS, Agency, Partnership, Person, StageContact
from escalate.procedures.schema import Level

PROCEDURE_IDS = registry().ids()
LEVELS = list(LEVEL_LABELS)


@dataclass
class World:
    partnership: Partnership
    a: Agency  # raising
    b: Agency  # receiving
    c: Agency  # not involved
    people: dict[tuple[str, Level], Person] = field(default_factory=dict)
    business_unit: Person | None = None

    def user(self, agency: str, level: Level) -> User:
        user = self.people[(agency, level)].user
        assert user is not None
        return user

    @property
    def bu_user(self) -> User:
        assert self.business_unit is not None and self.business_unit.user is not None
        return self.business_unit.user


def make_world(procedure_id: str, slug: str | None = None) -> World:
    proc = registry().get(procedure_id)
    slug = slug or procedure_id
    p = Partnership.objects.create(
        slug=slug,
        name=f"{slug} partnership",
        short_name=slug[:10],
        procedure_id=proc.id,
        procedure_version=proc.version,
    )
    a = Agency.objects.create(
        partnership=p, name=f"{slug} council", agency_type="local-authority-adults"
    )
    b = Agency.objects.create(partnership=p, name=f"{slug} health", agency_type="secondary-health")
    c = Agency.objects.create(partnership=p, name=f"{slug} police", agency_type="police")
    world = World(p, a, b, c)
    for key, agency in (("a", a), ("b", b), ("c", c)):
        for level in LEVELS:
            username = f"{slug}-{key}-{level.value}"
            user = User.objects.create_user(
                username=username, email=f"{username}@test.invalid", password="x"
            )
            world.people[(key, level)] = Person.objects.create(
                agency=agency,
                name=f"{key} {level.value}",
                job_title=level.value,
                level=level.value,
                user=user,
            )
    for number in range(1, proc.top + 1):
        StageContact.objects.create(
            agency=b,
            stage=number,
            role=f"Stage {number} lead",
            person=world.people[("b", Level.SENIOR_MANAGER)],
        )
    bu_user = User.objects.create_user(
        username=f"{slug}-bu", email=f"{slug}-bu@test.invalid", password="x"
    )
    world.business_unit = Person.objects.create(
        agency=c,
        name="Business manager",
        job_title="Business manager",
        level=Level.BOARD_REPRESENTATIVE.value,
        is_business_unit=True,
        user=bu_user,
    )
    return world


def new_escalation(world: World, **overrides: object) -> services.NewEscalation:
    proc = registry().get(world.partnership.procedure_id)
    values: dict[str, object] = {
        "subject_kind": "adult",
        "subject_name": "",
        "subject_reference_kind": "pid",
        "subject_reference": "PID-1",
        "category": proc.categories[0].id,
        "source": "referral",
        "source_detail": "",
        "receiving_agency_id": world.b.pk,
        "receiving_practitioner": "",
        "issue": "The issue",
        "risk": "The risk",
        "aim": "The aim",
        "outset_on": dt.date(2026, 3, 2),
    }
    values.update(overrides)
    return services.NewEscalation(**values)  # type: ignore[arg-type]


def raise_one(world: World, on: dt.date = dt.date(2026, 3, 2), **overrides: object) -> Escalation:
    return services.escalation_raise(
        actor=Actor.of(world.user("a", Level.PRACTITIONER)),
        data=new_escalation(world, **overrides),
        today=on,
    )


def highest(world: World, agency: str = "a") -> User:
    return world.user(agency, Level.BOARD_REPRESENTATIVE)


@pytest.fixture
def world(db: None) -> World:
    return make_world("north-east-lincolnshire")


def escalated_to(world: World, esc: Escalation, stage: int) -> Escalation:
    """Escalate ``esc`` (by the raising agency's highest level) a day at a time to ``stage``."""
    day = esc.outset_on
    while esc.current_stage < stage:
        day += dt.timedelta(days=1)
        esc = services.escalation_escalate(
            actor=Actor.of(highest(world)),
            today=timekeeping.today(),
            escalation=esc,
            version=esc.version,
            on=day,
            reason="No",
        )
    return esc
