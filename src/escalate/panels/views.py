"""Thin views for the panel pages: read through the selectors, parse with a form, call one
service, render. Every page takes the escalation through ``escalation_get_for`` (404 for what
the user may not see, audited); an action the user may not take now is a 404 too."""

from __future__ import annotations

from typing import Any

from django.apps import apps
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.forms import Form
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from escalate import timekeeping
from escalate.audit.models import AuditAction, ObjectType
from escalate.audit.services import audit_record
from escalate.cases import access as case_access
from escalate.cases import rules
from escalate.cases import services as case_services
from escalate.cases.models import Escalation
from escalate.cases.views import escalation_or_404
from escalate.panels import access, forms, selectors, services
from escalate.panels.models import Panel, Recommendation
from escalate.procedures import panels as core
from escalate.procedures import schema
from escalate.web.templatetags.govuk import field_id

GET_ONLY = require_http_methods(["GET", "HEAD"])
GET_POST = require_http_methods(["GET", "HEAD", "POST"])


def _refused(form: Form, exc: case_services.ServiceError) -> None:
    """The refusal at its field, or each breach of a panel's rule at its own (a field the form
    lacks: above the form)."""
    problems = getattr(exc, "problems", None)
    found = [(p.field, p.message) for p in problems] if problems else [(exc.field, exc.message)]
    for field, message in found:
        form.add_error(field if field in form.fields else None, message)


def _summary(form: Form) -> list[dict[str, str]]:
    """Every error for the error summary (a panel's membership may break several rules at
    once, all at its field): the form's own first, then each field's, linking to the field."""
    if not form.is_bound:
        return []
    items = [{"text": str(m), "href": ""} for m in form.non_field_errors()]
    for name in form.fields:
        bound = form[name]
        items += [{"text": str(m), "href": f"#{field_id(bound)}"} for m in bound.errors]
    return items


# -- the page ---------------------------------------------------------------------------------


@login_required
@GET_ONLY
def panel_page(request: HttpRequest, reference: str) -> HttpResponse:
    escalation = escalation_or_404(request, reference)
    audit_record(
        actor=request.user,
        action=AuditAction.ESCALATION_VIEWED,
        object_type=ObjectType.ESCALATION,
        object_ref=escalation.reference,
        partnership_id=escalation.partnership_id,
        detail={"page": "panels"},
    )
    person = case_access.person_of(request.user)
    procedure = rules.procedure_of(escalation)
    today = timekeeping.today()
    involvement = selectors.people_involved(escalation)
    involved = {i.person.pk for i in involvement}
    convened = []
    for panel in selectors.panels_for(escalation):
        definition = selectors.definition_of(escalation, panel)
        convened.append(
            {
                "panel": panel,
                "rule": core.rule_in_words(definition) if definition else [],
                "problems": selectors.composition_problems(escalation, panel, involved),
                "may_change": access.may_change(person, escalation, panel),
            }
        )
    outcome = selectors.outcome_for(escalation)
    recommendations = []
    if outcome is not None:
        for rec in outcome.recommendations.all():
            responses = list(rec.responses.all())
            recommendations.append(
                {
                    "rec": rec,
                    "responses": responses,
                    "overdue": not responses and rec.due_on < today,
                    "may_respond": access.may_respond(person, escalation, rec),
                }
            )
    bodies = [
        {"stage": s, "options": [(p, core.rule_in_words(p)) for p in s.panel.options]}
        for s in procedure.stages
        if s.panel is not None
    ]
    return render(
        request,
        "panels/page.html",
        {
            "e": escalation,
            "procedure": procedure,
            "bodies": bodies,
            "convened": convened,
            "involvement": involvement,
            "excludes_involved": any(
                p.exclude_involved for s in procedure.stages if s.panel for p in s.panel.options
            ),
            "outcome": outcome,
            "decision": escalation.outcome if outcome is not None else "",
            "recommendations": recommendations,
            "representations": _representations(escalation),
            "may_convene": access.may_convene(person, escalation),
            "may_record_outcome": access.may_record_outcome(person, escalation),
            "top_outcome": procedure.top_stage.produces.value.replace("-", " "),
        },
    )


