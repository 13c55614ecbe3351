"""Working days: GOV.UK bank holidays per UK division, plus a partnership's closure days.

Bank holidays come from GOV.UK's published list as shipped inside the ``govuk-bank-holidays``
package (its cached copy; nothing is fetched). Years the published list does not cover fall
back to the rule-based holidays of the ``holidays`` package and are marked *estimated*.

Counting convention (``docs/procedures.md``): *N working days after D* is the N-th working
day strictly after D; N = 0 is D itself when D is a working day, else the next working day.
*N calendar days after D* is D + N, moved on to the next working day when it is not one.

The fast path answers from a precomputed index (at most :data:`INDEX_START` ..
:data:`INDEX_END`): ``before[i]`` is the number of working days before day ``i`` of the index
and ``working[k]`` the k-th working day, so each answer is two list look-ups. Dates outside
the index are answered by stepping day by day (correct, slower).
"""

from __future__ import annotations

import datetime as dt
import functools
import importlib.resources
import json
import math
import threading
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any, cast

from escalate.procedures.schema import Division

INDEX_START = dt.date(2000, 1, 1)
INDEX_END = dt.date(2080, 12, 31)
_SATURDAY = 5

# GOV.UK's divisions and the matching ``holidays`` subdivision of GB.
_SUBDIVISION = {
    Division.ENGLAND_AND_WALES: "ENG",
    Division.SCOTLAND: "SCT",
    Division.NORTHERN_IRELAND: "NIR",
}


@dataclass(frozen=True, order=True)
class BankHoliday:
    on: dt.date
    title: str
    estimated: bool


#: The copy of GOV.UK's ``bank-holidays.json`` that govuk-bank-holidays ships (what its
#: ``BankHolidays(use_cached_holidays=True)`` reads). Read directly: importing that class
#: imports ``requests``, a tenth of a second spent for a file read.
_PUBLISHED_FILE = "bank-holidays.json"


@functools.cache
def _published_file() -> dict[str, Any]:
    source = importlib.resources.files("govuk_bank_holidays") / _PUBLISHED_FILE
    return cast(dict[str, Any], json.loads(source.read_text(encoding="utf-8")))


def _published(division: Division) -> dict[dt.date, str]:
    events = _published_file()[division.value]["events"]
    return {dt.date.fromisoformat(row["date"]): str(row["title"]) for row in events}


@functools.cache
def published_holidays(division: Division) -> tuple[frozenset[int], dict[dt.date, str]]:
    """The years GOV.UK's list covers, and its holidays, for one division."""
    days = _published(division)
    return frozenset(d.year for d in days), days


def _estimated(division: Division, years: Iterable[int]) -> dict[dt.date, str]:
    wanted = sorted(set(years))
    if not wanted:
        return {}
    import holidays as holidays_lib  # only when needed: importing it takes a tenth of a second

    found = holidays_lib.country_holidays("GB", subdiv=_SUBDIVISION[division], years=wanted)
    return {day: str(name) for day, name in found.items()}


@functools.cache
def bank_holidays(division: Division, first_year: int, last_year: int) -> tuple[BankHoliday, ...]:
    """Bank holidays for whole years: published where GOV.UK covers the year, else estimated."""
    covered, published = published_holidays(division)
    years = range(first_year, last_year + 1)
    out = [BankHoliday(d, t, False) for d, t in published.items() if d.year in years]
    missing = [y for y in years if y not in covered]
    out.extend(BankHoliday(d, t, True) for d, t in _estimated(division, missing).items())
    return tuple(sorted(out))


@dataclass(frozen=True)
class _Index:
    """Working days over a span of whole days: ``before[i]`` working days come before day
    ``i`` (counted from ``ord0``), and ``working[k]`` is the k-th working day of the span."""

    ord0: int
    size: int
    before: list[int]
    working: list[dt.date]

    def covers(self, ordinal: int) -> bool:
        return 0 <= ordinal - self.ord0 < self.size


@functools.cache
def _holiday_dates(division: Division, year: int) -> frozenset[dt.date]:
    return frozenset(h.on for h in bank_holidays(division, year, year))


