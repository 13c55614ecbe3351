"""The escalation lists page through everything, 50 rows a page: every escalation on exactly
one page, in the list's order, whichever order and filters are chosen; the page links keep the
filters and the order; a bad page number shows a page, never an error; and each page costs the
same few queries however many escalations there are."""

from __future__ import annotations

import datetime as dt
import html as htmlib
import re
from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from escalate import timekeeping
from escalate.accounts.models import User
from escalate.cases.models import Escalation, Party, PartyRole, Status
from escalate.cases.rules import registry
from escalate.procedures.schema import Level
from tests.cases.conftest import World, make_world
from tests.support import signed_in

pytestmark = pytest.mark.django_db

LIST = "/escalations/"
PER_PAGE = 50
ROW_REF = re.compile(
    r'<tr class="govuk-table__row" role="row">\s*<td[^>]*>.*?>(ESC-[0-9A-Z-]+)</a>'
)
NEXT = re.compile(r'<a class="govuk-link govuk-pagination__link" href="([^"]+)" rel="next">')
PREV = re.compile(r'<a class="govuk-link govuk-pagination__link" href="([^"]+)" rel="prev">')
CURRENT = re.compile(r'href="[^"]*" aria-label="Page (\d+)" aria-current="page"')


def many(world: World, n: int, *, start: int = 0, **fixed: object) -> list[Escalation]:
    """``n`` escalations written straight to the table (no services: only what a list reads),
    with ties in every order on purpose (the same due date, the same day raised), some with
    nothing due, open and closed, at immediate risk or not, with ``b`` or ``c`` receiving.
    ``fixed`` sets a field on all of them."""
    proc = registry().get(world.partnership.procedure_id)
    today = timekeeping.today()
    rows: list[Escalation] = []
    for k in range(start, start + n):
        status = (Status.OPEN, Status.OPEN, Status.RESOLVED, Status.WITHDRAWN)[k % 4]
        raised = today - dt.timedelta(days=30 + k % 6)
        values: dict[str, object] = {
            "partnership": world.partnership,
            "procedure_key": f"{proc.id}@{proc.version}",
            "subject_kind": "adult",
            "subject_reference_kind": "pid",
            "subject_reference": f"PID-{k}",
            "category": proc.categories[k % len(proc.categories)].id,
            "source": "referral",
            "raising_agency": world.a,
            "raising_person": world.people[("a", Level.PRACTITIONER)],
            "receiving_agency": world.b if k % 3 else world.c,
            "issue": "i",
            "risk": "r",
            "aim": "a",
            "immediate_risk": k % 5 == 0,
            "outset_on": raised,
            "raised_on": raised,
            "status": status,
            "current_stage": 1 + k % 2,
            "closed_on": None if status == Status.OPEN else raised + dt.timedelta(days=3),
            "next_due_on": None if k % 7 == 0 else today + dt.timedelta(days=k % 5 - 2),
        }
        values.update(fixed)
        rows.append(Escalation(**values))
    made = Escalation.objects.bulk_create(rows)
    Party.objects.bulk_create(
        [Party(escalation=e, agency_id=e.raising_agency_id, role=PartyRole.RAISING) for e in made]
        + [
            Party(escalation=e, agency_id=e.receiving_agency_id, role=PartyRole.RECEIVING)
            for e in made
        ]
    )
    return made


def rows_of(html: str) -> list[str]:
    return ROW_REF.findall(html)


def link(pattern: re.Pattern[str], html: str) -> str | None:
    found = pattern.search(html)
    return htmlib.unescape(found.group(1)) if found else None


def get(client: Client, query: str) -> str:
    response = client.get(LIST + query if query.startswith("?") else query)
    assert response.status_code == 200
    return response.content.decode()


def walk(client: Client, query: str) -> list[list[str]]:
    """Every page of a list, from the first, by its "Next" links (as someone without JavaScript
    would), the references each page shows."""
    pages: list[list[str]] = []
    html = get(client, query)
    while True:
        pages.append(rows_of(html))
        assert len(pages) < 100, "the Next links do not end"
        following = link(NEXT, html)
        if following is None:
            return pages
        html = get(client, following)


def due_key(e: Escalation) -> tuple[object, ...]:
    return (e.next_due_on is None, e.next_due_on or dt.date.min, -e.raised_on.toordinal(), e.pk)


