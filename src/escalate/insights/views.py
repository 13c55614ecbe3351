"""The board's view: the dashboard of a partnership's figures, and the list of the escalations
behind each figure. The business unit of the partnership only (``insights.access``); every
view is audited, as the lists are."""

from __future__ import annotations

import datetime as dt
from typing import Any
from urllib.parse import urlencode

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_http_methods

from escalate import timekeeping
from escalate.audit.models import AuditAction
from escalate.audit.services import audit_record
from escalate.cases.models import Status
from escalate.cases.selectors import ListPages, ListSort
from escalate.insights import selectors
from escalate.insights.access import board_person_or_404
from escalate.insights.forms import BoardFilterForm, SliceForm, presets, query_of, with_period
from escalate.insights.sections import Section, agencies_of, labels_for, sections_of
from escalate.insights.selectors import BoardFilters, Labels, Slice, Within
from escalate.procedures.schema import AGENCY_TYPE_NAMES, AgencyType
from escalate.web import paging

GET_ONLY = require_http_methods(["GET", "HEAD"])


def _linker(filters: BoardFilters) -> selectors.Linker:
    base = reverse("insights:escalations")
    params = query_of(filters)

    def link(**own: Any) -> str:
        return f"{base}?{urlencode(params + [(k, str(v)) for k, v in own.items()])}"

    return link


def _filters_detail(filters: BoardFilters) -> dict[str, Any]:
    """The filters as the audit trail keeps them (ids and slugs; nothing typed)."""
    return {
        "start": filters.start.isoformat(),
        "end": filters.end.isoformat(),
        "agency_id": filters.agency_id,
        "agency_type": filters.agency_type or None,
        "category": filters.category or None,
        "stage": filters.stage,
        "version": filters.version or None,
    }


# -- the dashboard ----------------------------------------------------------------------------


def _period_words(filters: BoardFilters) -> str:
    return f"{filters.start:%-d %B %Y} to {filters.end:%-d %B %Y}"


def _preset_links(request: HttpRequest, today: dt.date) -> list[dict[str, str]]:
    base = reverse("insights:dashboard")
    return [
        {
            "label": label,
            "period": f"{start:%-d %B %Y} to {end:%-d %B %Y}",
            "href": f"{base}?{urlencode(with_period(request.GET, start, end))}",
        }
        for label, start, end in presets(today)
    ]


@login_required
@GET_ONLY
def dashboard(request: HttpRequest) -> HttpResponse:
    person = board_person_or_404(request)
    partnership = person.agency.partnership
    today = timekeeping.today()
    agencies = agencies_of(partnership)
    form = BoardFilterForm(
        request.GET or None, partnership=partnership, agencies=agencies, today=today
    )
    filters: BoardFilters | None = None
    sections: list[Section] = []
    feedback_total = 0
    if not form.is_bound or form.is_valid():
        filters = form.filters()
        figures = selectors.board_figures(
            filters, today=today, labels=labels_for(partnership, agencies), link=_linker(filters)
        )
        sections = sections_of(figures)
        feedback_total = figures.feedback_total
    audit_record(
        actor=request.user,
        action=AuditAction.BOARD_VIEWED,
        partnership_id=partnership.pk,
        detail={"valid": False} if filters is None else _filters_detail(filters),
    )
    return render(
        request,
        "insights/dashboard.html",
        {
            "form": form,
            "filters": filters,
            "period": _period_words(filters) if filters else "",
            "sections": sections,
            "feedback_total": feedback_total,
            "presets": _preset_links(request, today),
            "downloads": _downloads(filters) if filters else {},
            "partnership": partnership,
            "today": today,
        },
    )


def _downloads(filters: BoardFilters) -> dict[str, str]:
    """The addresses of the period's register and of these figures, as files."""
    figures = urlencode(query_of(filters))
    published = urlencode([*query_of(filters), ("publish", "1")])
    period = urlencode({"from": filters.start.isoformat(), "to": filters.end.isoformat()})
    return {
        "register_csv": f"{reverse('insights:export-register-csv')}?{period}",
        "register_xlsx": f"{reverse('insights:export-register-xlsx')}?{period}",
        "figures_csv": f"{reverse('insights:export-figures-csv')}?{figures}",
        "figures_xlsx": f"{reverse('insights:export-figures-xlsx')}?{figures}",
        "published_csv": f"{reverse('insights:export-figures-csv')}?{published}",
        "published_xlsx": f"{reverse('insights:export-figures-xlsx')}?{published}",
    }


# -- the escalations behind a figure ----------------------------------------------------------


