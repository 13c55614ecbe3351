"""Charts drawn on the server (escalate.insights.charts): an SVG fit for the page's
Content-Security-Policy, named and described for screen readers, one series per value column,
each told apart by a pattern as well as a colour, drawn to scale, with its data table beside it."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

import pytest
from django.template.loader import render_to_string

from escalate.insights.charts import (
    Chart,
    bar_chart,
    line_chart,
    stacked_bar_chart,
)
from escalate.insights.tables import Table

SVG = "{http://www.w3.org/2000/svg}"

MONTHS = Table(
    title="Escalations raised and closed by month",
    headers=("Month", "Raised", "Closed", "Withdrawn"),
    rows=(
        ("January 2026", 12, 7, 1),
        ("February 2026", 4, 9, 0),
        ("March 2026", 20, 3, 2),
    ),
    summary="More were raised in March than in any other month.",
    count_columns=frozenset({1, 2, 3}),
    links={(0, 1): "/escalations/?raised=2026-01"},
)
AGENCIES = Table(
    title="Escalations raised by agency",
    headers=("Agency", "Raised"),
    rows=(
        ("North Lincolnshire Council adult social care", 9),
        ("Northern Lincolnshire and Goole NHS Foundation Trust", 3),
        ("Humberside Police <public protection>", 6),
    ),
    count_columns=frozenset({1}),
)


def _parse(chart: Chart) -> ET.Element:
    return ET.fromstring(chart.svg)  # noqa: S314 - our own output


def _series(root: ET.Element) -> list[ET.Element]:
    return [g for g in root.iter(f"{SVG}g") if g.get("data-series") is not None]


def _all_charts() -> list[Chart]:
    return [
        bar_chart(MONTHS, value_columns=(1, 2, 3)),
        bar_chart(AGENCIES, horizontal=True),
        stacked_bar_chart(MONTHS, value_columns=(1, 2, 3)),
        line_chart(MONTHS, value_columns=(1, 2)),
    ]


@pytest.mark.parametrize("chart", _all_charts(), ids=lambda c: c.kind)
def test_svg_parses_and_is_named_and_described(chart: Chart) -> None:
    root = _parse(chart)
    assert root.tag == f"{SVG}svg"
    assert root.get("role") == "img"
    assert root.get("width") == "100%"
    assert re.fullmatch(r"0 0 \d+ \d+", root.get("viewBox") or "")
    title_id, desc_id = root.get("aria-labelledby"), root.get("aria-describedby")
    title, desc = root[0], root[1]  # first, so every user agent finds them
    assert (title.tag, title.get("id"), title.text) == (f"{SVG}title", title_id, chart.table.title)
    assert desc.tag == f"{SVG}desc" and desc.get("id") == desc_id
    assert desc.text and chart.table.summary in desc.text
    # pygal's own titles and descriptions (tooltips, guides) are gone: one of each.
    assert len(list(root.iter(f"{SVG}title"))) == 1
    assert len(list(root.iter(f"{SVG}desc"))) == 1
    assert "font-family" in root.attrib and "system-ui" in root.get("font-family", "")


@pytest.mark.parametrize("chart", _all_charts(), ids=lambda c: c.kind)
def test_nothing_the_content_security_policy_would_block_or_fetch(chart: Chart) -> None:
    root = _parse(chart)
    tags = {el.tag.removeprefix(SVG) for el in root.iter()}
    assert not tags & {"script", "style", "image", "use", "a", "foreignObject", "iframe"}
    for el in root.iter():
        assert "style" not in el.attrib, el.tag
        for name, value in el.attrib.items():
            assert not name.startswith("on"), name
            assert "href" not in name, name
            assert "http" not in value or name == "xmlns", (name, value)
    assert "<script" not in chart.svg and "javascript:" not in chart.svg


@pytest.mark.parametrize(
    ("chart", "series"),
    [
        (bar_chart(MONTHS, value_columns=(1, 2, 3)), 3),
        (bar_chart(MONTHS), 1),
        (bar_chart(AGENCIES, horizontal=True), 1),
        (stacked_bar_chart(MONTHS, value_columns=(1, 3)), 2),
        (line_chart(MONTHS, value_columns=(1, 2, 3)), 3),
    ],
    ids=lambda v: v.kind if isinstance(v, Chart) else str(v),
)
def test_one_series_per_value_column(chart: Chart, series: int) -> None:
    assert [g.get("data-series") for g in _series(_parse(chart))] == [str(i) for i in range(series)]


@pytest.mark.parametrize(
    "chart",
    [
        bar_chart(MONTHS, value_columns=(1, 2, 3)),
        stacked_bar_chart(MONTHS, value_columns=(1, 2, 3)),
    ],
    ids=lambda c: c.kind,
)
def test_each_bar_series_is_filled_with_its_own_pattern(chart: Chart) -> None:
    root = _parse(chart)
    patterns = {p.get("id"): p for p in root.iter(f"{SVG}pattern")}
    fills = []
    for g in _series(root):
        fill = g.get("fill") or ""
        match = re.fullmatch(r"url\(#([\w-]+)\)", fill)
        assert match, fill
        assert match[1] in patterns
        fills.append(match[1])
        assert len(list(g.iter(f"{SVG}rect"))) == len(MONTHS.rows)  # a bar per row
    assert len(set(fills)) == 3
    # Told apart by their shapes, not only their colours: no two patterns draw the same marks.
    marks = {
        ET.tostring(_without_fill(patterns[f]), encoding="unicode").replace(f, "") for f in fills
    }
    assert len(marks) == 3
    # The legend shows the same pattern beside each series' name.
    legend = [r.get("fill") for r in root.iter(f"{SVG}rect") if r.get("data-legend") is not None]
    assert legend == [f"url(#{f})" for f in fills]


def _without_fill(pattern: ET.Element) -> ET.Element:
    """The pattern's marks with every colour taken away: what is left is its shape."""
    copy = ET.fromstring(ET.tostring(pattern))  # noqa: S314 - our own output
    for el in copy.iter():
        for name in ("fill", "stroke"):
            el.attrib.pop(name, None)
    return copy


