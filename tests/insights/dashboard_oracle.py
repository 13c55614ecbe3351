"""The board's figures worked out a second way, for the dashboard's tests: from the record
(``Escalation``, ``Stage``, ``Entry``) and the rules core, one escalation at a time in Python,
never from the facts the dashboard reads nor with its code.

:func:`records` reads a partnership's escalations as the record gives them (the due dates of
their stages from the core's plan, the working days taken from the calendar, whether they are
overdue today from the core's live items); :func:`expected` counts them as each figure says it
counts; :func:`behind` says which escalations a figure's link should list, from the link's own
query string.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from escalate.cases import rules
from escalate.cases.models import Escalation
from escalate.directory.models import Agency, Partnership
from escalate.procedures import clock

STATUS_LABELS = {
    "open": "Open",
    "resolved": "Resolved",
    "withdrawn": "Withdrawn",
    "decided": "Decided at the top stage",
}
CLOSED = ("resolved", "withdrawn", "decided")


@dataclass(frozen=True)
class StageRecord:
    number: int
    entered_on: dt.date
    left_on: dt.date | None
    due_on: dt.date | None

    @property
    def within(self) -> bool | None:
        if self.left_on is None or self.due_on is None:
            return None
        return self.left_on <= self.due_on


@dataclass(frozen=True)
class Record:
    reference: str
    procedure_key: str
    category: str
    raising: int
    receiving: int
    raising_type: str
    receiving_type: str
    outset_on: dt.date
    raised_on: dt.date
    closed_on: dt.date | None
    status: str
    immediate_risk: bool
    start_stage: int
    current_stage: int
    stages: dict[int, StageRecord]
    days_taken: int | None
    overdue_now: bool

    @property
    def reached(self) -> int:
        return max(self.stages)


def records(partnership: Partnership, today: dt.date) -> list[Record]:
    calendar = partnership.calendar()
    types = dict(Agency.objects.values_list("pk", "agency_type"))
    found = []
    escalations = Escalation.objects.filter(partnership=partnership).prefetch_related(
        "stages", "entries"
    )
    for e in escalations:
        stages = list(e.stages.all())
        state = rules.state_of(e, stages, e.entries.all())
        procedure = rules.procedure_of(e)
        plan = clock.plan(procedure, calendar, state.facts())
        due_now = rules.derived(procedure, calendar, state).next_due_on
        found.append(
            Record(
                reference=e.reference,
                procedure_key=e.procedure_key,
                category=e.category,
                raising=e.raising_agency_id,
                receiving=e.receiving_agency_id,
                raising_type=types[e.raising_agency_id],
                receiving_type=types[e.receiving_agency_id],
                outset_on=e.outset_on,
                raised_on=e.raised_on,
                closed_on=e.closed_on,
                status=e.status,
                immediate_risk=e.immediate_risk,
                start_stage=e.start_stage,
                current_stage=max(s.number for s in stages),
                stages={
                    s.number: StageRecord(
                        s.number, s.entered_on, s.left_on, plan.stage(s.number).due_on
                    )
                    for s in stages
                },
                days_taken=(
                    calendar.working_days_between(e.outset_on, e.closed_on) if e.closed_on else None
                ),
                overdue_now=e.status == "open" and due_now is not None and due_now < today,
            )
        )
    return found


@dataclass(frozen=True)
class Choice:
    """The dashboard's filters, as the test chooses them."""

    start: dt.date
    end: dt.date
    agency: int | None = None
    agency_type: str = ""
    category: str = ""
    stage: int | None = None
    version: str = ""

    def query(self) -> dict[str, str]:
        q = {
            "start_day": str(self.start.day),
            "start_month": str(self.start.month),
            "start_year": str(self.start.year),
            "end_day": str(self.end.day),
            "end_month": str(self.end.month),
            "end_year": str(self.end.year),
        }
        for name in ("agency", "agency_type", "category", "stage", "version"):
            value = getattr(self, name)
            if value not in (None, ""):
                q[name] = str(value)
        return q

    def keeps(self, r: Record) -> bool:
        """The filters other than the period."""
        return (
            (self.agency is None or self.agency in (r.raising, r.receiving))
            and (not self.agency_type or self.agency_type in (r.raising_type, r.receiving_type))
            and (not self.category or r.category == self.category)
            and (self.stage is None or self.stage in r.stages)
            and (not self.version or r.procedure_key == self.version)
        )

    def raised(self, recs: list[Record]) -> list[Record]:
        return [r for r in recs if self.start <= r.raised_on <= self.end and self.keeps(r)]

    def closed(self, recs: list[Record]) -> list[Record]:
        return [
            r
            for r in recs
            if r.closed_on is not None and self.start <= r.closed_on <= self.end and self.keeps(r)
        ]


def _months(start: dt.date, end: dt.date) -> list[tuple[int, int]]:
    months, (y, m) = [], (start.year, start.month)
    while (y, m) <= (end.year, end.month):
        months.append((y, m))
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)
    return months


def _spread(days: list[int]) -> tuple[Any, ...]:
    if not days:
        return (0, None, None, None, None, None)
    q1, median, q3 = np.quantile(np.array(days), [0.25, 0.5, 0.75])  # linear, NumPy's default
    return (len(days), min(days), float(q1), float(median), float(q3), max(days))


