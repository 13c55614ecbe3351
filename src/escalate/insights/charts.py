"""Charts of a :class:`~escalate.insights.tables.Table`, drawn on the server as SVG by pygal.

Each chart is an SVG fit to put straight into a page (and into the annual report's PDF):

- **named and described**: ``role="img"``, its ``<title>`` (the table's title) and ``<desc>``
  (what kind of chart, of what, and the table's summary) first, referenced by
  ``aria-labelledby`` and ``aria-describedby``. The data table sits beside it
  (``insights/_chart.html``), so nothing is only in the picture.
- **fit for the Content-Security-Policy**: pygal writes a ``<style>`` element, a ``<script>``
  and ``style`` attributes, all of which the pages' policy (``style-src 'self'``, scripts only
  with the nonce) would block. The drawing is rebuilt from what pygal laid out: every colour,
  line and font is a presentation attribute, every element and attribute outside a short list
  is dropped, and nothing refers outside the SVG (no links, images or fonts to fetch).
- **not by colour alone**: each series has a colour of the GOV.UK palette (govuk-frontend 6's
  brand palette, as the pages use) *and* a pattern (solid, stripes, dots, cross-hatching, ...)
  for bars, or a dash pattern for lines; the legend shows the same swatch beside each name.
  Bars have a black outline, so that even the palest colour stands 3:1 against the white.
- **legible on a phone**: drawn on a 400-unit-wide ``viewBox`` with 16-unit text, at
  ``width="100%"``: at 320 CSS pixels the text is still 12.8 px; long labels are shortened in
  the picture (never in the table beside it). Bars whose labels cannot stand side by side are
  drawn horizontally, each row's label above its bars across the chart's width.

A cell that is not a number (None, or "fewer than 5" once suppressed) draws nothing. The same
table and options always give the same SVG; the ids in it are derived from them, so two
different charts on one page never share an id.
"""

from __future__ import annotations

import hashlib
import math
import re
import xml.etree.ElementTree as ET
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import pygal
from django.utils.safestring import SafeString, mark_safe
from pygal.style import Style

from escalate.insights.tables import Cell, Table

SVG_NS = "http://www.w3.org/2000/svg"

#: The pages' font stack (frontend/scss/app.scss).
FONT = 'system-ui, -apple-system, "Segoe UI", Roboto, Helvetica, Arial, sans-serif'
INK = "#0b0c0c"  # GOV.UK text colour
GUIDE = "#b1b4b6"  # GOV.UK border grey
WHITE = "#ffffff"

WIDTH = 400
HEIGHT = 300
FONT_SIZE = 16

NO_DATA = "No figures to show"


@dataclass(frozen=True)
class Colour:
    name: str
    fill: str
    #: The colour of a pattern's marks on it (white on the dark colours, black on orange).
    ink: str


#: govuk-frontend 6's palette (``$govuk-palette`` primary colours and dark blue), in an order
#: where neighbours differ most.
PALETTE = (
    Colour("blue", "#1d70b8", WHITE),
    Colour("orange", "#f47738", INK),
    Colour("teal", "#158187", WHITE),
    Colour("purple", "#54319f", WHITE),
    Colour("magenta", "#ca357c", WHITE),
    Colour("green", "#0f7a52", WHITE),
    Colour("dark blue", "#0f385c", WHITE),
    Colour("red", "#ca3535", WHITE),
    Colour("brown", "#99704a", WHITE),
)

_TILE = 8


