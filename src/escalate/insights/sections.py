"""How the board's figures are laid out, on the dashboard and in the annual report alike: the
agencies and labels the figures name, and each figure as a section with its table, its chart
and a note."""

from __future__ import annotations

from dataclasses import dataclass

from escalate.directory.models import Agency, Partnership
from escalate.directory.procedures import registry
from escalate.insights import charts
from escalate.insights.selectors import Figures, Labels
from escalate.insights.tables import Table


def agencies_of(partnership: Partnership) -> list[Agency]:
    """Every agency that may have been a party (active or not; never the partnership body)."""
    return list(
        Agency.objects.filter(partnership=partnership, is_partnership_body=False)
        .only("pk", "name")
        .order_by("name", "pk")
    )


def labels_for(partnership: Partnership, agencies: list[Agency]) -> Labels:
    versions = registry().versions.get(partnership.procedure_id, ())
    categories: dict[str, str] = {}
    forms: dict[str, str] = {}
    for procedure in versions:
        categories.update({c.id: c.name for c in procedure.categories})
        forms.update({f.id: f.title for f in procedure.forms})
    return Labels(
        agencies={a.pk: a.name for a in agencies},
        categories=categories,
        forms=forms,
        top=max((p.top for p in versions), default=1),
    )


#: Each section's heading (and its entry in the page's contents): short, as the table's
#: title follows it in the chart's caption or the table's.
HEADINGS = {
    "at-a-glance": "At a glance",
    "by-status": "Outcomes",
    "by-month": "By month",
    "by-quarter": "By quarter",
    "stage-reached": "Stages reached",
    "agencies": "Between agencies",
    "categories": "Categories",
    "time-to-close": "Time to close",
    "within-due-by-stage": "Due dates kept, by stage",
    "within-due-by-agency": "Due dates kept, by agency",
    "overdue-now": "Overdue now",
    "immediate-risk": "Immediate risk",
    "feedback": "How effective the procedure was",
}


@dataclass(frozen=True)
class Section:
    """One figure on the page: its table, its chart (if it has one) and a note."""

    key: str
    table: Table
    chart: charts.Chart | None = None
    note: str = ""

    @property
    def heading(self) -> str:
        return HEADINGS[self.key]


def _value_columns(table: Table, skip_last: bool = False) -> tuple[int, ...]:
    last = len(table.headers) - (1 if skip_last else 0)
    return tuple(range(1, last))


def sections_of(figures: Figures) -> list[Section]:
    """The figures in the page's order, the main ones with a chart (``insights.charts``)."""
    matrix_columns = _value_columns(figures.matrix, skip_last=True)
    overdue_columns = _value_columns(figures.overdue_now, skip_last=True)
    stacked = charts.stacked_bar_chart
    return [
        Section("at-a-glance", figures.headline),
        Section("by-status", figures.by_status, charts.bar_chart(figures.by_status)),
        Section(
            "by-month",
            figures.by_month,
            charts.line_chart(figures.by_month, value_columns=(1, 2)),
        ),
        Section(
            "by-quarter",
            figures.by_quarter,
            charts.bar_chart(figures.by_quarter, value_columns=(1, 2)),
        ),
        Section("stage-reached", figures.stage_reached, charts.bar_chart(figures.stage_reached)),
        Section(
            "agencies",
            figures.matrix,
            stacked(figures.matrix, value_columns=matrix_columns) if matrix_columns else None,
        ),
        Section(
            "categories",
            figures.by_category,
            charts.bar_chart(figures.by_category, horizontal=True),
        ),
        Section(
            "time-to-close",
            figures.time_to_close,
            note="Working days from the day the concern was first identified to the close, by "
            "the partnership's calendar. The quartiles and median are interpolated between "
            "the two nearest escalations, as a spreadsheet's QUARTILE.INC does.",
        ),
        Section(
            "within-due-by-stage",
            figures.within_due_by_stage,
            stacked(figures.within_due_by_stage, value_columns=(2, 3)),
            note="A stage counts once it has ended (resolved, escalated, withdrawn or decided) "
            "and had a due date; its due date is the procedure's, or an earlier one set to "
            "protect the person.",
        ),
        Section(
            "within-due-by-agency",
            figures.within_due_by_agency,
            stacked(figures.within_due_by_agency, value_columns=(2, 3)),
        ),
        Section(
            "overdue-now",
            figures.overdue_now,
            stacked(figures.overdue_now, value_columns=overdue_columns)
            if overdue_columns and figures.overdue_now.rows
            else None,
            note="Now, not in the period: the open escalations overdue today, whenever they "
            "were raised. The other filters apply.",
        ),
        Section("immediate-risk", figures.immediate_risk),
        Section(
            "feedback",
            figures.feedback,
            note="From the procedure's forms sent for escalations raised in the period: the "
            "latest version sent of each form. These are the words people wrote.",
        ),
    ]