class WorkingCalendar:
    """Working days for one division and one set of closure days. Its answers never change.

    The index first covers the years GOV.UK publishes (no estimating needed, so building a
    calendar costs a few milliseconds and never imports the ``holidays`` package); the first
    question about a day outside them extends it, once, to :data:`INDEX_START` ..
    :data:`INDEX_END`.
    """

    def __init__(self, division: Division, closures: frozenset[dt.date] = frozenset()) -> None:
        self.division = division
        self.closures = closures
        self._covered_years = published_holidays(division)[0]
        self._extend = threading.Lock()
        self._complete = not self._covered_years
        if self._complete:
            self._index = self._build(INDEX_START, INDEX_END)
        else:
            first = max(INDEX_START, dt.date(min(self._covered_years), 1, 1))
            last = min(INDEX_END, dt.date(max(self._covered_years), 12, 31))
            self._index = self._build(first, last)

    def _build(self, first: dt.date, last: dt.date) -> _Index:
        holidays = {h.on for h in bank_holidays(self.division, first.year, last.year)}
        off = holidays | self.closures
        ord0 = first.toordinal()
        size = last.toordinal() - ord0 + 1
        before = [0] * (size + 1)
        working: list[dt.date] = []
        for i in range(size):
            day = dt.date.fromordinal(ord0 + i)
            if day.weekday() < _SATURDAY and day not in off:
                # The answers themselves, built once: returning a shared (immutable) date is
                # half the cost of building one with date.fromordinal on every call.
                working.append(day)
            before[i + 1] = len(working)
        return _Index(ord0, size, before, working)

    def _index_for(self, *ordinals: int) -> _Index:
        """An index covering every one of ``ordinals`` if any does (extending it once)."""
        index = self._index
        if all(index.covers(o) for o in ordinals) or self._complete:
            return index
        with self._extend:
            if not self._complete:
                self._index = self._build(INDEX_START, INDEX_END)
                self._complete = True
        return self._index

    # -- the slow, obviously-correct definitions ----------------------------------------
    def _is_working_slow(self, day: dt.date) -> bool:
        if day.weekday() >= _SATURDAY or day in self.closures:
            return False
        return day not in _holiday_dates(self.division, day.year)

    def step_working_days(self, start: dt.date, n: int) -> dt.date:
        """N working days after ``start`` by plain day-by-day stepping (the reference)."""
        if n < 0:
            raise ValueError("n must not be negative")
        day = start
        if n == 0:
            while not self._is_working_slow(day):
                day += dt.timedelta(days=1)
            return day
        while n:
            day += dt.timedelta(days=1)
            if self._is_working_slow(day):
                n -= 1
        return day

    # -- the public, fast answers -------------------------------------------------------
    def is_working_day(self, day: dt.date) -> bool:
        ordinal = day.toordinal()
        index = self._index_for(ordinal)
        if index.covers(ordinal):
            i = ordinal - index.ord0
            return index.before[i + 1] != index.before[i]
        return self._is_working_slow(day)

    def add_working_days(self, start: dt.date, n: int) -> dt.date:
        """The N-th working day strictly after ``start``; N = 0: ``start`` or the next one."""
        if n < 0:
            raise ValueError("n must not be negative")
        ordinal = start.toordinal()
        index = self._index_for(ordinal)
        while index.covers(ordinal):
            i = ordinal - index.ord0
            k = index.before[i] if n == 0 else index.before[i + 1] + n - 1
            if k < len(index.working):
                return index.working[k]
            if self._complete:
                break
            # The answer lies past the published years: extend the index and look again.
            index = self._index_for(INDEX_END.toordinal())
        return self.step_working_days(start, n)

    def add_calendar_days(self, start: dt.date, n: int) -> dt.date:
        if n < 0:
            raise ValueError("n must not be negative")
        return self.add_working_days(start + dt.timedelta(days=n), 0)

    def add_hours(self, start: dt.date, hours: int) -> dt.date:
        """Hours after a date, read as whole calendar days rounded up (24 h = 1 day)."""
        return self.add_calendar_days(start, math.ceil(hours / 24))

    def working_days_between(self, start: dt.date, end: dt.date) -> int:
        """Working days in (start, end]: how many working days after ``start`` ``end`` is."""
        if end < start:
            return -self.working_days_between(end, start)
        index = self._index_for(start.toordinal(), end.toordinal())
        if index.covers(start.toordinal()) and index.covers(end.toordinal()):
            i, j = start.toordinal() - index.ord0, end.toordinal() - index.ord0
            return index.before[j + 1] - index.before[i + 1]
        return sum(1 for d in _days(start, end) if self._is_working_slow(d))

    def is_estimated(self, day: dt.date) -> bool:
        """Whether the bank holidays of the date's year are estimated, not published."""
        return day.year not in self._covered_years

    def span_is_estimated(self, start: dt.date, end: dt.date) -> bool:
        lo, hi = min(start, end), max(start, end)
        return any(y not in self._covered_years for y in range(lo.year, hi.year + 1))

    def holidays_between(self, start: dt.date, end: dt.date) -> list[BankHoliday]:
        found = bank_holidays(self.division, start.year, end.year)
        return [h for h in found if start <= h.on <= end]

    def non_working_days(self, start: dt.date, end: dt.date) -> list[dt.date]:
        """Holidays and closures (not weekends) in a range: what a numpy calendar needs."""
        off = {h.on for h in bank_holidays(self.division, start.year, end.year)} | self.closures
        return sorted(d for d in off if start <= d <= end and d.weekday() < _SATURDAY)


def _days(start: dt.date, end: dt.date) -> Iterator[dt.date]:
    """Days in (start, end]."""
    day = start
    while day < end:
        day += dt.timedelta(days=1)
        yield day


@functools.lru_cache(maxsize=64)
def working_calendar(
    division: Division = Division.ENGLAND_AND_WALES,
    closures: frozenset[dt.date] = frozenset(),
) -> WorkingCalendar:
    """A shared, immutable calendar for a division and set of closure days."""
    return WorkingCalendar(division, closures)
