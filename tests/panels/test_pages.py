"""The panel pages: convening and composing a panel, refused compositions shown at the field,
the outcome and the responses, who may reach each page (404 for anyone else), hostile input
and a query count that does not grow."""

from __future__ import annotations

import datetime as dt
import html

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from escalate.cases.models import Escalation, Status
from escalate.directory.models import PanelSeat
from escalate.notifications.models import Kind, Notification
from escalate.panels import services
from escalate.panels.models import Panel, Recommendation, RecommendationResponse
from escalate.procedures.schema import Level
from tests.cases.conftest import World, escalated_to, make_world, raise_one
from tests.panels.support import SITS_ON, TODAY, at_top, bu, convened, person, seat
from tests.support import date_fields, signed_in

pytestmark = pytest.mark.django_db
D = dt.date


def page(esc: Escalation, rest: str = "") -> str:
    return f"/escalations/{esc.reference}/{rest}"


def text(response: object) -> str:
    return html.unescape(response.content.decode())  # type: ignore[attr-defined]


def test_the_business_unit_convenes_composes_and_records_the_decision() -> None:
    world, esc = at_top("north-somerset-sab")
    seats = [seat(person(world, k), "resolution-panel") for k in "abc"]
    client = signed_in(world.bu_user)
    detail = text(client.get(page(esc)))
    assert f'href="{page(esc, "panels/")}"' in detail
    assert f'href="{page(esc, "outcome/")}">Record the decision' in detail

    body = text(client.get(page(esc, "panels/")))
    assert "Panels and the top stage's outcome" in body
    assert "At least 3 statutory members, each from a different statutory agency." in body
    assert "No panel has been convened on this escalation." in body
    assert client.get(page(esc, "panels/convene/")).status_code == 200
    convene = {"kind": "resolution-panel", **date_fields("sits_on", SITS_ON)}
    done = client.post(page(esc, "panels/convene/"), convene)
    panel = Panel.objects.get(escalation=esc)
    assert done["Location"] == page(esc, f"panels/{panel.pk}/members/")

    members = page(esc, f"panels/{panel.pk}/members/")
    form = text(client.get(members))
    assert "a senior-manager, senior-manager, for north-somerset-sab council" in form
    refused = client.post(
        members,
        {
            "version": panel.version,
            **date_fields("sits_on", SITS_ON),
            "members": [seats[0].pk, seats[1].pk],
            "chair": seats[0].pk,
        },
    )
    assert refused.status_code == 200
    shown = text(refused)
    message = "The NSSAB mediation panel needs at least 3 members: 2 chosen"
    assert f'<span class="govuk-visually-hidden">Error:</span> {message}' in shown
    assert 'href="#id_members"' in shown  # the error summary links to the field
    assert "statutory members, each from a different statutory agency: 2 chosen" in shown
    assert not panel.members.exists()

    saved = client.post(
        members,
        {
            "version": panel.version,
            **date_fields("sits_on", SITS_ON),
            "members": [s.pk for s in seats],
            "chair": seats[2].pk,
        },
    )
    assert saved["Location"] == page(esc, "panels/")
    assert "Meets the procedure's rule" in text(client.get(page(esc, "panels/")))

    decided = client.post(
        page(esc, "outcome/"),
        {
            "version": esc.version,
            "panel": panel.pk,
            "decision": "The council reopens the case",
            **date_fields("on", D(2026, 3, 20)),
        },
    )
    assert decided["Location"] == page(esc, "panels/")
    esc.refresh_from_db()
    assert (esc.status, esc.outcome) == (Status.DECIDED, "The council reopens the case")
    after = text(client.get(page(esc, "panels/")))
    assert "The council reopens the case" in after
    assert "NSSAB mediation panel, sitting on 20 March 2026" in after
    assert Notification.objects.filter(escalation=esc, kind=Kind.OUTCOME).exists()


