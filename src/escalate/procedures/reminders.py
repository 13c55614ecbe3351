"""When reminders go: the day a due date is reminded, the day it becomes overdue, and the first
moment a message may be sent.

A partnership sets how many working days before a due date whoever holds it is reminded
(``days_before``; 0: on the day) and its working hours (start and end, wall-clock times in
London). Messages are sent on working days of its calendar (no weekend, bank holiday or
closure day), from the start of its working hours up to, not at, their end: never at night.

- :func:`remind_on`: the ``days_before``-th working day before the due date; with 0 the due
  date itself, or the working day before it when the due date is not a working day (a
  protective date may fall on any day), so that a reminder never comes after the date.
- :func:`overdue_on`: the first working day after the due date (due today is not overdue).
- :func:`next_sending_moment`: the earliest moment at or after ``now`` that falls within
  working hours on a working day, by the clock on the wall in London, clock changes included.

Time is always an argument: nothing here reads the clock.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Protocol
from zoneinfo import ZoneInfo

LONDON = ZoneInfo("Europe/London")
_DAY = dt.timedelta(days=1)
_SECOND = dt.timedelta(seconds=1)
# A working day always comes within this many days (the longest run of days off is a
# Christmas fortnight of closure days; this leaves a wide margin).
_MAX_DAYS_OFF = 400


class WorkingDays(Protocol):
    """What is needed of a calendar (``calendar.WorkingCalendar`` is one)."""

    def is_working_day(self, day: dt.date) -> bool: ...

    def add_working_days(self, start: dt.date, n: int) -> dt.date: ...


@dataclass(frozen=True)
class WorkingHours:
    """From ``start`` up to, not at, ``end``: wall-clock times, without a time zone."""

    start: dt.time
    end: dt.time

    def __post_init__(self) -> None:
        if self.start.tzinfo is not None or self.end.tzinfo is not None:
            raise ValueError("working hours are wall-clock times: give them without a time zone")
        if not self.start < self.end:
            raise ValueError(
                f"working hours must start ({self.start}) before they end ({self.end})"
            )

    def contains(self, wall: dt.time) -> bool:
        return self.start <= wall < self.end


def remind_on(calendar: WorkingDays, due_on: dt.date, days_before: int) -> dt.date:
    """The working day a "due soon" reminder is due: ``days_before`` working days before."""
    if days_before < 0:
        raise ValueError("days_before must not be negative")
    day = due_on
    if days_before == 0:
        while not calendar.is_working_day(day):
            day -= _DAY
        return day
    left = days_before
    while left:
        day -= _DAY
        if calendar.is_working_day(day):
            left -= 1
    return day


def overdue_on(calendar: WorkingDays, due_on: dt.date) -> dt.date:
    """The day something becomes overdue: the first working day after its due date."""
    return calendar.add_working_days(due_on, 1)


def _aware(day: dt.date, wall: dt.time, zone: ZoneInfo, fold: int) -> dt.datetime:
    """The moment a wall-clock time names on a day (in UTC), read with the given fold."""
    return dt.datetime.combine(day, wall, tzinfo=zone).replace(fold=fold).astimezone(dt.UTC)


def _transitions(day: dt.date, zone: ZoneInfo) -> list[dt.datetime]:
    """The moments (UTC) during ``day`` when the clocks change, found by halving."""
    lo = _aware(day, dt.time(0), zone, 0)
    hi = _aware(day + _DAY, dt.time(0), zone, 0)
    before = lo.astimezone(zone).utcoffset()
    if before == hi.astimezone(zone).utcoffset():
        return []
    while hi - lo > _SECOND:
        mid = lo + (hi - lo) / 2
        mid = mid.replace(microsecond=0)
        if mid.astimezone(zone).utcoffset() == before:
            lo = mid
        else:
            hi = mid
    return [hi]


def is_sending_moment(
    calendar: WorkingDays, hours: WorkingHours, moment: dt.datetime, zone: ZoneInfo = LONDON
) -> bool:
    """Within working hours on a working day, by the wall clock in ``zone``."""
    local = moment.astimezone(zone)
    return calendar.is_working_day(local.date()) and hours.contains(local.time())


def next_sending_moment(
    calendar: WorkingDays, hours: WorkingHours, now: dt.datetime, zone: ZoneInfo = LONDON
) -> dt.datetime:
    """The earliest moment at or after ``now`` within working hours on a working day.

    Working hours open either at ``now``, or when the wall clock reaches their start (read
    both ways on the day the clocks go back), or when the clocks change (a start that falls
    in the hour skipped in spring opens at the first moment after it): the earliest of these
    candidates that is at or after ``now`` and within hours is the answer.

    The answer is in UTC: during the hour the clocks go back, two London moments share a
    wall-clock time and compare equal within the zone, so store and compare the UTC moment
    and show it with ``astimezone(LONDON)``.
    """
    if now.tzinfo is None or now.utcoffset() is None:
        raise ValueError("now must carry a time zone")
    if is_sending_moment(calendar, hours, now, zone):
        return now.astimezone(dt.UTC)
    day = now.astimezone(zone).date()
    for _ in range(_MAX_DAYS_OFF):
        if calendar.is_working_day(day):
            candidates = [
                _aware(day, hours.start, zone, 0),
                _aware(day, hours.start, zone, 1),
                *_transitions(day, zone),
            ]
            found = [
                c for c in candidates if c >= now and is_sending_moment(calendar, hours, c, zone)
            ]
            if found:
                return min(found)
        day += _DAY
    raise ValueError(f"no working day within {_MAX_DAYS_OFF} days of {now}")


@dataclass(frozen=True)
class Reminders:
    """One partnership's reminder settings: its calendar, working hours and notice."""

    calendar: WorkingDays
    hours: WorkingHours
    days_before: int = 1
    zone: ZoneInfo = field(default=LONDON)

    def __post_init__(self) -> None:
        if self.days_before < 0:
            raise ValueError("days_before must not be negative")

    def remind_on(self, due_on: dt.date) -> dt.date:
        return remind_on(self.calendar, due_on, self.days_before)

    def overdue_on(self, due_on: dt.date) -> dt.date:
        return overdue_on(self.calendar, due_on)

    def next_sending_moment(self, now: dt.datetime) -> dt.datetime:
        return next_sending_moment(self.calendar, self.hours, now, self.zone)

    def today(self, now: dt.datetime) -> dt.date:
        """The date it is at ``now`` in the partnership's zone."""
        return now.astimezone(self.zone).date()

    def remind_horizon(self, today: dt.date) -> dt.date:
        """The latest due date whose reminder is due by ``today``: every due date up to it,
        and none after it (``remind_on`` never goes down as the due date goes up)."""
        # N working days after today is never reminded before today's N-th working day...
        day = self.calendar.add_working_days(today, self.days_before)
        # ...and the days after it until the next working day share its reminder day.
        while self.remind_on(day + _DAY) <= today:
            day += _DAY
        while self.remind_on(day) > today:
            day -= _DAY
        return day

    def overdue_horizon(self, today: dt.date) -> dt.date:
        """The latest due date that is overdue by ``today``."""
        day = today - _DAY
        while self.overdue_on(day) > today:
            day -= _DAY
        return day
