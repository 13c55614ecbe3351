"""Starting for immediate risk sets a protective due date for the stage it starts at: the same
working day by default, later only with a reason and never past the stage's ordinary timescale,
asked on its own page of the raise journey, for every procedure."""

from __future__ import annotations

import pytest
from django.test import Client

from escalate import timekeeping
from escalate.cases.models import EntryKind, Escalation
from escalate.cases.rules import registry
from escalate.procedures import lifecycle as lc
from escalate.procedures.schema import Level
from tests.cases.conftest import PROCEDURE_IDS, World, make_world
from tests.support import date_fields, signed_in

pytestmark = pytest.mark.django_db


def answer_up_to_due(client: Client, world: World, procedure_id: str) -> None:
    proc = registry().get(procedure_id)
    kind = "child" if proc.protects.value == "children" else "adult"
    steps = [
        ("immediate-risk", {"immediate_risk": "yes"}),
        (
            "start-stage",
            {"route_taken": "Called 999 at 10:00", "start_stage": "2", "reason": "Unsafe tonight"},
        ),
        (
            "about",
            {"subject_kind": kind, "subject_reference_kind": "pid", "subject_reference": "PID-7"},
        ),
        ("agency", {"receiving_agency": str(world.b.pk)}),
        ("category", {"category": proc.categories[0].id}),
        ("source", {"source": "referral"}),
        ("disagreement", {"issue": "Closed", "risk": "Harm tonight", "aim": "Reopen"}),
        ("identified", date_fields("outset_on", timekeeping.today())),
    ]
    for step, data in steps:
        response = client.post(f"/raise/{step}/", data)
        assert response.status_code == 302, (step, response.content.decode()[:2000])
    assert response["Location"] == "/raise/due/"


@pytest.mark.parametrize("procedure_id", PROCEDURE_IDS)
def test_immediate_risk_is_due_the_same_working_day(procedure_id: str) -> None:
    world = make_world(procedure_id)
    client = signed_in(world.user("a", Level.PRACTITIONER))
    answer_up_to_due(client, world, procedure_id)
    today = timekeeping.today()
    page = client.get("/raise/due/").content.decode()
    assert "immediate risk of significant harm" in page
    assert f'value="{today.day}"' in page  # today is the default
    later = world.partnership.calendar().add_working_days(today, 1)
    refused = client.post("/raise/due/", date_fields("due_on", later))
    assert refused.status_code == 200
    assert lc.LATER_DUE_NEEDS_REASON in refused.content.decode()
    assert client.post("/raise/due/", date_fields("due_on", today)).status_code == 302
    check = client.get("/raise/check/").content.decode()
    assert "Stage 2 to act by" in check
    done = client.post("/raise/check/")
    assert done.status_code == 302
    esc = Escalation.objects.get(reference=done["Location"].split("/")[2])
    same_day = world.partnership.calendar().add_working_days(today, 0)
    assert (esc.current_stage, esc.current_due_on) == (2, same_day)
    entry = esc.entries.get(kind=EntryKind.PROTECTIVE)
    assert (entry.due_on, entry.text) == (same_day, lc.IMMEDIATE_RISK_SAME_DAY)


def test_a_later_date_with_a_reason_within_the_ordinary_timescale() -> None:
    world = make_world("north-east-lincolnshire")
    client = signed_in(world.user("a", Level.PRACTITIONER))
    answer_up_to_due(client, world, "north-east-lincolnshire")
    calendar = world.partnership.calendar()
    today = timekeeping.today()
    too_late = calendar.add_working_days(today, 9)  # stage 2 is O + 8
    response = client.post(
        "/raise/due/", {**date_fields("due_on", too_late), "due_reason": "Plan in place"}
    )
    assert response.status_code == 200
    assert "cannot be later than the stage&#x27;s ordinary due date" in response.content.decode()
    later = calendar.add_working_days(today, 2)
    response = client.post(
        "/raise/due/", {**date_fields("due_on", later), "due_reason": "Plan in place"}
    )
    assert response.status_code == 302
    done = client.post("/raise/check/")
    esc = Escalation.objects.get(reference=done["Location"].split("/")[2])
    assert esc.current_due_on == later
    assert esc.entries.get(kind=EntryKind.PROTECTIVE).text == "Plan in place"


def test_no_due_step_without_immediate_risk() -> None:
    world = make_world("redbridge-sab")
    client = signed_in(world.user("a", Level.PRACTITIONER))
    client.post("/raise/immediate-risk/", {"immediate_risk": "no"})
    assert client.get("/raise/due/")["Location"] == "/raise/immediate-risk/"
