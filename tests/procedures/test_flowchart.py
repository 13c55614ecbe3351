"""The flowchart, drawn from a definition alone: every built-in procedure, one added as a file
and generated ones draw as well-formed, accessible SVG whose words are the text version's;
every stage name and due rule is there, in order, each word inside its box; an escalation's
current and reached stages are marked in words and shapes; and definitions are escaped."""

from __future__ import annotations

import re
import textwrap
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from escalate.procedures import words
from escalate.procedures.flowchart import (
    WIDTH,
    FlowStep,
    Mark,
    StepKind,
    clean,
    flowchart_svg,
    flowchart_text,
    marked_steps,
    text_width,
    wrap,
)
from escalate.procedures.registry import load_registry
from escalate.procedures.schema import Level, Procedure, Protects, TopOutcome

REGISTRY = load_registry()
PROCEDURES = REGISTRY.latest()
SOMERSET = REGISTRY.get("north-somerset-sab")
NS = "{http://www.w3.org/2000/svg}"


def parse(svg: str) -> ET.Element:
    return ET.fromstring(svg)  # noqa: S314 - our own output


def squash(text: str) -> str:
    """Text with no whitespace at all: wrapping may break a line anywhere."""
    return "".join(clean(text).split())


def text_in(element: ET.Element) -> str:
    return " ".join("".join(t.itertext()) for t in element.iter(f"{NS}text"))


def steps_drawn(root: ET.Element) -> list[ET.Element]:
    return [g for g in root.iter(f"{NS}g") if g.get("class") == "app-flowchart__step"]


def arrows_drawn(root: ET.Element) -> list[ET.Element]:
    return [g for g in root.iter(f"{NS}g") if g.get("class") == "app-flowchart__arrow"]


def stage_box(root: ET.Element, number: int) -> ET.Element:
    (box,) = [g for g in steps_drawn(root) if g.get("data-stage") == str(number)]
    return box


def said(step: FlowStep) -> str:
    return squash(" ".join((step.heading, *step.lines)))


def assert_accessible_svg(svg: str, procedure: Procedure) -> ET.Element:
    root = parse(svg)
    assert root.tag == f"{NS}svg"
    assert root.get("role") == "img"
    title_id, desc_id = root.get("aria-labelledby"), root.get("aria-describedby")
    title, desc = root.find(f"{NS}title"), root.find(f"{NS}desc")
    assert title is not None and desc is not None
    assert title.get("id") == title_id and desc.get("id") == desc_id
    assert squash(title.text or "") == squash(f"Flowchart: {procedure.title}")
    assert root.get("viewBox") == f"0 0 {WIDTH} {root.get('height')}"
    ids = [e.get("id") for e in root.iter() if e.get("id")]
    assert len(ids) == len(set(ids))
    for element in root.iter():
        tag = element.tag.removeprefix(NS)
        assert tag not in {"script", "style", "foreignObject", "a", "image", "use"}, tag
        for name in element.attrib:
            assert name != "style" and not name.startswith("on"), (tag, name)
            assert not element.attrib[name].strip().lower().startswith("javascript"), name
    return root


def assert_laid_out(root: ET.Element) -> None:
    """Boxes in the order of the steps, top to bottom without overlapping, inside the picture,
    and every word drawn inside its box (measured with the widths wrapping used)."""
    height = float(root.get("height") or 0)
    bottom = 0.0
    for box in steps_drawn(root):
        rect = box.find(f"{NS}rect")
        assert rect is not None
        x, y = float(rect.get("x", 0)), float(rect.get("y", 0))
        w, h = float(rect.get("width", 0)), float(rect.get("height", 0))
        assert y >= bottom and x >= 0 and x + w <= WIDTH and y + h <= height
        bottom = y + h
        for text in box.iter(f"{NS}text"):
            size = float(text.get("font-size", 0))
            left, baseline = float(text.get("x", 0)), float(text.get("y", 0))
            drawn = text_width(text.text or "", size=size, bold=text.get("font-weight") == "bold")
            assert x < left and left + drawn <= x + w, text.text
            assert y + size * 0.8 <= baseline <= y + h, text.text


# -- every procedure draws ----------------------------------------------------------------------


@pytest.mark.parametrize("procedure", PROCEDURES, ids=lambda p: p.id)
def test_every_built_in_procedure_draws_as_accessible_svg(procedure: Procedure) -> None:
    root = assert_accessible_svg(flowchart_svg(procedure), procedure)
    assert_laid_out(root)
    kinds = [box.get("data-kind") for box in steps_drawn(root)]
    assert kinds == ["start", "immediate-risk"] + ["stage"] * procedure.top + ["outcome"]
    stages = [box.get("data-stage") for box in steps_drawn(root) if box.get("data-stage")]
    assert stages == [str(n) for n in range(1, procedure.top + 1)]