def _marks(name: str, ink: str) -> list[tuple[str, dict[str, str]]]:
    """The marks a pattern draws over its colour, on an 8 x 8 tile."""
    line = {"stroke": ink, "stroke-width": "2", "stroke-linecap": "square"}
    thin = {"stroke": ink, "stroke-width": "1.2"}
    match name:
        case "solid":
            return []
        case "stripes":  # rising diagonals
            return [("path", {"d": "M-2 2L2-2M0 8L8 0M6 10L10 6", **line})]
        case "dots":
            return [("circle", {"cx": "4", "cy": "4", "r": "1.8", "fill": ink})]
        case "cross-hatch":
            return [("path", {"d": "M0 0L8 8M8 0L0 8", **thin})]
        case "horizontal":
            return [("path", {"d": "M0 4H8", **line})]
        case "vertical":
            return [("path", {"d": "M4 0V8", **line})]
        case "falling":  # falling diagonals
            return [("path", {"d": "M-2 6L2 10M0 0L8 8M6-2L10 2", **line})]
        case "checks":
            return [
                ("rect", {"width": "4", "height": "4", "fill": ink}),
                ("rect", {"x": "4", "y": "4", "width": "4", "height": "4", "fill": ink}),
            ]
    raise ValueError(name)


#: Fill patterns for bars, in order (8 of them against 9 colours: 72 series before a repeat).
PATTERNS = (
    "solid",
    "stripes",
    "dots",
    "cross-hatch",
    "horizontal",
    "vertical",
    "falling",
    "checks",
)
#: Dash patterns for lines, in order.
DASHES = ("none", "10 5", "3 4", "12 4 3 4", "6 6", "2 8")


@dataclass(frozen=True)
class Chart:
    table: Table
    #: The SVG markup (escaped throughout, marked safe to put in the page as it is).
    svg: str
    #: What was drawn: "bar", "horizontal-bar", "stacked-bar", "horizontal-stacked-bar" or
    #: "line". Bars whose labels cannot stand side by side at 400 units are drawn horizontally.
    kind: str


KIND_WORDS = {
    "bar": "Bar chart",
    "horizontal-bar": "Bar chart",
    "stacked-bar": "Stacked bar chart",
    "horizontal-stacked-bar": "Stacked bar chart",
    "line": "Line chart",
}


def bar_chart(
    table: Table,
    *,
    label_column: int = 0,
    value_columns: Sequence[int] = (1,),
    horizontal: bool = False,
) -> Chart:
    """Bars side by side, one series per value column (horizontal for long labels)."""
    kind = "horizontal-bar" if horizontal else "bar"
    return _chart(table, kind, label_column, value_columns)


def stacked_bar_chart(
    table: Table, *, label_column: int = 0, value_columns: Sequence[int]
) -> Chart:
    """One bar per row, its value columns stacked (for parts of a whole)."""
    return _chart(table, "stacked-bar", label_column, value_columns)


def line_chart(table: Table, *, label_column: int = 0, value_columns: Sequence[int]) -> Chart:
    """One line per value column across the rows (for trends by month or quarter)."""
    return _chart(table, "line", label_column, value_columns)


# -- drawing ----------------------------------------------------------------------------------


_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def clean(text: object) -> str:
    """Text as XML can carry it (control characters dropped)."""
    return _NOT_XML.sub("", str(text))


def _number(cell: Cell) -> float | None:
    if isinstance(cell, bool) or not isinstance(cell, int | float):
        return None
    if isinstance(cell, float) and not math.isfinite(cell):
        return None
    return cell


def _short(label: str, limit: int) -> str:
    """A label shortened for the picture (the table beside it has it whole)."""
    return label if len(label) <= limit else label[: limit - 1].rstrip() + "…"


def _format(value: float) -> str:
    if float(value).is_integer():
        return f"{int(value):,}"
    return f"{value:,.1f}"


