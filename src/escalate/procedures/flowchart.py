"""The procedure as a flowchart, drawn from its definition alone.

:func:`flowchart_text` says each step in words (the text equivalent the pages list beside the
picture); :func:`flowchart_svg` lays the same steps out as an accessible SVG: ``role="img"``
named by its ``<title>`` and described by its ``<desc>``, every word real text, black on white
or white on black, and nothing said by colour alone (the current stage has a thick outline, a
hatched band and the words "Current stage"; a reached stage a solid band and the word
"Reached"). The picture and the words come from the same steps, so they cannot disagree, and a
procedure added as a file gets its flowchart with no code change: box heights follow from the
wrapped text.

Definitions are data: every piece of text is escaped, and characters XML cannot carry are
dropped. The SVG has no script, no ``style`` attribute and no ``<style>`` element (the pages'
Content-Security-Policy allows none); colours are presentation attributes, so the same string
serves a page and a PDF.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from xml.sax.saxutils import escape, quoteattr

from escalate.procedures import words
from escalate.procedures.schema import Procedure, Protects, TopOutcome

# ---------------------------------------------------------------------------------------
# The steps, in words


class StepKind(StrEnum):
    START = "start"
    IMMEDIATE_RISK = "immediate-risk"
    STAGE = "stage"
    OUTCOME = "outcome"


class Mark(StrEnum):
    """How a stage stands for one escalation; the words are what the picture shows."""

    CURRENT = "Current stage"
    REACHED = "Reached"


@dataclass(frozen=True)
class FlowStep:
    """One box of the flowchart. ``then`` labels the arrow to the next step ("" for an arrow
    without words; None on the last step). ``stage`` is the stage's number, for stages."""

    kind: StepKind
    heading: str
    lines: tuple[str, ...]
    then: str | None
    stage: int | None = None


_SUBJECT = {Protects.CHILDREN: "child", Protects.ADULTS: "adult", Protects.BOTH: "child or adult"}
_OUTCOME = {
    TopOutcome.BINDING_DECISION: "a binding decision",
    TopOutcome.RECOMMENDATIONS: "recommendations",
}


def outcome_words(produces: TopOutcome) -> str:
    """What the top stage gives, in words; a kind of outcome added later reads as its name."""
    return _OUTCOME.get(produces) or words.plain(produces)


def _sentence(text: str) -> str:
    text = text.strip()
    return text if text.endswith((".", "!", "?")) else f"{text}."


def _cap(text: str) -> str:
    return text[:1].upper() + text[1:]


def flowchart_text(procedure: Procedure) -> list[FlowStep]:
    """The flowchart in words: the start, the immediate-risk route, each stage in order (who
    acts, when it is due, its panel) and the top stage's outcome."""
    steps: list[FlowStep] = []
    start = [
        "At each stage the matter is either resolved, and the agreed outcome closes it, or "
        "escalated to the next stage."
    ]
    if procedure.overall is not None:
        overall = procedure.overall
        start.append(
            _sentence(f"Overall: {overall.meaning}, {words.due_rule(overall.due, procedure)}")
        )
    steps.append(
        FlowStep(StepKind.START, "The concern is identified (day 0)", tuple(start), then="")
    )

    risk = procedure.immediate_risk
    risk_lines = [_sentence(f"If so, the same-day route: {risk.route}")]
    if risk.contacts:
        risk_lines.append(_sentence("Contacts: " + "; ".join(risk.contacts)))
    risk_lines.append(
        "The concern may then start at any stage, due the same working day by default."
        if risk.may_start_at_any_stage
        else "The concern then starts at stage 1."
    )
    steps.append(
        FlowStep(
            StepKind.IMMEDIATE_RISK,
            f"Is the {_SUBJECT[procedure.protects]} at immediate risk of significant harm?",
            tuple(risk_lines),
            then="If not, start at stage 1",
        )
    )

    outcome = outcome_words(procedure.top_stage.produces)
    for stage, text in zip(procedure.stages, words.outline(procedure), strict=True):
        lines = [_cap(f"Who acts: {words.levels(stage.levels)}")]
        if stage.due is None:
            lines.append(_sentence(text.due))
        else:
            protective = ", or earlier to protect the person" if text.protective else ""
            lines.append(f"Due {text.due}{protective}.")
        if text.panel is not None:
            lines.append(_sentence(f"Panel: {text.panel}"))
        top = stage.number == procedure.top
        steps.append(
            FlowStep(
                StepKind.STAGE,
                f"Stage {stage.number}: {stage.name}",
                tuple(lines),
                then=f"The top stage gives {outcome}"
                if top
                else f"Not resolved: escalate to stage {stage.number + 1}",
                stage=stage.number,
            )
        )

    recorded = (
        "Recorded in Escalate by the board's business unit."
        if procedure.top_stage.recorded_by == "business-unit"
        else "Recorded in Escalate by whoever holds the top stage."
    )
    steps.append(
        FlowStep(
            StepKind.OUTCOME,
            f"Outcome: {outcome}",
            (_sentence(procedure.top_stage.text), recorded),
            then=None,
        )
    )
    return steps


