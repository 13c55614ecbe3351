"""The board's view's filters, read from the query string.

:class:`BoardFilterForm` is the dashboard's form (a GOV.UK form: an error summary and an error
at each field; the figures are computed only from a form that is valid). Its field names are
the query string's: ``start_day``/``start_month``/``start_year``, ``end_*``, ``agency``,
``agency_type``, ``category``, ``stage`` and ``version``; :func:`query_of` writes them back, so
that every figure's link carries the dashboard's filters. :class:`SliceForm` reads a figure's
own filter (``status=resolved``, ``month=2026-03``...) on the list of the escalations behind it.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.http import QueryDict

from escalate.cases.models import Status
from escalate.directory.models import Agency, Partnership
from escalate.directory.procedures import registry
from escalate.insights.selectors import BoardFilters, Slice, Within
from escalate.procedures.schema import AGENCY_TYPE_NAMES
from escalate.web.govuk_forms import GovukDateField, GovukForm

#: The longest period the dashboard counts over (a typing slip such as year 1025 otherwise
#: asks for a thousand years of months).
MAX_YEARS = 10
PERIOD_TOO_LONG = f"The period must be {MAX_YEARS} years or shorter"
PERIOD_BACKWARDS = "The start of the period must be the same as or before its end"


def year_before(day: dt.date, years: int = 1) -> dt.date:
    """The day after the same date ``years`` earlier: from it to ``day`` is 12 months (a year
    before 29 February is taken from 28 February, so the period starts on 1 March)."""
    try:
        back = day.replace(year=day.year - years)
    except ValueError:  # 29 February
        back = day.replace(year=day.year - years, day=28)
    return back + dt.timedelta(days=1)


def default_period(today: dt.date) -> tuple[dt.date, dt.date]:
    """The last 12 months, to today."""
    return year_before(today), today


def financial_year_start(day: dt.date) -> dt.date:
    """1 April of the financial year (April to March) that ``day`` is in."""
    return dt.date(day.year if day.month >= 4 else day.year - 1, 4, 1)


def presets(today: dt.date) -> list[tuple[str, dt.date, dt.date]]:
    """The periods offered as links: (label, start, end). A period still running ends today."""
    this_fy = financial_year_start(today)
    last_fy = dt.date(this_fy.year - 1, 4, 1)
    return [
        ("The last 12 months", *default_period(today)),
        ("This financial year", this_fy, today),
        ("Last financial year", last_fy, this_fy - dt.timedelta(days=1)),
        ("This calendar year", dt.date(today.year, 1, 1), today),
    ]


def _date_params(name: str, day: dt.date) -> list[tuple[str, str]]:
    return [(f"{name}_day", str(day.day)), (f"{name}_month", str(day.month)),
            (f"{name}_year", str(day.year))]  # fmt: skip


DATE_PARAMS = frozenset(f"{n}_{p}" for n in ("start", "end") for p in ("day", "month", "year"))
FILTER_PARAMS = frozenset({"agency", "agency_type", "category", "stage", "version"})


def query_of(filters: BoardFilters) -> list[tuple[str, str]]:
    """The dashboard's query string parameters for ``filters`` (what the form reads)."""
    params = _date_params("start", filters.start) + _date_params("end", filters.end)
    optional = (
        ("agency", filters.agency_id),
        ("agency_type", filters.agency_type),
        ("category", filters.category),
        ("stage", filters.stage),
        ("version", filters.version),
    )
    params += [(name, str(value)) for name, value in optional if value not in (None, "")]
    return params


def with_period(query: QueryDict, start: dt.date, end: dt.date) -> list[tuple[str, str]]:
    """The query string's filters (other than the period) with another period: a preset's
    link keeps the agency, category and the rest chosen."""
    kept = [(k, v) for k, values in query.lists() if k in FILTER_PARAMS for v in values]
    return _date_params("start", start) + _date_params("end", end) + kept


