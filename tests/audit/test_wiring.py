"""Every action in the application produces its audit entry, and no entry carries case content.

Every service that changes an escalation is walked (``CHANGES``, checked against the services
module), and every kind of entry the trail declares (``AuditAction``) is produced once through
the application as a person would (``PRODUCERS``, checked against the enum): a new action, or
a new service, fails here until it is wired and listed.
"""

from __future__ import annotations

import datetime as dt
import inspect
from collections.abc import Callable

import pytest
from django.contrib.auth.signals import user_logged_in, user_login_failed
from django.test import RequestFactory

from escalate import timekeeping
from escalate.accounts.models import User
from escalate.audit.models import AuditAction, AuditEntry, AuditResult, canonical_json
from escalate.cases import services
from escalate.cases.actors import Actor
from escalate.cases.models import Escalation
from escalate.procedures.schema import Level
from tests.cases.conftest import World, highest, make_world, raise_one
from tests.support import signed_in

pytestmark = pytest.mark.django_db
D = dt.date
PLAIN = Level.PRACTITIONER


def _contact(world: World, esc: Escalation, user: User) -> Escalation:
    return services.escalation_record_contact(
        actor=Actor.of(user),
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


def _resolved(world: World) -> tuple[User, Escalation]:
    user = world.user("b", PLAIN)
    esc = services.escalation_resolve(
        actor=Actor.of(user),
        today=timekeeping.today(),
        escalation=raise_one(world),
        version=1,
        on=D(2026, 3, 3),
        outcome="Agreed",
    )
    return user, esc


def _at_top(world: World) -> Escalation:
    esc = raise_one(world)
    day = esc.outset_on
    while True:
        day += dt.timedelta(days=1)
        try:
            esc = services.escalation_escalate(
                actor=Actor.of(highest(world)),
                today=timekeeping.today(),
                escalation=esc,
                version=esc.version,
                on=day,
                reason="No",
            )
        except services.ActionError:
            return esc


def call_record_contact(world: World) -> tuple[User, Escalation]:
    user = world.user("b", PLAIN)
    return user, _contact(world, raise_one(world), user)


def call_escalate(world: World) -> tuple[User, Escalation]:
    user = highest(world)
    esc = services.escalation_escalate(
        actor=Actor.of(user),
        today=timekeeping.today(),
        escalation=raise_one(world),
        version=1,
        on=D(2026, 3, 3),
        reason="Not agreed",
    )
    return user, esc


def call_resolve(world: World) -> tuple[User, Escalation]:
    return _resolved(world)


def call_confirm(world: World) -> tuple[User, Escalation]:
    user, esc = _resolved(world)
    esc = services.escalation_confirm(
        actor=Actor.of(user),
        today=timekeeping.today(),
        escalation=esc,
        version=esc.version,
        on=D(2026, 3, 4),
        confirmed_by="B to A",
    )
    return user, esc


def call_withdraw(world: World) -> tuple[User, Escalation]:
    user = world.user("a", PLAIN)
    esc = services.escalation_withdraw(
        actor=Actor.of(user),
        today=timekeeping.today(),
        escalation=raise_one(world),
        version=1,
        on=D(2026, 3, 3),
        reason="In error",
    )
    return user, esc


def call_decide(world: World) -> tuple[User, Escalation]:
    esc = _at_top(world)
    esc = services.escalation_decide(
        actor=Actor.of(world.bu_user),
        today=timekeeping.today(),
        escalation=esc,
        version=esc.version,
        on=D(2026, 3, 20),
        decision="X",
    )
    return world.bu_user, esc


def call_record_view(world: World) -> tuple[User, Escalation]:
    user = world.user("b", PLAIN)
    esc = services.escalation_record_view(
        actor=Actor.of(user),
        today=timekeeping.today(),
        escalation=raise_one(world),
        version=1,
        view="Our view",
    )
    return user, esc


def call_correct(world: World) -> tuple[User, Escalation]:
    user = world.user("b", PLAIN)
    esc = services.entry_correct(
        actor=Actor.of(user),
        today=timekeeping.today(),
        escalation=raise_one(world),
        version=1,
        sequence=1,
        text="Corrected",
    )
    return user, esc


def call_bring_forward(world: World) -> tuple[User, Escalation]:
    redbridge = make_world("redbridge-sab")
    user = redbridge.user("a", PLAIN)
    esc = raise_one(redbridge, on=timekeeping.today(), outset_on=timekeeping.today())
    esc = services.escalation_bring_forward(
        actor=Actor.of(user),
        today=timekeeping.today(),
        escalation=esc,
        version=esc.version,
        due_on=timekeeping.today(),
        reason="Soon",
    )
    return user, esc


def call_record_event(world: World) -> tuple[User, Escalation]:
    redbridge = make_world("redbridge-sab")
    user = redbridge.user("a", PLAIN)
    esc = services.escalation_record_event(
        actor=Actor.of(user),
        today=timekeeping.today(),
        escalation=raise_one(redbridge),
        version=1,
        on=D(2026, 3, 3),
        event="matter-raised",
    )
    return user, esc


def call_meet_obligation(world: World) -> tuple[User, Escalation]:
    redbridge = make_world("redbridge-sab")
    user = redbridge.user("a", PLAIN)
    esc = services.escalation_meet_obligation(
        actor=Actor.of(user),
        today=timekeeping.today(),
        escalation=raise_one(redbridge),
        version=1,
        on=D(2026, 3, 3),
        obligation="raise-matter",
    )
    return user, esc


#: Every service that changes an existing escalation, and how to call it once.
CHANGES: dict[str, Callable[[World], tuple[User, Escalation]]] = {
    "escalation_record_contact": call_record_contact,
    "escalation_escalate": call_escalate,
    "escalation_resolve": call_resolve,
    "escalation_confirm": call_confirm,
    "escalation_withdraw": call_withdraw,
    "escalation_decide": call_decide,
    "escalation_record_view": call_record_view,
    "entry_correct": call_correct,
    "escalation_bring_forward": call_bring_forward,
    "escalation_record_event": call_record_event,
    "escalation_meet_obligation": call_meet_obligation,
}


def entries_for(esc: Escalation, action: str) -> list[AuditEntry]:
    return list(AuditEntry.objects.filter(action=action, object_ref=esc.reference))


def test_every_change_service_is_listed_here() -> None:
    """A new service that changes escalations must be added to CHANGES (and audited)."""
    public = {
        name
        for name, fn in inspect.getmembers(services, inspect.isfunction)
        if fn.__module__ == services.__name__
        and (name.startswith("escalation_") or name.startswith("entry_"))
    }
    assert public - {"escalation_raise"} == set(CHANGES)


@pytest.mark.parametrize("service", list(CHANGES))
def test_each_change_call_here_works(world: World, service: str) -> None:
    """So that the pending tests below fail only for want of an audit entry."""
    user, esc = CHANGES[service](world)
    assert user.pk is not None and esc.version > 1


def test_raising_writes_escalation_raised(world: World) -> None:
    esc = raise_one(world)
    (entry,) = entries_for(esc, AuditAction.ESCALATION_RAISED)
    assert entry.actor_id == world.user("a", PLAIN).pk
    assert entry.partnership_id == world.partnership.pk
    assert entry.object_type == "escalation"
    assert entry.detail["service"] == "escalation_raise"


@pytest.mark.parametrize("service", list(CHANGES))
def test_each_change_writes_escalation_changed_naming_its_service(
    world: World, service: str
) -> None:
    user, esc = CHANGES[service](world)
    entry = entries_for(esc, AuditAction.ESCALATION_CHANGED)[-1]
    assert entry.detail["service"] == service
    assert (entry.actor_id, entry.result) == (user.pk, AuditResult.SUCCESS)
    assert entry.partnership_id == esc.partnership_id


def test_a_refused_change_is_recorded_as_refused(world: World) -> None:
    esc = raise_one(world)
    outsider = world.user("c", Level.BOARD_REPRESENTATIVE)
    with pytest.raises(services.ActionError):
        _contact(world, esc, outsider)
    entry = entries_for(esc, AuditAction.ESCALATION_CHANGED)[-1]
    assert (entry.actor_id, entry.result) == (outsider.pk, AuditResult.REFUSED)
    assert entry.detail["service"] == "escalation_record_contact"


def test_a_concurrent_change_is_recorded_as_failed(world: World) -> None:
    esc = raise_one(world)
    services.escalation_escalate(
        actor=Actor.of(highest(world)),
        today=timekeeping.today(),
        escalation=esc,
        version=1,
        on=D(2026, 3, 3),
        reason="x",
    )
    with pytest.raises(services.ConcurrentChangeError):
        services.escalation_escalate(
            actor=Actor.of(highest(world, "b")),
            today=timekeeping.today(),
            escalation=esc,
            version=1,
            on=D(2026, 3, 3),
            reason="y",
        )
    entry = entries_for(esc, AuditAction.ESCALATION_CHANGED)[-1]
    assert (entry.actor_id, entry.result) == (highest(world, "b").pk, AuditResult.FAILED)


def test_opening_an_escalation_writes_escalation_viewed(world: World) -> None:
    esc = raise_one(world)
    user = world.user("b", PLAIN)
    response = signed_in(user).get(f"/escalations/{esc.reference}/", REMOTE_ADDR="192.0.2.44")
    assert response.status_code == 200
    (entry,) = entries_for(esc, AuditAction.ESCALATION_VIEWED)
    assert (entry.actor_id, entry.ip) == (user.pk, "192.0.2.44")


def test_a_refused_escalation_page_writes_access_denied(world: World) -> None:
    esc = raise_one(world)
    outsider = make_world("north-east-lincolnshire", slug="outside").user("a", PLAIN)
    assert signed_in(outsider).get(f"/escalations/{esc.reference}/").status_code == 404
    (entry,) = entries_for(esc, AuditAction.ACCESS_DENIED)
    assert (entry.actor_id, entry.result) == (outsider.pk, AuditResult.REFUSED)


def test_listing_writes_list_searched_without_the_typed_text(world: World) -> None:
    user = world.user("a", PLAIN)
    response = signed_in(user).get("/escalations/", {"reference": "Jane Smith", "status": "open"})
    assert response.status_code == 200
    entry = AuditEntry.objects.filter(action=AuditAction.LIST_SEARCHED).last()
    assert entry is not None and entry.actor_id == user.pk
    assert "Jane" not in canonical_json(entry.hash_payload()).decode()


def test_sign_in_signals_are_connected(world: World) -> None:
    user = world.user("a", PLAIN)
    request = RequestFactory().post("/account/sign-in/", REMOTE_ADDR="192.0.2.8")
    user_logged_in.send(sender=User, request=request, user=user)
    user_login_failed.send(sender=__name__, credentials={"username": user.username})
    actions = list(AuditEntry.objects.values_list("action", flat=True))
    assert actions[-2:] == [AuditAction.SIGN_IN, AuditAction.SIGN_IN_FAILED]


def test_no_entry_carries_case_content(world: World) -> None:
    secrets = ["Zebedee Quirk", "PID-98765", "Zebedee's issue", "Quirk risk", "Quirk aim"]
    esc = raise_one(
        world,
        subject_name=secrets[0],
        subject_reference=secrets[1],
        issue=secrets[2],
        risk=secrets[3],
        aim=secrets[4],
    )
    esc = _contact(world, esc, world.user("b", PLAIN))
    signed_in(world.user("b", PLAIN)).get(f"/escalations/{esc.reference}/")
    signed_in(world.user("b", PLAIN)).get("/escalations/", {"reference": secrets[1]})
    entries = list(AuditEntry.objects.all())
    assert {e.action for e in entries} >= {
        AuditAction.ESCALATION_RAISED,
        AuditAction.ESCALATION_CHANGED,
        AuditAction.ESCALATION_VIEWED,
        AuditAction.LIST_SEARCHED,
    }
    text = "\n".join(canonical_json(e.hash_payload()).decode() for e in entries)
    for secret in (*secrets, "Discussed", "B practitioner"):
        assert secret not in text


# -- data protection ------------------------------------------------------------------------


def test_retention_writes_retention_applied_and_keeps_the_trail(world: World) -> None:
    from escalate.audit.chain import verify_chain
    from escalate.cases.protection import retention_apply

    _, esc = call_withdraw(world)
    retention_apply(today=D(2040, 1, 1))
    assert not Escalation.objects.filter(pk=esc.pk).exists()
    (entry,) = entries_for(esc, AuditAction.RETENTION_APPLIED)
    assert entry.partnership_id == world.partnership.pk
    assert (entry.actor_id, entry.detail["actor"]) == (None, "system:retention")
    assert verify_chain().ok
