"""The deadline sweep: each reminder and overdue message once, on the right working day, at
the right hour, to the right people (helper B)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass, field

import pytest
from django.db import connection
from pytest_django import DjangoAssertNumQueries

from escalate.cases.models import Deadline, Escalation, Stage
from escalate.directory.models import ClosureDay, Person
from escalate.notifications.models import Channel, Delivery, Kind, Notification, Preference, Status
from escalate.notifications.outbox import SweepReport, due_deadlines, sweep
from escalate.procedures.calendar import WorkingCalendar
from tests.notifications.sweep_world import (
    LONDON,
    NotifyWorld,
    act,
    at,
    bare_escalation,
    make_notify_world,
    raise_through_services,
    sync_deadlines,
)

D = dt.date
OUTSET = D(2026, 4, 29)  # Wednesday 29 April 2026; Monday 4 May is the early May bank holiday
SWEEP_KINDS = {Kind.DUE_SOON, Kind.OVERDUE, Kind.OVERDUE_NEXT_LEVEL}


@pytest.fixture
def nel(db: None) -> NotifyWorld:
    return make_notify_world("north-east-lincolnshire")


def _stage1(world: NotifyWorld, **kw: object) -> Escalation:
    esc = bare_escalation(world, outset_on=OUTSET, **kw)  # type: ignore[arg-type]
    sync_deadlines(esc)
    return esc


def _rows(**filters: object) -> list[Notification]:
    return list(Notification.objects.filter(key__startswith="remind:", **filters).order_by("pk"))


# -- one escalation, by hand -----------------------------------------------------------------


def test_nothing_before_the_reminder_day(nel: NotifyWorld) -> None:
    _stage1(nel)
    assert sweep(now=at(OUTSET, 23, 59)) == SweepReport()
    assert not _rows()


def test_due_soon_on_the_working_day_before_at_the_start_of_working_hours(
    nel: NotifyWorld,
) -> None:
    """NEL stage 1 is due 2 working days after the outset: Friday 1 May. The reminder is
    written by the first sweep on Thursday 30 April, to go at 09:00."""
    esc = _stage1(nel)
    report = sweep(now=at(D(2026, 4, 30), 0, 5))
    rows = _rows()
    assert report.reminded == 2  # the stage and its dated duty
    assert report.notifications == len(rows) > 0
    assert {(n.kind, n.stage, n.obligation, n.due_on) for n in rows} == {
        (Kind.DUE_SOON, 1, "", D(2026, 5, 1)),
        (Kind.DUE_SOON, 1, "approach-other-practitioner", D(2026, 5, 1)),
    }
    nine = at(D(2026, 4, 30), 9)
    for n in rows:
        assert n.next_attempt_at == nine
        if n.channel == Channel.APP:
            assert (n.status, n.sent_at) == (Status.SENT, nine)
        else:
            assert (n.status, n.sent_at) == (Status.QUEUED, None)
    stage = {n.recipient for n in rows if not n.obligation}
    assert stage == nel.contacts_at(1) | {nel.practitioner["a"], nel.practitioner["b"]}
    duty = {n.recipient for n in rows if n.obligation}
    assert duty == {nel.practitioner["a"], nel.contact[("a", 1)]}  # "The raising practitioner"
    assert {n.key for n in rows if not n.obligation} == {f"remind:{esc.pk}:1::2026-05-01:due-soon"}
    assert set(Deadline.objects.filter(stage=1).values_list("reminded_on", flat=True)) == {
        D(2026, 4, 30)
    }


def test_run_twice_is_run_once(nel: NotifyWorld) -> None:
    _stage1(nel)
    first = sweep(now=at(D(2026, 4, 30), 0, 5))
    assert first.notifications > 0
    assert sweep(now=at(D(2026, 4, 30), 0, 5)) == SweepReport()
    assert sweep(now=at(D(2026, 4, 30), 14)) == SweepReport()
    assert len(_rows()) == first.notifications


def test_a_second_sweep_that_finds_the_rows_unmarked_writes_nothing_again(
    nel: NotifyWorld,
) -> None:
    """Even if the marks were lost (a sweep racing on a database without row locks), the
    unique key stops a second copy of any message."""
    _stage1(nel)
    first = sweep(now=at(D(2026, 4, 30), 0, 5)).notifications
    Deadline.objects.update(reminded_on=None)
    again = sweep(now=at(D(2026, 4, 30), 0, 5))
    assert again.reminded == 2
    assert again.notifications == 0
    assert len(_rows()) == first


def test_overdue_waits_for_the_first_working_day_after_the_weekend_and_bank_holiday(
    nel: NotifyWorld,
) -> None:
    """Due Friday 1 May: not overdue on Saturday, Sunday or bank holiday Monday 4 May; the
    first sweep on Tuesday 5 May writes it, to go at 09:00."""
    _stage1(nel)
    sweep(now=at(D(2026, 4, 30), 0, 5))
    for day in (D(2026, 5, 1), D(2026, 5, 2), D(2026, 5, 3), D(2026, 5, 4)):
        for hour in range(24):
            assert sweep(now=at(day, hour, 30)).notifications == 0, (day, hour)
    report = sweep(now=at(D(2026, 5, 5), 0, 30))
    assert report.chased == 2
    overdue = _rows(kind__in=[Kind.OVERDUE, Kind.OVERDUE_NEXT_LEVEL])
    assert {n.next_attempt_at for n in overdue} == {at(D(2026, 5, 5), 9)}
    next_level = {n.recipient for n in overdue if n.kind == Kind.OVERDUE_NEXT_LEVEL}
    # the stage: the next stage's contacts and the line managers of the practitioners;
    # the duty (the raising practitioner's): the raising agency's next level only.
    assert next_level == nel.contacts_at(2) | {nel.line_manager["a"], nel.line_manager["b"]}
    assert {n.urgent for n in overdue} == {True}


def test_a_sweep_in_working_hours_writes_for_now(nel: NotifyWorld) -> None:
    _stage1(nel)
    now = at(D(2026, 4, 30), 10, 17)
    sweep(now=now)
    assert {n.next_attempt_at for n in _rows()} == {now}


@pytest.mark.parametrize(
    ("now", "expected"),
    [
        (at(D(2026, 4, 30), 16, 59), at(D(2026, 4, 30), 16, 59)),
        (at(D(2026, 4, 30), 17, 0), at(D(2026, 5, 1), 9)),
        (at(D(2026, 4, 30), 22, 0), at(D(2026, 5, 1), 9)),
    ],
)
def test_nothing_goes_at_night(nel: NotifyWorld, now: dt.datetime, expected: dt.datetime) -> None:
    _stage1(nel)
    sweep(now=now)
    assert {n.next_attempt_at for n in _rows()} == {expected}


def test_a_partnerships_notice_and_working_hours(nel: NotifyWorld) -> None:
    p = nel.partnership
    p.remind_working_days_before = 2
    p.working_hours_start = dt.time(8, 0)
    p.working_hours_end = dt.time(16, 0)
    p.save()
    _stage1(nel)  # due Friday 1 May: two working days before is Wednesday 29 April
    assert sweep(now=at(D(2026, 4, 28), 23)).notifications == 0
    sweep(now=at(D(2026, 4, 29), 7))
    assert {n.next_attempt_at for n in _rows()} == {at(D(2026, 4, 29), 8)}
    # overdue on Tuesday 5 May, sent from 08:00 (16:30 on Tuesday waits for Wednesday)
    sweep(now=at(D(2026, 5, 5), 16, 30))
    assert {n.next_attempt_at for n in _rows(kind=Kind.OVERDUE)} == {at(D(2026, 5, 6), 8)}


def test_remind_on_the_day_only(nel: NotifyWorld) -> None:
    nel.partnership.remind_working_days_before = 0
    nel.partnership.save()
    _stage1(nel)
    assert sweep(now=at(D(2026, 4, 30), 23)).notifications == 0
    sweep(now=at(D(2026, 5, 1), 6))
    assert {n.next_attempt_at for n in _rows()} == {at(D(2026, 5, 1), 9)}


def test_closure_days_are_not_working_days(nel: NotifyWorld) -> None:
    ClosureDay.objects.create(partnership=nel.partnership, on=D(2026, 5, 5), reason="Closed")
    _stage1(nel)
    sweep(now=at(D(2026, 5, 5), 10))
    assert not _rows(kind=Kind.OVERDUE)
    sweep(now=at(D(2026, 5, 6), 0, 30))
    assert {n.next_attempt_at for n in _rows(kind=Kind.OVERDUE)} == {at(D(2026, 5, 6), 9)}


def test_a_date_already_past_when_first_seen_gets_only_its_overdue_message(
    nel: NotifyWorld,
) -> None:
    _stage1(nel)
    report = sweep(now=at(D(2026, 5, 7), 0, 30))
    assert report.reminded == 0
    assert report.passed_over == 2
    assert report.chased == 2
    assert {n.kind for n in _rows()} == {Kind.OVERDUE, Kind.OVERDUE_NEXT_LEVEL}
    assert Deadline.objects.filter(reminded_on__isnull=True, stage=1).count() == 0


def test_a_closed_escalations_stage_is_not_chased(nel: NotifyWorld) -> None:
    """Deadline rows hold only live items; a stale one (a stage of a closed escalation) is
    passed over all the same."""
    esc = _stage1(nel)
    Escalation.objects.filter(pk=esc.pk).update(status="resolved", closed_on=OUTSET)
    report = sweep(now=at(D(2026, 5, 7), 0, 30))
    assert report.chased == report.reminded == 0
    assert not _rows()


def test_a_withdrawn_escalations_duties_are_not_chased(nel: NotifyWorld) -> None:
    _stage1(nel)
    Escalation.objects.update(status="withdrawn", closed_on=OUTSET)
    assert sweep(now=at(D(2026, 5, 7), 0, 30)).notifications == 0


def test_a_stage_the_escalation_has_left_is_not_chased(nel: NotifyWorld) -> None:
    _stage1(nel)
    Escalation.objects.update(current_stage=2)
    report = sweep(now=at(D(2026, 5, 7), 0, 30))
    assert report.notifications == 0


def test_a_duty_that_follows_the_resolution_is_still_reminded(db: None) -> None:
    """Redbridge: the outcome is confirmed in writing within 2 working days of the resolution
    (stage 1: 'The receiving professional'), even though the escalation is closed."""
    rb = make_notify_world("redbridge-sab")
    resolved_on = D(2026, 4, 30)
    esc = bare_escalation(rb, outset_on=OUTSET, status="resolved", closed_on=resolved_on)
    Stage.objects.filter(escalation=esc).update(left_on=resolved_on)
    esc.entries.create(
        sequence=1, kind="resolved", stage=1, occurred_on=resolved_on, author_name="x", text="ok"
    )
    sync_deadlines(esc)
    assert list(Deadline.objects.values_list("stage", "obligation", "due_on")) == [
        (1, "confirm-outcome-in-writing", D(2026, 5, 5))
    ]
    sweep(now=at(D(2026, 5, 1), 0, 30))  # the working day before Tuesday 5 May
    rows = _rows()
    assert {n.kind for n in rows} == {Kind.DUE_SOON}
    assert {n.recipient for n in rows} == {rb.practitioner["b"], rb.contact[("b", 1)]}


def test_digest_readers_get_reminders_in_the_digest_and_overdue_at_once(nel: NotifyWorld) -> None:
    Preference.objects.create(person=nel.contact[("c", 1)], delivery=Delivery.DIGEST)
    _stage1(nel)
    sweep(now=at(D(2026, 4, 30), 0, 5))
    sweep(now=at(D(2026, 5, 5), 0, 5))
    mine = {
        n.kind: n.status
        for n in _rows(recipient=nel.contact[("c", 1)], channel=Channel.EMAIL, obligation="")
    }
    assert mine == {Kind.DUE_SOON: Status.HELD, Kind.OVERDUE: Status.QUEUED}


def test_immediate_risk_reminders_are_urgent(nel: NotifyWorld) -> None:
    Preference.objects.create(person=nel.contact[("c", 1)], delivery=Delivery.DIGEST)
    _stage1(nel, immediate_risk=True)
    sweep(now=at(D(2026, 4, 30), 0, 5))
    assert {n.urgent for n in _rows()} == {True}
    assert {n.status for n in _rows(channel=Channel.EMAIL)} == {Status.QUEUED}


def test_each_partnership_on_its_own_calendar(db: None) -> None:
    """Friday 2 January 2026 is a bank holiday in Scotland only: stage 1 due on Wednesday
    31 December is overdue on Friday 2 January in England, on Monday 5 January in Scotland."""
    ew = make_notify_world("north-east-lincolnshire", slug="england")
    scot = make_notify_world("north-east-lincolnshire", slug="scotland")
    scot.partnership.division = "scotland"
    scot.partnership.save()
    for world in (ew, scot):
        esc = bare_escalation(world, outset_on=D(2025, 12, 29))  # stage 1 due Wed 31 Dec
        sync_deadlines(esc)
    sweep(now=at(D(2026, 1, 2), 0, 30))
    overdue = _rows(kind=Kind.OVERDUE)
    assert {n.partnership_id for n in overdue} == {ew.partnership.pk}
    assert {n.next_attempt_at for n in overdue} == {at(D(2026, 1, 2), 9)}
    sweep(now=at(D(2026, 1, 5), 0, 30))
    scottish = _rows(kind=Kind.OVERDUE, partnership=scot.partnership)
    assert {n.next_attempt_at for n in scottish} == {at(D(2026, 1, 5), 9)}


def test_inactive_people_hear_nothing(nel: NotifyWorld) -> None:
    Person.objects.filter(pk=nel.contact[("b", 1)].pk).update(is_active=False)
    _stage1(nel)
    sweep(now=at(D(2026, 4, 30), 0, 5))
    assert not _rows(recipient=nel.contact[("b", 1)])


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("overdue", "index"), [(False, "deadline_to_remind"), (True, "deadline_to_chase")]
)
def test_the_sweep_query_uses_its_partial_index(overdue: bool, index: str) -> None:
    """The unmarked rows are read through the partial index (SQLite's plan here; the
    PostgreSQL plan is in docs/performance.md, from benchmarks/sweep.py)."""
    if connection.vendor != "sqlite":
        pytest.skip("SQLite's plan; PostgreSQL's is shown by benchmarks/sweep.py")
    plan = due_deadlines(overdue=overdue, horizon=D(2026, 5, 1)).explain()
    assert index in plan
    after = due_deadlines(overdue=overdue, horizon=D(2026, 5, 1), after=(D(2026, 4, 1), 7))
    assert index in after.explain()


def test_the_sweep_takes_few_queries_however_many_deadlines(
    nel: NotifyWorld,
    django_assert_max_num_queries: DjangoAssertNumQueries,
) -> None:
    for _ in range(25):
        _stage1(nel)
    with django_assert_max_num_queries(30):
        report = sweep(now=at(D(2026, 4, 30), 0, 5))
    assert report.reminded == 50


def test_batches_cover_every_deadline(nel: NotifyWorld) -> None:
    for _ in range(7):
        _stage1(nel)
    report = sweep(now=at(D(2026, 4, 30), 0, 5), batch=3)
    assert report.reminded == 14
    assert Deadline.objects.filter(stage=1, reminded_on__isnull=True).count() == 0


# -- whole escalations, day by day -----------------------------------------------------------


@dataclass(frozen=True)
class Written:
    """A message the sweep wrote: what about, when it goes, and to whom."""

    kind: str
    stage: int
    obligation: str
    due_on: dt.date
    sends_at: dt.datetime
    swept_at: dt.datetime
    people: frozenset[Person]


@dataclass
class Walk:
    world: NotifyWorld
    esc: Escalation | None = None
    written: list[Written] = field(default_factory=list)
    #: Before each sweep: the moment, the live deadlines, the current stage and status.
    log: list[tuple[dt.datetime, frozenset[tuple[int, str, dt.date]], int, str]] = field(
        default_factory=list
    )
    _last: int = 0

    def sweep(self, now: dt.datetime) -> None:
        if self.esc is not None:
            self.esc.refresh_from_db()
            live = frozenset(
                Deadline.objects.filter(escalation=self.esc).values_list(
                    "stage", "obligation", "due_on"
                )
            )
            self.log.append((now, live, self.esc.current_stage, self.esc.status))
        sweep(now=now)
        new = Notification.objects.filter(pk__gt=self._last, key__startswith="remind:")
        groups: dict[tuple[str, int, str, dt.date, dt.datetime], set[Person]] = {}
        for n in new.select_related("recipient"):
            assert n.kind in SWEEP_KINDS
            group = (n.kind, n.stage or 0, n.obligation, n.due_on, n.next_attempt_at)
            assert n.due_on is not None
            people = groups.setdefault(group, set())  # type: ignore[arg-type]
            people.add(n.recipient)
        for (kind, stage, obligation, due_on, sends_at), people in groups.items():
            self.written.append(
                Written(kind, stage, obligation, due_on, sends_at, now, frozenset(people))
            )
        self._last = Notification.objects.order_by("-pk").values_list("pk", flat=True).first() or 0


def _sweep_times(
    day: dt.date, calendar: WorkingCalendar, hourly: set[dt.date]
) -> Iterator[dt.datetime]:
    if day in hourly or not calendar.is_working_day(day):
        for hour in range(24):
            yield at(day, hour, 30)
    else:
        yield at(day, 0, 30)


def _first_working_day_after(calendar: WorkingCalendar, day: dt.date) -> dt.date:
    day += dt.timedelta(days=1)
    while not calendar.is_working_day(day):
        day += dt.timedelta(days=1)
    return day


def _working_day_before(calendar: WorkingCalendar, day: dt.date) -> dt.date:
    day -= dt.timedelta(days=1)
    while not calendar.is_working_day(day):
        day -= dt.timedelta(days=1)
    return day


def _sending(calendar: WorkingCalendar, now: dt.datetime) -> dt.datetime:
    """09:00 to 17:00 on working days: now, that morning, or the next working morning."""
    local = now.astimezone(LONDON)
    if calendar.is_working_day(local.date()):
        if local.hour < 9:
            return at(local.date(), 9)
        if local.hour < 17:
            return now
    return at(_first_working_day_after(calendar, local.date()), 9)


def _expected(
    walk: Walk, calendar: WorkingCalendar
) -> set[tuple[str, int, str, dt.date, dt.datetime]]:
    """What the sweep should have written, replayed from what was live before each sweep:
    the reminder on the working day before the due date (if the date is still to come), the
    overdue message on the first working day after it."""
    reminded: set[tuple[int, str, dt.date]] = set()
    chased: set[tuple[int, str, dt.date]] = set()
    out: set[tuple[str, int, str, dt.date, dt.datetime]] = set()
    for now, live, _stage, _status in walk.log:
        today = now.astimezone(LONDON).date()
        for item in live:
            stage, obligation, due_on = item
            if item not in chased and today >= _first_working_day_after(calendar, due_on):
                chased.add(item)
                out.add((Kind.OVERDUE, stage, obligation, due_on, _sending(calendar, now)))
            if item not in reminded and today >= _working_day_before(calendar, due_on):
                reminded.add(item)
                if today <= due_on:
                    out.add((Kind.DUE_SOON, stage, obligation, due_on, _sending(calendar, now)))
    return out


def _stage_people(world: NotifyWorld, stage: int) -> set[Person]:
    people = world.contacts_at(stage)
    if stage == 1:
        people |= {world.practitioner["a"], world.practitioner["b"]}
    return people


def _check(walk: Walk) -> None:
    world = walk.world
    calendar = world.partnership.calendar()
    expected = _expected(walk, calendar)
    got = {
        (w.kind, w.stage, w.obligation, w.due_on, w.sends_at)
        for w in walk.written
        if w.kind != Kind.OVERDUE_NEXT_LEVEL
    }
    assert got == expected
    assert len(walk.written) == len(
        {(w.kind, w.stage, w.obligation, w.due_on) for w in walk.written}
    )
    stage_at = {now: stage for now, _live, stage, _status in walk.log}
    for w in walk.written:
        local = w.sends_at.astimezone(LONDON)
        assert calendar.is_working_day(local.date()), w  # never a weekend or bank holiday
        assert dt.time(9) <= local.time() < dt.time(17), w  # never at night
        assert w.sends_at >= w.swept_at
        holds = w.stage or stage_at[w.swept_at]
        holders = _stage_people(world, holds)
        if w.kind == Kind.OVERDUE_NEXT_LEVEL:
            up = world.contacts_at(holds + 1) if holds < world.procedure.top else {world.bm}
            up |= {world.line_manager["a"], world.line_manager["b"]} if holds == 1 else set()
            assert w.people <= up and w.people, w
        elif w.obligation:
            assert w.people <= holders and w.people, w
        else:
            assert w.people == holders, w
    # every overdue message has its next level
    chased = {(w.stage, w.obligation, w.due_on) for w in walk.written if w.kind == Kind.OVERDUE}
    raised_up = {
        (w.stage, w.obligation, w.due_on) for w in walk.written if w.kind == Kind.OVERDUE_NEXT_LEVEL
    }
    assert chased == raised_up


@dataclass(frozen=True)
class Plan:
    """How a walk goes: raised on ``outset`` at 10:00, then each day at noon the escalation
    moves on once its stage is overdue (or after ``wait`` working days at a stage with no
    due date); events of the stage are recorded the day after it begins. ``resolve_at``: the
    stage at which it is resolved instead; ``confirm``: confirmed in writing once that duty
    is overdue."""

    procedure_id: str
    outset: dt.date
    days: int
    hourly: tuple[dt.date, ...] = ()
    resolve_at: int | None = None
    wait: int = 2


def _confirm_when_overdue(walk: Walk, esc: Escalation, day: dt.date, cal: WorkingCalendar) -> None:
    """A resolved escalation is confirmed in writing once that duty is overdue."""
    duty = Deadline.objects.filter(escalation=esc, obligation="confirm-outcome-in-writing").first()
    if duty is not None and day >= _first_working_day_after(cal, duty.due_on):
        walk.esc = act(walk.world, esc, "confirm", at(day, 12), confirmed_by="The manager")


def _move_on_when_overdue(
    walk: Walk, plan: Plan, esc: Escalation, day: dt.date, entered_on: dict[int, dt.date]
) -> None:
    """The stage's events the day after it begins; once it is overdue (or after ``wait``
    working days at a stage with no due date), escalate, resolve or decide."""
    world, cal, noon = walk.world, walk.world.partnership.calendar(), at(day, 12)
    stage = esc.current_stage
    if day == _first_working_day_after(cal, entered_on[stage]):
        for event in world.procedure.events_at(stage):
            esc = act(world, esc, "record_event", noon, event=event.id)
    due = Deadline.objects.filter(escalation=esc, stage=stage, obligation="").first()
    if due is not None:
        ready = day >= _first_working_day_after(cal, due.due_on)
    else:
        ready = cal.working_days_between(entered_on[stage], day) >= plan.wait
    if not ready:
        return
    if stage == plan.resolve_at:
        walk.esc = act(world, esc, "resolve", noon, outcome="Agreed")
    elif stage == world.procedure.top:
        walk.esc = act(world, esc, "decide", noon, decision="Decided")
    else:
        walk.esc = act(world, esc, "escalate", noon, reason="Not resolved")
        entered_on[stage + 1] = day


def _walk(plan: Plan) -> Walk:
    """Sweep every day (every hour on days off and the ``hourly`` days); the people involved
    act at noon on working days."""
    world = make_notify_world(plan.procedure_id)
    calendar = world.partnership.calendar()
    walk = Walk(world)
    entered_on: dict[int, dt.date] = {}
    for offset in range(plan.days):
        day = plan.outset + dt.timedelta(days=offset)
        times = list(_sweep_times(day, calendar, set(plan.hourly)))
        for now in (t for t in times if t.hour < 12):
            walk.sweep(now)
        if day == plan.outset:
            walk.esc = raise_through_services(world, outset_on=plan.outset, now=at(day, 10))
            entered_on[1] = day
        elif calendar.is_working_day(day):
            assert walk.esc is not None
            walk.esc.refresh_from_db()
            if walk.esc.status == "open":
                _move_on_when_overdue(walk, plan, walk.esc, day, entered_on)
            elif walk.esc.status == "resolved" and walk.esc.confirmed_on is None:
                _confirm_when_overdue(walk, walk.esc, day, calendar)
        for now in (t for t in times if t.hour >= 12):
            walk.sweep(now)
    return walk


def _summary(walk: Walk) -> list[tuple[str, int, str, str, str]]:
    return sorted(
        (
            w.kind,
            w.stage,
            w.obligation,
            str(w.due_on),
            w.sends_at.astimezone(LONDON).strftime("%a %d %b %H:%M"),
        )
        for w in walk.written
        if w.kind != Kind.OVERDUE_NEXT_LEVEL
    )


def test_a_whole_north_east_lincolnshire_escalation_by_hand(db: None) -> None:
    """Hand-worked: raised Wednesday 29 April 2026 (early May bank holiday Monday 4 May,
    spring bank holiday Monday 25 May), every stage left to go overdue, then escalated at
    noon; the chair's recommendation recorded on Wednesday 3 June."""
    walk = _walk(
        Plan(
            "north-east-lincolnshire",
            OUTSET,
            days=45,
            hourly=(D(2026, 5, 1), D(2026, 5, 22), D(2026, 5, 26)),
        )
    )
    assert _summary(walk) == sorted(
        [
            ("due-soon", 1, "", "2026-05-01", "Thu 30 Apr 09:00"),
            ("due-soon", 1, "approach-other-practitioner", "2026-05-01", "Thu 30 Apr 09:00"),
            ("overdue", 1, "", "2026-05-01", "Tue 05 May 09:00"),
            ("overdue", 1, "approach-other-practitioner", "2026-05-01", "Tue 05 May 09:00"),
            ("due-soon", 2, "", "2026-05-12", "Mon 11 May 09:00"),
            ("overdue", 2, "", "2026-05-12", "Wed 13 May 09:00"),
            ("due-soon", 3, "", "2026-05-15", "Thu 14 May 09:00"),
            ("overdue", 3, "", "2026-05-15", "Mon 18 May 09:00"),
            ("due-soon", 4, "", "2026-05-21", "Wed 20 May 09:00"),
            ("overdue", 4, "", "2026-05-21", "Fri 22 May 09:00"),
            # stage 5 begins at noon on Friday 22 May: e-mail the business manager the same
            # day; the 12:30 sweep reminds at once, in working hours.
            ("due-soon", 5, "email-business-manager", "2026-05-22", "Fri 22 May 12:30"),
            ("overdue", 5, "email-business-manager", "2026-05-22", "Tue 26 May 09:00"),
            # the chair was notified on Tuesday 26 May: recommendations within 5 working days
            ("due-soon", 5, "chair-recommendation", "2026-06-02", "Mon 01 Jun 09:00"),
            ("overdue", 5, "chair-recommendation", "2026-06-02", "Wed 03 Jun 09:00"),
            ("due-soon", 5, "", "2026-06-02", "Mon 01 Jun 09:00"),
            ("due-soon", 0, "", "2026-06-02", "Mon 01 Jun 09:00"),
            ("overdue", 5, "", "2026-06-02", "Wed 03 Jun 09:00"),
            ("overdue", 0, "", "2026-06-02", "Wed 03 Jun 09:00"),
        ]
    )
    _check(walk)
    assert walk.esc is not None and walk.esc.status == "decided"
    # nothing after it was decided
    assert max(w.swept_at for w in walk.written) < at(D(2026, 6, 3), 12)