def _chart(table: Table, kind: str, label_column: int, value_columns: Sequence[int]) -> Chart:
    columns = tuple(value_columns)
    if not columns:
        raise ValueError("A chart needs at least one value column.")
    for c in (label_column, *columns):
        if not 0 <= c < len(table.headers):
            raise ValueError(f"Column {c} is not in the table {table.title!r}.")
    labels = [clean(row[label_column] if row[label_column] is not None else "")
              for row in table.rows]  # fmt: skip
    series = [(clean(table.headers[c]), [_number(row[c]) for row in table.rows]) for c in columns]
    if kind in ("bar", "stacked-bar") and _axis_labels(labels, kind) is None:
        kind = f"horizontal-{kind}"  # too many or too long to stand side by side: a row each
    key = (kind, label_column, columns, table.title, table.headers, table.rows)
    prefix = f"chart-{hashlib.sha256(repr(key).encode()).hexdigest()[:10]}"
    if not any(v is not None for _, values in series for v in values):
        # Nothing to draw: the chart says so (pygal would draw an empty pair of axes).
        drawn = (
            f'<svg xmlns="{SVG_NS}" viewBox="0 0 {WIDTH} 80"><g class="graph">'
            f'<text x="{WIDTH // 2}" y="46" class="no_data">{NO_DATA}</text></g></svg>'
        )
    else:
        drawn = _pygal(kind, labels, series)
    svg = _rebuild(
        drawn,
        kind=kind,
        prefix=prefix,
        table=table,
        series_names=[name for name, _ in series],
        label_header=clean(table.headers[label_column]),
    )
    return Chart(table=table, svg=svg, kind=kind)


Series = list[tuple[str, list[float | None]]]


def _top(kind: str, series: Series) -> float:
    if "stacked" in kind:
        columns = zip(*(values for _, values in series), strict=True)
        return max((sum(v or 0 for v in column) for column in columns), default=0)
    return max((v for _, values in series for v in values if v is not None), default=0)


def _style() -> Style:
    return Style(
        font_family=FONT,
        background=WHITE,
        plot_background=WHITE,
        foreground=INK,
        foreground_strong=INK,
        foreground_subtle=INK,
        colors=tuple(c.fill for c in PALETTE),
        label_font_size=FONT_SIZE,
        major_label_font_size=FONT_SIZE,
        legend_font_size=FONT_SIZE,
        title_font_size=FONT_SIZE,
        value_font_size=FONT_SIZE,
        no_data_font_size=FONT_SIZE + 4,
        tooltip_font_size=FONT_SIZE,
    )


def _pygal(kind: str, labels: list[str], series: Series) -> str:
    many = len(series) > 1
    values = [v for _, vs in series for v in vs if v is not None]
    horizontal = kind.startswith("horizontal")
    legend = (FONT_SIZE + 10) * len(series) if many else 0
    if horizontal:
        bars = _BAR * (1 if "stacked" in kind else len(series))
        band = 2 * _LABEL_ROOM + bars
        height = max(2, len(labels)) * band + 2 * FONT_SIZE + 24 + legend
    else:
        height = HEIGHT + legend
    config: dict[str, Any] = {
        "style": _style(),
        "width": WIDTH,
        "height": height,
        "js": [],
        "css": [],
        "disable_xml_declaration": True,
        "show_legend": many,
        "legend_at_bottom": True,
        "legend_at_bottom_columns": 1,
        "legend_box_size": FONT_SIZE,
        "truncate_legend": 34,
        "truncate_label": -1,  # shortened here, where the room is known
        "margin": 8,
        "spacing": 8,
        "show_x_guides": False,
        "show_y_guides": True,
        "print_values": False,
        "no_data_text": NO_DATA,
        "value_formatter": _format,
        "allow_interruptions": False,
        "dots_size": 4,
        "stroke_style": {"width": 3},
    }
    if values and all(float(v).is_integer() for v in values):
        config["y_labels"] = _whole_ticks(_top(kind, series))
    row_labels: list[str] = []
    if horizontal:
        # Each row's label goes above its bars, across the chart (_LabelledRows), not in a
        # column beside them that would leave the bars no room on a phone. pygal draws the
        # first row at the bottom: reversed, the table's first row is at the top.
        row_labels = [_short(label, 44) for label in reversed(labels)]
        series = [(name, list(reversed(vs))) for name, vs in series]
        labels = []
    else:
        labels, more = _axis_labels(labels, kind) or (labels, {})
        config.update(more)
    chart = _CLASSES[kind](**config)
    chart.x_labels = labels or None
    chart.row_labels = row_labels
    for name, vs in series:
        chart.add(name, vs)
    return str(chart.render(is_unicode=True))


