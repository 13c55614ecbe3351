"""The flowchart on the pages: the procedure page draws the partnership's procedure with its
text version beside it; an escalation's page marks its current stage and the stages it has
reached, in the picture and in the text version alike; skipped stages are not reached, and a
finished escalation has no current stage."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

import pytest

from escalate.cases.models import Escalation
from escalate.cases.rules import registry
from escalate.procedures.schema import Level
from tests.cases.conftest import World, escalated_to, raise_one
from tests.cases.test_detail_page import resolved_at_stage_two
from tests.security.test_headers import assert_no_inline_code
from tests.support import signed_in

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.filterwarnings("ignore:No directory at:UserWarning"),
]
NS = "{http://www.w3.org/2000/svg}"
SVG = re.compile(r"<svg\b.*?</svg>", re.S)
TEXT_VERSION = re.compile(r'<details class="govuk-details app-flowchart__text">.*?</details>', re.S)


def html_of(user: object, url: str) -> str:
    response = signed_in(user).get(url)
    assert response.status_code == 200, url
    html = response.content.decode()
    assert_no_inline_code(html, url)
    return html


def svg_of(html: str) -> ET.Element:
    (svg,) = SVG.findall(html)
    return ET.fromstring(svg)  # noqa: S314 - the page's own flowchart


def marks(root: ET.Element) -> dict[int, str]:
    return {
        int(g.get("data-stage") or 0): g.get("data-mark") or ""
        for g in root.iter(f"{NS}g")
        if g.get("data-stage")
    }


def text_marks(html: str) -> dict[int, str]:
    """Each stage's mark in the text version ("" for none)."""
    (text,) = TEXT_VERSION.findall(html)
    found = {}
    for number, item in re.findall(r'<li data-stage="(\d+)">(.*?)</li>', text, re.S):
        tag = re.search(r'<strong class="govuk-tag[^"]*">([^<]*)</strong>', item)
        found[int(number)] = tag.group(1) if tag else ""
    return found


def detail(world: World, esc: Escalation) -> str:
    return html_of(world.user("a", Level.PRACTITIONER), f"/escalations/{esc.reference}/")


def test_the_procedure_page_draws_the_partnerships_procedure_with_a_text_version(
    world: World,
) -> None:
    procedure = registry().get(world.partnership.procedure_id)
    html = html_of(world.user("b", Level.PRACTITIONER), "/procedure/")

    root = svg_of(html)
    assert root.get("role") == "img"
    title = root.find(f"{NS}title")
    assert title is not None and title.text == f"Flowchart: {procedure.title}"
    assert marks(root) == dict.fromkeys(range(1, procedure.top + 1), "")
    assert '<h2 class="govuk-heading-m" id="flowchart">Flowchart</h2>' in html
    (text,) = TEXT_VERSION.findall(html)
    assert "Text version of the flowchart" in text
    for stage in procedure.stages:
        assert f"Stage {stage.number}: {stage.name}" in text
    assert text_marks(html) == dict.fromkeys(range(1, procedure.top + 1), "")
    assert html.index("<svg") < html.index("Text version of the flowchart")


def test_an_open_escalation_marks_its_current_stage_and_the_stages_it_reached(
    world: World,
) -> None:
    esc = escalated_to(world, raise_one(world), 3)
    html = detail(world, esc)

    expected = {1: "reached", 2: "reached", 3: "current", 4: "", 5: ""}
    assert marks(svg_of(html)) == expected
    assert text_marks(html) == {1: "Reached", 2: "Reached", 3: "Current stage", 4: "", 5: ""}
    desc = svg_of(html).find(f"{NS}desc")
    assert desc is not None and desc.text is not None
    assert desc.text.endswith("This escalation is at stage 3. It has reached stages 1 and 2.")
    assert "This escalation in the procedure's flowchart" in html


def test_stages_skipped_for_immediate_risk_are_not_reached(world: World) -> None:
    esc = raise_one(world, start_stage=3, immediate_risk=True, immediate_risk_reason="Tonight")
    html = detail(world, esc)

    assert marks(svg_of(html)) == {1: "", 2: "", 3: "current", 4: "", 5: ""}


def test_a_finished_escalation_has_no_current_stage_but_shows_where_it_got_to(
    world: World,
) -> None:
    esc = resolved_at_stage_two(world)
    html = detail(world, esc)

    assert marks(svg_of(html)) == {1: "reached", 2: "reached", 3: "", 4: "", 5: ""}
    assert "Current stage" not in html.split("<svg", 1)[1]