def _representations(escalation: Escalation) -> dict[str, Any] | None:
    """The parties' written representations (``escalate.attachments``), when installed:
    ``items`` and whether any was stored without a virus scan (``unscanned``)."""
    if not apps.is_installed("escalate.attachments"):
        return None
    from escalate.attachments.models import ScanStatus
    from escalate.attachments.selectors import representations_for

    items = list(representations_for(escalation))
    return {
        "items": items,
        "unscanned": any(r.scan_status == ScanStatus.NOT_SCANNED for r in items),
    }


# -- convening and choosing the members ----------------------------------------------------


@login_required
@GET_POST
def convene(request: HttpRequest, reference: str) -> HttpResponse:
    escalation = escalation_or_404(request, reference)
    person = case_access.person_of(request.user)
    if not access.may_convene(person, escalation):
        raise Http404
    stage_panel = access.stage_panel(escalation)
    assert stage_panel is not None  # noqa: S101 - may_convene says so
    options = stage_panel.options
    form = forms.ConveneForm(
        request.POST or None,
        options=options,
        initial={"kind": options[0].kind.value} if len(options) == 1 else None,
    )
    if request.method == "POST" and form.is_valid():
        try:
            panel = services.panel_convene(
                actor=case_services.actor_for(request.user),
                escalation=escalation,
                today=timekeeping.today(),
                now=timekeeping.now(),
                kind=form.cleaned_data["kind"],
                sits_on=form.cleaned_data["sits_on"],
            )
        except case_services.ServiceError as exc:
            _refused(form, exc)
        else:
            messages.success(request, "The panel has been convened. Now choose its members.")
            return redirect("panels:members", reference=escalation.reference, pk=panel.pk)
    return render(
        request,
        "panels/convene.html",
        {"e": escalation, "form": form, "options": [(p, core.rule_in_words(p)) for p in options]},
    )


def _panel_or_404(request: HttpRequest, escalation: Escalation, pk: int) -> Panel:
    panel = selectors.panel_of(escalation, pk)
    if panel is None or not access.may_change(
        case_access.person_of(request.user), escalation, panel
    ):
        raise Http404
    return panel