#: About how wide a character of the labels is, in ems.
_EM_PER_CHAR = 0.6


def _axis_labels(labels: list[str], kind: str) -> tuple[list[str], dict[str, Any]] | None:
    """The labels along the bottom, shortened to fit side by side: to 6 characters at least
    for a line chart, which labels every n-th point where even that would not fit (months read
    well that way); to 8 at least for bars ("Oct t..." would say nothing), which are otherwise
    drawn a row each (None)."""
    if not labels:
        return labels, {}
    char = FONT_SIZE * _EM_PER_CHAR
    room = (WIDTH - 50) / len(labels)
    fits = int((room - 8) / char)
    longest = max(len(label) for label in labels)
    if fits >= min(6 if kind == "line" else 8, longest):
        return [_short(label, fits) for label in labels], {}
    if kind != "line":
        return None
    shown = [_short(label, 10) for label in labels]
    every = math.ceil((max(len(label) for label in shown) * char + 8) / room)
    return shown, {"x_labels_major_every": every, "show_minor_x_labels": False}


def _whole_ticks(top: float) -> list[int]:
    """Whole-number ticks from 0 to at least ``top``, 6 at most, 1-2-5 steps."""
    step = 1
    while top / step > 5:
        step = step * 5 // 2 if str(step).startswith("2") else step * 2
    return [i * step for i in range(max(1, math.ceil(top / step)) + 1)]


#: Room above a horizontal bar for its row's label, and the thickness of each bar.
_LABEL_ROOM = FONT_SIZE + 8
_BAR = 20


class _LabelledRows:
    """For pygal's horizontal bars: each row's label written above its bars.

    pygal leaves ``_series_margin`` (a fraction of each row's band) on either side of a row's
    bars; here it is the room a label needs, and the labels are drawn in that room once the
    bars are, where pygal's view puts each band.
    """

    view: Any
    svg: Any
    nodes: dict[str, Any]
    _len: int
    row_labels: list[str]

    @property
    def _series_margin(self) -> float:
        band = abs(self.view.x(1) - self.view.x(0)) / max(self._len, 1)
        return min(0.45, _LABEL_ROOM / band) if band else 0.06

    def _plot(self) -> None:
        super()._plot()  # type: ignore[misc]
        n = max(self._len, 1)
        for i, label in reversed(list(enumerate(self.row_labels))):  # the table's order
            ends = self.view.x(i / n), self.view.x((i + 1) / n)
            top, band = min(ends), abs(ends[1] - ends[0])
            node = self.svg.node(
                self.nodes["plot"],
                "text",
                x=4,
                y=top + band * self._series_margin - 7,
                class_="row-label",
            )
            node.set("data-row", str(n - 1 - i))
            node.text = label


class _HorizontalBar(_LabelledRows, pygal.HorizontalBar):  # type: ignore[misc]
    pass


class _HorizontalStackedBar(_LabelledRows, pygal.HorizontalStackedBar):  # type: ignore[misc]
    pass


_CLASSES: dict[str, Any] = {
    "bar": pygal.Bar,
    "horizontal-bar": _HorizontalBar,
    "stacked-bar": pygal.StackedBar,
    "horizontal-stacked-bar": _HorizontalStackedBar,
    "line": pygal.Line,
}


# -- rebuilding pygal's drawing for the page --------------------------------------------------

#: Elements kept from pygal's drawing (with their children); anything else is dropped.
_KEEP = {"svg", "g", "rect", "path", "text", "tspan", "circle", "line", "polyline", "polygon"}
#: Attributes kept from pygal's drawing: geometry only. Colours and fonts are set afresh.
_GEOMETRY = {
    "x", "y", "x1", "y1", "x2", "y2", "width", "height", "rx", "ry", "cx", "cy", "r", "d",
    "points", "transform", "text-anchor", "dominant-baseline", "data-row",
}  # fmt: skip


