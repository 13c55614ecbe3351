"""The escalation page, the lists and the home page read at a glance: immediate risk looks
urgent, the contacts panel states each agency's role once, a finished page stays short and its
record filters by stage, and the business unit finds the escalation's audit trail."""

from __future__ import annotations

import datetime as dt
import re

import pytest

from escalate import timekeeping
from escalate.cases import selectors, services
from escalate.cases.actors import Actor
from escalate.cases.models import Escalation
from escalate.cases.rules import registry
from escalate.directory.models import Person, StageContact
from escalate.procedures.schema import Level
from tests.cases.conftest import World, highest, raise_one
from tests.support import signed_in

pytestmark = pytest.mark.django_db
D = dt.date
WARNING = "reported at immediate risk of significant harm"


def text_of(html: bytes | str) -> str:
    raw = html.decode() if isinstance(html, bytes) else html
    return re.sub(r"\s+", " ", raw)


def page(user: object, url: str) -> str:
    response = signed_in(user).get(url)
    assert response.status_code == 200, url
    return text_of(response.content)


def at_risk(world: World, reason: str = "Left alone with the abuser tonight") -> Escalation:
    return raise_one(world, start_stage=3, immediate_risk=True, immediate_risk_reason=reason)


def withdraw(world: World, esc: Escalation) -> Escalation:
    return services.escalation_withdraw(
        actor=Actor.of(world.user("a", Level.PRACTITIONER)),
        today=timekeeping.today(),
        escalation=esc,
        version=esc.version,
        on=D(2026, 3, 3),
        reason="Raised in error",
    )


# -- 1. immediate risk looks urgent ----------------------------------------------------------


def test_an_open_immediate_risk_escalation_warns_at_the_top_with_the_same_day_route(
    world: World,
) -> None:
    esc = at_risk(world)
    route = registry().get(world.partnership.procedure_id).immediate_risk
    html = page(world.user("a", Level.PRACTITIONER), f"/escalations/{esc.reference}/")

    assert WARNING in html
    assert html.index(WARNING) < html.index("What happens next")
    assert html.index("Left alone with the abuser tonight") < html.index("What happens next")
    assert text_of(route.route) in html
    for contact in route.contacts:
        assert contact in html
    # The warning is the GOV.UK warning text component's own words, not a line lost in a list.
    assert re.search(
        r'<strong class="govuk-warning-text__text">(?:(?!</strong>).)*' + WARNING, html
    )


def test_the_warning_goes_once_the_escalation_is_closed_and_is_never_on_ordinary_ones(
    world: World,
) -> None:
    ordinary = raise_one(world)
    assert WARNING not in page(world.bu_user, f"/escalations/{ordinary.reference}/")
    closed = withdraw(world, at_risk(world))
    assert WARNING not in page(world.bu_user, f"/escalations/{closed.reference}/")


TAG = re.compile(r'<strong class="govuk-tag govuk-tag--red">\s*Immediate risk\s*</strong>')


def _row(html: str, reference: str) -> str:
    """The table row that holds the reference's link."""
    at = html.index(f">{reference}</a>")
    return html[html.rfind("<tr", 0, at) : html.index("</tr>", at)]


def test_every_list_tags_open_immediate_risk_escalations_beside_the_reference(
    world: World,
) -> None:
    open_one = at_risk(world)
    closed = withdraw(world, at_risk(world))
    ordinary = raise_one(world)
    html = page(world.user("a", Level.PRACTITIONER), "/escalations/?view=all")

    assert TAG.search(_row(html, open_one.reference))
    assert not TAG.search(_row(html, closed.reference))
    assert not TAG.search(_row(html, ordinary.reference))


