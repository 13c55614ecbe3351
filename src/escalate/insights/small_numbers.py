"""Small numbers: figures that leave the partnership never show a count that could identify an
adult or child.

:func:`suppress` is applied to every :class:`~escalate.insights.tables.Table` meant to leave
the partnership (the figures exported with ``publish=True``, and the annual report), with the
partnership's ``small_number_threshold`` (5 by default, never below 3). Only the table's
``count_columns`` are touched, and in them only whole numbers.

The rule, in three steps:

1. **Small numbers.** A count above 0 and below the threshold is shown as "fewer than 5" (the
   threshold's value). 0 stays: nobody can be identified in a count of none.
2. **No lone hidden count in a row or column.** Otherwise that line's total (in the table, as a
   total row or column, or published anywhere else, such as the year's headline figure) less
   the counts shown would give it. While a row or column of two counts or more has exactly one
   hidden, its smallest shown count above 0 (else a 0) is hidden too, shown as "withheld" (it
   may be large: "fewer than" would be untrue). Rows, then columns, until settled.
3. **No hidden count worked out from several totals together.** Two hidden counts in every
   line is not always enough: a hidden count joining two blocks of them is its row's total less
   sums the columns' totals give. Each line's total is an equation over its hidden counts; a
   hidden count is determined by them exactly when, in the graph of lines (vertices) and
   hidden counts (edges), it is a bridge, on no cycle (on a cycle, adding 1 and taking 1 in
   turn around it changes no total). While a hidden count is a bridge, the cheapest rectangle
   of counts through it (fewest new ones, then the smallest) is withheld.

So, for a table whose count cells all hold numbers: **no hidden count, small or withheld, can be
worked out exactly from the counts shown and every row's and column's total**, wherever those
totals are published (tests/insights/test_small_numbers.py checks this with a second,
independent method: Gaussian elimination over the totals' equations). Totals in the table are
counts like any other and are withheld where they would give a count away.

What cell suppression cannot do (the limits to tell a board): a reader also knows that counts
are never negative and that a small number is 1 to threshold - 1, and such bounds can narrow a
hidden count, at the extremes to one value (two "fewer than 5" in a row whose total is 2 are
both 1; a hidden count in a row whose other counts are all 0 is the row's total). A count with
no other count in its row or column (the cells beside it empty) is its row's or column's total
less the rest, which hiding cannot prevent: tables should hold 0, not nothing, where there is
none. The rule treats every row and column as if its total were published; where the columns
are not parts of a whole (raised and closed in a month, say) it withholds more than strictly
needed, the safe side for a report that leaves the partnership. Tables cut different ways (by
agency in one, by month in another) are not checked against each other. The threshold is never
below 3: "fewer than 2" could only be 1. And a reader who knows every total can sometimes pin a
small number from the bounds alone (in a check over 120 random 3 by 3 tables dense in small
numbers, 110 of 496); rounding or hiding zeros would close that, at a cost in what the board
can read, and is the board's decision.

Once anything is hidden, the table's summary (a sentence that may repeat a figure) is replaced
by a note saying what "fewer than" and "withheld" mean, and the links of hidden cells go.
"""

from __future__ import annotations

from dataclasses import replace

from escalate.directory.models import SMALL_NUMBER_THRESHOLD_MIN
from escalate.insights.tables import Cell, Table

#: A count hidden so that a hidden small number cannot be worked back from a total.
WITHHELD = "withheld"

Key = tuple[int, int]


def fewer_than(threshold: int) -> str:
    """What a small number is shown as."""
    return f"fewer than {threshold}"


def note(threshold: int) -> str:
    """The sentence a table with hidden counts carries instead of its summary."""
    return (
        f"Some figures are not shown, so that nobody can be identified: counts from 1 to "
        f'{threshold - 1} are shown as "{fewer_than(threshold)}", and "{WITHHELD}" marks a '
        "count not shown so that those cannot be worked out from a total."
    )


def _is_count(cell: Cell) -> bool:
    return isinstance(cell, int) and not isinstance(cell, bool)


def suppress(table: Table, threshold: int) -> Table:
    """The table as it may be published: small numbers and what would give them away hidden."""
    if threshold < SMALL_NUMBER_THRESHOLD_MIN:
        least = SMALL_NUMBER_THRESHOLD_MIN
        raise ValueError(f"The small-number threshold must be at least {least}.")
    columns = sorted(c for c in table.count_columns if 0 <= c < len(table.headers))
    counts: dict[Key, int] = {}
    for r, row in enumerate(table.rows):
        for c in columns:
            if c < len(row) and _is_count(cell := row[c]):
                counts[(r, c)] = int(cell)  # type: ignore[arg-type]
    small = {k for k, v in counts.items() if 0 < v < threshold}
    if not small:
        return table
    withheld = _complementary(counts, small)
    hidden = small | withheld
    rows = tuple(
        tuple(
            fewer_than(threshold) if (r, c) in small else WITHHELD if (r, c) in withheld else cell
            for c, cell in enumerate(row)
        )
        for r, row in enumerate(table.rows)
    )
    return replace(
        table,
        rows=rows,
        links={k: v for k, v in table.links.items() if k not in hidden},
        summary=note(threshold),
    )


def _complementary(counts: dict[Key, int], small: set[Key]) -> set[Key]:
    """The counts to withhold besides the small numbers (see the module's docstring)."""
    lines = _lines(counts)
    hidden = set(small)
    _no_lone_hidden(counts, lines, hidden)
    _every_hidden_on_a_cycle(counts, lines, hidden)
    return hidden - small