def mark_of(step: FlowStep, *, current: int | None, reached: frozenset[int]) -> Mark | None:
    """The current stage is marked as such even when it is also in ``reached``."""
    if step.stage is None:
        return None
    if step.stage == current:
        return Mark.CURRENT
    if step.stage in reached:
        return Mark.REACHED
    return None


def marked_steps(
    procedure: Procedure, *, current: int | None = None, reached: frozenset[int] = frozenset()
) -> list[tuple[FlowStep, Mark | None]]:
    """Each step with its mark, for a text version that says what the picture shows."""
    return [
        (step, mark_of(step, current=current, reached=reached))
        for step in flowchart_text(procedure)
    ]


# ---------------------------------------------------------------------------------------
# Measuring and wrapping text

#: Advance widths in thousandths of an em of the printable ASCII characters (32 to 126) in
#: DejaVu Sans, the fallback of Debian and most Linux systems and wider than Arial, Helvetica
#: or Liberation Sans: text wrapped to these widths fits whichever of those fonts draws it.
_REGULAR = (
    *(318, 401, 460, 838, 636, 950, 780, 275, 390, 390, 500, 838, 318, 361, 318, 337),
    *(636, 636, 636, 636, 636, 636, 636, 636, 636, 636, 337, 337, 838, 838, 838, 531),
    *(1000, 684, 686, 698, 770, 632, 575, 775, 752, 295, 295, 656, 557, 863, 748, 787),
    *(603, 787, 695, 635, 611, 732, 684, 989, 685, 611, 685, 390, 337, 390, 838, 500),
    *(500, 613, 635, 550, 635, 615, 352, 635, 634, 278, 278, 579, 278, 974, 634, 612),
    *(635, 635, 411, 521, 392, 634, 592, 818, 592, 592, 525, 636, 337, 636, 838),
)
_BOLD = (
    *(348, 456, 521, 838, 696, 1002, 872, 306, 457, 457, 523, 838, 380, 415, 380, 365),
    *(696, 696, 696, 696, 696, 696, 696, 696, 696, 696, 400, 400, 838, 838, 838, 580),
    *(1000, 774, 762, 734, 830, 683, 683, 821, 837, 372, 372, 775, 637, 995, 837, 850),
    *(733, 850, 770, 720, 682, 812, 774, 1103, 771, 724, 725, 457, 365, 457, 838, 500),
    *(500, 675, 716, 593, 716, 678, 435, 716, 712, 343, 343, 665, 343, 1042, 712, 687),
    *(716, 716, 493, 595, 478, 712, 652, 924, 645, 652, 582, 712, 365, 712, 838),
)
#: Beyond ASCII: a wide (East Asian) character is a full em; anything else is given more
#: than any Latin letter with an accent needs.
_WIDE = 1000
_OTHER = 900
#: Characters XML 1.0 cannot carry at all.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def clean(text: str) -> str:
    """Text as the picture draws it: no characters XML cannot carry, one space between words."""
    return " ".join(_NOT_XML.sub("", text).split())