def test_the_list_filters_to_open_immediate_risk_escalations(world: World) -> None:
    open_one = at_risk(world)
    closed = withdraw(world, at_risk(world))
    ordinary = raise_one(world)
    user = world.user("a", Level.PRACTITIONER)

    found = selectors.escalation_list_for(
        user, selectors.ListFilters(immediate_risk=True), D(2026, 3, 4)
    )
    assert [e.reference for e in found] == [open_one.reference]

    html = page(user, "/escalations/?view=all&immediate_risk=1")
    assert open_one.reference in html
    assert closed.reference not in html
    assert ordinary.reference not in html
    assert 'name="immediate_risk"' in html  # offered on the filter form


def test_the_home_page_counts_open_immediate_risk_escalations_and_links_to_them(
    world: World,
) -> None:
    at_risk(world)
    at_risk(world)
    withdraw(world, at_risk(world))
    raise_one(world)
    user = highest(world)

    counts = selectors.escalation_counts_for(user, D(2026, 3, 4))
    assert counts["immediate_risk"] == 2

    html = page(user, "/")
    assert "govuk-warning-text" in html
    assert re.search(r"2 open escalations[^<]*at immediate risk", html), html
    assert re.search(r'href="/escalations/\?view=all&amp;immediate_risk=1"', html)
    awaiting = html[html.index("Awaiting your action") :]
    assert TAG.search(awaiting)


def test_the_home_page_says_nothing_of_immediate_risk_when_there_is_none(world: World) -> None:
    raise_one(world)
    html = page(highest(world), "/")
    assert "immediate_risk=1" not in html
    assert selectors.escalation_counts_for(highest(world), D(2026, 3, 4))["immediate_risk"] == 0


# -- 2. the contacts panel ---------------------------------------------------------------------


def test_the_contacts_panel_states_each_agencys_role_once_and_lists_each_person(
    world: World,
) -> None:
    procedure = registry().get(world.partnership.procedure_id)
    description = procedure.stage(1).who_by_agency[world.a.agency_type]  # type: ignore[index]
    for level, name in ((Level.PRACTITIONER, "Ann Ash"), (Level.LINE_MANAGER, "Bob Birch")):
        person = world.people[("a", level)]
        Person.objects.filter(pk=person.pk).update(
            name=name, email=f"{name.split()[0].lower()}@council.test", phone="01234 567890"
        )
        StageContact.objects.create(agency=world.a, stage=1, role=description, person=person)
    esc = raise_one(world)

    html = page(world.user("a", Level.PRACTITIONER), f"/escalations/{esc.reference}/")
    panel = html[html.index("Contacts at stage 1") :]
    panel = panel[: panel.index("Stages")]

    assert html.count(description) == 1
    for name, email in (("Ann Ash", "ann@council.test"), ("Bob Birch", "bob@council.test")):
        assert name in panel
        assert f'href="mailto:{email}"' in panel
    assert panel.count("01234 567890") == 2
    # The job title says each person's role; a role the directory names apart from the
    # stage's description (agency b's "Stage 1 lead") is kept.
    assert "line-manager" in panel
    assert "Stage 1 lead" in panel
    assert panel.index(world.a.name) < panel.index("Ann Ash")


def test_contacts_are_grouped_by_agency_in_a_selector(world: World) -> None:
    procedure = registry().get(world.partnership.procedure_id)
    esc = raise_one(world)
    groups = selectors.stage_contacts_by_agency(esc, 1, procedure)

    assert [g.agency.pk for g in groups] == [world.a.pk, world.b.pk]
    assert groups[0].people == []
    assert groups[1].who == procedure.stage(1).who_by_agency[world.b.agency_type]  # type: ignore[index]
    [lead] = groups[1].people
    assert lead.name == world.people[("b", Level.SENIOR_MANAGER)].name
    assert lead.role == "Stage 1 lead"


# -- 4. a finished page stays short --------------------------------------------------------------