def _procedure_versions(partnership: Partnership) -> list[Any]:
    return list(registry().versions.get(partnership.procedure_id, ()))


class BoardFilterForm(GovukForm):
    start = GovukDateField(
        label="From",
        error_name="the start of the period",
        required=False,
        help_text="For example, 1 4 2025. Escalations raised on this day or later.",
    )
    end = GovukDateField(
        label="To",
        error_name="the end of the period",
        required=False,
        help_text="For example, 31 3 2026. Escalations raised on this day or before.",
    )
    agency = forms.TypedChoiceField(
        label="Agency",
        required=False,
        coerce=int,
        empty_value=None,
        choices=[],
        help_text="Raising the concern or receiving it",
    )
    agency_type = forms.ChoiceField(
        label="Type of agency",
        required=False,
        choices=[],
        help_text="Raising the concern or receiving it, as the agency was when it was raised",
    )
    category = forms.ChoiceField(label="Category", required=False, choices=[])
    stage = forms.TypedChoiceField(
        label="Stage",
        required=False,
        coerce=int,
        empty_value=None,
        choices=[],
        help_text="Escalations that were at this stage at some time",
    )
    version = forms.ChoiceField(label="Procedure version", required=False, choices=[])

    def __init__(
        self,
        data: QueryDict | None,
        *,
        partnership: Partnership,
        agencies: list[Agency],
        today: dt.date,
    ) -> None:
        start, end = default_period(today)
        super().__init__(data, initial={"start": start, "end": end})
        self.partnership = partnership
        self.today = today
        for name in ("start", "end"):
            field = self.fields[name]
            assert isinstance(field, GovukDateField)  # noqa: S101 - declared above
            field.today = today
        versions = _procedure_versions(partnership)
        categories: dict[str, str] = {}
        for procedure in versions:
            categories.update({c.id: c.name for c in procedure.categories})
        top = max((p.top for p in versions), default=1)
        self.fields["agency"].choices = [("", "Any agency")] + [  # type: ignore[attr-defined]
            (a.pk, a.name) for a in agencies
        ]
        self.fields["agency_type"].choices = [("", "Any type")] + [  # type: ignore[attr-defined]
            (k.value, v) for k, v in AGENCY_TYPE_NAMES.items()
        ]
        self.fields["category"].choices = [("", "Any category"), *categories.items()]  # type: ignore[attr-defined]
        self.fields["stage"].choices = [("", "Any stage")] + [  # type: ignore[attr-defined]
            (n, f"Stage {n}") for n in range(1, top + 1)
        ]
        self.fields["version"].choices = [("", "Any version")] + [  # type: ignore[attr-defined]
            (f"{p.id}@{p.version}", f"Version {p.version}, from {p.effective_from:%-d %B %Y}")
            for p in versions
        ]

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if self.errors:
            return cleaned
        start, end = cleaned.get("start"), cleaned.get("end")
        if end is None:
            end = self.today
        if start is None:
            start = year_before(end)
        if start > end:
            self.add_error("start", ValidationError(PERIOD_BACKWARDS, code="order"))
        elif start < year_before(end, MAX_YEARS):
            self.add_error("start", ValidationError(PERIOD_TOO_LONG, code="too_long"))
        cleaned["start"], cleaned["end"] = start, end
        return cleaned

    def filters(self) -> BoardFilters:
        """The filters of a valid form (or the defaults of an unbound one)."""
        if not self.is_bound:
            start, end = default_period(self.today)
            return BoardFilters(partnership_id=self.partnership.pk, start=start, end=end)
        if not self.is_valid():
            raise ValueError("the form has errors: no filters to use")
        data = self.cleaned_data
        return BoardFilters(
            partnership_id=self.partnership.pk,
            start=data["start"],
            end=data["end"],
            agency_id=data.get("agency"),
            agency_type=data.get("agency_type") or "",
            category=data.get("category") or "",
            stage=data.get("stage"),
            version=data.get("version") or "",
        )


# -- a figure's own filter, on the list of the escalations behind it ----------------------

