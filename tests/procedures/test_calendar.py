"""The working-day calendar: hand-worked dates and properties that must always hold."""

import datetime as dt
import subprocess
import sys

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from escalate.procedures.calendar import (
    INDEX_END,
    INDEX_START,
    WorkingCalendar,
    bank_holidays,
    working_calendar,
)
from escalate.procedures.schema import Division

D = dt.date
EW = working_calendar(Division.ENGLAND_AND_WALES)
SCOT = working_calendar(Division.SCOTLAND)
NI = working_calendar(Division.NORTHERN_IRELAND)
CLOSED = working_calendar(
    Division.ENGLAND_AND_WALES, frozenset({D(2025, 12, 29), D(2025, 12, 30), D(2025, 12, 31)})
)
ALL = [EW, SCOT, NI, CLOSED]

dates = st.dates(min_value=D(2005, 1, 1), max_value=D(2075, 12, 31))
amounts = st.integers(min_value=0, max_value=80)
calendars = st.sampled_from(ALL)


# -- the example in procedures.md and other hand-worked dates -----------------------------


@pytest.mark.parametrize(
    ("n", "expected"),
    [(0, D(2025, 12, 19)), (1, D(2025, 12, 22)), (3, D(2025, 12, 24)), (4, D(2025, 12, 29))],
)
def test_procedures_md_example_friday_19_december_2025(n: int, expected: dt.date) -> None:
    assert EW.add_working_days(D(2025, 12, 19), n) == expected


@pytest.mark.parametrize(
    ("cal", "start", "n", "expected"),
    [
        # Easter 2026: Good Friday 3 April, Easter Monday 6 April (E&W, NI); Scotland has no
        # Easter Monday holiday.
        (EW, D(2026, 4, 2), 1, D(2026, 4, 7)),
        (SCOT, D(2026, 4, 2), 1, D(2026, 4, 6)),
        (NI, D(2026, 4, 2), 1, D(2026, 4, 7)),
        # Early May bank holiday, Monday 4 May 2026, all three.
        (EW, D(2026, 5, 1), 1, D(2026, 5, 5)),
        (SCOT, D(2026, 5, 1), 1, D(2026, 5, 5)),
        # Spring bank holiday 25 May 2026.
        (EW, D(2026, 5, 22), 1, D(2026, 5, 26)),
        # New Year: Scotland also has 2 January (2026: Friday).
        (EW, D(2025, 12, 31), 1, D(2026, 1, 2)),
        (SCOT, D(2025, 12, 31), 1, D(2026, 1, 5)),
        # St Patrick's Day, Tuesday 17 March 2026, Northern Ireland only.
        (NI, D(2026, 3, 16), 1, D(2026, 3, 18)),
        (EW, D(2026, 3, 16), 1, D(2026, 3, 17)),
        # Battle of the Boyne, Monday 13 July 2026, Northern Ireland only.
        (NI, D(2026, 7, 10), 1, D(2026, 7, 14)),
        # Summer bank holiday: first Monday of August in Scotland (3 Aug 2026), last in E&W.
        (SCOT, D(2026, 7, 31), 1, D(2026, 8, 4)),
        (EW, D(2026, 8, 28), 1, D(2026, 9, 1)),
        # St Andrew's Day, Monday 30 November 2026, Scotland only.
        (SCOT, D(2026, 11, 27), 1, D(2026, 12, 1)),
        # Closure days added by a partnership.
        (CLOSED, D(2025, 12, 24), 1, D(2026, 1, 2)),
        # Same working day from a weekend and a bank holiday.
        (EW, D(2025, 12, 27), 0, D(2025, 12, 29)),
        (EW, D(2025, 12, 25), 0, D(2025, 12, 29)),
        # N working days from a bank holiday counts strictly after it.
        (EW, D(2025, 12, 25), 1, D(2025, 12, 29)),
    ],
)
def test_hand_worked(cal: WorkingCalendar, start: dt.date, n: int, expected: dt.date) -> None:
    assert cal.add_working_days(start, n) == expected
    assert cal.step_working_days(start, n) == expected


def test_calendar_days_roll_forward_to_a_working_day() -> None:
    assert EW.add_calendar_days(D(2025, 12, 19), 6) == D(2025, 12, 29)  # 25th -> 29th
    assert EW.add_calendar_days(D(2025, 12, 19), 3) == D(2025, 12, 22)  # Monday itself
    assert EW.add_hours(D(2025, 12, 19), 24) == D(2025, 12, 22)  # Saturday -> Monday
    assert EW.add_hours(D(2025, 12, 22), 25) == D(2025, 12, 24)  # rounds up to 2 days


def test_published_and_estimated_years() -> None:
    published = bank_holidays(Division.ENGLAND_AND_WALES, 2026, 2026)
    assert not any(h.estimated for h in published)
    assert D(2026, 12, 28) in {h.on for h in published}  # substitute day for Boxing Day
    later = bank_holidays(Division.ENGLAND_AND_WALES, 2035, 2035)
    assert later
    assert all(h.estimated for h in later)
    assert D(2035, 12, 25) in {h.on for h in later}
    assert not EW.is_estimated(D(2026, 6, 1))
    assert EW.is_estimated(D(2035, 6, 1))
    assert EW.span_is_estimated(D(2026, 12, 1), D(2035, 1, 1))