@pytest.mark.parametrize("procedure", PROCEDURES, ids=lambda p: p.id)
def test_every_stage_says_its_name_who_acts_its_due_rule_and_panel(procedure: Procedure) -> None:
    root = parse(flowchart_svg(procedure))
    for stage, outline in zip(procedure.stages, words.outline(procedure), strict=True):
        drawn = squash(text_in(stage_box(root, stage.number)))
        due = words.due_rule(stage.due, procedure, none=stage.no_timescale_text or "")
        assert squash(f"Stage {stage.number}: {stage.name}") in drawn
        assert squash(due) in drawn
        assert squash(words.levels(stage.levels)) in drawn
        if outline.panel is not None:
            assert squash(outline.panel) in drawn
        if stage.protective_timescale:
            assert squash("or earlier to protect the person") in drawn


@pytest.mark.parametrize("procedure", PROCEDURES, ids=lambda p: p.id)
def test_the_immediate_risk_route_and_the_top_stage_outcome_are_drawn(
    procedure: Procedure,
) -> None:
    root = parse(flowchart_svg(procedure))
    boxes = {box.get("data-kind"): squash(text_in(box)) for box in steps_drawn(root)}
    assert squash(procedure.immediate_risk.route) in boxes["immediate-risk"]
    for contact in procedure.immediate_risk.contacts:
        assert squash(contact) in boxes["immediate-risk"]
    assert squash(procedure.top_stage.text) in boxes["outcome"]
    # "binding decision", "recommendations", and any kind a helper adds, in words.
    assert squash(words.plain(procedure.top_stage.produces)) in boxes["outcome"]
    assert squash("business unit") in boxes["outcome"]


@pytest.mark.parametrize("procedure", PROCEDURES, ids=lambda p: p.id)
def test_the_picture_says_what_the_text_version_says(procedure: Procedure) -> None:
    steps = flowchart_text(procedure)
    root = parse(flowchart_svg(procedure))
    assert [squash(text_in(box)) for box in steps_drawn(root)] == [said(s) for s in steps]
    labels = [squash(text_in(arrow)) for arrow in arrows_drawn(root)]
    assert labels == [squash(s.then) for s in steps if s.then is not None]
    assert steps[-1].then is None


def test_the_text_version_is_the_stages_in_order_with_what_comes_next() -> None:
    steps = flowchart_text(SOMERSET)
    assert [s.kind for s in steps] == [
        StepKind.START,
        StepKind.IMMEDIATE_RISK,
        *[StepKind.STAGE] * 5,
        StepKind.OUTCOME,
    ]
    assert steps[1].heading == "Is the adult at immediate risk of significant harm?"
    assert steps[1].then == "If not, start at stage 1"
    assert steps[2].heading == f"Stage 1: {SOMERSET.stage(1).name}"
    assert steps[2].lines == (
        "Who acts: practitioner, line manager",
        "Due by working day 1 after the concern was identified.",
    )
    assert steps[2].then == "Not resolved: escalate to stage 2"
    assert steps[5].lines[1] == SOMERSET.stage(4).no_timescale_text
    assert steps[6].then == "The top stage gives a binding decision"
    assert steps[7].heading == "Outcome: a binding decision"
    assert "Overall: the concern is either resolved" in steps[0].lines[1]


# -- an escalation's marks ------------------------------------------------------------------


def test_the_current_stage_is_outlined_hatched_and_says_so_and_reached_stages_say_reached() -> None:
    svg = flowchart_svg(SOMERSET, current=3, reached=frozenset({1, 2, 3}))
    root = assert_accessible_svg(svg, SOMERSET)
    assert_laid_out(root)
    current = stage_box(root, 3)
    assert current.get("data-mark") == "current"
    assert text_in(current).startswith("Current stage ")
    rects = current.findall(f"{NS}rect")
    assert {r.get("stroke-width") for r in rects if r.get("stroke")} == {"4"}
    (pattern,) = root.iter(f"{NS}pattern")
    assert f"url(#{pattern.get('id')})" in {r.get("fill") for r in rects}
    for number in (1, 2):
        box = stage_box(root, number)
        assert box.get("data-mark") == "reached"
        assert text_in(box).startswith("Reached ")
    for number in (4, 5):
        assert stage_box(root, number).get("data-mark") is None
        assert "Reached" not in text_in(stage_box(root, number))
    assert text_in(root).count("Current stage") == 1
    desc = root.find(f"{NS}desc")
    assert desc is not None and desc.text is not None
    assert desc.text.endswith("This escalation is at stage 3. It has reached stages 1 and 2.")


