"""What each stage offers is what the procedure allows there.

- Record what happened offers only the events of the current stage; another is refused.
- A duty tied to the resolution is neither offered nor accepted before it.
- The business unit is never a party: it raises nothing, and its "awaiting" list holds only
  what it can act on (the stages it records for a chair or panel).
- The top stage's outcome is recorded by the business unit, never by the parties' own
  representatives.
"""

from __future__ import annotations

import datetime as dt

import pytest

from escalate import timekeeping
from escalate.cases import access, services
from escalate.cases.actors import Actor
from escalate.cases.models import EntryKind
from escalate.cases.rules import procedure_of
from escalate.procedures.schema import Level
from tests.cases.conftest import escalated_to, highest, make_world, new_escalation, raise_one
from tests.support import date_fields, signed_in

D = dt.date


@pytest.mark.django_db
def test_the_chair_notified_event_is_offered_only_at_the_chair_stage() -> None:
    world = make_world("north-east-lincolnshire")
    esc = raise_one(world)
    client = signed_in(world.user("a", Level.PRACTITIONER))
    page = client.get(f"/escalations/{esc.reference}/").content.decode()
    assert "Record a meeting held, review or notification" not in page
    form = client.get(f"/escalations/{esc.reference}/event/").content.decode()
    assert "chair-notified" not in form
    posted = client.post(
        f"/escalations/{esc.reference}/event/",
        {"version": esc.version, "event": "chair-notified", **date_fields("on", D(2026, 3, 3))},
    )
    assert posted.status_code == 200
    assert "There is a problem" in posted.content.decode()
    assert not esc.entries.filter(kind=EntryKind.EVENT).exists()
    with pytest.raises(services.ActionError, match="not recorded at stage 1"):
        services.escalation_record_event(
            actor=Actor.of(world.user("a", Level.PRACTITIONER)),
            today=timekeeping.today(),
            escalation=esc,
            version=esc.version,
            on=D(2026, 3, 3),
            event="chair-notified",
        )
    esc = escalated_to(world, esc, 5)
    form = signed_in(world.bu_user).get(f"/escalations/{esc.reference}/event/").content.decode()
    assert "chair-notified" in form


@pytest.mark.django_db
def test_the_monitoring_form_is_sent_only_once_resolved() -> None:
    world = make_world("north-somerset-sab")
    esc = escalated_to(world, raise_one(world), 3)
    manager = world.user("a", Level.SENIOR_MANAGER)
    client = signed_in(manager)
    form = client.get(f"/escalations/{esc.reference}/duty/").content.decode()
    assert 'value="send-monitoring-form"' not in form
    assert 'value="complete-monitoring-form"' in form
    with pytest.raises(services.ActionError, match="once the escalation is resolved"):
        services.escalation_meet_obligation(
            actor=Actor.of(manager),
            today=timekeeping.today(),
            escalation=esc,
            version=esc.version,
            on=D(2026, 3, 4),
            obligation="send-monitoring-form",
        )
    esc = services.escalation_resolve(
        actor=Actor.of(manager),
        today=timekeeping.today(),
        escalation=esc,
        version=esc.version,
        on=D(2026, 3, 4),
        outcome="Agreed",
    )
    form = client.get(f"/escalations/{esc.reference}/duty/").content.decode()
    assert 'value="send-monitoring-form"' in form
    response = client.post(
        f"/escalations/{esc.reference}/duty/",
        {
            "version": esc.version,
            "obligation": "send-monitoring-form",
            **date_fields("on", D(2026, 3, 5)),
        },
    )
    assert response.status_code == 302
    assert esc.entries.filter(obligation="send-monitoring-form").count() == 1


@pytest.mark.django_db
def test_the_business_unit_raises_nothing() -> None:
    world = make_world("redbridge-sab")
    client = signed_in(world.bu_user)
    assert "Raise a concern" not in client.get("/").content.decode()
    assert client.get("/raise/").status_code == 404
    assert client.get("/raise/immediate-risk/").status_code == 404
    with pytest.raises(services.ActionError) as caught:
        services.escalation_raise(
            actor=Actor.of(world.bu_user), today=timekeeping.today(), data=new_escalation(world)
        )
    assert caught.value.message == services.NOT_A_PARTY
    practitioner = signed_in(world.user("a", Level.PRACTITIONER))
    assert "Raise a concern" in practitioner.get("/").content.decode()


@pytest.mark.django_db
def test_the_business_unit_awaits_only_what_it_records() -> None:
    world = make_world("north-somerset-sab")
    low = raise_one(world, subject_reference="PID-LOW")
    top = escalated_to(world, raise_one(world, subject_reference="PID-TOP"), 5)
    page = signed_in(world.bu_user).get("/escalations/?view=awaiting").content.decode()
    assert top.reference in page
    assert low.reference not in page
    procedure = procedure_of(low)
    assert world.business_unit is not None
    assert access.stages_held(world.business_unit, procedure) == [5]


@pytest.mark.django_db
def test_the_top_outcome_is_recorded_by_the_business_unit_only() -> None:
    """South Gloucestershire's stage 4 is held by board representatives and a panel whose
    decision binds the parties: their own representatives do not record it."""
    world = make_world("south-gloucestershire-cp")
    esc = escalated_to(world, raise_one(world), 4)
    for agency in ("a", "b"):
        rep = signed_in(highest(world, agency))
        page = rep.get(f"/escalations/{esc.reference}/").content.decode()
        assert "Record the decision" not in page
        assert f'href="/escalations/{esc.reference}/resolve/"' not in page
        for action in ("decide", "resolve"):
            assert rep.get(f"/escalations/{esc.reference}/{action}/").status_code == 404
        with pytest.raises(services.ActionError):
            services.escalation_decide(
                actor=Actor.of(highest(world, agency)),
                today=timekeeping.today(),
                escalation=esc,
                version=esc.version,
                on=D(2026, 3, 5),
                decision="Ours",
            )
    bu = signed_in(world.bu_user)
    assert "Record the decision" in bu.get(f"/escalations/{esc.reference}/").content.decode()
    # The old address leads to the outcome page, where the procedure's panel rule is checked.
    response = bu.post(f"/escalations/{esc.reference}/decide/", {})
    assert (response.status_code, response["Location"]) == (
        302,
        f"/escalations/{esc.reference}/outcome/",
    )
    services.escalation_decide(
        actor=Actor.of(world.bu_user),
        today=timekeeping.today(),
        escalation=esc,
        version=esc.version,
        on=D(2026, 3, 5),
        decision="Panel decided",
    )
    esc.refresh_from_db()
    assert (esc.status, esc.outcome) == ("decided", "Panel decided")