ORDERS: dict[str, Callable[[Escalation], tuple[object, ...]]] = {
    "due": due_key,
    "newest": lambda e: (-e.raised_on.toordinal(), -e.pk),
    "oldest": lambda e: (e.raised_on.toordinal(), e.pk),
}


@pytest.fixture
def busy(world: World) -> World:
    """137 escalations in the world's partnership (three pages of 50), and some in another
    partnership that no one here may see."""
    many(world, 137)
    many(make_world("sunderland-sab", "elsewhere"), 5)
    return world


def visible(world: World, user: User) -> list[Escalation]:
    everything = Escalation.objects.filter(partnership=world.partnership)
    if user == world.bu_user:
        return list(everything)
    agency = user.person.agency_id
    return [e for e in everything if agency in (e.raising_agency_id, e.receiving_agency_id)]


@pytest.mark.parametrize("sort", list(ORDERS))
@pytest.mark.parametrize("who", ["business unit", "party"])
@pytest.mark.parametrize(
    ("query", "keep"),
    [
        ("view=all", lambda e: True),
        ("view=all&status=open", lambda e: e.status == Status.OPEN),
        (
            "view=overdue",
            lambda e: (
                e.status == Status.OPEN
                and e.next_due_on is not None
                and e.next_due_on < timekeeping.today()
            ),
        ),
        (
            "view=all&stage=2&immediate_risk=on",
            lambda e: e.current_stage == 2 and e.immediate_risk and e.status == Status.OPEN,
        ),
    ],
    ids=["all", "open", "overdue", "stage-2-at-risk"],
)
def test_every_escalation_is_on_exactly_one_page_in_the_lists_order(
    busy: World,
    sort: str,
    who: str,
    query: str,
    keep: Callable[[Escalation], bool],
) -> None:
    world = busy
    user = world.bu_user if who == "business unit" else world.user("b", Level.PRACTITIONER)
    expected = [e.reference for e in sorted(filter(keep, visible(world, user)), key=ORDERS[sort])]
    pages = walk(signed_in(user), f"?{query}&sort={sort}")
    shown = [ref for page in pages for ref in page]
    assert shown == expected
    assert len(set(shown)) == len(shown)
    assert all(len(page) == PER_PAGE for page in pages[:-1])
    assert len(pages) == max(1, -(-len(expected) // PER_PAGE))


def test_the_page_says_which_rows_it_shows_and_marks_itself(busy: World) -> None:
    client = signed_in(busy.bu_user)
    first = get(client, "?view=all")
    assert "Showing 1 to 50 of 137 escalations" in first
    assert CURRENT.findall(first) == ["1"]
    assert link(PREV, first) is None
    assert link(NEXT, first) == "?view=all&page=2"
    second = get(client, "?view=all&page=2")
    assert "Showing 51 to 100 of 137 escalations" in second
    assert CURRENT.findall(second) == ["2"]
    # The first page's address has no page number: the list's first page has one address.
    assert link(PREV, second) == "?view=all"
    third = get(client, "?view=all&page=3")
    assert "Showing 101 to 137 of 137 escalations" in third
    assert link(NEXT, third) is None
    assert '<nav class="govuk-pagination" aria-label="Pages of escalations">' in third


def test_a_list_on_one_page_says_how_many_and_has_no_page_links(world: World) -> None:
    many(world, 3)
    html = get(signed_in(world.bu_user), "?view=all")
    assert re.search(r">\s*3 escalations</p>", html)
    assert "govuk-pagination" not in html


def test_filters_and_the_order_survive_paging(busy: World) -> None:
    client = signed_in(busy.bu_user)
    query = "?view=all&reference=&stage=&status=open&agency=&category=&sort=newest"
    first = get(client, query)
    following = link(NEXT, first)
    assert following is not None
    assert following.startswith("?")
    params = dict(p.split("=", 1) for p in following[1:].split("&"))
    assert params == {
        "view": "all",
        "reference": "",
        "stage": "",
        "status": "open",
        "agency": "",
        "category": "",
        "sort": "newest",
        "page": "2",
    }
    second = get(client, following)
    # The form shows the filters still applied on page 2.
    assert re.search(r'<option value="open" selected>', second)
    assert re.search(r'<option value="newest" selected>', second)
    opened = Escalation.objects.filter(partnership=busy.partnership, status=Status.OPEN)
    newest = [e.reference for e in sorted(opened, key=ORDERS["newest"])]
    assert rows_of(second) == newest[PER_PAGE : 2 * PER_PAGE]
    # Every numbered link keeps them too.
    for href in re.findall(r'href="([^"]+)" aria-label="Page \d+"', second):
        assert "status=open" in href and "sort=newest" in href


@pytest.mark.parametrize(
    ("raw", "shown"),
    [
        ("x", 1),
        ("", 1),
        ("0", 1),
        ("-1", 1),
        ("1.5", 1),
        ("2e3", 1),
        ("\u0662", 1),  # an Arabic-Indic two: a digit, but not one we read
        (" 2 ", 2),
        ("3", 3),
        ("4", 3),
        ("99999", 3),
        ("9" * 40, 3),
    ],
)
def test_a_bad_page_number_shows_the_first_or_the_last_page(
    busy: World, raw: str, shown: int
) -> None:
    client = signed_in(busy.bu_user)
    response = client.get(LIST, {"view": "all", "page": raw})
    assert response.status_code == 200
    html = response.content.decode()
    assert CURRENT.findall(html) == [str(shown)]
    assert rows_of(html) == rows_of(get(client, f"?view=all&page={shown}"))


def test_a_page_number_past_an_empty_list_shows_that_nothing_matches(world: World) -> None:
    response = signed_in(world.bu_user).get(LIST, {"view": "all", "page": "7"})
    assert response.status_code == 200
    assert "No escalations match." in response.content.decode()


def test_the_list_shows_only_the_columns_it_reads(busy: World) -> None:
    client = signed_in(busy.bu_user)
    get(client, "?view=all")
    with CaptureQueriesContext(connection) as captured:
        get(client, "?view=all&page=2")
    reads = [q["sql"] for q in captured if '"cases_escalation"."reference"' in q["sql"]]
    assert len(reads) == 1
    for column in ("issue", "risk", "aim", "subject_reference", "source_detail"):
        assert f'"cases_escalation"."{column}"' not in reads[0]


# -- queries ----------------------------------------------------------------------------------


def _queries(client: Client, query: str) -> list[str]:
    with CaptureQueriesContext(connection) as captured:
        get(client, query)
    return [q["sql"] for q in captured]


def _counts_of_escalations(queries: list[str]) -> list[str]:
    return [q for q in queries if "COUNT(" in q.upper() and '"cases_escalation"' in q]


@pytest.mark.parametrize("who", ["business unit", "party"])
@pytest.mark.parametrize(
    "query",
    [
        "?view=all",
        "?view=mine",
        "?view=awaiting",
        "?view=overdue",
        "?view=all&status=open&sort=newest&agency=&stage=1",
        "?view=all&immediate_risk=on&sort=oldest",
    ],
)
def test_each_page_costs_the_same_queries_however_many_escalations(
    world: World, who: str, query: str
) -> None:
    """Page 1 and page 2 of each list, with 110 and then 230 escalations that all match it
    (open, overdue, at stage 1, at immediate risk, received by the person asking): the same
    queries, one of them the count."""
    user = world.bu_user if who == "business unit" else world.user("b", Level.PRACTITIONER)
    same: dict[str, Any] = {
        "status": Status.OPEN,
        "closed_on": None,
        "current_stage": 1,
        "immediate_risk": True,
        "receiving_agency": world.b,
        "receiving_person": world.people[("b", Level.PRACTITIONER)],
        "next_due_on": timekeeping.today() - dt.timedelta(days=1),
    }
    client = signed_in(user)
    many(world, 110, **same)
    get(client, query)  # the first request of a session does its own one-off work
    small = [_queries(client, query), _queries(client, f"{query}&page=2")]
    many(world, 120, start=110, **same)
    large = [_queries(client, query), _queries(client, f"{query}&page=2")]
    assert [len(q) for q in large] == [len(q) for q in small]
    if who == "party" or ("mine" not in query and "awaiting" not in query):
        # Lists of more than a page are counted, once a page.
        assert [len(_counts_of_escalations(q)) for q in large] == [1, 1]


def test_a_list_that_fits_on_its_first_page_is_not_counted(world: World) -> None:
    many(world, PER_PAGE - 1)
    client = signed_in(world.bu_user)
    get(client, "?view=all")
    queries = _queries(client, "?view=all")
    assert not _counts_of_escalations(queries)
    many(world, 2, start=PER_PAGE - 1)
    assert len(_counts_of_escalations(_queries(client, "?view=all"))) == 1
    # The last page, not full, knows the total without a count.
    assert not _counts_of_escalations(_queries(client, "?view=all&page=2"))