@dataclass
class Expected:
    """Each figure as counts keyed by what the table's rows and columns name."""

    headline: dict[str, int] = field(default_factory=dict)
    by_status: dict[str, int] = field(default_factory=dict)
    stage_reached: dict[int, int] = field(default_factory=dict)
    matrix: dict[tuple[int, int], int] = field(default_factory=dict)
    by_category: dict[str, int] = field(default_factory=dict)
    time_to_close: dict[str, tuple[Any, ...]] = field(default_factory=dict)
    within_by_stage: dict[int, tuple[int, int]] = field(default_factory=dict)
    within_by_agency: dict[int, tuple[int, int]] = field(default_factory=dict)
    overdue: dict[tuple[int, int], int] = field(default_factory=dict)
    by_month: dict[tuple[int, int], tuple[int, int]] = field(default_factory=dict)
    by_quarter: dict[tuple[int, int], tuple[int, int]] = field(default_factory=dict)
    immediate: dict[int, tuple[int, int]] = field(default_factory=dict)


def expected(recs: list[Record], choice: Choice) -> Expected:
    raised = choice.raised(recs)
    closed = choice.closed(recs)
    overdue = [r for r in recs if r.overdue_now and choice.keeps(r)]
    out = Expected()
    statuses = Counter(r.status for r in raised)
    out.headline = {
        "Raised in the period": len(raised),
        "Still open": statuses["open"],
        "Closed": sum(statuses[s] for s in CLOSED),
        "Raised at immediate risk": sum(1 for r in raised if r.immediate_risk),
        "Overdue now, whenever raised": len(overdue),
    }
    out.by_status = {label: statuses[s] for s, label in STATUS_LABELS.items()}
    out.stage_reached = dict(Counter(r.reached for r in raised))
    out.matrix = dict(Counter((r.raising, r.receiving) for r in raised))
    out.by_category = dict(Counter(r.category for r in raised))
    out.time_to_close = {"All closed": _spread([r.days_taken for r in closed])}  # type: ignore[misc]
    for s in CLOSED:
        days = [r.days_taken for r in closed if r.status == s]
        out.time_to_close[STATUS_LABELS[s]] = _spread(days)  # type: ignore[arg-type]
    for r in raised:
        for st in r.stages.values():
            if st.within is None:
                continue
            for key, table in (
                (st.number, out.within_by_stage),
                (r.receiving, out.within_by_agency),
            ):
                ended, met = table.get(key, (0, 0))
                table[key] = (ended + 1, met + (1 if st.within else 0))
    out.overdue = dict(Counter((r.receiving, r.current_stage) for r in overdue))
    for y, m in _months(choice.start, choice.end):
        up = sum(1 for r in raised if (r.raised_on.year, r.raised_on.month) == (y, m))
        down = sum(
            1 for r in closed if r.closed_on and (r.closed_on.year, r.closed_on.month) == (y, m)
        )
        out.by_month[(y, m)] = (up, down)
        q = (y, (m - 1) // 3 + 1)
        before = out.by_quarter.get(q, (0, 0))
        out.by_quarter[q] = (before[0] + up, before[1] + down)
    for r in raised:
        if r.immediate_risk:
            n, still = out.immediate.get(r.start_stage, (0, 0))
            out.immediate[r.start_stage] = (n + 1, still + (r.status == "open"))
    return out


def _in_month(day: dt.date | None, text: str) -> bool:
    return day is not None and f"{day:%Y-%m}" == text


def _in_quarter(day: dt.date | None, text: str) -> bool:
    return day is not None and f"{day.year}-Q{(day.month - 1) // 3 + 1}" == text


def behind(recs: list[Record], choice: Choice, link: Mapping[str, str]) -> set[str]:
    """The references a figure's link should list: ``link`` is its query string's figure
    parameters (as a dict; the dashboard's own are ``choice``)."""
    if link.get("overdue") == "1":
        found = [r for r in recs if r.overdue_now and choice.keeps(r)]
        if "receiving" in link:
            found = [r for r in found if r.receiving == int(link["receiving"])]
        if "current_stage" in link:
            found = [r for r in found if r.current_stage == int(link["current_stage"])]
        return {r.reference for r in found}
    by_closing = link.get("basis") == "closed"
    found = choice.closed(recs) if by_closing else choice.raised(recs)

    def on(r: Record) -> dt.date | None:
        return r.closed_on if by_closing else r.raised_on

    tests: dict[str, Callable[[Record, str], bool]] = {
        "category": lambda r, v: r.category == v,
        "status": lambda r, v: r.status == v,
        "closed": lambda r, v: r.status in CLOSED,
        "stage_reached": lambda r, v: r.reached == int(v),
        "start_stage": lambda r, v: r.start_stage == int(v),
        "raising": lambda r, v: r.raising == int(v),
        "receiving": lambda r, v: r.receiving == int(v),
        "month": lambda r, v: _in_month(on(r), v),
        "quarter": lambda r, v: _in_quarter(on(r), v),
        "immediate_risk": lambda r, v: r.immediate_risk,
    }
    for name, test in tests.items():
        if name in link:
            found = [r for r in found if test(r, link[name])]
    if "within_due" in link:
        wanted = {"met": {True}, "missed": {False}, "ended": {True, False}}[link["within_due"]]
        number = int(link["due_stage"]) if "due_stage" in link else None
        found = [
            r
            for r in found
            if any(
                s.within in wanted
                for s in r.stages.values()
                if number is None or s.number == number
            )
        ]
    return {r.reference for r in found}