def _char_width(char: str, table: Sequence[int]) -> int:
    code = ord(char)
    if 32 <= code <= 126:
        return table[code - 32]
    if unicodedata.combining(char):
        return 0
    return _WIDE if unicodedata.east_asian_width(char) in ("W", "F") else _OTHER


def text_width(text: str, *, size: float, bold: bool = False) -> float:
    """The width of ``text`` in pixels at font ``size``, never less than any usual font's."""
    table = _BOLD if bold else _REGULAR
    return sum(_char_width(c, table) for c in text) * size / 1000


def wrap(text: str, width: float, *, size: float, bold: bool = False) -> list[str]:
    """``text`` in lines no wider than ``width``: broken between words, and a word too long for
    a line of its own broken where it reaches the edge. Never an empty list."""

    def fits(line: str) -> bool:
        return text_width(line, size=size, bold=bold) <= width

    lines: list[str] = []
    line = ""
    for word in clean(text).split(" "):
        candidate = f"{line} {word}" if line else word
        if fits(candidate):
            line = candidate
            continue
        if line:
            lines.append(line)
        while not fits(word) and len(word) > 1:
            cut = 1
            while cut < len(word) and fits(word[: cut + 1]):
                cut += 1
            lines.append(word[:cut])
            word = word[cut:]
        line = word
    if line or not lines:
        lines.append(line)
    return lines


# ---------------------------------------------------------------------------------------
# Layout

WIDTH = 640
_MARGIN = 4  # room for the current stage's thick outline
_BOX_X = _MARGIN
_BOX_W = WIDTH - 2 * _MARGIN
_BAND = 16  # the band down the left of a stage's box that carries its mark
_PAD = 14
_TEXT_X = _BOX_X + _BAND + _PAD
_TEXT_W = _BOX_X + _BOX_W - _PAD - _TEXT_X
_HEAD_SIZE, _HEAD_LINE = 18, 25
_BODY_SIZE, _BODY_LINE = 16, 23
_TAG_H = 26
_ARROW_X = _BOX_X + 48
_LABEL_X = _ARROW_X + 14
_LABEL_W = WIDTH - _MARGIN - _LABEL_X
_GAP = 40  # the height of an arrow without words

#: GOV.UK Design System colours, all at least 4.5:1 against white where they carry text and
#: 3:1 where they draw a line.
_INK = "#0b0c0c"
_BORDER = "#505a5f"
_BLUE = "#1d70b8"
_RED = "#d4351c"
_YELLOW = "#ffdd00"
_PALE = "#f3f2f1"
_WHITE = "#ffffff"
_FONT = "Arial, Helvetica, 'Liberation Sans', 'DejaVu Sans', sans-serif"


@dataclass(frozen=True)
class _Line:
    text: str
    bold: bool
    baseline: float


def _attrs(**values: str | float) -> str:
    out = []
    for name, value in values.items():
        shown = f"{value:g}" if isinstance(value, float | int) else value
        out.append(f"{name.rstrip('_').replace('_', '-')}={quoteattr(shown)}")
    return " ".join(out)


def _el(name: str, content: str | None = None, /, **attrs: str | float) -> str:
    """An element; ``content`` is markup already made (escape text before passing it)."""
    opening = f"<{name} {_attrs(**attrs)}" if attrs else f"<{name}"
    return f"{opening}/>" if content is None else f"{opening}>{content}</{name}>"


def _text(lines: Iterable[_Line], x: float, fill: str = _INK) -> str:
    out = []
    for line in lines:
        size = _HEAD_SIZE if line.bold else _BODY_SIZE
        weight = {"font_weight": "bold"} if line.bold else {}
        out.append(
            f"<text {_attrs(x=x, y=line.baseline, font_size=size, fill=fill, **weight)}>"
            f"{escape(line.text)}</text>"
        )
    return "".join(out)


