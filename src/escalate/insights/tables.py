"""The board's view's common currency: a figure as a titled table of cells.

The dashboard's selectors produce :class:`Table` objects; the charts draw them, the templates
show them beside the charts, and the exports write them (with small numbers suppressed where the
export leaves the partnership). A cell is text, a whole number, a decimal or None (shown as a
dash); ``links`` holds, for each cell that has one, the address of the escalations behind it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

Cell = str | int | float | None


@dataclass(frozen=True)
class Table:
    #: A short title, e.g. "Escalations raised by month".
    title: str
    headers: tuple[str, ...]
    rows: tuple[tuple[Cell, ...], ...]
    #: (row, column) -> the address of the list of escalations behind that figure.
    links: dict[tuple[int, int], str] = field(default_factory=dict)
    #: A sentence or two saying what the table shows, for screen readers and the summary.
    summary: str = ""
    #: Columns holding counts of escalations (the small-number rule applies to them).
    count_columns: frozenset[int] = frozenset()
