"""The raise-a-concern journey: one question a page, check answers, confirmation.

Answers are kept in the server-side session until the check-answers page submits them to
``services.escalation_raise``; then they are removed from the session.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms as djforms
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods

from escalate.cases import access, forms, rules, selectors, services
from escalate.cases.models import ReferenceKind, Source, SubjectKind
from escalate.cases.views import escalation_or_404
from escalate.directory.models import Agency
from escalate.procedures import clock, words
from escalate.procedures.schema import Procedure

SESSION_KEY = "raise-answers"
RAISE_STEPS = [
    "immediate-risk",
    "start-stage",
    "about",
    "agency",
    "category",
    "source",
    "disagreement",
    "identified",
]
CHECK = "check"


@login_required
@require_http_methods(["GET", "HEAD"])
def raise_start(request: HttpRequest) -> HttpResponse:
    if access.person_of(request.user) is None:
        raise Http404
    return redirect(reverse("cases:raise", kwargs={"step": RAISE_STEPS[0]}))


def _procedure(request: HttpRequest) -> tuple[Procedure, Any]:
    person = access.person_of(request.user)
    if person is None:
        raise Http404
    p = person.agency.partnership
    return rules.partnership_procedure(p), person


def _agencies(person: Any) -> list[tuple[int, str]]:
    qs = selectors.party_agencies(person.agency.partnership_id)
    return [(a.pk, a.name) for a in qs.exclude(pk=person.agency_id).order_by("name")]


def _form_for(
    step: str,
    procedure: Procedure,
    person: Any,
    data: Any = None,
    initial: dict[str, Any] | None = None,
) -> djforms.Form:
    kwargs: dict[str, Any] = {"initial": initial or {}}
    match step:
        case "immediate-risk":
            return forms.ImmediateRiskForm(data, **kwargs)
        case "start-stage":
            return forms.StartStageForm(data, procedure=procedure, **kwargs)
        case "about":
            names = person.agency.partnership.record_subject_names
            return forms.SubjectForm(data, procedure=procedure, record_names=names, **kwargs)
        case "agency":
            return forms.ReceivingForm(data, agencies=_agencies(person), **kwargs)
        case "category":
            return forms.CategoryForm(data, procedure=procedure, **kwargs)
        case "source":
            return forms.SourceForm(data, **kwargs)
        case "disagreement":
            return forms.DisagreementForm(data, **kwargs)
        case "identified":
            return forms.OutsetForm(data, **kwargs)
    raise Http404


def _answers(request: HttpRequest) -> dict[str, Any]:
    value = request.session.get(SESSION_KEY)
    return dict(value) if isinstance(value, dict) else {}


def _store(cleaned: dict[str, Any]) -> dict[str, Any]:
    """Session-safe values: dates as ISO strings."""
    return {k: v.isoformat() if isinstance(v, dt.date) else v for k, v in cleaned.items()}


def _initial(answers: dict[str, Any], step: str) -> dict[str, Any]:
    out = dict(answers)
    if step == "identified" and "outset_on" in out:
        out["outset_on"] = dt.date.fromisoformat(out["outset_on"])
    return out


def _steps_for(answers: dict[str, Any]) -> list[str]:
    if answers.get("immediate_risk") == "yes":
        return RAISE_STEPS
    return [s for s in RAISE_STEPS if s != "start-stage"]


def _next_step(answers: dict[str, Any], step: str) -> str:
    steps = _steps_for(answers)
    for candidate in steps[steps.index(step) + 1 :]:
        if not _complete(answers, candidate):
            return candidate
    return CHECK


def _complete(answers: dict[str, Any], step: str) -> bool:
    required = {
        "immediate-risk": ["immediate_risk"],
        "start-stage": ["start_stage", "reason", "route_taken"],
        "about": ["subject_kind", "subject_reference_kind", "subject_reference"],
        "agency": ["receiving_agency"],
        "category": ["category"],
        "source": ["source"],
        "disagreement": ["issue", "risk", "aim"],
        "identified": ["outset_on"],
    }[step]
    return all(answers.get(k) not in (None, "") for k in required)


def _back(answers: dict[str, Any], step: str) -> str:
    steps = _steps_for(answers)
    if step == CHECK:
        return reverse("cases:raise", kwargs={"step": steps[-1]})
    i = steps.index(step) if step in steps else 0
    if i == 0:
        return reverse("cases:home")
    return reverse("cases:raise", kwargs={"step": steps[i - 1]})


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def raise_step(request: HttpRequest, step: str) -> HttpResponse:
    if step == CHECK:
        return raise_check(request)
    if step not in RAISE_STEPS:
        raise Http404
    procedure, person = _procedure(request)
    answers = _answers(request)
    if step == "start-stage" and answers.get("immediate_risk") != "yes":
        return redirect("cases:raise", step="immediate-risk")
    changing = request.GET.get("change") == "1"
    if request.method == "POST":
        form = _form_for(step, procedure, person, request.POST)
        if form.is_valid():
            answers.update(_store(form.cleaned_data))
            if step == "immediate-risk" and answers["immediate_risk"] == "no":
                for k in ("start_stage", "reason", "route_taken"):
                    answers.pop(k, None)
            request.session[SESSION_KEY] = answers
            nxt = CHECK if changing and _all_complete(answers) else _next_step(answers, step)
            return redirect("cases:raise", step=nxt)
    else:
        form = _form_for(step, procedure, person, initial=_initial(answers, step))
    return render(
        request,
        "cases/raise/step.html",
        {
            "form": form,
            "procedure": procedure,
            "back": _back(answers, step),
            "step": step,
            "changing": changing,
        },
    )


def _all_complete(answers: dict[str, Any]) -> bool:
    return all(_complete(answers, s) for s in _steps_for(answers))


def _summary(answers: dict[str, Any], procedure: Procedure) -> list[tuple[str, str, str]]:
    """(question, answer, step to change it) rows for the check-answers page."""
    agency_names = dict(
        Agency.objects.filter(
            pk__in=[answers.get("receiving_agency"), *answers.get("other_agencies", [])]
        ).values_list("pk", "name")
    )
    categories = {c.id: c.name for c in procedure.categories}
    rows = [
        (
            "Immediate risk",
            "Yes" if answers.get("immediate_risk") == "yes" else "No",
            "immediate-risk",
        ),
    ]
    if answers.get("immediate_risk") == "yes":
        rows += [
            ("What you have done to make them safe", answers.get("route_taken", ""), "start-stage"),
            ("Start at", f"Stage {answers.get('start_stage')}", "start-stage"),
            ("Why start at this stage", answers.get("reason", ""), "start-stage"),
        ]
    rows += [
        ("About", SubjectKind(answers["subject_kind"]).label, "about"),
        (
            ReferenceKind(answers["subject_reference_kind"]).label,
            answers["subject_reference"],
            "about",
        ),
        ("Name", answers.get("subject_name") or "Not given", "about"),
        ("Agency you disagree with", agency_names.get(answers["receiving_agency"], ""), "agency"),
        ("Who made the decision", answers.get("receiving_practitioner") or "Not given", "agency"),
        (
            "Other agencies involved",
            ", ".join(agency_names.get(a, "") for a in answers.get("other_agencies", [])) or "None",
            "agency",
        ),
        ("What the disagreement is about", categories.get(answers["category"], ""), "category"),
        ("Where it arose", Source(answers["source"]).label, "source"),
        ("Details", answers.get("source_detail") or "None given", "source"),
        ("The issue", answers["issue"], "disagreement"),
        ("The risk", answers["risk"], "disagreement"),
        ("What you want to achieve", answers["aim"], "disagreement"),
        (
            "Concern identified",
            words.day(dt.date.fromisoformat(answers["outset_on"])),
            "identified",
        ),
    ]
    return rows


def _new_escalation(answers: dict[str, Any]) -> services.NewEscalation:
    risk = answers.get("immediate_risk") == "yes"
    return services.NewEscalation(
        subject_kind=answers["subject_kind"],
        subject_name=answers.get("subject_name", ""),
        subject_reference_kind=answers["subject_reference_kind"],
        subject_reference=answers["subject_reference"],
        category=answers["category"],
        source=answers["source"],
        source_detail=answers.get("source_detail", ""),
        receiving_agency_id=int(answers["receiving_agency"]),
        receiving_practitioner=answers.get("receiving_practitioner", ""),
        issue=answers["issue"],
        risk=answers["risk"],
        aim=answers["aim"],
        outset_on=dt.date.fromisoformat(answers["outset_on"]),
        immediate_risk=risk,
        immediate_risk_reason=answers.get("reason", "") if risk else "",
        route_taken=answers.get("route_taken", "") if risk else "",
        start_stage=int(answers.get("start_stage", 1)) if risk else 1,
        other_agency_ids=tuple(int(a) for a in answers.get("other_agencies", [])),
    )


def raise_check(request: HttpRequest) -> HttpResponse:
    procedure, _person = _procedure(request)
    answers = _answers(request)
    missing = next((s for s in _steps_for(answers) if not _complete(answers, s)), None)
    if missing is not None:
        return redirect("cases:raise", step=missing)
    errors: list[str] = []
    if request.method == "POST":
        try:
            escalation = services.escalation_raise(user=request.user, data=_new_escalation(answers))
        except services.ServiceError as exc:
            errors.append(exc.message)
        else:
            del request.session[SESSION_KEY]
            return redirect("cases:raised", reference=escalation.reference)
    return render(
        request,
        "cases/raise/check.html",
        {
            "rows": _summary(answers, procedure),
            "procedure": procedure,
            "errors": errors,
            "back": _back(answers, CHECK),
        },
    )


@login_required
@require_http_methods(["GET", "HEAD"])
def raised(request: HttpRequest, reference: str) -> HttpResponse:
    """The confirmation page: reference, what happens next, who to contact, due dates."""
    escalation = escalation_or_404(request, reference)
    procedure = rules.procedure_of(escalation)
    stages = list(escalation.stages.all())
    entries = list(escalation.entries.all())
    state = rules.state_of(escalation, stages, entries)
    plan = clock.plan(procedure, escalation.partnership.calendar(), state.facts())
    current = procedure.stage(escalation.current_stage)
    contacts = [
        c
        for c in selectors.stage_contacts_for(escalation, escalation.current_stage)
        if c.agency_id == escalation.receiving_agency_id
    ]
    receiving_who = current.who_by_agency.get(escalation.receiving_agency.agency_type)  # type: ignore[call-overload]
    return render(
        request,
        "cases/raise/done.html",
        {
            "e": escalation,
            "procedure": procedure,
            "plan": plan,
            "current": current,
            "contacts": contacts,
            "receiving_who": receiving_who,
            "words": words,
        },
    )
