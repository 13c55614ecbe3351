"""Thin views: parse with a form, call one service or selector, render."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from escalate.audit.models import AuditAction, AuditResult, ObjectType
from escalate.audit.selectors import reference_or_blank
from escalate.audit.services import audit_record
from escalate.cases import access, forms, protection, rules, selectors, services
from escalate.cases.access import Action
from escalate.cases.models import Escalation, Party, Status
from escalate.directory.models import Person
from escalate.procedures import lifecycle as lc
from escalate.procedures import words
from escalate.procedures.schema import Procedure

GET_ONLY = require_http_methods(["GET", "HEAD"])
GET_POST = require_http_methods(["GET", "HEAD", "POST"])


def _procedure_for_viewer(request: HttpRequest) -> Procedure:
    person = access.person_of(request.user)
    if person is None:
        raise Http404
    p = person.agency.partnership
    return rules.partnership_procedure(p)


def escalation_or_404(request: HttpRequest, reference: str) -> Escalation:
    """The escalation if the user may see it; else a 404, and the refusal in the audit trail."""
    try:
        return selectors.escalation_get_for(request.user, reference)
    except selectors.EscalationNotFound:
        audit_record(
            actor=request.user,
            action=AuditAction.ACCESS_DENIED,
            object_type=ObjectType.ESCALATION,
            object_ref=reference_or_blank(reference),
            result=AuditResult.REFUSED,
        )
        raise Http404 from None


# -- home and lists -------------------------------------------------------------------------


@login_required
@GET_ONLY
def home(request: HttpRequest) -> HttpResponse:
    person = access.person_of(request.user)
    today = services.today()
    counts: dict[str, int] = {}
    awaiting: list[Escalation] = []
    if person is not None:
        counts = selectors.escalation_counts_for(request.user, today)
        awaiting = list(
            selectors.escalation_list_for(
                request.user, selectors.ListFilters(awaiting=True), today
            )[:10]
        )
    return render(
        request,
        "cases/home.html",
        {"person": person, "counts": counts, "awaiting": awaiting, "today": today},
    )


LIST_VIEWS = {
    "all": ("All escalations you can see", selectors.ListFilters()),
    "mine": ("My escalations", selectors.ListFilters(mine=True)),
    "awaiting": ("Awaiting my action", selectors.ListFilters(awaiting=True)),
    "overdue": ("Overdue", selectors.ListFilters(overdue=True)),
}


@login_required
@GET_ONLY
def escalation_list(request: HttpRequest) -> HttpResponse:
    person = access.person_of(request.user)
    if person is None:
        raise Http404
    procedure = rules.partnership_procedure(person.agency.partnership)
    view = request.GET.get("view", "all")
    if view not in LIST_VIEWS:
        view = "all"
    title, base = LIST_VIEWS[view]
    filter_form = forms.FilterForm(request.GET or None)
    filter_form.fields["stage"].choices = [("", "Any stage")] + [  # type: ignore[attr-defined]
        (s.number, f"Stage {s.number}") for s in procedure.stages
    ]
    filter_form.fields["status"].choices = [("", "Any status"), *Status.choices]  # type: ignore[attr-defined]
    agencies = person.agency.partnership.agencies.order_by("name")
    filter_form.fields["agency"].choices = [("", "Any agency")] + [  # type: ignore[attr-defined]
        (a.pk, a.name) for a in agencies
    ]
    filter_form.fields["category"].choices = [("", "Any category")] + [  # type: ignore[attr-defined]
        (c.id, c.name) for c in procedure.categories
    ]
    data: dict[str, Any] = {}
    if filter_form.is_bound and filter_form.is_valid():
        data = filter_form.cleaned_data
    filters = selectors.ListFilters(
        stage=data.get("stage"),
        status=data.get("status") or None,
        agency_id=data.get("agency"),
        category=data.get("category") or None,
        overdue=bool(data.get("overdue")) or base.overdue,
        reference=data.get("reference") or "",
        mine=base.mine,
        awaiting=base.awaiting,
    )
    today = services.today()
    rows = list(selectors.escalation_list_for(request.user, filters, today)[:200])
    audit_record(
        actor=request.user,
        action=AuditAction.LIST_SEARCHED,
        partnership_id=person.agency.partnership_id,
        detail={
            "view": view,
            "stage": filters.stage,
            "status": filters.status,
            "agency_id": filters.agency_id,
            "category": filters.category,
            "overdue": filters.overdue,
            "reference": reference_or_blank(filters.reference),
            "results": len(rows),
        },
    )
    categories = {c.id: c.name for c in procedure.categories}
    return render(
        request,
        "cases/list.html",
        {
            "title": title,
            "view": view,
            "views": [(k, v[0]) for k, v in LIST_VIEWS.items()],
            "filter_form": filter_form,
            "rows": rows,
            "today": today,
            "categories": categories,
        },
    )


# -- the escalation page ----------------------------------------------------------------------


@login_required
@GET_ONLY
def escalation_detail(request: HttpRequest, reference: str) -> HttpResponse:
    escalation = escalation_or_404(request, reference)
    audit_record(
        actor=request.user,
        action=AuditAction.ESCALATION_VIEWED,
        object_type=ObjectType.ESCALATION,
        object_ref=escalation.reference,
        partnership_id=escalation.partnership_id,
    )
    return render(request, "cases/detail.html", _detail_context(request, escalation))


def _detail_context(request: HttpRequest, escalation: Escalation) -> dict[str, Any]:
    procedure = rules.procedure_of(escalation)
    parties = list(escalation.parties.all())
    stages = list(escalation.stages.all())
    entries = list(escalation.entries.all())
    state = rules.state_of(escalation, stages, entries)
    calendar = escalation.partnership.calendar()
    today = services.today()
    sched = rules.schedule(procedure, calendar, state, today)
    person = access.person_of(request.user)
    allowed = access.allowed_actions(person, escalation, parties, procedure)
    offer = _record_offers(allowed, person, parties, state)
    stage_def = procedure.stage(escalation.current_stage)
    overdue_keys = {(i.stage, i.obligation) for i in sched.overdue}
    soon_keys = {(i.stage, i.obligation) for i in sched.due_soon}
    ladder = []
    for sp in sched.plan.stages:
        key = (sp.number, None)
        ladder.append(
            {
                "plan": sp,
                "definition": procedure.stage(sp.number),
                "current": sp.number == escalation.current_stage,
                "overdue": key in overdue_keys,
                "due_soon": key in soon_keys,
                "obligations": [
                    {
                        "plan": o,
                        "overdue": (sp.number, o.id) in overdue_keys,
                        "due_soon": (sp.number, o.id) in soon_keys,
                    }
                    for o in sp.obligations
                ],
            }
        )
    contacts = selectors.stage_contacts_for(escalation, escalation.current_stage)
    who_by_agency = [
        (p.agency, stage_def.who_by_agency.get(p.agency.agency_type))  # type: ignore[call-overload]
        for p in parties
    ]
    event_names = {e.id: e.name for e in procedure.events}
    duty_names = {(s.number, o.id): o.what for s in procedure.stages for o in s.obligations}
    for entry in entries:
        entry.label = event_names.get(entry.event) or duty_names.get(  # type: ignore[attr-defined]
            (entry.stage, entry.obligation), ""
        )
    views = {}
    for entry in entries:
        if entry.kind == "view":
            views[entry.author_agency] = entry  # the latest view of each agency
    return {
        "views": list(views.values()),
        "e": escalation,
        "procedure": procedure,
        "category": next(
            (c.name for c in procedure.categories if c.id == escalation.category),
            escalation.category,
        ),
        "parties": parties,
        "entries": entries,
        "schedule": sched,
        "ladder": ladder,
        "stage_def": stage_def,
        "stage_levels": words.levels(stage_def.levels),
        "top_outcome": words.plain(procedure.top_stage.produces),
        "contacts": contacts,
        "who_by_agency": who_by_agency,
        "allowed": {a.value.replace("-", "_"): True for a in allowed},
        "offer": offer,
        "anything_to_do": bool(offer) or bool(allowed - {Action.RECORD}),
        "today": today,
    }


def _record_offers(
    allowed: frozenset[Action],
    person: Person | None,
    parties: list[Party],
    state: lc.EscalationState,
) -> dict[str, bool]:
    """Which of the "record" links to show: what the rules core still accepts in this state
    (lifecycle.recordable), and a view only from an agency that is a party."""
    if Action.RECORD not in allowed or person is None:
        return {}
    offers = {kind.value: True for kind in lc.recordable(state)}
    if access.is_party(person, parties) is not None:
        offers["view"] = True
    return offers


# -- actions on an escalation ----------------------------------------------------------------

ActionService = Callable[..., Escalation]


def _action_view(
    *,
    action: Action,
    form_class: type[forms.VersionedForm],
    service: ActionService,
    title: str,
    done: str,
    form_kwargs: Callable[[Escalation, Procedure], dict[str, Any]] | None = None,
    service_kwargs: Callable[[dict[str, Any]], dict[str, Any]] | None = None,
    template: str = "cases/action.html",
) -> Callable[[HttpRequest, str], HttpResponse]:
    """One GET/POST view per action: show the form, call the one service, redirect."""

    @login_required
    @GET_POST
    def view(request: HttpRequest, reference: str) -> HttpResponse:
        escalation = escalation_or_404(request, reference)
        procedure = rules.procedure_of(escalation)
        person = access.person_of(request.user)
        parties = list(escalation.parties.all())
        posted_version = request.POST.get("version", "") if request.method == "POST" else ""
        if posted_version.isdigit() and int(posted_version) != escalation.version:
            # Changed since this user opened the form: say so before anything else.
            messages.error(request, services.CONCURRENT_CHANGE)
            return redirect("cases:detail", reference=escalation.reference)
        if action not in access.allowed_actions(person, escalation, parties, procedure):
            raise Http404
        extra = form_kwargs(escalation, procedure) if form_kwargs else {}
        if request.method == "POST":
            form = form_class(request.POST, **extra)
            if form.is_valid():
                data = dict(form.cleaned_data)
                version = data.pop("version")
                kwargs = service_kwargs(data) if service_kwargs else data
                try:
                    service(user=request.user, escalation=escalation, version=version, **kwargs)
                except services.ConcurrentChangeError as exc:
                    messages.error(request, exc.message)
                    return redirect("cases:detail", reference=escalation.reference)
                except services.ServiceError as exc:
                    target = exc.field if exc.field in form.fields else None
                    form.add_error(target, exc.message)
                else:
                    messages.success(request, done)
                    return redirect("cases:detail", reference=escalation.reference)
        else:
            form = form_class(initial={"version": escalation.version}, **extra)
        return render(
            request,
            template,
            {"e": escalation, "form": form, "title": title, "procedure": procedure},
        )

    return view


record_contact = _action_view(
    action=Action.RECORD,
    form_class=forms.ContactForm,
    service=services.escalation_record_contact,
    title="Record a contact or meeting",
    done="The contact has been added to the record.",
)
escalate = _action_view(
    action=Action.ESCALATE,
    form_class=forms.EscalateForm,
    service=services.escalation_escalate,
    title="Escalate to the next stage",
    done="Escalated to the next stage.",
)
resolve = _action_view(
    action=Action.RESOLVE,
    form_class=forms.ResolveForm,
    service=services.escalation_resolve,
    title="Record the agreed outcome",
    done="The escalation is resolved. Now confirm the outcome in writing to the raiser.",
)
confirm = _action_view(
    action=Action.CONFIRM,
    form_class=forms.ConfirmForm,
    service=services.escalation_confirm,
    title="Confirm the outcome in writing",
    done="The written confirmation has been recorded.",
)
bring_forward = _action_view(
    action=Action.BRING_FORWARD,
    form_class=forms.BringForwardForm,
    service=services.escalation_bring_forward,
    title="Bring the due date forward",
    done="The due date has been brought forward.",
)
withdraw = _action_view(
    action=Action.WITHDRAW,
    form_class=forms.WithdrawForm,
    service=services.escalation_withdraw,
    title="Withdraw the escalation",
    done="The escalation has been withdrawn.",
)
decide = _action_view(
    action=Action.DECIDE,
    form_class=forms.DecideForm,
    service=services.escalation_decide,
    title="Record the top stage's decision",
    done="The decision has been recorded.",
)
record_event = _action_view(
    action=Action.RECORD,
    form_class=forms.EventForm,
    service=services.escalation_record_event,
    title="Record what happened",
    done="Added to the record.",
    form_kwargs=lambda e, p: {"procedure": p},
)
record_view = _action_view(
    action=Action.RECORD,
    form_class=forms.ViewForm,
    service=services.escalation_record_view,
    title="Give your agency's view",
    done="Your agency's view has been added to the record.",
)
record_duty = _action_view(
    action=Action.RECORD,
    form_class=forms.DutyForm,
    service=services.escalation_meet_obligation,
    title="Record a duty done",
    done="Added to the record.",
    form_kwargs=lambda e, p: {
        "choices": [(o.id, o.what) for o in p.stage(e.current_stage).obligations]
    },
)


@login_required
@GET_POST
def correct_entry(request: HttpRequest, reference: str, sequence: int) -> HttpResponse:
    view = _action_view(
        action=Action.RECORD,
        form_class=forms.CorrectionForm,
        service=services.entry_correct,
        title=f"Correct entry {sequence}",
        done="The correction has been added beside the original entry.",
        service_kwargs=lambda data: {**data, "sequence": sequence},
    )
    return view(request, reference)


# -- the procedure in words ------------------------------------------------------------------


@login_required
@GET_ONLY
def procedure_page(request: HttpRequest) -> HttpResponse:
    procedure = _procedure_for_viewer(request)
    return render(
        request,
        "cases/procedure.html",
        {
            "procedure": procedure,
            "outline": words.outline(procedure),
            "overall_due": words.due_rule(procedure.overall.due, procedure)
            if procedure.overall
            else None,
        },
    )


# -- subject access export (business unit) ------------------------------------------------


@login_required
@GET_POST
def subject_access(request: HttpRequest) -> HttpResponse:
    """The reference is posted, never put in the URL; the file name carries no personal data."""
    if access.business_unit_person(request.user) is None:
        raise Http404
    form = forms.SubjectAccessForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = protection.subject_access_export(
            user=request.user,
            reference=form.cleaned_data["reference"],
        )
        response = HttpResponse(data, content_type="application/json")
        name = f"subject-access-{services.today().isoformat()}.json"
        response["Content-Disposition"] = f'attachment; filename="{name}"'
        return response
    return render(request, "cases/subject_access.html", {"form": form})