def _baseline(top: float, line_height: int, size: int) -> float:
    return top + (line_height - size) / 2 + size * 0.8


def _lay_lines(step: FlowStep, top: float) -> tuple[list[_Line], float]:
    """The heading and lines of a box from ``top``; returns them and where they end."""
    out: list[_Line] = []
    y = top
    for text in wrap(step.heading, _TEXT_W, size=_HEAD_SIZE, bold=True):
        out.append(_Line(text, True, _baseline(y, _HEAD_LINE, _HEAD_SIZE)))
        y += _HEAD_LINE
    for paragraph in step.lines:
        y += 6
        for text in wrap(paragraph, _TEXT_W, size=_BODY_SIZE):
            out.append(_Line(text, False, _baseline(y, _BODY_LINE, _BODY_SIZE)))
            y += _BODY_LINE
    return out, y


def _tag(mark: Mark, y: float) -> str:
    width = text_width(mark.value, size=_BODY_SIZE, bold=True) + 16
    fill = _INK if mark is Mark.CURRENT else _BLUE
    baseline = _baseline(y, _TAG_H, _BODY_SIZE)
    return (
        '<g class="app-flowchart__tag">'
        + _el("rect", x=_TEXT_X, y=y, width=width, height=_TAG_H, fill=fill)
        + _el(
            "text",
            escape(mark.value),
            x=_TEXT_X + 8,
            y=baseline,
            font_size=_BODY_SIZE,
            font_weight="bold",
            fill=_WHITE,
        )
        + "</g>"
    )


def _box(step: FlowStep, mark: Mark | None, top: float, hatch_id: str) -> tuple[str, float]:
    """One step's box at ``top``: its SVG and its height."""
    y = top + _PAD
    parts: list[str] = []
    if mark is not None:
        parts.append(_tag(mark, y))
        y += _TAG_H + 8
    lines, end = _lay_lines(step, y)
    height = end + _PAD - top
    rect = {"x": _BOX_X, "y": top, "width": _BOX_W, "height": height}
    if step.kind is StepKind.STAGE:
        stroke, width = (_INK, 4) if mark is Mark.CURRENT else (_INK if mark else _BORDER, 2)
        shape = f"<rect {_attrs(**rect, fill=_WHITE, stroke=stroke, stroke_width=width)}/>"
        if mark is not None:
            band = f"url(#{hatch_id})" if mark is Mark.CURRENT else _BLUE
            shape += (
                f"<rect {_attrs(x=_BOX_X, y=top, width=_BAND, height=height, fill=band)}/>"
                f"<rect {_attrs(**rect, fill='none', stroke=stroke, stroke_width=width)}/>"
            )
    elif step.kind is StepKind.IMMEDIATE_RISK:
        shape = _el(
            "rect", **rect, fill=_WHITE, stroke=_RED, stroke_width=3, stroke_dasharray="10 6"
        ) + _el("rect", x=_BOX_X, y=top, width=_BAND, height=height, fill=_RED)
    else:  # the start and the outcome: rounded, on pale grey
        shape = f"<rect {_attrs(**rect, rx=18, fill=_PALE, stroke=_INK, stroke_width=2)}/>"
    attrs = {"class_": "app-flowchart__step", "data_kind": step.kind.value}
    if step.stage is not None:
        attrs["data_stage"] = str(step.stage)
    if mark is not None:
        attrs["data_mark"] = "current" if mark is Mark.CURRENT else "reached"
    parts.insert(0, shape)
    parts.append(_text(lines, _TEXT_X))
    return f"<g {_attrs(**attrs)}>{''.join(parts)}</g>", height


