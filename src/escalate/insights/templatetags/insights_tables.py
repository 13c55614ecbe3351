"""``{% load insights_tables %}``: what ``insights/_table.html`` needs of a
:class:`~escalate.insights.tables.Table`, which a template cannot read by itself (a template
cannot look a cell's link up by its ``(row, column)``).

``table|table_columns`` gives each column's header and whether it is numeric (every cell below
it, after the first column, a number or empty); ``table|table_rows`` gives each row as its
cells, each with its text (numbers with thousands separators, a fraction to at most two
decimal places, None as None: the template shows an en dash), its link (or ""), whether it
is numeric and whether it is the row's header (the first column).
"""

from __future__ import annotations

from dataclasses import dataclass

from django import template

from escalate.insights.tables import Cell, Table

register = template.Library()


@dataclass(frozen=True)
class Column:
    header: str
    numeric: bool


@dataclass(frozen=True)
class ShownCell:
    text: str | None
    href: str
    numeric: bool
    is_header: bool


def _is_number(cell: Cell) -> bool:
    return isinstance(cell, int | float) and not isinstance(cell, bool)


def _numeric_columns(table: Table) -> list[bool]:
    numeric = []
    for c in range(len(table.headers)):
        cells = [row[c] for row in table.rows if c < len(row) and row[c] is not None]
        numeric.append(c > 0 and bool(cells) and all(_is_number(cell) for cell in cells))
    return numeric


def cell_text(cell: Cell) -> str | None:
    if cell is None:
        return None
    if isinstance(cell, bool):
        return "Yes" if cell else "No"
    if isinstance(cell, int):
        return f"{cell:,}"
    if isinstance(cell, float):
        # Up to two decimal places, without trailing zeros: 15.75, 5.5, 87.5, 3.
        return f"{cell:,.2f}".rstrip("0").rstrip(".")
    return str(cell)


@register.filter(name="table_columns")
def table_columns(table: Table) -> list[Column]:
    return [
        Column(header, numeric)
        for header, numeric in zip(table.headers, _numeric_columns(table), strict=True)
    ]


@register.filter(name="table_rows")
def table_rows(table: Table) -> list[list[ShownCell]]:
    numeric = _numeric_columns(table)
    return [
        [
            ShownCell(
                text=cell_text(cell),
                href=table.links.get((r, c), ""),
                numeric=c < len(numeric) and numeric[c],
                is_header=c == 0,
            )
            for c, cell in enumerate(row)
        ]
        for r, row in enumerate(table.rows)
    ]
