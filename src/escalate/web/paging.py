"""One way to page a list, for every list that can grow without bound: GOV.UK pagination
(``includes/pagination.html``), plain links that keep the rest of the query string (filters
and sort survive paging) and work without JavaScript.

The rows of the page are read first, with ``LIMIT``/``OFFSET``; the list is counted only
when that page cannot tell the total by itself:

- a first page that is not full is the whole list (its length is the total: no count);
- a later page that is not full, but not empty, is the last (the total is its offset plus its
  length: no count);
- otherwise the ``count`` query answers (give one that an index answers, without the joins
  and columns the rows need; by default the rows' own query, counted).

A page number that is not a whole number, or is below 1, shows the first page; one past the
last page shows the last page (the first when there is nothing). Neither is an error: the page
says which rows it shows ("Showing 51 to 100 of 1,234") and marks its number as the current
page.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from django.db.models import QuerySet
from django.http import HttpRequest

PER_PAGE = 50
#: A page number longer than this is past the end of any list (and never reaches the database
#: as an offset too large for it): it is taken as this page, then as the last.
_MAX_DIGITS = 9
_PAST_ANY_END = 1_000_000_000


@dataclass(frozen=True)
class PageLink:
    """One item of the numbered list: a page number with its link, or an ellipsis (``number``
    is None)."""

    number: int | None
    href: str = ""
    current: bool = False


@dataclass(frozen=True)
class Paging[T]:
    """One page of a list: its rows (``object_list``), which page it is, how many there are
    in all, and the links to the others."""

    object_list: list[T]
    number: int
    per_page: int
    total: int
    path: str
    #: The request's query string without ``page``, URL-encoded ("" when there is none).
    query: str

    @property
    def num_pages(self) -> int:
        return max(1, -(-self.total // self.per_page))

    @property
    def has_other_pages(self) -> bool:
        return self.num_pages > 1

    @property
    def has_previous(self) -> bool:
        return self.number > 1

    @property
    def has_next(self) -> bool:
        return self.number < self.num_pages

    @property
    def start_index(self) -> int:
        """The 1-based position of the first row shown (0 when there is none)."""
        return (self.number - 1) * self.per_page + 1 if self.object_list else 0

    @property
    def end_index(self) -> int:
        return (self.number - 1) * self.per_page + len(self.object_list)

    @property
    def showing(self) -> str:
        """Which rows, for "Showing 51 to 100 of 1,234 escalations": "51 to 100 of 1,234",
        or only the total ("12") when everything is on one page."""
        if not self.has_other_pages:
            return f"{self.total:,}"
        return f"{self.start_index:,} to {self.end_index:,} of {self.total:,}"

    def href(self, number: int) -> str:
        """The link to page ``number``, keeping the rest of the query string. Page 1 has no
        ``page`` parameter, so the list's first page has one address."""
        query = "&".join(q for q in (self.query, f"page={number}" if number > 1 else "") if q)
        return f"?{query}" if query else self.path

    @property
    def previous_href(self) -> str:
        return self.href(self.number - 1) if self.has_previous else ""

    @property
    def next_href(self) -> str:
        return self.href(self.number + 1) if self.has_next else ""

    @property
    def items(self) -> list[PageLink]:
        """The numbered items as the GOV.UK pattern shows them: the first and last pages, the
        current page and those either side of it, an ellipsis for each gap of two or more
        (a gap of one page shows that page instead)."""
        return [
            PageLink(None) if n is None else PageLink(n, self.href(n), n == self.number)
            for n in page_numbers(self.number, self.num_pages)
        ]


def page_numbers(current: int, last: int) -> list[int | None]:
    """``[1, None, 4, 5, 6, None, 20]`` for page 5 of 20 (None: an ellipsis)."""
    wanted = sorted({n for n in (1, current - 1, current, current + 1, last) if 1 <= n <= last})
    shown: list[int | None] = []
    before = 0
    for n in wanted:
        if n - before == 2:
            shown.append(before + 1)
        elif n - before > 2:
            shown.append(None)
        shown.append(n)
        before = n
    return shown


def requested_page(raw: str | None) -> int:
    """The page number asked for: a whole number of at most nine digits; anything else, or
    below 1, is page 1 (a longer number is past any end, left to the caller's clamp)."""
    text = (raw or "").strip()
    if not text.isascii() or not text.isdigit():
        return 1
    if len(text) > _MAX_DIGITS:
        return _PAST_ANY_END
    return max(1, int(text))


class Pages[T](Protocol):
    """Anything that gives the rows of a window of a list (``rows[50:100]``)."""

    def __getitem__(self, window: slice, /) -> Iterable[T]: ...


def _count(rows: object) -> int:
    if isinstance(rows, QuerySet):
        return rows.count()
    if isinstance(rows, Sequence):
        return len(rows)
    raise TypeError("paginate() needs a count query for rows that cannot be counted")


def paginate[T](
    request: HttpRequest,
    rows: QuerySet[Any] | Sequence[T] | Pages[T],
    *,
    count: QuerySet[Any] | None = None,
    per_page: int = PER_PAGE,
) -> Paging[Any]:
    """The page of ``rows`` (an ordered query) that the request's ``?page=`` asks for. See the
    module's description for when ``count`` is asked and what a bad page number shows."""
    params = request.GET.copy()
    params.pop("page", None)
    number = requested_page(request.GET.get("page"))

    def read(n: int) -> list[Any]:
        start = (n - 1) * per_page
        return list(rows[start : start + per_page])

    found = read(number)
    if 0 < len(found) < per_page or (number == 1 and not found):
        total = (number - 1) * per_page + len(found)
    else:
        total = _count(count if count is not None else rows)
        last = max(1, -(-total // per_page))
        if number > last:
            number = last
            found = read(number)
    return Paging(
        object_list=found,
        number=number,
        per_page=per_page,
        total=total,
        path=request.path,
        query=params.urlencode(),
    )