def _arrow(label: str, top: float) -> tuple[str, float]:
    """The arrow down to the next box, with its words to its right; returns it and its height."""
    lines = wrap(label, _LABEL_W, size=_BODY_SIZE) if label else []
    height = max(_GAP, len(lines) * _BODY_LINE + 20)
    tip = top + height
    first = top + (height - len(lines) * _BODY_LINE) / 2
    laid = [
        _Line(text, False, _baseline(first + i * _BODY_LINE, _BODY_LINE, _BODY_SIZE))
        for i, text in enumerate(lines)
    ]
    head = f"{_ARROW_X - 7:g},{tip - 10:g} {_ARROW_X + 7:g},{tip - 10:g} {_ARROW_X:g},{tip:g}"
    svg = (
        '<g class="app-flowchart__arrow">'
        + _el("line", x1=_ARROW_X, y1=top, x2=_ARROW_X, y2=tip - 9, stroke=_INK, stroke_width=2)
        + _el("polygon", points=head, fill=_INK)
        + _text(laid, _LABEL_X)
        + "</g>"
    )
    return svg, height


def _numbers(values: Iterable[int]) -> str:
    shown = [str(v) for v in sorted(values)]
    if len(shown) < 2:
        return "".join(shown)
    return ", ".join(shown[:-1]) + " and " + shown[-1]


def _description(procedure: Procedure, current: int | None, reached: frozenset[int]) -> str:
    stages = "; ".join(f"{s.number}. {clean(s.name)}" for s in procedure.stages)
    outcome = outcome_words(procedure.top_stage.produces)
    text = (
        f"A flowchart from the concern being identified, through the same-day route for a "
        f"person at immediate risk, to {len(procedure.stages)} stages in order ({stages}) and "
        f"the top stage's outcome: {outcome}. Each box says who acts and when the stage is "
        f"due; the text version says the same in a list."
    )
    if current is not None and 1 <= current <= procedure.top:
        text += f" This escalation is at stage {current}."
    shown = sorted(r for r in reached if r != current and 1 <= r <= procedure.top)
    if shown:
        text += f" It has reached stage{'s' if len(shown) > 1 else ''} {_numbers(shown)}."
    return text


def flowchart_svg(
    procedure: Procedure,
    *,
    current: int | None = None,
    reached: frozenset[int] = frozenset(),
    id_prefix: str | None = None,
) -> str:
    """The procedure's flowchart as an SVG document (also fit to put inside a page). ``current``
    is an escalation's current stage, ``reached`` the stages it has been at. ``id_prefix``
    keeps the ids unique should a page hold more than one flowchart."""
    steps = flowchart_text(procedure)
    prefix = re.sub(r"[^A-Za-z0-9_-]", "-", id_prefix or f"flowchart-{procedure.id}")
    title_id, desc_id, hatch_id = f"{prefix}-title", f"{prefix}-desc", f"{prefix}-current"
    body: list[str] = []
    y: float = _MARGIN
    for step in steps:
        svg, height = _box(step, mark_of(step, current=current, reached=reached), y, hatch_id)
        body.append(svg)
        y += height
        if step.then is not None:
            svg, height = _arrow(step.then, y)
            body.append(svg)
            y += height
    total = y + _MARGIN
    root = _attrs(
        xmlns="http://www.w3.org/2000/svg",
        viewBox=f"0 0 {WIDTH} {total:g}",
        width=WIDTH,
        height=total,
        role="img",
        aria_labelledby=title_id,
        aria_describedby=desc_id,
        class_="app-flowchart__svg",
        font_family=_FONT,
    )
    # The current stage's band: yellow and black stripes, a pattern rather than a colour.
    hatch = _el(
        "pattern",
        _el("rect", width=12, height=12, fill=_YELLOW) + _el("rect", width=6, height=12, fill=_INK),
        id=hatch_id,
        width=12,
        height=12,
        patternUnits="userSpaceOnUse",
        patternTransform="rotate(45)",
    )
    title = escape(clean(f"Flowchart: {procedure.title}"))
    desc = escape(clean(_description(procedure, current, reached)))
    return (
        f"<svg {root}><title {_attrs(id=title_id)}>{title}</title>"
        f"<desc {_attrs(id=desc_id)}>{desc}</desc><defs>{hatch}</defs>"
        f"{''.join(body)}</svg>"
    )
