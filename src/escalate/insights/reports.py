"""The board's annual report on escalations: one financial year's figures, as the dashboard
shows them, fit to leave the partnership, and the narrative the business unit writes for it.

**The year.** A board reports by financial year, 1 April to 31 March, named by its first
calendar year (:class:`FinancialYear`: 2025 is "2025\N{EN DASH}26", with an en dash). The year
still running is counted to today.

**The figures** (:func:`report_sections`) are the dashboard's (``selectors.board_figures`` for
the year with no other filter, laid out by ``sections.sections_of``), changed in four ways for a
report meant to leave the partnership:

- every table goes through the small-number rule (``small_numbers.suppress``) with the
  partnership's threshold, and where a row has a hidden count, the figures of that row that are
  worked out from its counts (a share within the due date, the working days of so few
  escalations) are withheld too (``small_numbers.published``);
- the charts are drawn from those tables, so a hidden count draws nothing (``charts``: a cell
  that is not a number draws no bar or point): no bar can give away what its table hides. A
  chart of a table with hidden counts that would draw nothing, or only zeros, is left out (a
  row of empty bars would read as "none"): its table says what is hidden;
- nothing links to the escalations (they are not the reader's to open);
- the effectiveness feedback is left out: it is the words people wrote about escalations, free
  text that could name someone, and a count of it would add nothing to the board's figures.

**The narrative** is saved by :func:`annual_report_narrative_save`, which refuses a save made
from a page opened before someone else's save (:class:`NarrativeConflict`) and audits each save.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, fields, replace
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Case, F, IntegerField, Value, When
from django.db.models.functions import ExtractYear

from escalate.audit.models import AuditAction
from escalate.audit.services import audit_record
from escalate.directory.models import Partnership
from escalate.insights import charts, selectors
from escalate.insights.forms import financial_year_start
from escalate.insights.models import NARRATIVE_LIMIT, AnnualReport, EscalationFact
from escalate.insights.sections import Section, agencies_of, labels_for, sections_of
from escalate.insights.selectors import BoardFilters, Figures
from escalate.insights.small_numbers import published
from escalate.insights.tables import Table

#: The earliest financial year a report may be asked for (an address typed by hand asking for
#: the year 3 is a 404, not a thousand years of months).
FIRST_YEAR = 2000

#: Sections of the dashboard the report leaves out (see the module's description).
LEFT_OUT = frozenset({"feedback"})

#: Between the years of a span: "2025\N{EN DASH}26".
EN_DASH = "\N{EN DASH}"

#: What the audit trail calls an annual report.
OBJECT_TYPE = "annual-report"


@dataclass(frozen=True, order=True)
class FinancialYear:
    """1 April ``year`` to 31 March ``year + 1``."""

    year: int

    @classmethod
    def of(cls, day: dt.date) -> FinancialYear:
        return cls(financial_year_start(day).year)

    @property
    def start(self) -> dt.date:
        return dt.date(self.year, 4, 1)

    @property
    def end(self) -> dt.date:
        return dt.date(self.year + 1, 3, 31)

    @property
    def label(self) -> str:
        """``2025\N{EN DASH}26``: an en dash, as a span of years is written."""
        return f"{self.year}{EN_DASH}{(self.year + 1) % 100:02d}"

    @property
    def slug(self) -> str:
        """``2025-26``, for a file name."""
        return f"{self.year}-{(self.year + 1) % 100:02d}"

    def counted_to(self, today: dt.date) -> dt.date:
        """The last day counted: the year's end, or today while the year runs."""
        return min(self.end, today)

    def is_running(self, today: dt.date) -> bool:
        return self.start <= today <= self.end


def year_or_none(year: int, today: dt.date) -> FinancialYear | None:
    """The financial year a report may be asked for: from ``FIRST_YEAR`` to the current one."""
    if FIRST_YEAR <= year <= FinancialYear.of(today).year:
        return FinancialYear(year)
    return None


@dataclass(frozen=True)
class YearChoice:
    year: FinancialYear
    has_escalations: bool
    narrative_saved_at: dt.datetime | None


def report_years(partnership: Partnership, today: dt.date) -> list[YearChoice]:
    """The years a report can be read for, newest first: each financial year in which the
    partnership raised an escalation, each year with a narrative, and the current year
    (two queries, whatever the number of escalations)."""
    starts_before_april = Case(
        When(raised_on__month__lt=4, then=Value(1)), default=Value(0), output_field=IntegerField()
    )
    raised = set(
        EscalationFact.objects.filter(partnership=partnership)
        .annotate(financial_year=ExtractYear("raised_on") - starts_before_april)
        .order_by()
        .values_list("financial_year", flat=True)
        .distinct()
    )
    written = dict(
        AnnualReport.objects.filter(partnership=partnership).values_list("year", "updated_at")
    )
    current = FinancialYear.of(today).year
    years = {y for y in raised | set(written) | {current} if FIRST_YEAR <= y <= current}
    return [
        YearChoice(FinancialYear(y), y in raised, written.get(y))
        for y in sorted(years, reverse=True)
    ]