def _classes(el: ET.Element) -> set[str]:
    return set((el.get("class") or "").split())


def _rebuild(
    drawn: str,
    *,
    kind: str,
    prefix: str,
    table: Table,
    series_names: list[str],
    label_header: str,
) -> SafeString:
    source = ET.fromstring(drawn)  # noqa: S314 (pygal's output, from our own values)
    for el in source.iter():
        el.tag = el.tag.rpartition("}")[2]
    graph = next((g for g in source if g.tag == "g" and "graph" in _classes(g)), None)
    horizontal = graph is not None and "horizontal" in _classes(graph)

    root = ET.Element(
        "svg",
        {
            "xmlns": SVG_NS,
            "viewBox": source.get("viewBox", f"0 0 {WIDTH} {HEIGHT}"),
            "width": "100%",
            "role": "img",
            "aria-labelledby": f"{prefix}-title",
            "aria-describedby": f"{prefix}-desc",
            "focusable": "false",
            "class": "app-chart__svg",
            "font-family": FONT,
            "font-size": str(FONT_SIZE),
            "fill": INK,
        },
    )
    ET.SubElement(root, "title", {"id": f"{prefix}-title"}).text = clean(table.title)
    ET.SubElement(root, "desc", {"id": f"{prefix}-desc"}).text = _description(
        kind, table, series_names, label_header
    )
    defs = ET.SubElement(root, "defs")
    for i in range(len(series_names)):
        defs.append(_pattern(f"{prefix}-s{i}", i))
    if graph is not None:
        root.append(_copy(graph, kind=kind, prefix=prefix, horizontal=horizontal, context=set()))
    return mark_safe(ET.tostring(root, encoding="unicode"))  # noqa: S308 (escaped by ElementTree)


def _pattern(pid: str, i: int) -> ET.Element:
    colour = PALETTE[i % len(PALETTE)]
    pattern = ET.Element(
        "pattern",
        {
            "id": pid,
            "width": str(_TILE),
            "height": str(_TILE),
            "patternUnits": "userSpaceOnUse",
        },
    )
    ET.SubElement(pattern, "rect", {"width": str(_TILE), "height": str(_TILE), "fill": colour.fill})
    for tag, attrs in _marks(PATTERNS[i % len(PATTERNS)], colour.ink):
        ET.SubElement(pattern, tag, attrs)
    return pattern


def _series_index(classes: set[str]) -> int | None:
    """The series pygal's classes name (``serie-2``, or ``color-2`` on a legend's box)."""
    for c in sorted(classes):
        kind, _, number = c.partition("-")
        if kind in ("serie", "color") and number.isdigit():
            return int(number)
    return None


