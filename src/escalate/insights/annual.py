"""The board's annual report on escalations (``insights.reports``): choose a year, read the
report (to print), write its narrative, and download it as a PDF. The business unit of the
partnership only (``insights.access``); reading it is audited as the dashboard is, a PDF as an
export, and each save of the narrative by the service."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.utils import timezone
from django.views.decorators.http import require_http_methods

from escalate import timekeeping
from escalate.audit.models import AuditAction, ObjectType
from escalate.audit.services import audit_record
from escalate.directory.models import Partnership
from escalate.documents import pdf
from escalate.insights import reports
from escalate.insights.access import board_person_or_404
from escalate.insights.models import NARRATIVE_LIMIT, AnnualReport
from escalate.insights.reports import FinancialYear, NarrativeConflict
from escalate.web.govuk_forms import GovukForm, GovukTextField

GET_ONLY = require_http_methods(["GET", "HEAD"])
GET_POST = require_http_methods(["GET", "HEAD", "POST"])

SAVED = "The narrative has been saved."
STALE_FORM = "This page was out of date. Open the narrative again from the annual report."


def _conflict_message(current: AnnualReport | None) -> str:
    if current is None:
        return (
            "Someone else changed the narrative after you opened this page. "
            "Yours has not been saved."
        )
    return (
        f"{_who(current)} saved the narrative at {_when(current.updated_at)}, after you opened "
        "this page. Yours has not been saved: what they saved is shown above."
    )


def _who(report: AnnualReport) -> str:
    person = getattr(report.updated_by, "person", None) if report.updated_by else None
    return person.name if person is not None else "Someone else"


def _when(moment: dt.datetime) -> str:
    """``2:05pm on 3 December 2026``, in the service's time zone (the GOV.UK style)."""
    local = timezone.localtime(moment)
    return f"{local:%-I:%M}{local:%p}".lower() + f" on {local:%-d %B %Y}"


# -- the form ---------------------------------------------------------------------------------


class NarrativeField(GovukTextField):
    """The narrative: line endings as one character each, as the character count counts them
    (a browser posts a textarea's line breaks as two)."""

    def to_python(self, value: Any) -> str:
        if isinstance(value, str):
            value = value.replace("\r\n", "\n").replace("\r", "\n")
        return str(super().to_python(value))


class NarrativeForm(GovukForm):
    narrative = NarrativeField(
        label="The narrative",
        max_length=NARRATIVE_LIMIT,
        required=False,
        widget=forms.Textarea(attrs={"rows": 15}),
        help_text="A few paragraphs for the board: what the year's escalations show, what the "
        "partnership has learned and what it will do. Plain text: leave a blank line between "
        "paragraphs. Do not name or describe anyone an escalation was about: the report is "
        "meant to be shared outside the partnership.",
    )
    #: The version of the narrative the page was opened at (0: there was none yet).
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=0, required=False)

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if "version" in self.errors or cleaned.get("version") is None:
            # Only a page changed by hand, or a post from elsewhere, gets here.
            self.errors.pop("version", None)
            self.add_error(None, STALE_FORM)
        return cleaned


# -- the views --------------------------------------------------------------------------------


def _year_or_404(year: int, today: dt.date) -> FinancialYear:
    found = reports.year_or_none(year, today)
    if found is None:
        raise Http404
    return found


def _partnership(request: HttpRequest) -> Partnership:
    return board_person_or_404(request).agency.partnership


@login_required
@GET_ONLY
def years(request: HttpRequest) -> HttpResponse:
    partnership = _partnership(request)
    today = timekeeping.today()
    choices = reports.report_years(partnership, today)
    audit_record(
        actor=request.user,
        action=AuditAction.BOARD_VIEWED,
        partnership_id=partnership.pk,
        detail={"view": "annual-reports"},
    )
    return render(
        request,
        "insights/annual_report_years.html",
        {"partnership": partnership, "choices": choices, "today": today},
    )