# -- the figures ------------------------------------------------------------------------------


def _nothing_drawn(section: Section) -> bool:
    """Whether a chart of a table with hidden counts draws nothing, or only zeros."""
    if section.chart is None or charts.NO_DATA in section.chart.svg:
        return True
    table = section.table
    return not any(
        isinstance(row[c], int) and not isinstance(row[c], bool) and row[c] > 0  # type: ignore[operator]
        for row in table.rows
        for c in table.count_columns
        if c < len(row)
    )


@dataclass(frozen=True)
class ReportFigures:
    filters: BoardFilters
    sections: list[Section]
    #: The keys of the sections with a count hidden.
    hidden: frozenset[str]
    threshold: int


def report_sections(partnership: Partnership, year: FinancialYear, today: dt.date) -> ReportFigures:
    """The year's figures for the report (see the module's description), in the dashboard's
    order: a constant number of queries (the dashboard's, and one for the agencies)."""
    threshold = partnership.small_number_threshold
    filters = BoardFilters(
        partnership_id=partnership.pk, start=year.start, end=year.counted_to(today)
    )
    agencies = agencies_of(partnership)
    figures = selectors.board_figures(
        filters, today=today, labels=labels_for(partnership, agencies), link=_no_link
    )
    changed: dict[str, Any] = {}
    original: dict[int, Table] = {}  # by the id of the table as published
    for f in fields(Figures):
        value = getattr(figures, f.name)
        if isinstance(value, Table):
            changed[f.name] = published(value, threshold)
            original[id(changed[f.name])] = value
    sections: list[Section] = []
    hidden: set[str] = set()
    for section in sections_of(replace(figures, **changed)):
        if section.key in LEFT_OUT:
            continue
        if section.table.rows != original[id(section.table)].rows:
            hidden.add(section.key)
            if section.chart is not None and _nothing_drawn(section):
                section = replace(section, chart=None)
        sections.append(section)
    return ReportFigures(filters, sections, frozenset(hidden), threshold)


def _no_link(**_: Any) -> str:
    """The report links nowhere: a figure's escalations are not the reader's to open."""
    return ""


# -- the narrative ----------------------------------------------------------------------------

_PARAGRAPH_BREAK = re.compile(r"\n[ \t]*\n\s*")


def paragraphs(narrative: str) -> list[str]:
    """The narrative's paragraphs (separated by a blank line); a single line break within a
    paragraph is kept by the templates (``linebreaksbr``)."""
    return [p.strip() for p in _PARAGRAPH_BREAK.split(narrative) if p.strip()]


class NarrativeConflict(Exception):
    """Someone saved the narrative after the page being saved from was opened: nothing was
    saved. ``current`` is what they saved (None if there is no narrative at all: the version
    posted was never one of this report's)."""

    def __init__(self, current: AnnualReport | None) -> None:
        super().__init__("The narrative was saved by someone else after this page was opened.")
        self.current = current


def annual_report_get(partnership: Partnership, year: FinancialYear) -> AnnualReport | None:
    return (
        AnnualReport.objects.select_related("updated_by__person")
        .filter(partnership=partnership, year=year.year)
        .first()
    )


def annual_report_narrative_save(
    *,
    user: Any,
    partnership: Partnership,
    year: FinancialYear,
    narrative: str,
    version: int,
    now: dt.datetime,
) -> AnnualReport:
    """Save the narrative of a year's report, from a page opened at ``version`` (0: before
    there was any narrative). Raises :class:`NarrativeConflict`, changing nothing, when the
    report has moved on since; audits the save (the year and version, never the text)."""
    if len(narrative) > NARRATIVE_LIMIT:
        raise ValueError(f"A narrative is {NARRATIVE_LIMIT:,} characters or fewer.")
    mine = AnnualReport.objects.filter(partnership=partnership, year=year.year)
    with transaction.atomic():
        if version == 0:
            try:
                with transaction.atomic():
                    AnnualReport.objects.create(
                        partnership=partnership,
                        year=year.year,
                        narrative=narrative,
                        version=1,
                        updated_at=now,
                        updated_by=user,
                    )
            except IntegrityError:  # someone else wrote the first one meanwhile
                raise NarrativeConflict(annual_report_get(partnership, year)) from None
        else:
            saved = mine.filter(version=version).update(
                narrative=narrative, version=F("version") + 1, updated_at=now, updated_by=user
            )
            if not saved:
                raise NarrativeConflict(annual_report_get(partnership, year))
        report = mine.get()
        audit_record(
            actor=user,
            action=AuditAction.ANNUAL_REPORT_CHANGED,
            object_type=OBJECT_TYPE,
            object_ref=str(year.year),
            partnership_id=partnership.pk,
            detail={"year": year.year, "version": report.version, "characters": len(narrative)},
        )
    return report