def test_dates_outside_the_index_still_count_correctly() -> None:
    before = INDEX_START - dt.timedelta(days=10)
    after = INDEX_END + dt.timedelta(days=10)
    for start in (before, after):
        for n in (0, 1, 5, 30):
            assert EW.add_working_days(start, n) == EW.step_working_days(start, n)
    # 25 December 2090 is a Monday and a bank holiday.
    assert not EW.is_working_day(D(2090, 12, 25))


def test_negative_amounts_are_refused() -> None:
    with pytest.raises(ValueError, match="negative"):
        EW.add_working_days(D(2026, 1, 5), -1)


# -- properties ---------------------------------------------------------------------------


@settings(max_examples=300)
@given(calendars, dates, amounts)
def test_every_due_date_is_a_working_day(cal: WorkingCalendar, d: dt.date, n: int) -> None:
    assert cal.is_working_day(cal.add_working_days(d, n))
    assert cal.is_working_day(cal.add_calendar_days(d, n))


@given(calendars, dates, amounts)
def test_due_dates_never_decrease_as_n_grows(cal: WorkingCalendar, d: dt.date, n: int) -> None:
    assert cal.add_working_days(d, n) <= cal.add_working_days(d, n + 1)
    if n >= 1:
        assert cal.add_working_days(d, n) < cal.add_working_days(d, n + 1)
        assert cal.add_working_days(d, n) > d


@given(calendars, dates)
def test_zero_is_the_same_working_day_or_the_next(cal: WorkingCalendar, d: dt.date) -> None:
    same = cal.add_working_days(d, 0)
    if cal.is_working_day(d):
        assert same == d
    else:
        assert same > d
        between = [d + dt.timedelta(days=i) for i in range((same - d).days)]
        assert not any(cal.is_working_day(x) for x in between)


@given(calendars, dates, amounts, amounts)
def test_adding_n_then_m_from_a_working_day_is_adding_n_plus_m(
    cal: WorkingCalendar, d: dt.date, n: int, m: int
) -> None:
    start = cal.add_working_days(d, 0)
    assert cal.add_working_days(cal.add_working_days(start, n), m) == cal.add_working_days(
        start, n + m
    )


@settings(max_examples=300)
@given(calendars, dates, amounts)
def test_fast_path_agrees_with_stepping(cal: WorkingCalendar, d: dt.date, n: int) -> None:
    assert cal.add_working_days(d, n) == cal.step_working_days(d, n)


@given(calendars, dates, amounts)
def test_working_days_between_inverts_adding(cal: WorkingCalendar, d: dt.date, n: int) -> None:
    counted = cal.working_days_between(d, cal.add_working_days(d, n))
    if n >= 1:
        assert counted == n
    else:  # the same day when working, else the next working day: one day counted
        assert counted == (0 if cal.is_working_day(d) else 1)


@given(calendars, dates, st.integers(min_value=0, max_value=400))
def test_is_working_day_matches_the_definition(
    cal: WorkingCalendar, d: dt.date, offset: int
) -> None:
    day = d + dt.timedelta(days=offset)
    expected = (
        day.weekday() < 5
        and day not in cal.closures
        and day not in {h.on for h in bank_holidays(cal.division, day.year, day.year)}
    )
    assert cal.is_working_day(day) is expected


# -- the index starts with the published years and extends itself once --------------------


def test_a_new_calendar_answers_published_years_without_estimating() -> None:
    """Building a calendar and counting inside GOV.UK's years never imports ``holidays``
    (the tenth of a second ``escalate plan`` used to spend on it)."""
    code = (
        "import sys, datetime as dt\n"
        "from escalate.procedures.calendar import working_calendar\n"
        "cal = working_calendar()\n"
        "assert cal.add_working_days(dt.date(2025, 12, 19), 4) == dt.date(2025, 12, 29)\n"
        "assert 'holidays' not in sys.modules, 'estimated holidays were computed'\n"
        "cal.add_working_days(dt.date(2035, 12, 21), 3)\n"
        "assert 'holidays' in sys.modules\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)  # noqa: S603 (our own code)


@pytest.mark.parametrize(
    ("start", "n"),
    [
        (D(2027, 12, 20), 30),  # from the published years into the estimated ones
        (D(2035, 12, 21), 3),  # wholly estimated
        (D(2001, 1, 2), 10),  # before the published years
    ],
)
def test_a_fresh_calendar_extends_its_index_where_the_question_needs(
    start: dt.date, n: int
) -> None:
    for ask in ("add", "between", "is_working"):
        cal = WorkingCalendar(Division.ENGLAND_AND_WALES)  # a new, unextended index
        reference = cal.step_working_days(start, n)
        if ask == "add":
            assert cal.add_working_days(start, n) == reference
        elif ask == "between":
            assert cal.working_days_between(start, reference) == n
        else:
            assert cal.is_working_day(reference)