def _describe(filters: BoardFilters, s: Slice, labels: Labels) -> list[tuple[str, str]]:
    """What the list holds, in words, for the page (nothing here is personal data)."""
    rows: list[tuple[str, str]] = []
    if s.overdue:
        rows.append(("Overdue", "Open and overdue today, whenever raised"))
    elif s.by_closing:
        rows.append(("Closed", _period_words(filters)))
    else:
        rows.append(("Raised", _period_words(filters)))
    if filters.agency_id is not None:
        rows.append(("Agency, either side", labels.agency(filters.agency_id)))
    if filters.agency_type:
        name = AGENCY_TYPE_NAMES.get(AgencyType(filters.agency_type), filters.agency_type)
        rows.append(("Type of agency, either side", name))
    if filters.category:
        rows.append(("Category", labels.categories.get(filters.category, filters.category)))
    if filters.stage is not None:
        rows.append(("Were at stage", str(filters.stage)))
    if filters.version:
        rows.append(("Procedure version", filters.version.partition("@")[2]))
    rows += _describe_slice(s, labels)
    return rows


WITHIN_WORDS = {
    Within.MET: "ended within its due date",
    Within.MISSED: "ended after its due date",
    Within.ENDED: "ended, with a due date",
}


def _describe_slice(s: Slice, labels: Labels) -> list[tuple[str, str]]:
    rows: list[tuple[str, str]] = []
    if s.status:
        rows.append(("Status now", str(Status(s.status).label)))
    if s.closed:
        rows.append(("Status now", "Closed: resolved, withdrawn or decided"))
    if s.stage_reached is not None:
        rows.append(("Highest stage reached", str(s.stage_reached)))
    if s.start_stage is not None:
        rows.append(("Started at stage", str(s.start_stage)))
    if s.immediate_risk:
        rows.append(("Immediate risk", "Raised for someone at immediate risk"))
    if s.raising is not None:
        rows.append(("Raised by", labels.agency(s.raising)))
    if s.receiving is not None:
        rows.append(("Raised with", labels.agency(s.receiving)))
    if s.month is not None:
        rows.append(("Month", f"{s.month:%B %Y}"))
    if s.quarter is not None:
        rows.append(("Quarter", f"{selectors.QUARTER_NAMES[(s.quarter.month - 1) // 3]} "
                                f"{s.quarter.year}"))  # fmt: skip
    if s.within_due is not None or s.due_stage is not None:
        which = f"Stage {s.due_stage}" if s.due_stage is not None else "A stage"
        rows.append(("Due dates", f"{which} {WITHIN_WORDS[s.within_due or Within.ENDED]}"))
    if s.current_stage is not None:
        rows.append(("At stage now", str(s.current_stage)))
    return rows


def _slice_detail(s: Slice) -> dict[str, Any]:
    return {
        "status": s.status or None,
        "closed": s.closed,
        "stage_reached": s.stage_reached,
        "start_stage": s.start_stage,
        "raising_agency_id": s.raising,
        "receiving_agency_id": s.receiving,
        "by_closing": s.by_closing,
        "month": s.month.isoformat() if s.month else None,
        "quarter": s.quarter.isoformat() if s.quarter else None,
        "within_due": s.within_due.value if s.within_due else None,
        "due_stage": s.due_stage,
        "immediate_risk": s.immediate_risk,
        "overdue": s.overdue,
        "current_stage": s.current_stage,
    }


def _bad_list(request: HttpRequest) -> HttpResponse:
    return render(request, "insights/dashboard_list_bad.html", status=400)


@login_required
@GET_ONLY
def escalations(request: HttpRequest) -> HttpResponse:
    person = board_person_or_404(request)
    partnership = person.agency.partnership
    today = timekeeping.today()
    agencies = agencies_of(partnership)
    form = BoardFilterForm(request.GET, partnership=partnership, agencies=agencies, today=today)
    slice_form = SliceForm(request.GET)
    if not form.is_valid() or not slice_form.is_valid():
        # Never a list of something else than the figure said: a filter not understood (a
        # link changed by hand) shows nothing.
        return _bad_list(request)
    filters, s = form.filters(), slice_form.slice()
    matches = selectors.board_matches(request.user, filters, s, today)
    page = paging.paginate(request, ListPages(matches, ListSort.NEWEST), count=matches)
    audit_record(
        actor=request.user,
        action=AuditAction.LIST_SEARCHED,
        partnership_id=partnership.pk,
        detail={
            "view": "board",
            **_filters_detail(filters),
            **_slice_detail(s),
            "page_number": page.number,
            "results": page.total,
        },
    )
    back = f"{reverse('insights:dashboard')}?{urlencode(query_of(filters))}"
    return render(
        request,
        "insights/dashboard_list.html",
        {
            "described": _describe(filters, s, labels_for(partnership, agencies)),
            "page": page,
            "caption": "The escalations behind the figure, newest raised first",
            "sort": ListSort.NEWEST.value,
            "today": today,
            "back": back,
            "partnership": partnership,
        },
    )