def _lines(counts: dict[Key, int]) -> list[list[Key]]:
    """The rows and columns of counts that have a total: those of two counts or more."""
    rows: dict[int, list[Key]] = {}
    columns: dict[int, list[Key]] = {}
    for key in sorted(counts):
        rows.setdefault(key[0], []).append(key)
        columns.setdefault(key[1], []).append(key)
    return [line for line in (*rows.values(), *columns.values()) if len(line) > 1]


def _no_lone_hidden(counts: dict[Key, int], lines: list[list[Key]], hidden: set[Key]) -> None:
    """Step 2: no line with exactly one hidden count. Hide the smallest count above 0 shown
    in it (a 0 only if it has none); rows, then columns, until settled."""
    changed = True
    while changed:
        changed = False
        for line in lines:
            if sum(1 for k in line if k in hidden) != 1:
                continue
            shown = [k for k in line if k not in hidden]
            if not shown:
                continue
            hidden.add(min(shown, key=lambda k: (counts[k] == 0, counts[k], k)))
            changed = True


def _every_hidden_on_a_cycle(
    counts: dict[Key, int], lines: list[list[Key]], hidden: set[Key]
) -> None:
    """Step 3: no hidden count that the totals pin down together.

    Each line's total is an equation over its hidden counts. Draw a graph with a vertex per
    line (plus one vertex, ``FREE``, for the end of a count whose row or column has no total)
    and an edge per hidden count between its row and its column: a count is then worked out
    exactly from the totals if and only if its edge is a bridge (on no cycle); on a cycle,
    adding 1 and taking 1 alternately around it changes no total. While there is a bridge, the
    cheapest rectangle of counts through it (fewest new ones, then the smallest) is hidden.
    """
    in_line = {k for line in lines for k in line}
    row_lines = {line[0][0] for line in lines if line[0][0] == line[-1][0]}
    column_lines = {line[0][1] for line in lines if line[0][1] == line[-1][1]}
    while True:
        bridges = _bridges(sorted(hidden & in_line), row_lines, column_lines)
        if not bridges:
            return
        r, c = bridges[0]
        best: tuple[int, int, list[Key]] | None = None
        for r2 in sorted({k[0] for k in counts} - {r}):
            for c2 in sorted({k[1] for k in counts} - {c}):
                corners = [(r, c2), (r2, c2), (r2, c)]
                if not all(k in counts for k in corners):
                    continue
                new = [k for k in corners if k not in hidden]
                cost = (len(new), sum(counts[k] for k in new), new)
                if best is None or cost[:2] < best[:2]:
                    best = cost
        if best is None or not best[2]:
            # No rectangle: hide the rest of its row and column (at worst, everything).
            more = [k for k in counts if (k[0] == r or k[1] == c) and k not in hidden]
            if not more:
                more = [k for k in counts if k not in hidden]
            if not more:
                return
            hidden.update(more)
        else:
            hidden.update(best[2])


FREE = ("free", -1)


def _bridges(edges: list[Key], row_lines: set[int], column_lines: set[int]) -> list[Key]:
    """The hidden counts that are bridges of the lines' graph (Tarjan's algorithm)."""
    adjacency: dict[tuple[str, int], list[tuple[tuple[str, int], int]]] = {}
    for i, (r, c) in enumerate(edges):
        a = ("row", r) if r in row_lines else FREE
        b = ("column", c) if c in column_lines else FREE
        adjacency.setdefault(a, []).append((b, i))
        adjacency.setdefault(b, []).append((a, i))
    order: dict[tuple[str, int], int] = {}
    low: dict[tuple[str, int], int] = {}
    found: list[Key] = []
    for start in adjacency:
        if start in order:
            continue
        order[start] = low[start] = len(order)
        stack = [(start, -1, iter(adjacency[start]))]
        while stack:
            vertex, via, neighbours = stack[-1]
            step = next(neighbours, None)
            if step is None:
                stack.pop()
                if stack:
                    parent = stack[-1][0]
                    low[parent] = min(low[parent], low[vertex])
                    if low[vertex] > order[parent]:
                        found.append(edges[via])
                continue
            other, edge = step
            if edge == via:
                continue
            if other in order:
                low[vertex] = min(low[vertex], order[other])
            else:
                order[other] = low[other] = len(order)
                stack.append((other, edge, iter(adjacency[other])))
    return sorted(found)


def _is_number(cell: Cell) -> bool:
    return isinstance(cell, int | float) and not isinstance(cell, bool)


def withhold_derived(before: Table, after: Table) -> Table:
    """``after`` (``before`` suppressed) with the numbers that are not counts withheld in each
    row where a count was hidden: a share of a hidden count, or the working days taken by
    fewer escalations than the threshold, would give the count (or the escalations) away."""
    rows: list[tuple[Cell, ...]] = []
    for old, new in zip(before.rows, after.rows, strict=True):
        hidden = any(old[c] != new[c] for c in after.count_columns if c < len(old))
        if hidden:
            new = tuple(
                WITHHELD if c > 0 and c not in after.count_columns and _is_number(cell) else cell
                for c, cell in enumerate(new)
            )
        rows.append(new)
    return replace(after, rows=tuple(rows))


def published(table: Table, threshold: int) -> Table:
    """A table as it may leave the partnership (the annual report, the figures exported to
    publish): small numbers and what would give them away hidden, and no links."""
    return replace(withhold_derived(table, suppress(table, threshold)), links={})
