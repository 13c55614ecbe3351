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

from escalate import timekeeping
from escalate.cases import access, forms, rules, selectors, services
from escalate.cases.models import ReferenceKind, Source, SubjectKind
from escalate.cases.views import escalation_or_404
from escalate.directory.models import Agency
from escalate.procedures import clock, words
from escalate.procedures import lifecycle as lc
from escalate.procedures.calendar import WorkingCalendar
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
    "due",
]
#: Steps asked only when the person is at immediate risk.
IMMEDIATE_RISK_STEPS = ("start-stage", "due")
CHECK = "check"
#: Asked after "identified" only when that date is older than the partnership's limit.
CONFIRM_IDENTIFIED = "confirm-identified"
#: The answer recording which outset date was confirmed: a changed date is asked again.
OUTSET_CONFIRMED = "outset_confirmed_on"


@login_required
@require_http_methods(["GET", "HEAD"])
def raise_start(request: HttpRequest) -> HttpResponse:
    if not access.may_raise(access.person_of(request.user)):
        raise Http404
    return redirect(reverse("cases:raise", kwargs={"step": RAISE_STEPS[0]}))


def _procedure(request: HttpRequest) -> tuple[Procedure, Any]:
    person = access.person_of(request.user)
    if person is None or not access.may_raise(person):
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
    answers: dict[str, Any] | None = None,
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
            return forms.OutsetForm(data, today=timekeeping.today(), **kwargs)
        case "due":
            calendar = person.agency.partnership.calendar()
            kwargs["initial"].setdefault(
                "due_on", calendar.add_working_days(timekeeping.today(), 0)
            )
            check = _due_check(procedure, calendar, answers or {})
            return forms.ImmediateRiskDueForm(data, check=check, **kwargs)
    raise Http404


def _due_check(
    procedure: Procedure, calendar: WorkingCalendar, answers: dict[str, Any]
) -> forms.DueCheck:
    """The rules core's own check of an immediate-risk due date, for the "due" step's form."""
    today = timekeeping.today()
    outset = answers.get("outset_on")
    outset_on = dt.date.fromisoformat(outset) if outset else today

    def check(due_on: dt.date | None, reason: str) -> None:
        lc.raise_escalation(
            procedure,
            outset_on=min(outset_on, today),
            raised_on=today,
            at_stage=int(answers.get("start_stage") or 1),
            immediate_risk_reason=answers.get("reason") or "immediate risk",
            calendar=calendar,
            due_on=due_on,
            due_reason=reason,
        )

    return check


def _answers(request: HttpRequest) -> dict[str, Any]:
    value = request.session.get(SESSION_KEY)
    return dict(value) if isinstance(value, dict) else {}


def _store(cleaned: dict[str, Any]) -> dict[str, Any]:
    """Session-safe values: dates as ISO strings."""
    return {k: v.isoformat() if isinstance(v, dt.date) else v for k, v in cleaned.items()}


def _initial(answers: dict[str, Any], step: str) -> dict[str, Any]:
    out = dict(answers)
    for key in ("outset_on", "due_on"):
        if out.get(key):
            out[key] = dt.date.fromisoformat(out[key])
    return out


def _steps_for(answers: dict[str, Any]) -> list[str]:
    if answers.get("immediate_risk") == "yes":
        return RAISE_STEPS
    return [s for s in RAISE_STEPS if s not in IMMEDIATE_RISK_STEPS]


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
        "due": ["due_on"],
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
    if step == CONFIRM_IDENTIFIED:
        return raise_confirm_identified(request)
    if step not in RAISE_STEPS:
        raise Http404
    procedure, person = _procedure(request)
    answers = _answers(request)
    if step in IMMEDIATE_RISK_STEPS and answers.get("immediate_risk") != "yes":
        return redirect("cases:raise", step="immediate-risk")
    changing = request.GET.get("change") == "1"
    if request.method == "POST":
        form = _form_for(step, procedure, person, request.POST, answers=answers)
        if form.is_valid():
            answers.update(_store(form.cleaned_data))
            if step == "immediate-risk" and answers["immediate_risk"] == "no":
                for k in ("start_stage", "reason", "route_taken", "due_on", "due_reason"):
                    answers.pop(k, None)
            if step == "identified":
                answers.pop(OUTSET_CONFIRMED, None)
            request.session[SESSION_KEY] = answers
            if step == "identified" and _old_outset_unconfirmed(person, answers):
                return _to_step(CONFIRM_IDENTIFIED, changing=changing)
            nxt = CHECK if changing and _all_complete(answers) else _next_step(answers, step)
            return redirect("cases:raise", step=nxt)
    else:
        form = _form_for(step, procedure, person, initial=_initial(answers, step), answers=answers)
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