def _report_context(
    partnership: Partnership, year: FinancialYear, today: dt.date
) -> dict[str, Any]:
    figures = reports.report_sections(partnership, year, today)
    report = reports.annual_report_get(partnership, year)
    return {
        "partnership": partnership,
        "year": year,
        "title": f"Escalations annual report {year.label}",
        "running": year.is_running(today),
        "counted_to": year.counted_to(today),
        "today": today,
        "report": report,
        "paragraphs": reports.paragraphs(report.narrative) if report else [],
        "sections": figures.sections,
        "hidden": figures.hidden,
        "threshold": figures.threshold,
    }


def _audit_report(
    request: HttpRequest, partnership: Partnership, year: FinancialYear, *, pdf_file: bool
) -> None:
    audit_record(
        actor=request.user,
        action=AuditAction.EXPORT if pdf_file else AuditAction.BOARD_VIEWED,
        object_type=ObjectType.EXPORT if pdf_file else reports.OBJECT_TYPE,
        object_ref=str(year.year),
        partnership_id=partnership.pk,
        detail={"view": "annual-report-pdf" if pdf_file else "annual-report", "year": year.year},
    )


@login_required
@GET_ONLY
def report(request: HttpRequest, year: int) -> HttpResponse:
    partnership = _partnership(request)
    today = timekeeping.today()
    fy = _year_or_404(year, today)
    context = _report_context(partnership, fy, today)
    _audit_report(request, partnership, fy, pdf_file=False)
    return render(request, "insights/annual_report.html", context)


@login_required
@GET_ONLY
def report_pdf(request: HttpRequest, year: int) -> HttpResponse:
    """The report as a tagged PDF (``documents.pdf``: nothing fetched), from the same body
    template as the page. The file name says the partnership (its slug) and the year only."""
    partnership = _partnership(request)
    today = timekeeping.today()
    fy = _year_or_404(year, today)
    html = render_to_string(
        "insights/annual_report_pdf.html", _report_context(partnership, fy, today), request=request
    )
    data = pdf.render(html)
    _audit_report(request, partnership, fy, pdf_file=True)
    response = HttpResponse(data, content_type="application/pdf")
    name = f"{partnership.slug}-escalations-annual-report-{fy.slug}.pdf"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    response["Cache-Control"] = "no-store"
    return response


@login_required
@GET_POST
def narrative(request: HttpRequest, year: int) -> HttpResponse:
    partnership = _partnership(request)
    today = timekeeping.today()
    fy = _year_or_404(year, today)
    current = reports.annual_report_get(partnership, fy)
    theirs: AnnualReport | None = None
    if request.method != "POST":
        form = NarrativeForm(
            initial={
                "narrative": current.narrative if current else "",
                "version": current.version if current else 0,
            }
        )
    else:
        form = NarrativeForm(request.POST)
        if form.is_valid():
            try:
                reports.annual_report_narrative_save(
                    user=request.user,
                    partnership=partnership,
                    year=fy,
                    narrative=form.cleaned_data["narrative"],
                    version=form.cleaned_data["version"],
                    now=timekeeping.now(),
                )
            except NarrativeConflict as conflict:
                theirs = conflict.current
                # What they typed stays; the form moves on to the version saved, so that
                # saving again (having read theirs) is one press and replaces it knowingly.
                moved_on = request.POST.copy()
                moved_on["version"] = str(theirs.version if theirs else 0)
                form = NarrativeForm(moved_on)
                form.is_valid()
                form.add_error("narrative", _conflict_message(theirs))
            else:
                messages.success(request, SAVED)
                return redirect("insights:annual-report", year=fy.year)
    return render(
        request,
        "insights/annual_report_narrative.html",
        {
            "partnership": partnership,
            "year": fy,
            "title": f"Escalations annual report {fy.label}",
            "form": form,
            "theirs": theirs,
            "their_paragraphs": reports.paragraphs(theirs.narrative) if theirs else [],
            "their_name": _who(theirs) if theirs else "",
            "their_time": _when(theirs.updated_at) if theirs else "",
        },
    )