def resolved_at_stage_two(world: World) -> Escalation:
    user = highest(world)
    esc = raise_one(world)
    esc = services.escalation_record_contact(
        actor=Actor.of(user),
        today=timekeeping.today(),
        escalation=esc,
        version=esc.version,
        occurred_on=D(2026, 3, 3),
        method="telephone",
        contact_by="Me",
        contact_with="Them",
        summary="STAGE-ONE-TALK",
        agreed="Nothing",
        decision_makers="",
    )
    esc = services.escalation_escalate(
        actor=Actor.of(user),
        today=timekeeping.today(),
        escalation=esc,
        version=esc.version,
        on=D(2026, 3, 4),
        reason="No agreement",
    )
    esc = services.escalation_record_contact(
        actor=Actor.of(user),
        today=timekeeping.today(),
        escalation=esc,
        version=esc.version,
        occurred_on=D(2026, 3, 5),
        method="telephone",
        contact_by="Me",
        contact_with="Them",
        summary="STAGE-TWO-TALK",
        agreed="Reopen",
        decision_makers="",
    )
    return services.escalation_resolve(
        actor=Actor.of(user),
        today=timekeeping.today(),
        escalation=esc,
        version=esc.version,
        on=D(2026, 3, 6),
        outcome="Reopened",
    )


def test_a_finished_page_folds_the_stages_not_reached(world: World) -> None:
    esc = resolved_at_stage_two(world)
    procedure = registry().get(world.partnership.procedure_id)
    html = page(highest(world), f"/escalations/{esc.reference}/")

    details = re.search(
        r'<details class="govuk-details">\s*<summary class="govuk-details__summary">\s*'
        r'<span class="govuk-details__summary-text">\s*Stages not reached\s*</span>.*?</details>',
        html,
    )
    assert details is not None
    folded = details.group()
    for stage in procedure.stages[2:]:
        assert stage.name in folded
    assert procedure.stage(2).name not in folded
    # Outside the procedure's flowchart (which draws every stage), only in the fold.
    outside = re.sub(r'<h2[^>]*id="flowchart".*?</details>', "", html, flags=re.S)
    assert outside.count(procedure.stage(3).name) == 1


def test_an_open_page_shows_every_stage_unfolded(world: World) -> None:
    esc = raise_one(world)
    html = page(highest(world), f"/escalations/{esc.reference}/")
    assert "Stages not reached" not in html


def test_the_record_filters_by_stage_with_a_get_form(world: World) -> None:
    esc = resolved_at_stage_two(world)
    url = f"/escalations/{esc.reference}/"
    user = highest(world)

    html = page(user, url)
    assert re.search(r'<form[^>]*method="get"[^>]*>.*?name="stage"', html)
    assert "STAGE-ONE-TALK" in html and "STAGE-TWO-TALK" in html

    at_two = page(user, f"{url}?stage=2")
    assert "STAGE-TWO-TALK" in at_two
    assert "STAGE-ONE-TALK" not in at_two
    at_one = page(user, f"{url}?stage=1")
    assert "STAGE-ONE-TALK" in at_one
    assert "STAGE-TWO-TALK" not in at_one


@pytest.mark.parametrize("bad", ["abc", "99", "", "-1", "1.5", "%00", "2&stage=x"])
def test_a_bad_stage_filter_is_ignored(world: World, bad: str) -> None:
    esc = resolved_at_stage_two(world)
    html = page(highest(world), f"/escalations/{esc.reference}/?stage={bad}")
    assert "STAGE-ONE-TALK" in html
    assert "STAGE-TWO-TALK" in html


# -- 5. the business unit's link to the audit trail ---------------------------------------------


def test_the_business_unit_page_links_to_the_audit_trail(world: World) -> None:
    esc = raise_one(world)
    trail = f'href="/audit/escalations/{esc.reference}/"'
    assert trail in page(world.bu_user, f"/escalations/{esc.reference}/")
    for user in (world.user("a", Level.PRACTITIONER), highest(world, "b")):
        assert trail not in page(user, f"/escalations/{esc.reference}/")