def test_sunderland_shows_who_is_involved_and_refuses_them_at_the_field() -> None:
    world, esc = at_top("sunderland-sab", receiving_practitioner="b practitioner")
    panel = convened(world, esc)
    receiver = seat(person(world, "b", Level.PRACTITIONER), "sub-committee")
    free = seat(person(world, "c"), "sub-committee")
    client = signed_in(world.bu_user)
    members = page(esc, f"panels/{panel.pk}/members/")
    form = text(client.get(members))
    assert "Involved in this case (named as the receiving practitioner): cannot sit on it" in form
    refused = text(
        client.post(
            members,
            {
                "version": panel.version,
                **date_fields("sits_on", SITS_ON),
                "members": [free.pk, receiver.pk],
                "chair": free.pk,
            },
        )
    )
    assert (
        "b practitioner is involved in this case, and nobody involved in the case may sit on the "
        "SSAB Quality Assurance sub-committee"
    ) in refused
    assert not panel.members.exists()
    body = text(client.get(page(esc, "panels/")))
    assert "Who is involved in this case" in body
    assert "Named as the receiving practitioner" in body


def test_recommendations_and_responses_through_the_pages() -> None:
    world, esc = at_top("north-east-lincolnshire")
    bu = signed_in(world.bu_user)
    outcome = page(esc, "outcome/")
    form = text(bu.get(outcome))
    assert f"Recommendation to {world.b.name} (optional)" in form
    missing_date = text(
        bu.post(
            outcome,
            {
                "version": esc.version,
                "decision": "Meet within the week",
                **date_fields("on", D(2026, 3, 20)),
                f"recommendation_{world.b.pk}": "Review the discharge",
            },
        )
    )
    assert f"Enter the date {world.b.name} must respond by." in missing_date
    done = bu.post(
        outcome,
        {
            "version": esc.version,
            "decision": "Meet within the week",
            **date_fields("on", D(2026, 3, 20)),
            f"recommendation_{world.b.pk}": "Review the discharge",
            **date_fields(f"due_on_{world.b.pk}", D(2026, 4, 3)),
        },
    )
    assert done.status_code == 302
    rec = Recommendation.objects.get(escalation=esc)
    respond = page(esc, f"recommendations/{rec.pk}/respond/")
    assert signed_in(world.user("a", Level.BOARD_REPRESENTATIVE)).get(respond).status_code == 404
    b_manager = signed_in(world.user("b", Level.LINE_MANAGER))
    body = text(b_manager.get(page(esc, "panels/")))
    assert f"To {world.b.name}, response due by 3 April 2026" in body
    assert f'href="{respond}"' in body
    saved = b_manager.post(
        respond,
        {"answer": "accepted-in-part", "text": "Reviewed", **date_fields("on", D(2026, 3, 30))},
    )
    assert saved.status_code == 302
    assert RecommendationResponse.objects.get().author_agency == world.b.name
    assert "Accepted in part" in text(b_manager.get(page(esc, "panels/")))


# -- who may reach each page -----------------------------------------------------------------


def _decided_with_recommendation(world: World, esc: Escalation) -> Recommendation:
    signed_in(world.bu_user).post(
        page(esc, "outcome/"),
        {
            "version": esc.version,
            "decision": "Done",
            **date_fields("on", D(2026, 3, 20)),
            f"recommendation_{world.b.pk}": "Review",
            **date_fields(f"due_on_{world.b.pk}", D(2026, 4, 3)),
        },
    )
    return Recommendation.objects.get(escalation=esc)


