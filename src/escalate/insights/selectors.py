"""The board's figures, read from the facts kept for counting (``insights.models``).

Every figure is aggregated in the database, grouped by a handful of values (a status, a stage,
a pair of agencies, a month, a number of working days), so that a page asks the same number of
queries whatever the number of escalations (:func:`board_figures`: one query a figure, none per
escalation). Each figure is a :class:`~escalate.insights.tables.Table` whose counts link to the
list of the escalations behind them (:func:`board_matches`, which reads the same facts with the
same filters and the figure's own :class:`Slice`).

The period: a figure counts the escalations **raised** in it, except the closures of the
trends and the time to close, which count the escalations **closed** in it (whenever they were
raised), and what is overdue, which is **now** (whenever they were raised: the period does not
apply; the other filters do).

Quantiles (time to close): the median and quartiles are read from the histogram of working
days (one row per number of days, with how many escalations took it) by linear interpolation
between the two nearest ranks: for ``n`` values in order ``x[0] .. x[n-1]``, the ``p`` quantile
is at ``h = (n - 1) * p``, ``x[floor(h)] + (h - floor(h)) * (x[floor(h) + 1] - x[floor(h)])``
(Hyndman and Fan's definition 7: NumPy's default, and Excel's ``QUARTILE.INC``).
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from django.db.models import Count, Exists, F, OuterRef, Q, QuerySet, TextField, Value
from django.db.models.fields.json import KT
from django.db.models.functions import Cast, Replace, Trim, TruncMonth
from django.urls import reverse

from escalate.cases.models import Escalation, Status
from escalate.cases.selectors import escalation_visible_to, overdue_q
from escalate.documents.models import FormVersion, VersionStatus
from escalate.insights.models import EscalationFact, StageFact
from escalate.insights.tables import Cell, Table

#: The effectiveness feedback shown on the page: the latest this many (the count says how many
#: there are in all).
FEEDBACK_SHOWN = 100
#: The id of the forms' field that asks how effective the procedure was.
EFFECTIVENESS_FIELD = "effectiveness"


class Within(StrEnum):
    """Stages ended: within their due date, after it, or either (ended, with a due date)."""

    MET = "met"
    MISSED = "missed"
    ENDED = "ended"

    @classmethod
    def choices(cls) -> list[tuple[str, str]]:
        return [(w.value, w.value) for w in cls]


@dataclass(frozen=True)
class BoardFilters:
    """The dashboard's filters (``insights.forms.BoardFilterForm``)."""

    partnership_id: int
    start: dt.date
    end: dt.date
    #: Either side: raising or receiving.
    agency_id: int | None = None
    #: Either side, as the agency was when the escalation was raised.
    agency_type: str = ""
    category: str = ""
    #: Escalations that were at this stage at some time (a stage fact of that number).
    stage: int | None = None
    #: ``procedure-id@version``.
    version: str = ""

    @property
    def narrowed(self) -> bool:
        """Whether anything but the period is chosen."""
        return bool(
            self.agency_id is not None
            or self.agency_type
            or self.category
            or self.stage is not None
            or self.version
        )


@dataclass(frozen=True)
class Slice:
    """A figure's own filter: which of the dashboard's escalations one number counts."""

    status: str = ""
    #: Not open (resolved, withdrawn or decided).
    closed: bool = False
    stage_reached: int | None = None
    start_stage: int | None = None
    raising: int | None = None
    receiving: int | None = None
    #: The period (and ``month``/``quarter``) is of the closing date, not the raising date.
    by_closing: bool = False
    #: The first day of a month, or of a quarter (January, April, July, October).
    month: dt.date | None = None
    quarter: dt.date | None = None
    #: With a stage ended within (or after) its due date; at ``due_stage`` if given.
    within_due: Within | None = None
    due_stage: int | None = None
    immediate_risk: bool = False
    #: Open and overdue now (the period does not apply), at ``current_stage`` if given.
    overdue: bool = False
    current_stage: int | None = None


# -- which facts -----------------------------------------------------------------------------


