"""Small numbers (escalate.insights.small_numbers): in figures that leave the partnership, no
count from 1 to threshold - 1 is shown, and none can be worked back from a total.

Property-based: hypothesis draws tables of counts (with and without a total row and column)
and thresholds; each property is checked from the table's cells alone, not by asking the code
under test which cells it hid.
"""

from __future__ import annotations

from collections.abc import Iterator
from fractions import Fraction

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from hypothesis import given, settings
from hypothesis import strategies as st

from escalate.directory.models import Partnership
from escalate.insights.small_numbers import WITHHELD, fewer_than, suppress
from escalate.insights.tables import Cell, Table

Key = tuple[int, int]


@st.composite
def count_tables(
    draw: st.DrawFn, *, max_rows: int = 6, max_columns: int = 5, empty_cells: bool = True
) -> Table:
    """A table of a label column, count columns (with some zeros and small numbers, and maybe
    empty cells), maybe a column of text that is not a count and maybe a total row and
    column."""
    n_rows = draw(st.integers(0, max_rows))
    n_counts = draw(st.integers(1, max_columns))
    small = st.integers(0, 9)
    counts = [small, st.integers(0, 200)]
    any_count = st.one_of(*counts, *([st.none()] if empty_cells else []))
    grid = [[draw(any_count) for _ in range(n_counts)] for _ in range(n_rows)]
    totals = draw(st.booleans()) and all(v is not None for row in grid for v in row)
    headers = ["Agency", *(f"Count {c}" for c in range(n_counts))]
    rows: list[list[Cell]] = [[f"Row {r}", *grid[r]] for r in range(n_rows)]
    if totals:
        headers.append("Total")
        for row in rows:
            row.append(sum(v for v in row[1:] if isinstance(v, int)))
        sums = [
            sum(v for row in rows if isinstance(v := row[c], int)) for c in range(1, n_counts + 2)
        ]
        rows.append(["Total", *sums])
    count_columns = frozenset(range(1, len(headers)))
    if draw(st.booleans()):  # a text column the rule leaves alone, after the counts
        headers.append("Note")
        for r, row in enumerate(rows):
            row.append(draw(st.sampled_from(["", "3", "text", "fewer than 2"])) + str(r))
    links = {(r, c): f"/escalations/?r={r}&c={c}" for r in range(len(rows)) for c in (1,)}
    return Table(
        title="Escalations by agency",
        headers=tuple(headers),
        rows=tuple(tuple(row) for row in rows),
        links=links,
        summary="3 escalations were raised by the police.",
        count_columns=count_columns,
    )


thresholds = st.integers(3, 10)


def _counts(table: Table) -> dict[Key, int]:
    return {
        (r, c): cell
        for r, row in enumerate(table.rows)
        for c in sorted(table.count_columns)
        if isinstance(cell := row[c], int) and not isinstance(cell, bool)
    }


def _hidden(before: Table, after: Table) -> set[Key]:
    return {k for k in _counts(before) if after.rows[k[0]][k[1]] != before.rows[k[0]][k[1]]}


def _lines(counts: dict[Key, int]) -> Iterator[list[Key]]:
    rows = sorted({r for r, _ in counts})
    columns = sorted({c for _, c in counts})
    for r in rows:
        yield [k for k in counts if k[0] == r]
    for c in columns:
        yield [k for k in counts if k[1] == c]


@given(count_tables(), thresholds)
def test_no_count_from_1_to_below_the_threshold_is_shown(table: Table, threshold: int) -> None:
    after = suppress(table, threshold)
    for r, c in _counts(table):
        shown = after.rows[r][c]
        assert not (isinstance(shown, int) and 0 < shown < threshold)
        if 0 < table.rows[r][c] < threshold:  # type: ignore[operator]
            assert shown == f"fewer than {threshold}" == fewer_than(threshold)