def test_without_an_escalation_nothing_is_marked_and_stages_out_of_range_are_ignored() -> None:
    for svg in (
        flowchart_svg(SOMERSET),
        flowchart_svg(SOMERSET, current=99, reached=frozenset({0, 42})),
    ):
        root = assert_accessible_svg(svg, SOMERSET)
        assert not [box for box in steps_drawn(root) if box.get("data-mark")]
        assert "Current stage" not in text_in(root) and "Reached" not in text_in(root)
        assert "This escalation" not in svg


def test_the_text_version_carries_the_same_marks() -> None:
    marks = {
        step.stage: mark
        for step, mark in marked_steps(SOMERSET, current=2, reached=frozenset({1, 2}))
        if step.stage
    }
    assert marks == {1: Mark.REACHED, 2: Mark.CURRENT, 3: None, 4: None, 5: None}


def test_two_flowcharts_on_one_page_can_keep_their_ids_apart() -> None:
    one = parse(flowchart_svg(SOMERSET, id_prefix="mine"))
    other = parse(flowchart_svg(SOMERSET, id_prefix='"><bad id'))
    ids = {e.get("id") for e in one.iter() if e.get("id")}
    other_ids = {e.get("id") for e in other.iter() if e.get("id")}
    assert ids == {"mine-title", "mine-desc", "mine-current"}
    assert not ids & other_ids
    assert all(re.fullmatch(r"[A-Za-z0-9_-]+", i or "") for i in other_ids)


# -- definitions are data -------------------------------------------------------------------

NASTY = "</text><script>alert(1)</script> & \"quoted\" 'x' ]]> <!-- \x01\x0b"


def _with(procedure: Procedure, **changes: Any) -> Procedure:
    data = procedure.model_dump(mode="json")
    for path, value in changes.items():
        *parents, last = path.split("__")
        node: Any = data
        for part in parents:
            node = node[int(part)] if part.isdigit() else node[part]
        node[int(last) if last.isdigit() else last] = value
    return Procedure.model_validate(data)


def test_every_text_from_the_definition_is_escaped() -> None:
    nasty = _with(
        SOMERSET,
        title=NASTY,
        stages__0__name=NASTY,
        stages__3__no_timescale_text=NASTY,
        immediate_risk__route=NASTY,
        immediate_risk__contacts=[NASTY],
        top_stage__text=NASTY,
        stages__4__panel__name=NASTY,
    )
    svg = flowchart_svg(nasty, current=1)
    assert "<script" not in svg and "<!--" not in svg
    root = assert_accessible_svg(svg, nasty)
    assert_laid_out(root)
    expected = squash(clean(NASTY))
    assert "\x01" not in svg and "\x0b" not in svg
    for number in (1, 4, 5):
        assert expected in squash(text_in(stage_box(root, number)))
    title = root.find(f"{NS}title")
    assert title is not None and squash(title.text or "") == squash(f"Flowchart: {NASTY}")


# -- a procedure added as a file, and any procedure at all ------------------------------------

ADDED = textwrap.dedent(
    """\
    id: added-procedure
    version: "1"
    effective_from: 2026-01-01
    title: Added procedure
    board: Added Safeguarding Board
    protects: both
    source: a partnership's own file
    categories:
      - {id: thresholds, name: Thresholds}
    immediate_risk:
      route: Call the emergency services.
      may_start_at_any_stage: false
    top_stage:
      produces: recommendations
      recorded_by: stage-holders
      text: The director recommends.
    stages:
      - {number: 1, name: Talk it through, who: Practitioners, levels: [practitioner],
         due: {after: outset, working_days: 3}}
      - {number: 2, name: Managers meet, who: Managers, levels: [line-manager],
         due: {after: entry, calendar_days: 10}, protective_timescale: true}
      - {number: 3, name: Directors decide, who: Directors, levels: [assistant-director],
         no_timescale_text: No timescale is set.}
    """
)


def test_a_procedure_added_as_a_file_gets_its_flowchart(tmp_path: Path) -> None:
    (tmp_path / "added.yaml").write_text(ADDED, encoding="utf-8")
    added = load_registry([tmp_path]).get("added-procedure")
    root = assert_accessible_svg(flowchart_svg(added, current=2, reached=frozenset({1})), added)
    assert_laid_out(root)
    assert squash("Stage 3: Directors decide") in squash(text_in(stage_box(root, 3)))
    assert squash("Due within 10 calendar days of entering this stage, or earlier") in squash(
        text_in(stage_box(root, 2))
    )
    steps = flowchart_text(added)
    assert steps[1].heading == "Is the child or adult at immediate risk of significant harm?"
    assert steps[1].lines[-1] == "The concern then starts at stage 1."
    assert steps[-1].lines[-1] == "Recorded in Escalate by whoever holds the top stage."