def _narrowed(qs: QuerySet[EscalationFact], filters: BoardFilters) -> QuerySet[EscalationFact]:
    if filters.agency_id is not None:
        qs = qs.filter(
            Q(raising_agency_id=filters.agency_id) | Q(receiving_agency_id=filters.agency_id)
        )
    if filters.agency_type:
        qs = qs.filter(
            Q(raising_agency_type=filters.agency_type)
            | Q(receiving_agency_type=filters.agency_type)
        )
    if filters.category:
        qs = qs.filter(category=filters.category)
    if filters.version:
        procedure_id, _, version = filters.version.partition("@")
        qs = qs.filter(procedure_id=procedure_id, procedure_version=version)
    if filters.stage is not None:
        at_stage = StageFact.objects.filter(escalation_id=OuterRef("pk"), number=filters.stage)
        qs = qs.filter(Exists(at_stage))
    return qs


def facts_matching(
    filters: BoardFilters, *, by_closing: bool = False, period: bool = True
) -> QuerySet[EscalationFact]:
    """The facts of the partnership's escalations raised (``by_closing``: closed) in the
    period, with the dashboard's other filters; ``period=False`` leaves the period out."""
    qs = EscalationFact.objects.filter(partnership_id=filters.partnership_id)
    if period:
        span = (filters.start, filters.end)
        qs = qs.filter(closed_on__range=span) if by_closing else qs.filter(raised_on__range=span)
    return _narrowed(qs, filters)