WALKS = [
    # Easter 2026: Good Friday 3 April, Easter Monday 6 April.
    Plan("north-somerset-sab", D(2026, 4, 1), days=40, hourly=(D(2026, 4, 7),)),
    # Spring bank holiday, Monday 25 May 2026.
    Plan("south-gloucestershire-cp", D(2026, 5, 21), days=30, hourly=(D(2026, 5, 26),)),
    # Summer bank holiday, Monday 31 August 2026; resolved at stage 3, then confirmed in
    # writing once that duty is overdue: its reminders go out after the escalation closed.
    Plan("redbridge-sab", D(2026, 8, 26), days=40, hourly=(D(2026, 9, 1),), resolve_at=3),
    # Christmas 2026 and New Year 2027.
    Plan("sunderland-sab", D(2026, 12, 21), days=120, hourly=(D(2026, 12, 29), D(2027, 1, 4))),
]


@pytest.mark.parametrize("plan", WALKS, ids=[p.procedure_id for p in WALKS])
def test_a_whole_escalation_day_by_day(db: None, plan: Plan) -> None:
    walk = _walk(plan)
    assert walk.written, "the walk wrote no reminders"
    _check(walk)
    assert walk.esc is not None
    assert walk.esc.status == ("resolved" if plan.resolve_at else "decided")
    if plan.resolve_at:
        closed = walk.esc.closed_on
        assert closed is not None
        after = [w for w in walk.written if w.swept_at.date() > closed]
        # only the duty that follows the resolution is reminded once it closed
        assert {w.obligation for w in after} == {"confirm-outcome-in-writing"}
        assert {w.kind for w in after} >= {Kind.DUE_SOON, Kind.OVERDUE}
