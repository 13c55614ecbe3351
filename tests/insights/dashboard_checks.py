"""What the dashboard's tests check, on any data set: the figures of a page equal the
oracle's (``tests.insights.dashboard_oracle``), and each figure's link lists exactly the
escalations the oracle says it counts."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import pytest
from django.test import Client

from escalate.cases.rules import registry
from escalate.directory.models import Agency, Partnership, Person
from escalate.insights.tables import Table
from tests.insights.dashboard_oracle import Choice, Expected, Record, behind, expected, records
from tests.support import signed_in

BOARD = "/board/"
REFERENCE = re.compile(r'href="/escalations/(ESC-[0-9A-Z]{4}-[0-9A-Z]{4})/"')
MONTHS = [f"{dt.date(2000, m, 1):%B}" for m in range(1, 13)]
QUARTERS = ("Jan to Mar", "Apr to Jun", "Jul to Sep", "Oct to Dec")


def bu_client(partnership: Partnership) -> Client:
    person = Person.objects.get(agency__partnership=partnership, is_business_unit=True)
    return signed_in(person.user)


def year_before(day: dt.date) -> dt.date:
    return dt.date(day.year - 1, day.month, min(day.day, 28)) + dt.timedelta(days=1)


def choices(partnership: Partnership, recs: list[Record], today: dt.date) -> list[Choice]:
    """The last 12 months; two years; and two years narrowed by each filter in turn, each by
    a value that the data holds."""
    two_years = Choice(dt.date(today.year - 2, today.month, 1), today)
    busiest = max({r.receiving for r in recs}, key=lambda a: sum(r.receiving == a for r in recs))
    police_like = recs[0].raising_type
    first = recs[0]
    return [
        Choice(year_before(today), today),
        two_years,
        Choice(two_years.start, today, agency=busiest),
        Choice(two_years.start, today, agency_type=police_like),
        Choice(two_years.start, today, category=first.category),
        Choice(two_years.start, today, stage=2),
        Choice(two_years.start, today, version=partnership.procedure_key),
        # The last financial year, or this one so far.
        Choice(dt.date(today.year - 1, 4, 1), min(dt.date(today.year, 3, 31), today)),
    ]


def tables_of(client: Client, choice: Choice) -> dict[str, Table]:
    response = client.get(BOARD, choice.query())
    assert response.status_code == 200
    assert response.context["form"].errors == {}
    return {s.key: s.table for s in response.context["sections"]}


def _by_label(table: Table) -> dict[Any, tuple[Any, ...]]:
    return {row[0]: tuple(row[1:]) for row in table.rows}


def _nonzero(counts: dict[Any, int]) -> dict[Any, int]:
    return {k: v for k, v in counts.items() if v}


def assert_figures(
    tables: dict[str, Table],
    want: Expected,
    names: dict[int, str],
    top: int,
    categories: dict[str, str],
) -> None:
    by_name = {name: pk for pk, name in names.items()}
    glance = {k: v[0] for k, v in _by_label(tables["at-a-glance"]).items()}
    assert glance == want.headline
    assert {k: v[0] for k, v in _by_label(tables["by-status"]).items()} == want.by_status
    reached = {int(k): v[0] for k, v in _by_label(tables["stage-reached"]).items()}
    assert set(reached) >= set(range(1, top + 1))
    assert _nonzero(reached) == want.stage_reached
    matrix = tables["agencies"]
    receiving = [by_name[h] for h in matrix.headers[1:-1]]
    cells = {}
    for row in matrix.rows:
        raising = by_name[str(row[0])]
        counts = row[1:-1]
        assert row[-1] == sum(counts)  # type: ignore[arg-type]
        cells.update({(raising, c): n for c, n in zip(receiving, counts, strict=True)})
    assert _nonzero(cells) == want.matrix  # type: ignore[arg-type]
    category = {k: v[0] for k, v in _by_label(tables["categories"]).items()}
    assert set(category) >= set(categories.values())
    assert _nonzero(category) == {categories[c]: n for c, n in want.by_category.items()}
    _compare_times(tables["time-to-close"], want)
    _compare_within(tables, want, by_name)
    overdue = tables["overdue-now"]
    stages = [int(h.split()[1]) for h in overdue.headers[1:-1]]
    cells = {}
    for row in overdue.rows:
        cells.update({(by_name[str(row[0])], s): n for s, n in zip(stages, row[1:-1], strict=True)})
    assert _nonzero(cells) == want.overdue  # type: ignore[arg-type]
    months = {}
    for label, values in _by_label(tables["by-month"]).items():
        name, year = str(label).split()
        months[(int(year), MONTHS.index(name) + 1)] = values
    assert months == want.by_month
    quarters = {}
    for label, values in _by_label(tables["by-quarter"]).items():
        words, year = str(label).rsplit(" ", 1)
        quarters[(int(year), QUARTERS.index(words) + 1)] = values
    assert quarters == want.by_quarter
    immediate = {int(str(k)): v for k, v in _by_label(tables["immediate-risk"]).items()}
    assert immediate == want.immediate


def _compare_times(table: Table, want: Expected) -> None:
    got = _by_label(table)
    assert set(got) == set(want.time_to_close)
    for label, values in want.time_to_close.items():
        assert got[label][0] == values[0], label
        for have, wanted in zip(got[label][1:], values[1:], strict=True):
            if wanted is None:
                assert have is None, label
            else:
                assert have == pytest.approx(wanted), label


def _compare_within(tables: dict[str, Table], want: Expected, by_name: dict[str, int]) -> None:
    per_stage = {int(str(k)): v for k, v in _by_label(tables["within-due-by-stage"]).items()}
    per_agency = {by_name[str(k)]: v for k, v in _by_label(tables["within-due-by-agency"]).items()}
    for got, wanted in ((per_stage, want.within_by_stage), (per_agency, want.within_by_agency)):
        assert {k: (v[0], v[1]) for k, v in got.items() if v[0]} == wanted
        for ended, met, missed, share in got.values():
            assert missed == ended - met
            assert share == (round(100 * met / ended, 1) if ended else None)


def listed(client: Client, url: str) -> list[str]:
    """Every reference the list shows, page after page."""
    found: list[str] = []
    while url:
        response = client.get(url)
        assert response.status_code == 200, url
        html = response.content.decode()
        found += REFERENCE.findall(html.split("<tbody", 1)[1] if "<tbody" in html else "")
        after = re.search(
            r'<a class="govuk-link govuk-pagination__link" href="([^"]+)" rel="next"', html
        )
        url = urlsplit(url).path + after[1].replace("&amp;", "&") if after else ""
    return found


def assert_partnership(partnership: Partnership, today: dt.date, wanted: list[Choice]) -> int:
    """Every figure of the partnership's dashboard, for each choice, equals the oracle's;
    returns how many escalations the choices counted in all."""
    client = bu_client(partnership)
    recs = records(partnership, today)
    names = dict(Agency.objects.filter(partnership=partnership).values_list("pk", "name"))
    versions = registry().versions[partnership.procedure_id]
    top = max(p.top for p in versions)
    categories = {c.id: c.name for p in versions for c in p.categories}
    counted = 0
    for choice in wanted:
        want = expected(recs, choice)
        assert_figures(tables_of(client, choice), want, names, top, categories)
        counted += want.headline["Raised in the period"]
    return counted


def assert_links(partnership: Partnership, today: dt.date, choice: Choice) -> int:
    """Each figure's link lists exactly the escalations it counts (the oracle's); returns how
    many links were followed."""
    client = bu_client(partnership)
    recs = records(partnership, today)
    own = set(choice.query())
    links = 0
    for key, table in tables_of(client, choice).items():
        if key == "feedback":
            continue
        for (r, c), url in table.links.items():
            params = dict(parse_qsl(urlsplit(url).query))
            assert {k: params[k] for k in own} == choice.query()  # the dashboard's filters
            figure = {k: v for k, v in params.items() if k not in own}
            found = listed(client, url)
            assert len(found) == len(set(found)), url  # each once
            assert set(found) == behind(recs, choice, figure), (key, table.rows[r][0], url)
            if key != "within-due-by-agency":  # that one counts stages, not escalations
                assert len(found) == table.rows[r][c], (key, url)
            links += 1
    return links