def _copy(  # noqa: C901 (one place that says how each of pygal's pieces looks)
    el: ET.Element, *, kind: str, prefix: str, horizontal: bool, context: set[str]
) -> ET.Element:
    classes = _classes(el)
    out = ET.Element(el.tag, {k: v for k, v in el.attrib.items() if k in _GEOMETRY})
    out.text, out.tail = el.text, None
    if el.tag in ("text", "tspan") and out.text:
        out.text = clean(out.text)
    inner = context | classes

    if el.tag == "g" and {"series"} <= classes and "plot" not in classes:
        i = _series_index(classes)
        if i is not None and not context & {"overlay", "text-overlay"}:
            out.set("data-series", str(i))
            out.set("class", "app-chart__series")
            if kind == "line":
                out.set("fill", "none")
            else:
                out.set("fill", f"url(#{prefix}-s{i})")
                out.set("stroke", INK)
                out.set("stroke-width", "1")
    elif el.tag == "rect" and "background" in classes:
        out.set("fill", WHITE)
    elif el.tag == "path" and "line" in classes and "series" in context:
        i = _series_index(context) or 0
        out.set("fill", "none")
        out.set("stroke", PALETTE[i % len(PALETTE)].fill)
        out.set("stroke-width", "3")
        if DASHES[i % len(DASHES)] != "none":
            out.set("stroke-dasharray", DASHES[i % len(DASHES)])
    elif el.tag == "circle" and "dot" in classes:
        i = _series_index(context) or 0
        out.set("fill", PALETTE[i % len(PALETTE)].fill)
        out.set("stroke", WHITE)
        out.set("stroke-width", "1")
    elif el.tag == "path" and "axis" in context:
        if "guide" in classes:
            # The guides across the plot: only those along the value axis are drawn.
            along_values = ("y" in context) != horizontal
            if not along_values and "always_show" not in context:
                return _nothing()
            out.set("stroke", GUIDE)
            out.set("stroke-width", "1")
        else:
            out.set("stroke", INK)
            out.set("stroke-width", "1")
        out.set("fill", "none")
    elif el.tag == "text" and "axis" in context:
        out.set("fill", INK)
        if "transform" in out.attrib:
            out.set("text-anchor", "end" if "backwards" in classes else "start")
        elif "x" in context:
            out.set("text-anchor", "middle")
        else:
            out.set("text-anchor", "end")
    elif el.tag == "text" and "row-label" in classes:
        out.set("fill", INK)
        out.set("text-anchor", "start")
    elif el.tag == "text" and "no_data" in classes:
        out.set("text-anchor", "middle")
        out.set("font-size", str(FONT_SIZE + 4))
    elif el.tag == "g" and "legend" in classes:
        out.set("class", "app-chart__legend")
    elif el.tag == "rect" and "legends" in context:
        i = _series_index(classes) or 0
        if kind == "line":
            y = float(el.get("y", "0")) + float(el.get("height", "0")) / 2
            x = float(el.get("x", "0"))
            colour = PALETTE[i % len(PALETTE)]
            line = ET.Element(
                "line",
                {
                    "x1": f"{x - 8:g}",
                    "x2": f"{x + float(el.get('width', '0')):g}",
                    "y1": f"{y:g}",
                    "y2": f"{y:g}",
                    "stroke": colour.fill,
                    "stroke-width": "3",
                    "data-legend": str(i),
                },
            )
            dash = DASHES[i % len(DASHES)]
            if dash != "none":
                line.set("stroke-dasharray", dash)
            return line
        out.set("fill", f"url(#{prefix}-s{i})")
        out.set("stroke", INK)
        out.set("stroke-width", "1")
        out.set("data-legend", str(i))
    elif el.tag == "text" and "legends" in context:
        out.set("fill", INK)

    if el.tag == "g" and classes & {"tooltip-overlay", "titles", "text-overlay"}:
        return _nothing()

    for child in el:
        if child.tag not in _KEEP:
            continue
        copied = _copy(child, kind=kind, prefix=prefix, horizontal=horizontal, context=inner)
        if copied.tag != _NOTHING:
            out.append(copied)
    return out


_NOTHING = "nothing"


def _nothing() -> ET.Element:
    return ET.Element(_NOTHING)


def _description(kind: str, table: Table, series_names: list[str], label_header: str) -> str:
    what = ", ".join(series_names)
    key = ""
    if len(series_names) > 1:
        drawn = [
            f"{name} ({PALETTE[i % len(PALETTE)].name}, "
            + (
                f"{_DASH_WORDS[DASHES[i % len(DASHES)]]} line)"
                if kind == "line"
                else f"{PATTERNS[i % len(PATTERNS)]})"
            )
            for i, name in enumerate(series_names)
        ]
        key = f" Key: {'; '.join(drawn)}."
    shown = f"{KIND_WORDS[kind]} of {what} by {label_header.lower() or 'row'}."
    summary = f" {clean(table.summary)}" if table.summary else ""
    return f"{shown}{summary}{key} The figures are in the table beside it."


_DASH_WORDS = {
    "none": "solid",
    "10 5": "dashed",
    "3 4": "dotted",
    "12 4 3 4": "dash-dot",
    "6 6": "short-dashed",
    "2 8": "sparse-dotted",
}
