"""When reminders go: hand-worked days and moments, and properties that must always hold."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from escalate.procedures.calendar import WorkingCalendar, working_calendar
from escalate.procedures.reminders import (
    LONDON,
    Reminders,
    WorkingHours,
    is_sending_moment,
    next_sending_moment,
    overdue_on,
    remind_on,
)
from escalate.procedures.schema import Division

D = dt.date
UTC = dt.UTC
EW = working_calendar(Division.ENGLAND_AND_WALES)
CLOSED = working_calendar(
    Division.ENGLAND_AND_WALES, frozenset({D(2026, 5, 6), D(2026, 12, 29), D(2026, 12, 30)})
)
SCOT = working_calendar(Division.SCOTLAND)
NINE_TO_FIVE = WorkingHours(dt.time(9), dt.time(17))


def london(y: int, m: int, d: int, hh: int = 0, mm: int = 0, ss: int = 0) -> dt.datetime:
    return dt.datetime(y, m, d, hh, mm, ss, tzinfo=LONDON)


# -- hand-worked ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("due", "n", "expected"),
    [
        # Thursday 7 May 2026; Monday 4 May 2026 is the early May bank holiday.
        (D(2026, 5, 7), 0, D(2026, 5, 7)),
        (D(2026, 5, 7), 1, D(2026, 5, 6)),
        (D(2026, 5, 7), 2, D(2026, 5, 5)),
        (D(2026, 5, 7), 3, D(2026, 5, 1)),  # back over the bank holiday and the weekend
        (D(2026, 5, 5), 1, D(2026, 5, 1)),
        # A due date on a Saturday (a protective date may be any day): the day itself is not
        # a working day, so "on the day" is the Friday before and one day before is Thursday.
        (D(2026, 5, 9), 0, D(2026, 5, 8)),
        (D(2026, 5, 9), 1, D(2026, 5, 8)),
        (D(2026, 5, 9), 2, D(2026, 5, 7)),
        # Easter 2026: Good Friday 3 April and Easter Monday 6 April.
        (D(2026, 4, 7), 1, D(2026, 4, 2)),
    ],
)
def test_remind_on_hand_worked(due: dt.date, n: int, expected: dt.date) -> None:
    assert remind_on(EW, due, n) == expected


def test_remind_on_skips_closure_days() -> None:
    # Wednesday 6 May 2026 is a closure day of CLOSED: one day before Thursday 7 is Tuesday 5.
    assert remind_on(CLOSED, D(2026, 5, 7), 1) == D(2026, 5, 5)


@pytest.mark.parametrize(
    ("due", "expected"),
    [
        (D(2026, 5, 1), D(2026, 5, 5)),  # Friday, then the weekend and the bank holiday
        (D(2026, 5, 5), D(2026, 5, 6)),
        (D(2026, 5, 9), D(2026, 5, 11)),  # Saturday
        (D(2026, 4, 2), D(2026, 4, 7)),  # Easter
    ],
)
def test_overdue_on_hand_worked(due: dt.date, expected: dt.date) -> None:
    assert overdue_on(EW, due) == expected


@pytest.mark.parametrize(
    ("now", "expected"),
    [
        # In hours on a working day: now.
        (london(2026, 5, 5, 10, 30), london(2026, 5, 5, 10, 30)),
        (london(2026, 5, 5, 9), london(2026, 5, 5, 9)),
        (london(2026, 5, 5, 16, 59, 59), london(2026, 5, 5, 16, 59, 59)),
        # Before hours: that morning. At or after the end: the next working morning.
        (london(2026, 5, 5, 6, 15), london(2026, 5, 5, 9)),
        (london(2026, 5, 5, 17), london(2026, 5, 6, 9)),
        (london(2026, 5, 5, 23, 59), london(2026, 5, 6, 9)),
        # Friday evening before the early May bank holiday: Tuesday morning.
        (london(2026, 5, 1, 17, 30), london(2026, 5, 5, 9)),
        (london(2026, 5, 2, 12), london(2026, 5, 5, 9)),
        (london(2026, 5, 4, 10), london(2026, 5, 5, 9)),
        # Christmas 2026: Friday 25 and Monday 28 (substitute Boxing Day) are bank holidays.
        (london(2026, 12, 24, 18), london(2026, 12, 29, 9)),
        # A moment given in UTC is read in London time (BST: 08:30 UTC is 09:30).
        (dt.datetime(2026, 5, 5, 7, 30, tzinfo=UTC), london(2026, 5, 5, 9)),
        (dt.datetime(2026, 5, 5, 8, 30, tzinfo=UTC), london(2026, 5, 5, 9, 30)),
        # In winter, London is UTC.
        (dt.datetime(2026, 1, 6, 8, 30, tzinfo=UTC), london(2026, 1, 6, 9)),
    ],
)
def test_next_sending_moment_hand_worked(now: dt.datetime, expected: dt.datetime) -> None:
    found = next_sending_moment(EW, NINE_TO_FIVE, now)
    assert found == expected
    assert found.tzinfo is UTC


def test_next_sending_moment_skips_closure_days() -> None:
    got = next_sending_moment(CLOSED, NINE_TO_FIVE, london(2026, 12, 24, 18))
    assert got == london(2026, 12, 31, 9)


def test_next_sending_moment_refuses_a_naive_moment() -> None:
    with pytest.raises(ValueError, match="time zone"):
        next_sending_moment(EW, NINE_TO_FIVE, dt.datetime(2026, 5, 5, 10))  # noqa: DTZ001


@pytest.mark.parametrize(("start", "end"), [(dt.time(17), dt.time(9)), (dt.time(9), dt.time(9))])
def test_working_hours_must_be_in_order(start: dt.time, end: dt.time) -> None:
    with pytest.raises(ValueError, match="before"):
        WorkingHours(start, end)


def test_working_hours_are_wall_clock_times() -> None:
    with pytest.raises(ValueError, match="wall-clock"):
        WorkingHours(dt.time(9, tzinfo=UTC), dt.time(17))


def test_remind_on_refuses_negative_days() -> None:
    with pytest.raises(ValueError, match="negative"):
        remind_on(EW, D(2026, 5, 7), -1)


def test_clocks_going_forward_inside_working_hours() -> None:
    """Sunday 29 March 2026: 01:00 GMT becomes 02:00 BST. Hours 01:30 to 03:00 on a working
    calendar with no weekend would open at 02:00 BST, the first moment that exists."""
    every_day = _every_day_calendar()
    hours = WorkingHours(dt.time(1, 30), dt.time(3))
    got = next_sending_moment(every_day, hours, london(2026, 3, 29, 0, 10))
    assert got == dt.datetime(2026, 3, 29, 1, 0, tzinfo=UTC)
    assert got.astimezone(LONDON).time() == dt.time(2)


def test_clocks_going_back_inside_working_hours() -> None:
    """Sunday 25 October 2026: 02:00 BST becomes 01:00 GMT; 01:00 to 02:00 happens twice.
    At 01:10 GMT (the second time), hours 01:20 to 01:40 open at 01:20 GMT, not at 01:20 BST
    (an hour earlier, in the past)."""
    every_day = _every_day_calendar()
    hours = WorkingHours(dt.time(1, 20), dt.time(1, 40))
    now = dt.datetime(2026, 10, 25, 1, 10, tzinfo=UTC)
    assert now.astimezone(LONDON).time() == dt.time(1, 10)
    got = next_sending_moment(every_day, hours, now)
    assert got == dt.datetime(2026, 10, 25, 1, 20, tzinfo=UTC)


class _EveryDay:
    """Working days with no day off at all (for the clock-change tests)."""

    def is_working_day(self, day: dt.date) -> bool:
        return True

    def add_working_days(self, start: dt.date, n: int) -> dt.date:
        return start + dt.timedelta(days=n)


def _every_day_calendar() -> _EveryDay:
    return _EveryDay()


def test_reminders_bundle_a_partnership_settings() -> None:
    r = Reminders(EW, NINE_TO_FIVE, days_before=2)
    assert r.remind_on(D(2026, 5, 7)) == D(2026, 5, 5)
    assert r.overdue_on(D(2026, 5, 7)) == D(2026, 5, 8)
    assert r.next_sending_moment(london(2026, 5, 2, 9)) == london(2026, 5, 5, 9)
    assert r.zone is LONDON


def test_reminders_refuse_negative_days_before() -> None:
    with pytest.raises(ValueError, match="negative"):
        Reminders(EW, NINE_TO_FIVE, days_before=-1)


# -- properties ----------------------------------------------------------------------------

calendars = st.sampled_from([EW, CLOSED, SCOT])
dates = st.dates(min_value=D(2001, 1, 1), max_value=D(2079, 12, 1))
days_before = st.integers(min_value=0, max_value=15)
minutes = st.integers(min_value=0, max_value=24 * 60 - 1)


@st.composite
def working_hours(draw: st.DrawFn) -> WorkingHours:
    a, b = sorted(draw(st.lists(minutes, min_size=2, max_size=2, unique=True)))
    return WorkingHours(dt.time(a // 60, a % 60), dt.time(b // 60, b % 60))


moments = st.datetimes(
    min_value=dt.datetime(2001, 1, 1),  # noqa: DTZ001 - hypothesis adds the zone
    max_value=dt.datetime(2079, 12, 1),  # noqa: DTZ001
    timezones=st.sampled_from([LONDON, UTC, ZoneInfo("America/New_York")]),
)


def _working_days_in(calendar: WorkingCalendar, start: dt.date, end: dt.date) -> int:
    """Working days in [start, end), counted one by one."""
    n, day = 0, start
    while day < end:
        n += calendar.is_working_day(day)
        day += dt.timedelta(days=1)
    return n


@settings(max_examples=300)
@given(calendars, dates, days_before)
def test_remind_on_is_a_working_day_n_working_days_before(
    calendar: WorkingCalendar, due: dt.date, n: int
) -> None:
    day = remind_on(calendar, due, n)
    assert calendar.is_working_day(day)
    assert day <= due
    if n == 0:
        # the last working day on or before the due date
        assert (
            _working_days_in(calendar, day + dt.timedelta(days=1), due + dt.timedelta(days=1)) == 0
        )
    else:
        assert _working_days_in(calendar, day, due) == n


@given(calendars, dates, days_before)
def test_remind_on_never_goes_down_as_the_due_date_goes_up(
    calendar: WorkingCalendar, due: dt.date, n: int
) -> None:
    assert remind_on(calendar, due, n) <= remind_on(calendar, due + dt.timedelta(days=1), n)


@given(calendars, dates)
def test_overdue_on_is_the_first_working_day_after(calendar: WorkingCalendar, due: dt.date) -> None:
    day = overdue_on(calendar, due)
    assert day > due
    assert calendar.is_working_day(day)
    assert _working_days_in(calendar, due + dt.timedelta(days=1), day) == 0


@settings(max_examples=300)
@given(calendars, dates, days_before)
def test_remind_horizon_is_the_last_due_date_reminded_by_today(
    calendar: WorkingCalendar, today: dt.date, n: int
) -> None:
    r = Reminders(calendar, NINE_TO_FIVE, days_before=n)
    horizon = r.remind_horizon(today)
    assert r.remind_on(horizon) <= today
    assert r.remind_on(horizon + dt.timedelta(days=1)) > today


@settings(max_examples=300)
@given(calendars, dates)
def test_overdue_horizon_is_the_last_due_date_overdue_by_today(
    calendar: WorkingCalendar, today: dt.date
) -> None:
    r = Reminders(calendar, NINE_TO_FIVE)
    horizon = r.overdue_horizon(today)
    assert r.overdue_on(horizon) <= today
    assert r.overdue_on(horizon + dt.timedelta(days=1)) > today


def _open(calendar: WorkingCalendar, hours: WorkingHours, moment: dt.datetime) -> bool:
    """The definition, written out: a working day, and from the start up to (not at) the end,
    by the clock on the wall in London."""
    local = moment.astimezone(LONDON)
    return calendar.is_working_day(local.date()) and hours.start <= local.time() < hours.end


@settings(max_examples=500)
@given(calendars, working_hours(), moments)
def test_next_sending_moment_is_open_not_before_now_and_idempotent(
    calendar: WorkingCalendar, hours: WorkingHours, now: dt.datetime
) -> None:
    moment = next_sending_moment(calendar, hours, now)
    local = moment.astimezone(LONDON)
    assert calendar.is_working_day(local.date())  # never a weekend, holiday or closure day
    assert hours.start <= local.time() < hours.end  # never before the start or at/after the end
    assert moment >= now
    assert next_sending_moment(calendar, hours, moment) == moment
    assert is_sending_moment(calendar, hours, moment)
    assert is_sending_moment(calendar, hours, now) == (moment == now)
    assert _open(calendar, hours, now) == (moment == now)


@settings(max_examples=200)
@given(calendars, working_hours(), moments)
def test_next_sending_moment_is_the_earliest(
    calendar: WorkingCalendar, hours: WorkingHours, now: dt.datetime
) -> None:
    """No whole minute between now and the moment found is open (hours are whole minutes)."""
    moment = next_sending_moment(calendar, hours, now)
    assume(moment - now < dt.timedelta(days=6))
    step = now.astimezone(UTC).replace(second=0, microsecond=0) + dt.timedelta(minutes=1)
    while step < moment:
        assert not _open(calendar, hours, step), step
        step += dt.timedelta(minutes=1)


@settings(max_examples=200)
@given(
    working_hours(),
    st.datetimes(
        min_value=dt.datetime(2026, 3, 28),  # noqa: DTZ001
        max_value=dt.datetime(2026, 3, 30),  # noqa: DTZ001
        timezones=st.just(UTC),
    )
    | st.datetimes(
        min_value=dt.datetime(2026, 10, 24),  # noqa: DTZ001
        max_value=dt.datetime(2026, 10, 26),  # noqa: DTZ001
        timezones=st.just(UTC),
    ),
)
def test_next_sending_moment_around_the_clock_changes(
    hours: WorkingHours, now: dt.datetime
) -> None:
    """The clock-change weekends of 2026, with every day a working day."""
    every_day = _every_day_calendar()
    moment = next_sending_moment(every_day, hours, now)
    assert moment >= now
    assert hours.start <= moment.astimezone(LONDON).time() < hours.end
    assert next_sending_moment(every_day, hours, moment) == moment
    step = now.replace(second=0, microsecond=0) + dt.timedelta(minutes=1)
    while step < moment:
        local = step.astimezone(LONDON)
        assert not hours.start <= local.time() < hours.end, step
        step += dt.timedelta(minutes=1)
