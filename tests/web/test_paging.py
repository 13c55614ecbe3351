"""The shared paging helper (escalate.web.paging) and its GOV.UK pagination include: which
numbers are shown, what a bad page number shows, the links keep the query string, and when the
list is counted."""

from __future__ import annotations

import re

import pytest
from django.template.loader import render_to_string
from django.test import RequestFactory

from escalate.web.paging import Paging, page_numbers, paginate, requested_page

rf = RequestFactory()


@pytest.mark.parametrize(
    ("current", "last", "shown"),
    [
        (1, 1, [1]),
        (1, 2, [1, 2]),
        (1, 3, [1, 2, 3]),
        (1, 10, [1, 2, None, 10]),
        (2, 10, [1, 2, 3, None, 10]),
        (3, 10, [1, 2, 3, 4, None, 10]),  # a gap of one page shows the page
        (4, 10, [1, 2, 3, 4, 5, None, 10]),
        (5, 10, [1, None, 4, 5, 6, None, 10]),
        (8, 10, [1, None, 7, 8, 9, 10]),
        (10, 10, [1, None, 9, 10]),
        (5, 1600, [1, None, 4, 5, 6, None, 1600]),
    ],
)
def test_the_numbers_shown_follow_the_govuk_pattern(
    current: int, last: int, shown: list[int | None]
) -> None:
    assert page_numbers(current, last) == shown


@pytest.mark.parametrize(
    ("raw", "number"),
    [
        (None, 1),
        ("", 1),
        ("1", 1),
        ("7", 7),
        (" 7 ", 7),
        ("007", 7),
        ("0", 1),
        ("-3", 1),
        ("+3", 1),
        ("3.0", 1),
        ("three", 1),
        ("\u0663", 1),  # a digit, but not an ASCII one
        ("1" * 9, 111_111_111),
        ("1" * 10, 1_000_000_000),  # past any list's end: the caller shows the last page
    ],
)
def test_the_page_number_asked_for(raw: str | None, number: int) -> None:
    assert requested_page(raw) == number


ROWS = list(range(1, 124))  # 123 rows: pages of 50, 50 and 23


def page_of(query: str, rows: list[int] = ROWS) -> Paging[int]:
    return paginate(rf.get(f"/things/{query}"), rows)


def test_pages_of_fifty_and_what_each_shows() -> None:
    first, second, third = page_of(""), page_of("?page=2"), page_of("?page=3")
    assert first.object_list == ROWS[:50]
    assert second.object_list == ROWS[50:100]
    assert third.object_list == ROWS[100:]
    assert (first.total, first.num_pages) == (123, 3)
    assert first.showing == "1 to 50 of 123"
    assert second.showing == "51 to 100 of 123"
    assert third.showing == "101 to 123 of 123"
    assert not first.has_previous and first.has_next
    assert not third.has_next and third.has_previous


def test_a_bad_page_number_shows_the_first_or_the_last_page() -> None:
    for query in ("?page=0", "?page=x", "?page=", "?page=-1", "?page=%00"):
        assert page_of(query).number == 1, query
    for query in ("?page=4", "?page=99", "?page=" + "9" * 30):
        shown = page_of(query)
        assert (shown.number, shown.object_list) == (3, ROWS[100:]), query
    nothing = page_of("?page=5", [])
    assert (nothing.number, nothing.object_list, nothing.total) == (1, [], 0)
    assert nothing.showing == "0"


def test_the_links_keep_the_rest_of_the_query_string() -> None:
    page = page_of("?status=open&sort=newest&page=2&q=a+b%26c")
    assert page.query == "status=open&sort=newest&q=a+b%26c"
    assert page.previous_href == "?status=open&sort=newest&q=a+b%26c"
    assert page.next_href == "?status=open&sort=newest&q=a+b%26c&page=3"
    assert page.href(1) == "?status=open&sort=newest&q=a+b%26c"
    # With nothing else in the query string, page 1 is the list's own address.
    assert page_of("?page=2").previous_href == "/things/"


def test_a_list_is_counted_only_when_its_page_cannot_tell_the_total() -> None:
    class Counted(list[int]):
        """A list that notes when it is counted."""

        counted = 0

        def __len__(self) -> int:
            Counted.counted += 1
            return super().__len__()

    def counts(rows: list[int], query: str) -> int:
        Counted.counted = 0
        paginate(rf.get(f"/things/{query}"), Counted(rows))
        return Counted.counted

    assert counts(ROWS[:49], "") == 0  # the first page, not full: the whole list
    assert counts(ROWS, "?page=3") == 0  # the last page, not full: its offset and length
    assert counts(ROWS, "") == 1
    assert counts(ROWS, "?page=2") == 1
    assert counts(ROWS, "?page=9") == 1  # empty: counted to find the last page


def render(page: Paging[int], **extra: str) -> str:
    return render_to_string("includes/pagination.html", {"page": page, "label": "things", **extra})


def test_the_include_is_the_govuk_pagination_component() -> None:
    many = list(range(1, 501))  # 10 pages
    html = render(page_of("?sort=newest&page=5", many))
    assert '<nav class="govuk-pagination" aria-label="Pages of things">' in html
    assert re.findall(r'aria-label="Page (\d+)"', html) == ["1", "4", "5", "6", "10"]
    assert html.count("govuk-pagination__item--ellipsis") == 2
    assert re.findall(r'aria-current="page"', html) == ['aria-current="page"']
    assert 'href="?sort=newest&amp;page=5" aria-label="Page 5" aria-current="page">5</a>' in html
    assert 'href="?sort=newest" aria-label="Page 1">1</a>' in html
    assert 'href="?sort=newest&amp;page=4" rel="prev"' in html
    assert 'href="?sort=newest&amp;page=6" rel="next"' in html
    assert 'Previous<span class="govuk-visually-hidden"> page</span>' in html
    assert 'Next<span class="govuk-visually-hidden"> page</span>' in html


def test_the_include_can_name_its_links_and_says_nothing_for_one_page() -> None:
    html = render(page_of("?page=2"), previous_text="Newer", next_text="Older")
    assert 'Newer<span class="govuk-visually-hidden"> things</span>' in html
    assert 'Older<span class="govuk-visually-hidden"> things</span>' in html
    assert render(page_of("", ROWS[:10])).strip() == ""
    first = render(page_of(""))
    assert 'rel="prev"' not in first
    last = render(page_of("?page=3"))
    assert 'rel="next"' not in last