@given(count_tables(), thresholds)
def test_what_is_shown_is_true_and_the_rest_is_untouched(table: Table, threshold: int) -> None:
    after = suppress(table, threshold)
    assert (after.title, after.headers, after.count_columns) == (
        table.title,
        table.headers,
        table.count_columns,
    )
    assert len(after.rows) == len(table.rows)
    counts = _counts(table)
    for r, (old, new) in enumerate(zip(table.rows, after.rows, strict=True)):
        assert len(old) == len(new)
        for c, (was, now) in enumerate(zip(old, new, strict=True)):
            if (r, c) not in counts:
                assert now == was  # labels, text, empty cells: as they were
            elif now != was:
                # Hidden: either a small number said as such, or withheld (never a false
                # "fewer than" for a count that is not).
                assert now in (fewer_than(threshold), WITHHELD)
                assert now != fewer_than(threshold) or 0 < was < threshold  # type: ignore[operator]
    hidden = _hidden(table, after)
    assert set(after.links) == set(table.links) - hidden  # a hidden count links nowhere


@given(count_tables(), thresholds)
def test_no_hidden_count_is_a_line_total_less_the_counts_shown(
    table: Table, threshold: int
) -> None:
    """In every row and every column of counts, a hidden count never stands alone: whatever
    total of that line is published (in the table or elsewhere), less the counts shown, gives
    at least two hidden counts together."""
    after = suppress(table, threshold)
    counts, hidden = _counts(table), _hidden(table, after)
    for line in _lines(counts):
        hid = [k for k in line if k in hidden]
        assert len(hid) != 1 or len(line) == 1, (line, hid)


@given(count_tables(), thresholds)
def test_idempotent_and_nothing_hidden_without_a_small_number(table: Table, threshold: int) -> None:
    after = suppress(table, threshold)
    assert suppress(after, threshold) == after
    if not any(0 < v < threshold for v in _counts(table).values()):
        assert after == table


@given(count_tables(), thresholds)
def test_the_summary_never_repeats_figures_once_any_is_hidden(table: Table, threshold: int) -> None:
    after = suppress(table, threshold)
    if _hidden(table, after):
        assert table.summary not in after.summary
        assert fewer_than(threshold) in after.summary
    else:
        assert after.summary == table.summary


def _determined(hidden: list[Key], lines: list[list[Key]]) -> set[Key]:
    """The hidden counts a reader works out exactly from the totals of the given lines (each
    an equation: the line's hidden counts add up to its total less its shown counts): those
    whose unit vector lies in the equations' row space. Gaussian elimination over fractions."""
    index = {k: i for i, k in enumerate(hidden)}
    rows = [[Fraction(int(k in line)) for k in hidden] for line in lines]
    basis: list[tuple[int, list[Fraction]]] = []  # (pivot column, row) in reduced form
    for row in rows:
        for pivot, b in basis:
            if row[pivot]:
                row = [x - row[pivot] * y for x, y in zip(row, b, strict=True)]
        lead = next((i for i, x in enumerate(row) if x), None)
        if lead is None:
            continue
        row = [x / row[lead] for x in row]
        basis = [
            (p, [x - b[lead] * y for x, y in zip(b, row, strict=True)] if b[lead] else b)
            for p, b in basis
        ]
        basis.append((lead, row))
    determined = set()
    for k in hidden:
        unit = [Fraction(int(i == index[k])) for i in range(len(hidden))]
        for pivot, b in basis:
            if unit[pivot]:
                unit = [x - unit[pivot] * y for x, y in zip(unit, b, strict=True)]
        if not any(unit):
            determined.add(k)
    return determined


def test_the_oracle_finds_what_a_total_gives_away() -> None:
    """The check below can fail: a lone hidden count, or a chain of them, is found."""
    a, b, c, d = (0, 1), (0, 2), (1, 1), (1, 2)
    assert _determined([a], [[a, b]]) == {a}
    assert _determined([a, b], [[a, b]]) == set()
    # A rectangle of four is on a cycle: nothing is determined...
    assert _determined([a, b, c, d], [[a, b], [c, d], [a, c], [b, d]]) == set()
    # ... a path is not: every count on it is worked out from one end.
    assert _determined([a, b, d], [[a, b], [c, d], [a, c], [b, d]]) == {a, b, d}


@settings(max_examples=300, deadline=None)
@given(count_tables(max_rows=7, max_columns=5, empty_cells=False), thresholds)
def test_no_hidden_count_is_worked_out_from_every_row_and_column_total(
    table: Table, threshold: int
) -> None:
    """A reader who knows every row's and every column's total (in the table, or published
    anywhere else) and every count shown can write an equation per row and column; none of
    them, nor any combination, gives a hidden count (small or withheld) exactly. (Bounds
    aside: counts are 0 or more, and small ones 1 to threshold - 1; see the module.)

    Every count cell holds a number here: a count alone in its column because the cells
    beside it are empty is the row's total less the rest, which hiding cannot prevent."""
    after = suppress(table, threshold)
    counts, hidden = _counts(table), _hidden(table, after)
    lines = [line for line in _lines(counts) if len(line) > 1]
    equations = [[k for k in line if k in hidden] for line in lines]
    assert _determined(sorted(hidden), [e for e in equations if e]) == set()