def _next_month(day: dt.date) -> dt.date:
    return dt.date(day.year + day.month // 12, day.month % 12 + 1, 1)


def _stage_q(within: Within | None, number: int | None) -> Q:
    stages = StageFact.objects.filter(escalation_id=OuterRef("pk"))
    if number is not None:
        stages = stages.filter(number=number)
    if within is Within.MET:
        stages = stages.filter(within_due=True)
    elif within is Within.MISSED:
        stages = stages.filter(within_due=False)
    else:
        stages = stages.filter(within_due__isnull=False)
    return Q(Exists(stages))


def _sliced(qs: QuerySet[EscalationFact], s: Slice) -> QuerySet[EscalationFact]:
    if s.status:
        qs = qs.filter(status=s.status)
    if s.closed:
        qs = qs.exclude(status=Status.OPEN)
    if s.stage_reached is not None:
        qs = qs.filter(stage_reached=s.stage_reached)
    if s.start_stage is not None:
        qs = qs.filter(start_stage=s.start_stage)
    if s.raising is not None:
        qs = qs.filter(raising_agency_id=s.raising)
    if s.receiving is not None:
        qs = qs.filter(receiving_agency_id=s.receiving)
    on = "closed_on" if s.by_closing else "raised_on"
    if s.month is not None:
        qs = qs.filter(**{f"{on}__gte": s.month, f"{on}__lt": _next_month(s.month)})
    if s.quarter is not None:
        after = _next_month(_next_month(_next_month(s.quarter)))
        qs = qs.filter(**{f"{on}__gte": s.quarter, f"{on}__lt": after})
    if s.within_due is not None or s.due_stage is not None:
        qs = qs.filter(_stage_q(s.within_due, s.due_stage))
    if s.immediate_risk:
        qs = qs.filter(immediate_risk=True)
    return qs


def overdue_matches(
    filters: BoardFilters, today: dt.date, base: QuerySet[Escalation] | None = None
) -> QuerySet[Escalation]:
    """Open escalations of the partnership overdue today (the lists' ``overdue_q``), whenever
    they were raised, with the dashboard's filters other than the period."""
    qs = (base if base is not None else Escalation.objects.all()).filter(
        overdue_q(today), partnership_id=filters.partnership_id
    )
    if filters.narrowed:
        qs = qs.filter(pk__in=facts_matching(filters, period=False).values("pk"))
    return qs


def board_matches(
    user: object, filters: BoardFilters, s: Slice, today: dt.date
) -> QuerySet[Escalation]:
    """The escalations behind one figure, among those the user may see (the business unit:
    its partnership's), in no order: give it to ``cases.selectors.ListPages``."""
    visible = escalation_visible_to(user)
    if s.overdue:
        qs = overdue_matches(filters, today, base=visible)
        if s.receiving is not None:
            qs = qs.filter(receiving_agency_id=s.receiving)
        if s.current_stage is not None:
            qs = qs.filter(current_stage=s.current_stage)
        return qs
    facts = _sliced(facts_matching(filters, by_closing=s.by_closing), s)
    return visible.filter(pk__in=facts.values("pk"))


# -- the figures -------------------------------------------------------------------------------

#: ``link(status="resolved")``: the address of the list of the escalations behind a figure,
#: with the dashboard's filters and the figure's own.
Linker = Callable[..., str]


@dataclass(frozen=True)
class Labels:
    """Names for what the facts hold as ids."""

    agencies: Mapping[int, str]
    categories: Mapping[str, str]
    forms: Mapping[str, str]
    #: The procedure's highest stage (across its versions).
    top: int

    def agency(self, pk: int) -> str:
        return self.agencies.get(pk, f"Agency {pk}")


@dataclass(frozen=True)
class Figures:
    headline: Table
    by_status: Table
    stage_reached: Table
    matrix: Table
    by_category: Table
    time_to_close: Table
    within_due_by_stage: Table
    within_due_by_agency: Table
    overdue_now: Table
    by_month: Table
    by_quarter: Table
    immediate_risk: Table
    feedback: Table
    #: How many escalations of the period have feedback (the table shows the latest
    #: ``FEEDBACK_SHOWN``).
    feedback_total: int


class _Builder:
    """Rows, and the links of their cells, for one table."""

    def __init__(self) -> None:
        self.rows: list[tuple[Cell, ...]] = []
        self.links: dict[tuple[int, int], str] = {}

    def add(self, cells: Iterable[Cell], links: Mapping[int, str | None] | None = None) -> None:
        r = len(self.rows)
        row = tuple(cells)
        self.rows.append(row)
        for c, href in (links or {}).items():
            # Nothing behind a zero (or an empty cell): no link to an empty list.
            if href and row[c] not in (0, None):
                self.links[(r, c)] = href

    def table(
        self, title: str, headers: Iterable[str], summary: str, counts: Iterable[int]
    ) -> Table:
        return Table(
            title=title,
            headers=tuple(headers),
            rows=tuple(self.rows),
            links=dict(self.links),
            summary=summary,
            count_columns=frozenset(counts),
        )


def _share(part: int, whole: int) -> float | None:
    return round(100 * part / whole, 1) if whole else None


def _grouped(qs: QuerySet[Any], *fields: str, **counts: Any) -> list[dict[str, Any]]:
    """One query: ``counts`` (``Count`` expressions) per distinct value of ``fields``."""
    return list(qs.order_by().values(*fields).annotate(**counts))


def _status_figures(
    facts: QuerySet[EscalationFact], overdue: int, at_risk: int, link: Linker
) -> tuple[Table, Table]:
    by_status = {row["status"]: row["n"] for row in _grouped(facts, "status", n=Count("pk"))}
    total = sum(by_status.values())
    still_open = by_status.get(Status.OPEN, 0)
    head = _Builder()
    head.add(("Raised in the period", total), {1: link()})
    head.add(("Still open", still_open), {1: link(status=Status.OPEN)})
    head.add(("Closed", total - still_open), {1: link(closed=1)})
    head.add(("Raised at immediate risk", at_risk), {1: link(immediate_risk=1)})
    head.add(("Overdue now, whenever raised", overdue), {1: link(overdue=1)})
    headline = head.table(
        "At a glance",
        ("Figure", "Escalations"),
        f"{total:,} escalations were raised in the period: {still_open:,} are still open and "
        f"{total - still_open:,} closed. {overdue:,} open escalations are overdue now.",
        (1,),
    )
    status = _Builder()
    for value, label in Status.choices:
        status.add((str(label), by_status.get(value, 0)), {1: link(status=value)})
    outcome = status.table(
        "Escalations raised in the period, by status now",
        ("Status", "Escalations"),
        ", ".join(f"{label}: {by_status.get(value, 0):,}" for value, label in Status.choices) + ".",
        (1,),
    )
    return headline, outcome


def _stage_reached(facts: QuerySet[EscalationFact], labels: Labels, link: Linker) -> Table:
    reached = {r["stage_reached"]: r["n"] for r in _grouped(facts, "stage_reached", n=Count("pk"))}
    top = max([labels.top, *reached])
    b = _Builder()
    for n in range(1, top + 1):
        b.add((str(n), reached.get(n, 0)), {1: link(stage_reached=n)})
    highest = max(reached.items(), key=lambda kv: (kv[1], -kv[0]), default=None)
    summary = (
        f"Most escalations went no further than stage {highest[0]} ({highest[1]:,})."
        if highest
        else "No escalations were raised in the period."
    )
    return b.table("The highest stage reached", ("Stage", "Escalations"), summary, (1,))


def _matrix(facts: QuerySet[EscalationFact], labels: Labels, link: Linker) -> Table:
    cells = {
        (r["raising_agency_id"], r["receiving_agency_id"]): r["n"]
        for r in _grouped(facts, "raising_agency_id", "receiving_agency_id", n=Count("pk"))
    }
    by_name = lambda pk: (labels.agency(pk).casefold(), pk)  # noqa: E731
    raising = sorted({r for r, _ in cells}, key=by_name)
    receiving = sorted({c for _, c in cells}, key=by_name)
    b = _Builder()
    for r in raising:
        counts = [cells.get((r, c), 0) for c in receiving]
        links: dict[int, str | None] = {
            k + 1: link(raising=r, receiving=c) for k, c in enumerate(receiving)
        }
        links[len(receiving) + 1] = link(raising=r)
        b.add((labels.agency(r), *counts, sum(counts)), links)
    busiest = max(cells.items(), key=lambda kv: kv[1], default=None)
    summary = "Each row is the agency that raised the concern; each column the agency it was "
    summary += "raised with. " + (
        f"The most escalations ({busiest[1]:,}) were raised by {labels.agency(busiest[0][0])} "
        f"with {labels.agency(busiest[0][1])}."
        if busiest
        else "No escalations were raised in the period."
    )
    return b.table(
        "Which agency escalates to which",
        ("Raised by", *(labels.agency(c) for c in receiving), "Total"),
        summary,
        range(1, len(receiving) + 2),
    )


def _by_category(facts: QuerySet[EscalationFact], labels: Labels, link: Linker) -> Table:
    found = {r["category"]: r["n"] for r in _grouped(facts, "category", n=Count("pk"))}
    order = list(labels.categories) + sorted(set(found) - set(labels.categories))
    b = _Builder()
    for category in order:
        name = labels.categories.get(category, category)
        b.add((name, found.get(category, 0)), {1: link(category=category)})
    common = max(found.items(), key=lambda kv: kv[1], default=None)
    summary = (
        f"The most common category was {labels.categories.get(common[0], common[0])} "
        f"({common[1]:,})."
        if common
        else "No escalations were raised in the period."
    )
    return b.table("Escalations by category", ("Category", "Escalations"), summary, (1,))


def quantile(histogram: list[tuple[int, int]], p: float) -> float:
    """The ``p`` quantile of the values a histogram counts ((value, count) in value order),
    by linear interpolation between the nearest ranks (see the module's description)."""
    n = sum(count for _, count in histogram)
    if n == 0:
        raise ValueError("no values")
    h = (n - 1) * p
    low = math.floor(h)

    def kth(k: int) -> int:
        seen = 0
        for value, count in histogram:
            seen += count
            if k < seen:
                return value
        return histogram[-1][0]

    below = kth(low)
    return below + (h - low) * (kth(low + 1) - below) if h > low else float(below)


def _days(value: float) -> int | float:
    """A whole number of days as an int (a quartile of whole numbers is a whole number, or one
    and a quarter, a half or three quarters: kept as it is)."""
    return int(value) if value == int(value) else value


def _time_to_close(closed: QuerySet[EscalationFact], link: Linker) -> Table:
    rows = _grouped(closed, "status", "working_days_taken", n=Count("pk"))
    histograms: dict[str, dict[int, int]] = {}
    for r in rows:
        days = histograms.setdefault(r["status"], {})
        days[r["working_days_taken"]] = days.get(r["working_days_taken"], 0) + r["n"]
    every: dict[int, int] = {}
    for days in histograms.values():
        for value, count in days.items():
            every[value] = every.get(value, 0) + count
    b = _Builder()
    outcomes: list[tuple[str, dict[int, int], dict[str, Any]]] = [
        ("All closed", every, {"closed": 1})
    ]
    outcomes += [
        (str(label), histograms.get(value, {}), {"status": value})
        for value, label in Status.choices
        if value != Status.OPEN
    ]
    for label, days, own in outcomes:
        histogram = sorted(days.items())
        n = sum(days.values())
        if n:
            spread: list[Cell] = [
                histogram[0][0],
                _days(quantile(histogram, 0.25)),
                _days(quantile(histogram, 0.5)),
                _days(quantile(histogram, 0.75)),
                histogram[-1][0],
            ]
        else:
            spread = [None] * 5
        b.add((label, n, *spread), {1: link(basis="closed", **own)})
    total = sum(every.values())
    summary = (
        f"Of the {total:,} escalations closed in the period, half took "
        f"{_days(quantile(sorted(every.items()), 0.5))} working days or fewer from the outset "
        "to the close."
        if total
        else "No escalations were closed in the period."
    )
    return b.table(
        "Working days taken, of escalations closed in the period",
        (
            "Outcome",
            "Escalations",
            "Fewest days",
            "Lower quartile",
            "Median",
            "Upper quartile",
            "Most days",
        ),
        summary,
        (1,),
    )


def _within_due_counts() -> dict[str, Any]:
    return {
        "ended": Count("pk"),
        "met": Count("pk", filter=Q(within_due=True)),
    }


WITHIN_HEADERS = (
    "Stages ended with a due date",
    "Within the due date",
    "After the due date",
    "Share within the due date (%)",
)


def _within_row(
    b: _Builder, label: str, ended: int, met: int, link: Callable[[Within], str]
) -> None:
    b.add(
        (label, ended, met, ended - met, _share(met, ended)),
        {1: link(Within.ENDED), 2: link(Within.MET), 3: link(Within.MISSED)},
    )


def _within_summary(what: str, ended: int, met: int) -> str:
    if not ended:
        return f"No stage with a due date has ended yet, {what}."
    return (
        f"Of {ended:,} stages ended with a due date, {what}, {met:,} "
        f"({_share(met, ended)}%) ended within it."
    )


def _within_due(
    facts: QuerySet[EscalationFact], labels: Labels, link: Linker
) -> tuple[Table, Table]:
    stages = StageFact.objects.filter(
        escalation_id__in=facts.values("pk"), within_due__isnull=False
    )
    by_stage = {r["number"]: r for r in _grouped(stages, "number", **_within_due_counts())}
    b = _Builder()
    for n in range(1, max([labels.top, *by_stage]) + 1):
        r = by_stage.get(n, {"ended": 0, "met": 0})
        _within_row(
            b,
            str(n),
            r["ended"],
            r["met"],
            lambda w, n=n: link(within_due=w.value, due_stage=n),  # type: ignore[misc]
        )
    ended = sum(r["ended"] for r in by_stage.values())
    met = sum(r["met"] for r in by_stage.values())
    per_stage = b.table(
        "Stages ended within their due dates, by stage",
        ("Stage", *WITHIN_HEADERS),
        _within_summary("at any stage", ended, met),
        (1, 2, 3),
    )
    agency_key = "escalation__fact__receiving_agency_id"
    by_agency = {r[agency_key]: r for r in _grouped(stages, agency_key, **_within_due_counts())}
    b = _Builder()
    for pk in sorted(by_agency, key=lambda pk: (labels.agency(pk).casefold(), pk)):
        r = by_agency[pk]
        _within_row(
            b,
            labels.agency(pk),
            r["ended"],
            r["met"],
            lambda w, pk=pk: link(within_due=w.value, receiving=pk),  # type: ignore[misc]
        )
    per_agency = b.table(
        "Stages ended within their due dates, by the agency the concern was raised with",
        ("Agency raised with", *WITHIN_HEADERS),
        _within_summary("with any agency", ended, met),
        (1, 2, 3),
    )
    return per_stage, per_agency


def _overdue_now(filters: BoardFilters, today: dt.date, labels: Labels, link: Linker) -> Table:
    rows = _grouped(
        overdue_matches(filters, today), "receiving_agency_id", "current_stage", n=Count("pk")
    )
    cells = {(r["receiving_agency_id"], r["current_stage"]): r["n"] for r in rows}
    top = max([labels.top, *(stage for _, stage in cells)])
    b = _Builder()
    agencies = sorted({a for a, _ in cells}, key=lambda pk: (labels.agency(pk).casefold(), pk))
    for pk in agencies:
        counts = [cells.get((pk, n), 0) for n in range(1, top + 1)]
        links: dict[int, str | None] = {
            n: link(overdue=1, receiving=pk, current_stage=n) for n in range(1, top + 1)
        }
        links[top + 1] = link(overdue=1, receiving=pk)
        b.add((labels.agency(pk), *counts, sum(counts)), links)
    total = sum(cells.values())
    summary = (
        f"{total:,} open escalations are overdue today, {today:%-d %B %Y}, whenever they were "
        "raised: each row is the agency they were raised with, each column the stage they "
        "are at."
        if total
        else f"No open escalation is overdue today, {today:%-d %B %Y}."
    )
    return b.table(
        "Overdue now, by the agency raised with and the stage",
        ("Agency raised with", *(f"Stage {n}" for n in range(1, top + 1)), "Total"),
        summary,
        range(1, top + 2),
    )


def _months(start: dt.date, end: dt.date) -> list[dt.date]:
    month, found = start.replace(day=1), []
    while month <= end:
        found.append(month)
        month = _next_month(month)
    return found


def _by_month(facts: QuerySet[EscalationFact], on: str) -> dict[dt.date, int]:
    rows = _grouped(facts.annotate(month=TruncMonth(on)), "month", n=Count("pk"))
    found: dict[dt.date, int] = {}
    for r in rows:
        month = r["month"]
        month = month.date() if isinstance(month, dt.datetime) else month
        found[month] = found.get(month, 0) + r["n"]
    return found


#: Short, to fit under a chart's bars: "Jan to Mar 2026".
QUARTER_NAMES = ("Jan to Mar", "Apr to Jun", "Jul to Sep", "Oct to Dec")


def _trends(
    facts: QuerySet[EscalationFact],
    closed: QuerySet[EscalationFact],
    filters: BoardFilters,
    link: Linker,
) -> tuple[Table, Table]:
    raised, closing = _by_month(facts, "raised_on"), _by_month(closed, "closed_on")
    months = _months(filters.start, filters.end)
    b = _Builder()
    quarters: dict[dt.date, list[int]] = {}
    for month in months:
        key = f"{month:%Y-%m}"
        counts = raised.get(month, 0), closing.get(month, 0)
        b.add(
            (f"{month:%B %Y}", *counts),
            {1: link(month=key), 2: link(basis="closed", month=key)},
        )
        quarter = month.replace(month=month.month - (month.month - 1) % 3)
        sums = quarters.setdefault(quarter, [0, 0])
        sums[0] += counts[0]
        sums[1] += counts[1]
    period = f"from {filters.start:%-d %B %Y} to {filters.end:%-d %B %Y}"
    monthly = b.table(
        "Raised and closed, by month",
        ("Month", "Raised", "Closed"),
        f"Escalations raised and closed in each month {period}: "
        f"{sum(raised.values()):,} raised and {sum(closing.values()):,} closed. The closed "
        "are those closed in the month, whenever they were raised.",
        (1, 2),
    )
    b = _Builder()
    for quarter, (up, down) in quarters.items():
        key = f"{quarter.year}-Q{(quarter.month - 1) // 3 + 1}"
        b.add(
            (f"{QUARTER_NAMES[(quarter.month - 1) // 3]} {quarter.year}", up, down),
            {1: link(quarter=key), 2: link(basis="closed", quarter=key)},
        )
    quarterly = b.table(
        "Raised and closed, by quarter",
        ("Quarter", "Raised", "Closed"),
        f"Escalations raised and closed in each quarter (of the calendar year) {period}; a "
        "quarter the period covers in part counts only the days in the period.",
        (1, 2),
    )
    return monthly, quarterly


def _immediate_risk(facts: QuerySet[EscalationFact], link: Linker) -> tuple[Table, int]:
    rows = _grouped(
        facts.filter(immediate_risk=True),
        "start_stage",
        n=Count("pk"),
        still_open=Count("pk", filter=Q(status=Status.OPEN)),
    )
    b = _Builder()
    for r in sorted(rows, key=lambda r: r["start_stage"]):
        n = r["start_stage"]
        b.add(
            (str(n), r["n"], r["still_open"]),
            {
                1: link(immediate_risk=1, start_stage=n),
                2: link(immediate_risk=1, start_stage=n, status=Status.OPEN),
            },
        )
    total = sum(r["n"] for r in rows)
    return (
        b.table(
            "Raised at immediate risk, by the stage they started at",
            ("Stage started at", "Escalations", "Still open"),
            f"{total:,} escalations were raised for someone at immediate risk of significant "
            "harm; the procedure lets them start at a higher stage.",
            (1, 2),
        ),
        total,
    )


def _without_breaks(text: Any) -> Any:
    for character in ("\n", "\r", "\t"):
        text = Replace(
            text,
            Value(character, output_field=TextField()),
            Value(" ", output_field=TextField()),
            output_field=TextField(),
        )
    return text


def _feedback(facts: QuerySet[EscalationFact], labels: Labels) -> tuple[Table, int]:
    """What the forms sent say about how effective the procedure was: of each form of each
    escalation, the latest version sent (a later version supersedes an earlier one)."""
    latest = (
        FormVersion.objects.filter(record=OuterRef("record"), status=VersionStatus.SUBMITTED)
        .order_by("-number")
        .values("number")[:1]
    )
    said = (
        FormVersion.objects.filter(
            status=VersionStatus.SUBMITTED,
            record__escalation_id__in=facts.values("pk"),
            number=latest,
        )
        # As text (a comparison with the JSON value itself would compare JSON); an answer of
        # spaces and line breaks says nothing.
        .annotate(said=Cast(KT(f"values__{EFFECTIVENESS_FIELD}"), TextField()))
        .alias(words=Trim(_without_breaks(F("said"))))
        .exclude(said__isnull=True)
        .exclude(words="")
    )
    total = said.count()
    rows = said.order_by("-submitted_at", "-pk").values(
        "record__escalation__reference", "record__form_id", "submitted_at", "said"
    )[:FEEDBACK_SHOWN]
    b = _Builder()
    for r in rows:
        reference = r["record__escalation__reference"]
        b.add(
            (
                reference,
                labels.forms.get(r["record__form_id"], r["record__form_id"]),
                f"{r['submitted_at']:%-d %B %Y}",
                " ".join(str(r["said"]).split()),
            ),
            {0: reverse("cases:detail", kwargs={"reference": reference})},
        )
    shown = len(b.rows)
    summary = (
        f"What the forms sent said about how effective the procedure was, for {total:,} "
        "escalations raised in the period"
        + (f" (the latest {shown:,} are shown)." if shown < total else ".")
        if total
        else "No form sent for an escalation raised in the period says how effective the "
        "procedure was."
    )
    table = b.table(
        "How effective the procedure was: what the forms said",
        ("Escalation", "Form", "Sent on", "What they said"),
        summary,
        (),
    )
    return table, total


def board_figures(
    filters: BoardFilters, *, today: dt.date, labels: Labels, link: Linker
) -> Figures:
    """Every figure of the dashboard, in a constant number of queries (one a figure)."""
    facts = facts_matching(filters)
    closed = facts_matching(filters, by_closing=True)
    overdue_now = _overdue_now(filters, today, labels, link)
    overdue_total = sum(
        cell for row in overdue_now.rows for cell in row[-1:] if isinstance(cell, int)
    )
    at_risk, at_risk_total = _immediate_risk(facts, link)
    headline, by_status = _status_figures(facts, overdue_total, at_risk_total, link)
    per_stage, per_agency = _within_due(facts, labels, link)
    monthly, quarterly = _trends(facts, closed, filters, link)
    feedback, feedback_total = _feedback(facts, labels)
    return Figures(
        headline=headline,
        by_status=by_status,
        stage_reached=_stage_reached(facts, labels, link),
        matrix=_matrix(facts, labels, link),
        by_category=_by_category(facts, labels, link),
        time_to_close=_time_to_close(closed, link),
        within_due_by_stage=per_stage,
        within_due_by_agency=per_agency,
        overdue_now=overdue_now,
        by_month=monthly,
        by_quarter=quarterly,
        immediate_risk=at_risk,
        feedback=feedback,
        feedback_total=feedback_total,
    )
