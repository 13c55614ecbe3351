"""Downloads of the board's view (``insights.exports``), for the business unit of a
partnership only (``insights.access``: anyone else gets a 404), each audited as an export
before it is written, none kept by a browser or proxy (``Cache-Control: no-store``).

- ``export/register.csv`` and ``.xlsx``: the anonymised register of the escalations raised in
  a period, ``?from=YYYY-MM-DD&to=YYYY-MM-DD`` (both optional: without them, the dashboard's
  default, the last 12 months to today; without ``from``, the 12 months to ``to``). A date
  that is not one, or a period that ends before it starts, gets a page saying so (400).
- ``export/figures.csv`` and ``.xlsx``: the dashboard's figures for its filters (the same
  query string as the dashboard's), with ``publish=1`` as they may leave the partnership
  (small numbers hidden, ``insights.small_numbers``, with the partnership's threshold). Not
  the effectiveness feedback: that is what people wrote, and no download holds free text.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import IO

from django.contrib.auth.decorators import login_required
from django.http import (
    FileResponse,
    HttpRequest,
    HttpResponse,
    QueryDict,
    StreamingHttpResponse,
)
from django.http.response import HttpResponseBase
from django.shortcuts import render
from django.utils.http import content_disposition_header
from django.views.decorators.http import require_http_methods

from escalate import timekeeping
from escalate.audit.models import AuditAction, ObjectType
from escalate.audit.services import audit_record
from escalate.directory.models import Partnership
from escalate.insights import exports, reports, selectors
from escalate.insights.access import board_person_or_404
from escalate.insights.forms import BoardFilterForm, default_period, year_before
from escalate.insights.sections import agencies_of, labels_for, sections_of
from escalate.web.middleware import NO_STORE

GET_ONLY = require_http_methods(["GET", "HEAD"])

ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
NOT_A_DATE = "The {which} date must be a real date written as year-month-day, for example {eg}"
BACKWARDS = "The start of the period must be the same as or before its end"


class BadPeriod(ValueError):
    """A period in the query string that cannot be used; the message says why."""


@dataclass(frozen=True)
class Period:
    start: dt.date
    end: dt.date


def _date(query: QueryDict, name: str, which: str, eg: str) -> dt.date | None:
    value = query.get(name, "").strip()
    if not value:
        return None
    try:
        if not ISO_DATE.fullmatch(value):
            raise ValueError(value)
        return dt.date.fromisoformat(value)
    except ValueError:
        raise BadPeriod(NOT_A_DATE.format(which=which, eg=eg)) from None


def period_of(query: QueryDict, today: dt.date) -> Period:
    """The period ``?from=&to=`` asks for (see the module's description)."""
    start = _date(query, "from", "start", "2025-04-01")
    end = _date(query, "to", "end", "2026-03-31")
    if start is None and end is None:
        return Period(*default_period(today))
    end = end or today
    start = start or year_before(end)
    if start > end:
        raise BadPeriod(BACKWARDS)
    return Period(start, end)


def _bad(request: HttpRequest, problems: list[str]) -> HttpResponse:
    return render(request, "insights/export_bad.html", {"problems": problems}, status=400)


def _audit(
    request: HttpRequest, partnership: Partnership, what: str, fmt: str, detail: dict[str, object]
) -> None:
    audit_record(
        actor=request.user,
        action=AuditAction.EXPORT,
        object_type=ObjectType.EXPORT,
        object_ref=what,
        partnership_id=partnership.pk,
        detail={"kind": what, "format": fmt, **detail},
    )


def _csv_response(content: Iterator[str], name: str) -> StreamingHttpResponse:
    response = StreamingHttpResponse(content, content_type=exports.CSV_TYPE)
    response["Content-Disposition"] = content_disposition_header(True, name) or ""
    response["Cache-Control"] = NO_STORE
    return response


def _xlsx_response(file: IO[bytes], name: str) -> FileResponse:
    response = FileResponse(file, as_attachment=True, filename=name, content_type=exports.XLSX_TYPE)
    response["Cache-Control"] = NO_STORE
    return response


# -- the register -----------------------------------------------------------------------------


def _register(request: HttpRequest, fmt: str) -> HttpResponseBase:
    person = board_person_or_404(request)
    partnership = person.agency.partnership
    try:
        period = period_of(request.GET, timekeeping.today())
    except BadPeriod as exc:
        return _bad(request, [str(exc)])
    _audit(request, partnership, "register", fmt,
           {"from": period.start.isoformat(), "to": period.end.isoformat()})  # fmt: skip
    name = exports.filename("register", partnership, period.start, period.end, fmt)
    if fmt == "csv":
        return _csv_response(exports.register_csv(partnership, period.start, period.end), name)
    return _xlsx_response(exports.register_xlsx(partnership, period.start, period.end), name)


@login_required
@GET_ONLY
def register_csv(request: HttpRequest) -> HttpResponseBase:
    return _register(request, "csv")


@login_required
@GET_ONLY
def register_xlsx(request: HttpRequest) -> HttpResponseBase:
    return _register(request, "xlsx")


# -- the figures ------------------------------------------------------------------------------


def _no_link(**_: object) -> str:
    return ""  # a file's figures link nowhere


def _figures(request: HttpRequest, fmt: str) -> HttpResponseBase:
    person = board_person_or_404(request)
    partnership = person.agency.partnership
    today = timekeeping.today()
    agencies = agencies_of(partnership)
    query = request.GET.copy()
    publish = query.pop("publish", [""])[-1] == "1"
    form = BoardFilterForm(query or None, partnership=partnership, agencies=agencies, today=today)
    if form.is_bound and not form.is_valid():
        return _bad(request, [str(e) for errors in form.errors.values() for e in errors])
    filters = form.filters()
    figures = selectors.board_figures(
        filters, today=today, labels=labels_for(partnership, agencies), link=_no_link
    )
    # Not the feedback: it is what people wrote, and no download holds free text.
    tables = [s.table for s in sections_of(figures) if s.key not in reports.LEFT_OUT]
    _audit(request, partnership, "figures", fmt, {
        "from": filters.start.isoformat(), "to": filters.end.isoformat(), "publish": publish,
        "agency_id": filters.agency_id, "agency_type": filters.agency_type or None,
        "category": filters.category or None, "stage": filters.stage,
        "version": filters.version or None,
    })  # fmt: skip
    what = "figures-published" if publish else "figures"
    name = exports.filename(what, partnership, filters.start, filters.end, fmt)
    threshold = partnership.small_number_threshold
    if fmt == "csv":
        return _csv_response(
            exports.figures_csv(tables, publish=publish, threshold=threshold), name
        )
    return _xlsx_response(exports.figures_xlsx(tables, publish=publish, threshold=threshold), name)


@login_required
@GET_ONLY
def figures_csv(request: HttpRequest) -> HttpResponseBase:
    return _figures(request, "csv")


@login_required
@GET_ONLY
def figures_xlsx(request: HttpRequest) -> HttpResponseBase:
    return _figures(request, "xlsx")
