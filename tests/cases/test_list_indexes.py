"""The lists and the home page's counts are answered by indexes that fit them (migration 0007):
a page's ids read in the list's order from an index alone (no sort of the partnership's
escalations), and each count read from an index alone (no scan of the table). Checked with
the database's own plan: EXPLAIN on PostgreSQL (with the sequential scan, the bitmap scan and
sorting priced out, so that the plan shows which index can answer, whatever the size of the
test's tables), EXPLAIN QUERY PLAN on SQLite."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterator, Sequence
from typing import Any

import pytest
from django.db import connection
from django.db.models import QuerySet
from django.test.utils import CaptureQueriesContext

from escalate import timekeeping
from escalate.accounts.models import User
from escalate.cases import selectors
from escalate.cases.selectors import ListFilters, ListSort
from escalate.procedures.schema import Level
from tests.cases.conftest import World, make_world
from tests.cases.test_list_pages import many

OFF = ("enable_seqscan", "enable_bitmapscan", "enable_sort")


@pytest.fixture
def busy(transactional_db: None) -> Iterator[World]:
    """60 escalations, and on PostgreSQL the tables vacuumed (so that the planner knows an
    index can answer alone) and analysed (outside a transaction: hence transactional_db)."""
    world = make_world("north-east-lincolnshire")
    many(world, 60)
    if connection.vendor != "postgresql":
        yield world
        return
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE cases_escalation")
        cursor.execute("VACUUM ANALYZE cases_party")
        for setting in OFF:
            cursor.execute(f"SET {setting} = off")
    yield world
    with connection.cursor() as cursor:
        for setting in OFF:
            cursor.execute(f"RESET {setting}")


def plan(sql: str, params: Sequence[Any] | None) -> str:
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(f"EXPLAIN {sql}", params)
            return "\n".join(row[0] for row in cursor.fetchall())
        cursor.execute(f"EXPLAIN QUERY PLAN {sql}", params)
        return "\n".join(str(row[-1]) for row in cursor.fetchall())


def plan_of(qs: QuerySet[Any]) -> str:
    sql, params = qs.query.sql_with_params()
    return plan(sql, params)


def plan_of_run(run: Callable[[], object]) -> str:
    """The plan of the one query ``run`` sends (``qs.count()``: the query the paging runs)."""
    with CaptureQueriesContext(connection) as captured:
        run()
    (query,) = captured
    return plan(query["sql"], None)


def reads_index_alone(text: str, index: str = "") -> bool:
    """Whether the plan reads the escalations from an index alone (on PostgreSQL, from the
    index named: SQLite, with no statistics, may take another of them that also covers the
    query, and cannot use a partial index for a condition given as a parameter)."""
    if connection.vendor == "postgresql":
        scan = re.search(rf"Index Only Scan (Backward )?using {index}", text)
        return scan is not None and "Seq Scan" not in text
    return "USING COVERING INDEX" in text and "SCAN cases_escalation" not in text


def sorted_by_index(text: str) -> bool:
    if connection.vendor == "postgresql":
        return "Sort" not in text
    return "TEMP B-TREE" not in text


TODAY = dt.date(2026, 3, 4)


def ids(user: User, filters: ListFilters) -> QuerySet[Any]:
    """A page's ids, the query :class:`selectors.ListPages` runs first."""
    matches = selectors.escalation_matches(user, filters, timekeeping.today())
    return matches.order_by(*selectors._ORDER[filters.sort]).values("id")[50:100]


@pytest.mark.parametrize(
    ("filters", "index"),
    [
        (ListFilters(), "esc_list_by_due"),
        (ListFilters(sort=ListSort.NEWEST), "esc_list_by_raised"),
        (ListFilters(sort=ListSort.OLDEST), "esc_list_by_raised"),
        (ListFilters(overdue=True), "esc_open_by_due"),
        (ListFilters(status="open"), "esc_open_by_due"),
        (ListFilters(immediate_risk=True), "esc_at_risk"),
        (ListFilters(stage=2, sort=ListSort.NEWEST), "esc_list_by_raised"),
    ],
    ids=["all", "newest", "oldest", "overdue", "open", "immediate-risk", "stage-newest"],
)
def test_the_business_units_page_ids_come_in_order_from_one_index(
    busy: World, filters: ListFilters, index: str
) -> None:
    text = plan_of(ids(busy.bu_user, filters))
    assert reads_index_alone(text, index), text
    assert sorted_by_index(text), text


@pytest.mark.parametrize(
    "filters",
    [
        ListFilters(),
        ListFilters(overdue=True),
        ListFilters(stage=1),
        ListFilters(status="resolved"),
    ],
    ids=["all", "overdue", "stage", "resolved"],
)
def test_the_business_units_counts_are_read_from_an_index_alone(
    busy: World, filters: ListFilters
) -> None:
    matches = selectors.escalation_matches(busy.bu_user, filters, TODAY)
    text = plan_of_run(matches.count)
    assert reads_index_alone(text), text


def test_a_partys_count_reads_its_agencys_escalations_from_indexes_alone(busy: World) -> None:
    user = busy.user("b", Level.PRACTITIONER)
    text = plan_of_run(selectors.escalation_matches(user, ListFilters(), TODAY).count)
    assert reads_index_alone(text), text
    if connection.vendor == "postgresql":
        assert "party_by_agency" in text, text


def test_the_home_pages_counts_are_read_from_the_open_escalations_index_alone(
    busy: World,
) -> None:
    text = plan_of_run(lambda: selectors.escalation_counts_for(busy.bu_user, TODAY))
    assert reads_index_alone(text, "esc_open_by_due"), text