TEXT = st.text(
    alphabet=st.characters(codec="utf-8", exclude_categories=["Cs"]), min_size=1, max_size=160
).filter(lambda s: s.strip() != "")
AMOUNT = st.integers(min_value=0, max_value=400)
DUE = st.one_of(
    st.builds(lambda n: {"after": "outset", "working_days": n}, AMOUNT),
    st.builds(lambda n: {"after": "entry", "calendar_days": n}, AMOUNT),
    st.builds(lambda n: {"after": "entry", "hours": n}, AMOUNT),
)
PANEL = st.fixed_dictionaries(
    {"name": TEXT},
    optional={
        "min_members": st.integers(min_value=1, max_value=9),
        "must_include": st.lists(TEXT, max_size=3),
        "exclude_involved": st.booleans(),
    },
)


@st.composite
def procedures(draw: st.DrawFn) -> Procedure:
    stages = []
    for number in range(1, draw(st.integers(min_value=2, max_value=7)) + 1):
        stage: dict[str, Any] = {
            "number": number,
            "name": draw(TEXT),
            "who": draw(TEXT),
            "levels": draw(st.lists(st.sampled_from(list(Level)), min_size=1, unique=True)),
            "protective_timescale": draw(st.booleans()),
        }
        due = draw(st.none() | DUE)
        if due is None:
            stage["no_timescale_text"] = draw(TEXT)
        else:
            stage["due"] = due
        if draw(st.booleans()):
            stage["panel"] = draw(PANEL)
        stages.append(stage)
    data: dict[str, Any] = {
        "id": draw(st.from_regex(r"[a-z0-9]{1,12}(-[a-z0-9]{1,6}){0,2}", fullmatch=True)),
        "version": "1",
        "effective_from": "2026-01-01",
        "title": draw(TEXT),
        "board": draw(TEXT),
        "protects": draw(st.sampled_from(list(Protects))).value,
        "source": "generated",
        "categories": [{"id": "any", "name": "Any"}],
        "immediate_risk": {
            "route": draw(TEXT),
            "contacts": draw(st.lists(TEXT, max_size=3)),
            "may_start_at_any_stage": draw(st.booleans()),
        },
        "top_stage": {
            "produces": draw(st.sampled_from(list(TopOutcome))).value,
            "text": draw(TEXT),
            "recorded_by": draw(st.sampled_from(["business-unit", "stage-holders"])),
        },
        "stages": stages,
    }
    if draw(st.booleans()):
        data["overall"] = {
            "due": draw(DUE.filter(lambda d: d["after"] == "outset")),
            "meaning": "x",
        }
    return Procedure.model_validate(data)


@settings(max_examples=60, deadline=None)
@given(procedure=procedures(), data=st.data())
def test_any_procedure_draws_every_stage_inside_its_box(
    procedure: Procedure, data: st.DataObject
) -> None:
    current = data.draw(st.none() | st.integers(min_value=1, max_value=procedure.top))
    reached = frozenset(data.draw(st.lists(st.integers(min_value=1, max_value=procedure.top))))
    root = assert_accessible_svg(
        flowchart_svg(procedure, current=current, reached=reached), procedure
    )
    assert_laid_out(root)
    for stage in procedure.stages:
        drawn = squash(text_in(stage_box(root, stage.number)))
        assert squash(f"Stage {stage.number}: {stage.name}") in drawn
        assert squash(words.due_rule(stage.due, procedure, none=stage.no_timescale_text or "")) in (
            drawn
        )
    marked = {box.get("data-stage") for box in steps_drawn(root) if box.get("data-mark")}
    assert marked == {str(n) for n in reached | ({current} if current else set())}


@settings(max_examples=200, deadline=None)
@given(text=TEXT, width=st.integers(min_value=20, max_value=600), bold=st.booleans())
def test_wrapped_lines_fit_and_keep_every_character(text: str, width: int, bold: bool) -> None:
    lines = wrap(text, width, size=16, bold=bold)
    assert lines
    for line in lines:
        # A line holds at least one character, even one wider than the width.
        assert len(line) == 1 or text_width(line, size=16, bold=bold) <= width
    assert "".join(lines).replace(" ", "") == squash(text)