def test_who_reaches_each_page() -> None:
    world, esc = at_top("north-somerset-sab")
    panel = convened(world, esc)
    urls = {
        "page": page(esc, "panels/"),
        "convene": page(esc, "panels/convene/"),
        "members": page(esc, f"panels/{panel.pk}/members/"),
        "outcome": page(esc, "outcome/"),
    }
    party = signed_in(world.user("a", Level.BOARD_REPRESENTATIVE))
    outsider = signed_in(world.user("c", Level.PRACTITIONER))  # c is party to nothing
    seated = person(world, "c", Level.SENIOR_MANAGER)
    seat(seated, "resolution-panel")
    member = signed_in(seated.user)
    other = make_world("north-somerset-sab", slug="elsewhere")
    other_bu = signed_in(other.bu_user)
    for name, url in urls.items():
        assert outsider.get(url).status_code == 404, name
        assert other_bu.get(url).status_code == 404, name
        assert party.get(url).status_code == (200 if name == "page" else 404), name
        assert member.get(url).status_code == (200 if name == "page" else 404), name
        assert outsider.post(url, {}).status_code in (404, 405), name
    assert signed_in(world.bu_user).get(page(esc, "panels/999999/members/")).status_code == 404


def test_a_panel_or_recommendation_of_another_escalation_is_not_found() -> None:
    world, esc = at_top("north-east-lincolnshire")
    second = escalated_to(world, raise_one(world), 5)
    panel = convened(world, second)
    rec = _decided_with_recommendation(world, second)
    bu = signed_in(world.bu_user)
    assert bu.get(page(esc, f"panels/{panel.pk}/members/")).status_code == 404
    assert bu.get(page(esc, f"recommendations/{rec.pk}/respond/")).status_code == 404
    b = signed_in(world.user("b", Level.PRACTITIONER))
    assert b.get(page(second, f"recommendations/{rec.pk}/respond/")).status_code == 200
    assert b.get(page(esc, f"recommendations/{rec.pk}/respond/")).status_code == 404


# -- robustness ------------------------------------------------------------------------------

HOSTILE = ["a\x00b", "x" * 5000, '"><script>alert(1)</script>', "9" * 40, "31"]


def test_no_input_is_a_server_error() -> None:
    world, esc = at_top("north-east-lincolnshire")
    panel = convened(world, esc)
    bu = signed_in(world.bu_user)
    bu.raise_request_exception = False
    fields = {
        "panels/convene/": ["kind", "sits_on_day", "sits_on_month", "sits_on_year"],
        f"panels/{panel.pk}/members/": ["version", "members", "chair", "sits_on_day"],
        "outcome/": [
            "version",
            "panel",
            "decision",
            "on_day",
            "on_year",
            f"recommendation_{world.b.pk}",
            f"due_on_{world.b.pk}_year",
        ],
    }
    for rest, names in fields.items():
        for value in HOSTILE:
            response = bu.post(page(esc, rest), dict.fromkeys(names, value))
            assert response.status_code < 500, (rest, value[:10])
    rec = _decided_with_recommendation(world, esc)
    b = signed_in(world.user("b", Level.PRACTITIONER))
    b.raise_request_exception = False
    for value in HOSTILE:
        response = b.post(
            page(esc, f"recommendations/{rec.pk}/respond/"),
            dict.fromkeys(["answer", "text", "on_day", "on_month", "on_year"], value),
        )
        assert response.status_code < 500, value[:10]


def test_the_panel_page_reads_a_fixed_number_of_queries() -> None:
    world, esc = at_top("north-somerset-sab")
    client = signed_in(world.bu_user)
    convened(world, esc)

    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert client.get(page(esc, "panels/")).status_code == 200
        return len(queries.captured_queries)

    count()  # the first request of a session writes it
    few = count()
    for key in "abc":
        for level in (Level.SENIOR_MANAGER, Level.ASSISTANT_DIRECTOR):
            seat(person(world, key, level), "resolution-panel")
    seats = list(PanelSeat.objects.filter(partnership=world.partnership))
    for _ in range(3):
        more = convened(world, esc)
        services.panel_set_members(
            actor=bu(world),
            panel=more,
            version=more.version,
            today=TODAY,
            sits_on=SITS_ON,
            members=[s.pk for s in seats],
            chair=seats[0].pk,
        )
    assert count() == few