MONTH_RE = re.compile(r"^(\d{4})-(\d{2})$")
QUARTER_RE = re.compile(r"^(\d{4})-Q([1-4])$")
#: The largest id a database holds (a larger number is no row, and no query's parameter).
MAX_ID = 2**63 - 1


def _year(text: str) -> int:
    """A year whose every month has a next month (``date`` stops at 9999)."""
    year = int(text)
    if not 1 <= year <= 9998:
        raise ValidationError("Not a year", code="invalid")
    return year


def _month(text: str) -> dt.date:
    found = MONTH_RE.match(text)
    if not found or not 1 <= int(found[2]) <= 12:
        raise ValidationError("Not a month", code="invalid")
    return dt.date(_year(found[1]), int(found[2]), 1)


def _quarter(text: str) -> dt.date:
    found = QUARTER_RE.match(text)
    if not found:
        raise ValidationError("Not a quarter", code="invalid")
    return dt.date(_year(found[1]), 3 * int(found[2]) - 2, 1)


#: What a figure of the period may add to its list; none of it goes with ``overdue`` (now).
PERIOD_ONLY = (
    "status",
    "closed",
    "stage_reached",
    "start_stage",
    "raising",
    "basis",
    "month",
    "quarter",
    "within_due",
    "due_stage",
    "immediate_risk",
)


class SliceForm(forms.Form):
    """A figure's own filter. Every field is optional; a value that is not understood makes
    the form invalid (the list is then refused: never a list of something else)."""

    status = forms.ChoiceField(required=False, choices=[("", ""), *Status.choices])
    closed = forms.BooleanField(required=False)
    stage_reached = forms.IntegerField(required=False, min_value=1, max_value=99)
    start_stage = forms.IntegerField(required=False, min_value=1, max_value=99)
    raising = forms.IntegerField(required=False, min_value=1, max_value=MAX_ID)
    receiving = forms.IntegerField(required=False, min_value=1, max_value=MAX_ID)
    basis = forms.ChoiceField(
        required=False, choices=[("", ""), ("raised", "raised"), ("closed", "closed")]
    )
    month = forms.CharField(required=False, max_length=7)
    quarter = forms.CharField(required=False, max_length=7)
    within_due = forms.ChoiceField(required=False, choices=[("", ""), *Within.choices()])
    due_stage = forms.IntegerField(required=False, min_value=1, max_value=99)
    immediate_risk = forms.BooleanField(required=False)
    overdue = forms.BooleanField(required=False)
    current_stage = forms.IntegerField(required=False, min_value=1, max_value=99)

    def clean_month(self) -> dt.date | None:
        text = self.cleaned_data.get("month") or ""
        return _month(text) if text else None

    def clean_quarter(self) -> dt.date | None:
        text = self.cleaned_data.get("quarter") or ""
        return _quarter(text) if text else None

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if cleaned.get("overdue"):
            if any(cleaned.get(name) for name in PERIOD_ONLY):
                raise ValidationError("The overdue list is of now, not the period", code="now")
        elif cleaned.get("current_stage"):
            raise ValidationError("current_stage is for the overdue list", code="invalid")
        return cleaned

    def slice(self) -> Slice:
        if not self.is_valid():
            raise ValueError("the form has errors: no slice to use")
        d = self.cleaned_data
        return Slice(
            status=d.get("status") or "",
            closed=bool(d.get("closed")),
            stage_reached=d.get("stage_reached"),
            start_stage=d.get("start_stage"),
            raising=d.get("raising"),
            receiving=d.get("receiving"),
            by_closing=d.get("basis") == "closed",
            month=d.get("month"),
            quarter=d.get("quarter"),
            within_due=Within(d["within_due"]) if d.get("within_due") else None,
            due_stage=d.get("due_stage"),
            immediate_risk=bool(d.get("immediate_risk")),
            overdue=bool(d.get("overdue")),
            current_stage=d.get("current_stage"),
        )
