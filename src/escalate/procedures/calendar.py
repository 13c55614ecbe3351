"""Working days: GOV.UK bank holidays per UK division, plus a partnership's closure days.

Bank holidays come from GOV.UK's published list as shipped inside the ``govuk-bank-holidays``
package (its cached copy; nothing is fetched). Years the published list does not cover fall
back to the rule-based holidays of the ``holidays`` package and are marked *estimated*.

Counting convention (``docs/procedures.md``): *N working days after D* is the N-th working
day strictly after D; N = 0 is D itself when D is a working day, else the next working day.
*N calendar days after D* is D + N, moved on to the next working day when it is not one.

The fast path answers from a precomputed index over :data:`INDEX_START` .. :data:`INDEX_END`:
``_before[i]`` is the number of working days before day ``i`` of the index and
``_working[k]`` the k-th working day, so each answer is two list look-ups.
Dates outside the index are answered by stepping day by day (correct, slower).
"""

from __future__ import annotations

import datetime as dt
import functools
import math
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


def _published(division: Division) -> dict[dt.date, str]:
    from govuk_bank_holidays.bank_holidays import BankHolidays

    # use_cached_holidays=True reads the copy shipped in the package: no network.
    source: Any = BankHolidays(use_cached_holidays=True)
    rows = cast(list[dict[str, Any]], source.get_holidays(division=division.value))
    return {row["date"]: str(row["title"]) for row in rows}


@functools.cache
def published_holidays(division: Division) -> tuple[frozenset[int], dict[dt.date, str]]:
    """The years GOV.UK's list covers, and its holidays, for one division."""
    days = _published(division)
    return frozenset(d.year for d in days), days


def _estimated(division: Division, years: Iterable[int]) -> dict[dt.date, str]:
    import holidays as holidays_lib

    wanted = sorted(set(years))
    if not wanted:
        return {}
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


class WorkingCalendar:
    """Working days for one division and one set of closure days. Immutable once built."""

    def __init__(self, division: Division, closures: frozenset[dt.date] = frozenset()) -> None:
        self.division = division
        self.closures = closures
        self._covered_years = published_holidays(division)[0]
        holidays = bank_holidays(division, INDEX_START.year, INDEX_END.year)
        self._holidays = {h.on: h for h in holidays}
        self._off = frozenset(self._holidays) | closures
        self._ord0 = INDEX_START.toordinal()
        size = INDEX_END.toordinal() - self._ord0 + 1
        before = [0] * (size + 1)
        working: list[int] = []
        for i in range(size):
            ordinal = self._ord0 + i
            if self._is_working_slow(dt.date.fromordinal(ordinal)):
                working.append(ordinal)
            before[i + 1] = len(working)
        self._before = before
        # The answers themselves, built once: returning a shared (immutable) date is half the
        # cost of building one with date.fromordinal on every call.
        self._working = [dt.date.fromordinal(o) for o in working]
        self._count = len(working)
        self._size = size

    # -- the slow, obviously-correct definitions ----------------------------------------
    def _is_working_slow(self, day: dt.date) -> bool:
        if day.weekday() >= _SATURDAY or day in self.closures:
            return False
        if INDEX_START <= day <= INDEX_END:
            return day not in self._holidays
        return all(h.on != day for h in bank_holidays(self.division, day.year, day.year))

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
        i = day.toordinal() - self._ord0
        if 0 <= i < self._size:
            return self._before[i + 1] != self._before[i]
        return self._is_working_slow(day)

    def add_working_days(self, start: dt.date, n: int) -> dt.date:
        """The N-th working day strictly after ``start``; N = 0: ``start`` or the next one."""
        i = start.toordinal() - self._ord0
        if n < 0:
            raise ValueError("n must not be negative")
        if 0 <= i < self._size:
            k = self._before[i] if n == 0 else self._before[i + 1] + n - 1
            if k < self._count:
                return self._working[k]
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
        i, j = start.toordinal() - self._ord0, end.toordinal() - self._ord0
        if i >= 0 and j < self._size:
            return self._before[j + 1] - self._before[i + 1]
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
        return sorted(d for d in self._off if start <= d <= end and d.weekday() < _SATURDAY)


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