def test_line_series_differ_in_dashes_as_well_as_colours() -> None:
    root = _parse(line_chart(MONTHS, value_columns=(1, 2, 3)))
    lines = []
    for g in _series(root):
        paths = list(g.iter(f"{SVG}path"))
        assert len(paths) == 1
        lines.append((paths[0].get("stroke"), paths[0].get("stroke-dasharray", "none")))
    assert len({stroke for stroke, _ in lines}) == 3
    assert len({dashes for _, dashes in lines}) == 3
    legend = [el for el in root.iter(f"{SVG}line") if el.get("data-legend") is not None]
    assert [(el.get("stroke"), el.get("stroke-dasharray", "none")) for el in legend] == lines


def _bar_lengths(chart: Chart, attribute: str) -> list[list[float]]:
    return [
        [float(r.get(attribute, "0")) for r in g.iter(f"{SVG}rect")] for g in _series(_parse(chart))
    ]


def test_bars_are_drawn_to_scale() -> None:
    chart = bar_chart(MONTHS, value_columns=(1, 2, 3))
    heights = _bar_lengths(chart, "height")
    per_unit = heights[0][0] / 12
    for column, bars in zip((1, 2, 3), heights, strict=True):
        for row, height in zip(MONTHS.rows, bars, strict=True):
            value = row[column]
            assert isinstance(value, int)
            assert height == pytest.approx(value * per_unit, abs=0.01)


def test_horizontal_bars_are_drawn_to_scale_top_down_each_under_its_label() -> None:
    chart = bar_chart(AGENCIES, horizontal=True)
    root = _parse(chart)
    (series,) = _series(root)
    bars = sorted(series.iter(f"{SVG}rect"), key=lambda r: float(r.get("y", "0")))
    widths = [float(r.get("width", "0")) for r in bars]
    assert [w / widths[0] for w in widths] == pytest.approx([1, 3 / 9, 6 / 9])  # first at top
    labels = [t for t in root.iter(f"{SVG}text") if t.get("data-row") is not None]
    assert [t.text for t in labels] == [
        "North Lincolnshire Council adult social care",
        "Northern Lincolnshire and Goole NHS Foundat…",  # in full in the table beside it
        "Humberside Police <public protection>",  # escaped, not dropped
    ]
    for label, bar in zip(labels, bars, strict=True):
        gap = float(bar.get("y", "0")) - float(label.get("y", "0"))
        assert 0 < gap < 16, "each label sits just above its own bar"
    assert "<public" not in chart.svg and "&lt;public" in chart.svg