@login_required
@GET_POST
def members(request: HttpRequest, reference: str, pk: int) -> HttpResponse:
    escalation = escalation_or_404(request, reference)
    panel = _panel_or_404(request, escalation, pk)
    definition = selectors.definition_of(escalation, panel)
    if definition is None:
        raise Http404
    seats = list(selectors.seats_for(escalation.partnership_id, panel.kind))
    involvement = {i.person.pk: i for i in selectors.people_involved(escalation)}
    party_agencies = {p.agency_id for p in escalation.parties.all()}
    current = {(m.person_id, m.agency_id): m.role for m in panel.members.all()}
    initial = {
        "version": panel.version,
        "sits_on": panel.sits_on,
        "members": [s.pk for s in seats if (s.person_id, s.agency_id) in current],
        "chair": next(
            (s.pk for s in seats if current.get((s.person_id, s.agency_id)) == "chair"), None
        ),
    }
    form = forms.MembersForm(request.POST or None, seats=seats, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.panel_set_members(
                actor=case_services.actor_for(request.user),
                panel=panel,
                version=data["version"],
                today=timekeeping.today(),
                now=timekeeping.now(),
                sits_on=data["sits_on"],
                members=data["members"],
                chair=data["chair"],
            )
        except case_services.ServiceError as exc:
            if exc.message == services.PANEL_CHANGED:
                panel = _panel_or_404(request, escalation, pk)
                moved_on = request.POST.copy()
                moved_on["version"] = str(panel.version)
                form = forms.MembersForm(moved_on, seats=seats)
                form.is_valid()
            _refused(form, exc)
        else:
            messages.success(request, "The panel's members have been saved.")
            return redirect("panels:page", reference=escalation.reference)
    hints = {}
    for seat in seats:
        bits = []
        found = involvement.get(seat.person_id)
        if found is not None and definition.exclude_involved:
            bits.append("Involved in this case (" + "; ".join(found.how) + "): cannot sit on it")
        elif found is not None:
            bits.append("Involved in this case: " + "; ".join(found.how))
        if seat.agency_id in party_agencies:
            bits.append("Represents an agency in dispute")
        if bits:
            hints[str(seat.pk)] = ". ".join(bits)
    return render(
        request,
        "panels/members.html",
        {
            "e": escalation,
            "panel": panel,
            "form": form,
            "hints": hints,
            "summary": _summary(form),
            "rule": core.rule_in_words(definition),
            "must_include": definition.must_include,
            "no_seats": not seats,
        },
    )


# -- the outcome ------------------------------------------------------------------------------


@login_required
@GET_POST
def outcome(request: HttpRequest, reference: str) -> HttpResponse:
    escalation = escalation_or_404(request, reference)
    person = case_access.person_of(request.user)
    if not access.may_record_outcome(person, escalation):
        raise Http404
    procedure = rules.procedure_of(escalation)
    panels = [p for p in selectors.panels_for(escalation) if p.stage == procedure.top]
    parties = sorted(escalation.parties.all(), key=lambda p: p.pk)
    today = timekeeping.today()
    kwargs: dict[str, Any] = {
        "procedure": procedure,
        "panels": panels,
        "parties": parties,
        "today": today,
    }
    form = forms.OutcomeForm(
        request.POST or None, initial={"version": escalation.version}, **kwargs
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        panel_id = data.get("panel") or None
        recs = [
            services.NewRecommendation(
                agency_id=p.agency_id,
                text=data.get(services.recommendation_field(p.agency_id)) or "",
                due_on=data.get(services.due_field(p.agency_id)),
            )
            for p in parties
            if services.recommendation_field(p.agency_id) in data
        ]
        try:
            services.outcome_record(
                actor=case_services.actor_for(request.user),
                escalation=escalation,
                version=data["version"],
                today=today,
                now=timekeeping.now(),
                on=data["on"],
                decision=data["decision"],
                panel_id=int(panel_id) if panel_id else None,
                recommendations=recs,
            )
        except case_services.ConcurrentChangeError as exc:
            escalation = escalation_or_404(request, reference)
            moved_on = request.POST.copy()
            moved_on["version"] = str(escalation.version)
            form = forms.OutcomeForm(moved_on, **kwargs)
            form.is_valid()
            _refused(form, exc)
        except case_services.ServiceError as exc:
            _refused(form, exc)
        else:
            messages.success(request, f"The {form.produces_words} has been recorded.")
            return redirect("panels:page", reference=escalation.reference)
    return render(
        request,
        "panels/outcome.html",
        {
            "e": escalation,
            "form": form,
            "procedure": procedure,
            "panels": panels,
            "summary": _summary(form),
        },
    )


# -- responses --------------------------------------------------------------------------------


def _recommendation_or_404(request: HttpRequest, escalation: Escalation, pk: int) -> Recommendation:
    rec = selectors.recommendation_of(escalation, pk)
    if rec is None or not access.may_respond(case_access.person_of(request.user), escalation, rec):
        raise Http404
    return rec


@login_required
@GET_POST
def respond(request: HttpRequest, reference: str, pk: int) -> HttpResponse:
    escalation = escalation_or_404(request, reference)
    rec = _recommendation_or_404(request, escalation, pk)
    today = timekeeping.today()
    form = forms.RespondForm(request.POST or None, today=today)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.recommendation_respond(
                actor=case_services.actor_for(request.user),
                recommendation=rec,
                today=today,
                now=timekeeping.now(),
                on=data["on"],
                answer=data["answer"],
                text=data["text"],
            )
        except case_services.ServiceError as exc:
            _refused(form, exc)
        else:
            messages.success(request, f"{rec.agency.name}'s response has been recorded.")
            return redirect("panels:page", reference=escalation.reference)
    return render(
        request,
        "panels/respond.html",
        {"e": escalation, "rec": rec, "form": form, "produces": schema.TopOutcome.RECOMMENDATIONS},
    )