def test_two_hidden_in_every_line_is_not_enough_when_a_count_joins_two_blocks() -> None:
    """Every row and column below has two small numbers or more, yet the 1 joining the two
    blocks of them (row 2, column 3) is its row's total less the top-left block's column
    totals: a count is safe only on a cycle of hidden counts."""
    table = Table(
        title="Blocks",
        headers=("Row", "A", "B", "C", "D"),
        rows=(
            ("r0", 1, 2, 50, 60),
            ("r1", 3, 4, 1, 70),
            ("r2", 80, 90, 2, 3),
            ("r3", 40, 30, 4, 1),
        ),
        count_columns=frozenset({1, 2, 3, 4}),
    )
    after = suppress(table, 5)
    counts, hidden = _counts(table), _hidden(table, after)
    small = {k for k, v in counts.items() if 0 < v < 5}
    only_small = [[k for k in line if k in small] for line in _lines(counts)]
    assert _determined(sorted(small), [line for line in only_small if line]) == {(1, 3)}
    assert hidden > small  # so more is withheld, though no line has a lone small number
    equations = [[k for k in line if k in hidden] for line in _lines(counts)]
    assert _determined(sorted(hidden), [line for line in equations if line]) == set()


def test_a_threshold_of_2_is_refused_fewer_than_2_could_only_mean_1() -> None:
    """A count shown as "fewer than 2" would be 1, since 0 is shown as 0."""
    table = Table(
        title="t", headers=("a", "b"), rows=(("x", 1), ("y", 0)), count_columns=frozenset({1})
    )
    with pytest.raises(ValueError, match="at least 3"):
        suppress(table, 2)
    assert suppress(table, 3).rows == (("x", "fewer than 3"), ("y", WITHHELD))


def test_a_worked_example() -> None:
    table = Table(
        title="Escalations by agency and stage",
        headers=("Agency", "Stage 1", "Stage 2", "Total", "Note"),
        rows=(
            ("Council", 3, 10, 13, "a"),
            ("Health", 20, 0, 20, "b"),
            ("Police", 0, 0, 0, "c"),
            ("Total", 23, 10, 33, "d"),
        ),
        count_columns=frozenset({1, 2, 3}),
    )
    after = suppress(table, 5)
    assert after.rows == (
        # 3 is small. Alone in its row, 10 goes too (13 - 10 = 3); alone in its column, 20 (23
        # - 20 = 3). Then 10 is alone in its column (10 - 0 - 0): the total row's 10 goes; 20
        # alone in its row (20 - 0): its total 20; the total row's 10 alone (33 - 23 - 10):
        # 23; 20 alone in the total column (33 - 13 - 0 - 20): 13. The grand total stays.
        ("Council", "fewer than 5", WITHHELD, WITHHELD, "a"),
        ("Health", WITHHELD, 0, WITHHELD, "b"),
        ("Police", 0, 0, 0, "c"),
        ("Total", WITHHELD, WITHHELD, 33, "d"),
    )
    assert after.summary.startswith("Some figures are not shown")


def test_a_threshold_below_2_is_refused() -> None:
    with pytest.raises(ValueError, match="at least 3"):
        suppress(Table(title="t", headers=("a", "b"), rows=()), 1)


@pytest.mark.django_db
def test_each_partnership_sets_its_threshold_5_by_default_never_below_3() -> None:
    p = Partnership.objects.create(
        slug="p", name="P", short_name="P", procedure_id="x", procedure_version="1"
    )
    assert p.small_number_threshold == 5
    p.small_number_threshold = 2
    with pytest.raises(ValidationError):
        p.full_clean()
    with pytest.raises(IntegrityError), transaction.atomic():
        Partnership.objects.filter(pk=p.pk).update(small_number_threshold=2)
    p.small_number_threshold = 10
    p.full_clean()
    p.save()
    p.refresh_from_db()
    assert p.small_number_threshold == 10