def test_bars_too_many_to_stand_side_by_side_are_drawn_a_row_each() -> None:
    table = Table(
        title="Categories",
        headers=("Category", "Raised"),
        rows=tuple((f"Category number {i}", i) for i in range(9)),
    )
    assert bar_chart(table).kind == "horizontal-bar"
    assert stacked_bar_chart(table, value_columns=(1,)).kind == "horizontal-stacked-bar"
    assert bar_chart(MONTHS).kind == "bar"


def test_stacked_bars_add_up() -> None:
    chart = stacked_bar_chart(MONTHS, value_columns=(1, 2, 3))
    heights = _bar_lengths(chart, "height")
    per_unit = heights[0][0] / 12
    for i, row in enumerate(MONTHS.rows):
        total = sum(series[i] for series in heights)
        assert total == pytest.approx((row[1] + row[2] + row[3]) * per_unit, abs=0.01)  # type: ignore[operator]


def test_missing_and_suppressed_values_draw_nothing_and_do_not_fail() -> None:
    table = Table(
        title="Stages",
        headers=("Stage", "Ended"),
        rows=(("Stage 1", 8), ("Stage 2", "fewer than 5"), ("Stage 3", None)),
    )
    chart = bar_chart(table)
    (heights,) = _bar_lengths(chart, "height")
    assert len(heights) == 1


def test_an_empty_table_says_so() -> None:
    chart = bar_chart(Table(title="Nothing yet", headers=("Month", "Raised"), rows=()))
    root = _parse(chart)
    assert "No figures to show" in "".join(root.itertext())


def test_the_same_table_draws_the_same_chart_and_ids_differ_between_charts() -> None:
    one, two = bar_chart(MONTHS), bar_chart(MONTHS)
    assert one.svg == two.svg
    other = bar_chart(MONTHS, value_columns=(2,))
    assert _parse(one).get("aria-labelledby") != _parse(other).get("aria-labelledby")


def test_a_label_with_characters_xml_cannot_carry_still_parses() -> None:
    table = Table(title="Odd\x00 title", headers=("A", "B\x0b"), rows=(("x\x1f", 1),))
    root = _parse(bar_chart(table))
    assert root[0].text == "Odd title"


def test_the_figure_shows_the_chart_the_summary_and_the_data_table() -> None:
    chart = bar_chart(MONTHS, value_columns=(1, 2, 3))
    html = render_to_string("insights/_chart.html", {"chart": chart})
    assert "<figure" in html and chart.svg in html
    assert MONTHS.summary in html
    assert re.search(rf"<caption[^>]*>{MONTHS.title}</caption>", html)
    for header in MONTHS.headers[1:]:
        assert re.search(rf'<th scope="col" class="govuk-table__header[^"]*">{header}</th>', html)
    cells = re.findall(r'<td class="govuk-table__cell[^"]*">(.*?)</td>', html, re.S)
    values = [str(v) for row in MONTHS.rows for v in row[1:]]
    assert [re.sub(r"<[^>]+>", "", c).strip() for c in cells] == values
    for row in MONTHS.rows:
        assert re.search(rf'<th scope="row" class="govuk-table__header">{row[0]}</th>', html)
    assert '<a class="govuk-link" href="/escalations/?raised=2026-01">12</a>' in html


def test_bar_labels_cut_below_8_characters_are_drawn_a_row_each_instead() -> None:
    """Five quarters' labels would read "Oct t..." side by side: a row each says them whole."""
    quarters = Table(
        title="Raised by quarter",
        headers=("Quarter", "Raised"),
        rows=tuple(
            (f"{q} 2026", i)
            for i, q in enumerate(
                ("Jan to Mar", "Apr to Jun", "Jul to Sep", "Oct to Dec", "Jan to Mar")
            )
        ),
    )
    assert bar_chart(quarters).kind == "horizontal-bar"
    assert line_chart(quarters, value_columns=(1,)).kind == "line"