def _to_step(step: str, *, changing: bool = False) -> HttpResponse:
    url = reverse("cases:raise", kwargs={"step": step})
    return redirect(f"{url}?change=1" if changing else url)


def _old_outset(person: Any, answers: dict[str, Any]) -> dt.date | None:
    """The outset answered, if it is older than the partnership's limit (else None)."""
    value = answers.get("outset_on")
    if not value:
        return None
    outset_on = dt.date.fromisoformat(value)
    partnership = person.agency.partnership
    if rules.outset_needs_confirming(partnership, outset_on, today=timekeeping.today()):
        return outset_on
    return None


def _old_outset_unconfirmed(person: Any, answers: dict[str, Any]) -> bool:
    old = _old_outset(person, answers)
    return old is not None and answers.get(OUTSET_CONFIRMED) != old.isoformat()


def raise_confirm_identified(request: HttpRequest) -> HttpResponse:
    """'You said you identified the concern on 3 March 2024. That is more than a year ago':
    Yes records the confirmation of that date and goes on; No goes back to the date."""
    procedure, person = _procedure(request)
    answers = _answers(request)
    changing = request.GET.get("change") == "1"
    old = _old_outset(person, answers)
    if old is None:
        return _to_step("identified", changing=changing)
    if request.method == "POST":
        form = forms.OutsetConfirmForm(request.POST)
        if form.is_valid():
            if form.cleaned_data["outset_confirmed"] != "yes":
                answers.pop(OUTSET_CONFIRMED, None)
                request.session[SESSION_KEY] = answers
                return _to_step("identified", changing=changing)
            answers[OUTSET_CONFIRMED] = old.isoformat()
            request.session[SESSION_KEY] = answers
            done = changing and _all_complete(answers)
            return redirect(
                "cases:raise", step=CHECK if done else _next_step(answers, "identified")
            )
    else:
        confirmed = answers.get(OUTSET_CONFIRMED) == old.isoformat()
        form = forms.OutsetConfirmForm(initial={"outset_confirmed": "yes"} if confirmed else {})
    back = reverse("cases:raise", kwargs={"step": "identified"})
    return render(
        request,
        "cases/raise/confirm_identified.html",
        {
            "form": form,
            "procedure": procedure,
            "back": f"{back}?change=1" if changing else back,
            "outset": words.long_date(old),
            "limit": words.days_in_words(person.agency.partnership.outset_confirm_after_days),
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
        due_on = dt.date.fromisoformat(answers["due_on"])
        rows.append((f"Stage {answers.get('start_stage')} to act by", words.day(due_on), "due"))
        if answers.get("due_reason"):
            rows.append(("Why it can wait past today", answers["due_reason"], "due"))
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
        due_on=dt.date.fromisoformat(answers["due_on"]) if risk else None,
        due_reason=answers.get("due_reason", "") if risk else "",
        other_agency_ids=tuple(int(a) for a in answers.get("other_agencies", [])),
    )


def raise_check(request: HttpRequest) -> HttpResponse:
    procedure, person = _procedure(request)
    answers = _answers(request)
    missing = next((s for s in _steps_for(answers) if not _complete(answers, s)), None)
    if missing is not None:
        return redirect("cases:raise", step=missing)
    if _old_outset_unconfirmed(person, answers):
        return redirect("cases:raise", step=CONFIRM_IDENTIFIED)
    errors: list[str] = []
    if request.method == "POST":
        try:
            escalation = services.escalation_raise(
                actor=services.actor_for(request.user),
                data=_new_escalation(answers),
                today=timekeeping.today(),
            )
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
    receiving = next(
        group
        for group in selectors.stage_contacts_by_agency(
            escalation, escalation.current_stage, procedure
        )
        if group.agency.pk == escalation.receiving_agency_id
    )
    return render(
        request,
        "cases/raise/done.html",
        {
            "e": escalation,
            "procedure": procedure,
            "plan": plan,
            "current": current,
            "receiving": receiving,
            "words": words,
        },
    )
