"""Thin views: parse with a form, call one service or selector, render."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.safestring import mark_safe
from django.views.decorators.http import require_http_methods

from escalate import timekeeping
from escalate.attachments.selectors import section_for as representations_section
from escalate.audit.models import AuditAction, AuditResult, ObjectType
from escalate.audit.selectors import reference_or_blank, refused_partnership_id
from escalate.audit.services import audit_record
from escalate.cases import access, forms, protection, rules, selectors, services
from escalate.cases.access import Action
from escalate.cases.models import Entry, Escalation, Party, Status
from escalate.directory.models import Person
from escalate.documents.selectors import forms_for as forms_section
from escalate.procedures import flowchart, words
from escalate.procedures import lifecycle as lc
from escalate.procedures.schema import Procedure
from escalate.web import paging

GET_ONLY = require_http_methods(["GET", "HEAD"])
GET_POST = require_http_methods(["GET", "HEAD", "POST"])


def _procedure_for_viewer(request: HttpRequest) -> Procedure:
    person = access.person_of(request.user)
    if person is None:
        raise Http404
    p = person.agency.partnership
    return rules.partnership_procedure(p)


def escalation_or_404(request: HttpRequest, reference: str) -> Escalation:
    """The escalation if the user may see it; else a 404, and the refusal in the audit trail
    of the escalation's partnership when the reference names one (the 404 is the same)."""
    try:
        return selectors.escalation_get_for(request.user, reference)
    except selectors.EscalationNotFound:
        match = request.resolver_match
        audit_record(
            actor=request.user,
            action=AuditAction.ACCESS_DENIED,
            object_type=ObjectType.ESCALATION,
            object_ref=reference_or_blank(reference),
            partnership_id=refused_partnership_id(reference),
            result=AuditResult.REFUSED,
            detail={"page": match.url_name} if match and match.url_name else None,
        )
        raise Http404 from None


# -- home and lists -------------------------------------------------------------------------


@login_required
@GET_ONLY
def home(request: HttpRequest) -> HttpResponse:
    person = access.person_of(request.user)
    today = timekeeping.today()
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
        {
            "person": person,
            "counts": counts,
            "awaiting": awaiting,
            "today": today,
        },
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
    filter_form.fields["sort"].choices = list(selectors.SORT_LABELS.items())  # type: ignore[attr-defined]
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
        immediate_risk=bool(data.get("immediate_risk")),
        sort=selectors.ListSort(data.get("sort") or selectors.ListSort.DUE),
    )
    today = timekeeping.today()
    matches = selectors.escalation_matches(request.user, filters, today)
    page = paging.paginate(request, selectors.ListPages(matches, filters.sort), count=matches)
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
            "immediate_risk": filters.immediate_risk,
            "reference": reference_or_blank(filters.reference),
            "sort": filters.sort.value,
            "page_number": page.number,
            "results": page.total,
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
            "caption": f"{title}, {selectors.SORT_LABELS[filters.sort].lower()}",
            "page": page,
            "sort": filters.sort.value,
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
    today = timekeeping.today()
    sched = rules.schedule(procedure, calendar, state, today)
    person = access.person_of(request.user)
    allowed = access.allowed_actions(person, escalation, parties, procedure)
    offer = _record_offers(allowed, person, parties, procedure, state)
    stage_def = procedure.stage(escalation.current_stage)
    overdue_keys = {(i.stage, i.obligation) for i in sched.overdue}
    soon_keys = {(i.stage, i.obligation) for i in sched.due_soon}
    finished = escalation.status != Status.OPEN
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
                # A finished escalation's page stays short: stages never reached fold away.
                "folded": finished and sp.number > escalation.current_stage,
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
    not_reached = [row for row in ladder if row["folded"]]
    contact_groups = selectors.stage_contacts_by_agency(
        escalation, escalation.current_stage, procedure
    )
    record_form, record_stage, shown = _record_filter(request, entries)
    _label_entries(procedure, entries)
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
        "entries": shown,
        "record_form": record_form,
        "record_stage": record_stage,
        "schedule": sched,
        "ladder": [row for row in ladder if not row["folded"]],
        "not_reached": not_reached,
        "stage_def": stage_def,
        "stage_levels": words.levels(stage_def.levels),
        "top_outcome": words.plain(procedure.top_stage.produces),
        "contact_groups": contact_groups,
        "at_immediate_risk": selectors.at_immediate_risk(escalation),
        "audit_trail": access.business_unit_person(request.user) is not None,
        "allowed": {a.value.replace("-", "_"): True for a in allowed},
        "offer": offer,
        "anything_to_do": bool(offer) or bool(allowed - {Action.RECORD}),
        # Written representations (escalate.attachments): the list, and whether to offer adding one.
        "representations": representations_section(person, escalation, parties),
        # The procedure's forms of the stages reached, with their status (escalate.documents).
        "procedure_forms": forms_section(escalation, procedure),
        "today": today,
        # The flowchart marks the stage an open escalation is at and every stage it has been at.
        **_flowchart(
            procedure,
            current=None if finished else escalation.current_stage,
            reached=frozenset(
                sp.number
                for sp in sched.plan.stages
                if sp.entered_on is not None and not sp.entered_is_planned and not sp.skipped
            ),
        ),
    }


def _record_filter(
    request: HttpRequest, entries: list[Entry]
) -> tuple[forms.RecordFilterForm | None, int | None, list[Entry]]:
    """The record's stage filter (``?stage=2``), offered once the record spans more than one
    stage; a value that is not one of its stages is ignored. Returns the form, the stage
    chosen (or None) and the entries to show."""
    stages = sorted({entry.stage for entry in entries})
    if len(stages) < 2:
        return None, None, entries
    form = forms.RecordFilterForm(request.GET or None, stages=stages)
    stage = form.cleaned_data.get("stage") if form.is_bound and form.is_valid() else None
    if stage is None:
        # Nothing chosen, or something not offered: show every entry and no error.
        return forms.RecordFilterForm(stages=stages), None, entries
    return form, stage, [entry for entry in entries if entry.stage == stage]


def _record_offers(
    allowed: frozenset[Action],
    person: Person | None,
    parties: list[Party],
    procedure: Procedure,
    state: lc.EscalationState,
) -> dict[str, bool]:
    """Which of the "record" links to show: what the rules core still accepts in this state
    (an event or a duty only where one may be recorded now), and a view only from an agency
    that is a party."""
    if Action.RECORD not in allowed or person is None:
        return {}
    offers = {kind.value: True for kind in lc.recordable(state)}
    if not lc.recordable_events(procedure, state):
        offers.pop(lc.Record.EVENT.value, None)
    if not lc.doable_obligations(procedure, state):
        offers.pop(lc.Record.DUTY.value, None)
    if access.is_party(person, parties) is not None:
        offers["view"] = True
    return offers


# -- actions on an escalation ----------------------------------------------------------------


def _state(escalation: Escalation) -> lc.EscalationState:
    """The rules core's state of an escalation loaded by ``escalation_get_for``."""
    return rules.state_of(escalation, escalation.stages.all(), escalation.entries.all())


def _posted_before(request: HttpRequest, escalation: Escalation) -> bool:
    """Whether the post comes from a form opened at an earlier version of the escalation."""
    posted = request.POST.get("version", "")
    return posted.isdigit() and int(posted) < escalation.version


def _label_entries(procedure: Procedure, entries: list[Entry]) -> list[Entry]:
    """Give each entry the name of its event or duty in the procedure's words (``label``)."""
    event_names = {e.id: e.name for e in procedure.events}
    duty_names = {(s.number, o.id): o.what for s in procedure.stages for o in s.obligations}
    for entry in entries:
        entry.label = event_names.get(entry.event) or duty_names.get(  # type: ignore[attr-defined]
            (entry.stage, entry.obligation), ""
        )
    return entries


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
    """One GET/POST view per action: show the form, call the one service, redirect.

    Whether a posted change conflicts with one made since the form was opened is the
    service's decision, not the page's. When it does, the form comes back with everything the
    person typed, the other change shown above it and the version moved on, so that submitting
    again is one press (if they may still take the action).
    """

    @login_required
    @GET_POST
    def view(request: HttpRequest, reference: str) -> HttpResponse:
        escalation = escalation_or_404(request, reference)
        procedure = rules.procedure_of(escalation)
        person = access.person_of(request.user)
        allowed = action in access.allowed_actions(
            person, escalation, list(escalation.parties.all()), procedure
        )
        extra = form_kwargs(escalation, procedure) if form_kwargs else {}
        unseen: list[Entry] | None = None
        if request.method != "POST":
            if not allowed:
                raise Http404
            form = form_class(initial={"version": escalation.version}, **extra)
        else:
            # A form opened before someone else's change may post an action the person can no
            # longer take: the service decides (and audits) that, so it is not a "not found".
            if not allowed and not _posted_before(request, escalation):
                raise Http404
            form = form_class(request.POST, **extra)
            if form.is_valid():
                data = dict(form.cleaned_data)
                version = data.pop("version")
                kwargs = service_kwargs(data) if service_kwargs else data
                try:
                    service(
                        actor=services.actor_for(request.user),
                        escalation=escalation,
                        version=version,
                        today=timekeeping.today(),
                        **kwargs,
                    )
                except services.ConcurrentChangeError as exc:
                    escalation = escalation_or_404(request, reference)
                    unseen = _label_entries(procedure, exc.unseen)
                    moved_on = request.POST.copy()
                    moved_on["version"] = str(escalation.version)
                    form = form_class(moved_on, **extra)
                    allowed = action in access.allowed_actions(
                        person, escalation, list(escalation.parties.all()), procedure
                    )
                except services.ServiceError as exc:
                    target = exc.field if exc.field in form.fields else None
                    form.add_error(target, exc.message)
                else:
                    messages.success(request, done)
                    return redirect("cases:detail", reference=escalation.reference)
        return render(
            request,
            template,
            {
                "e": escalation,
                "form": form,
                "title": title,
                "procedure": procedure,
                "unseen": unseen,
                "conflict_message": services.CONCURRENT_CHANGE,
                "may_submit": allowed,
            },
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


@login_required
@GET_POST
def decide(request: HttpRequest, reference: str) -> HttpResponse:
    """The top stage's outcome is recorded on its own page (``panels:outcome``), where the
    procedure's panel rule and recommendations are checked; this address leads there, so that
    no way round the rule is left."""
    escalation = escalation_or_404(request, reference)
    procedure = rules.procedure_of(escalation)
    person = access.person_of(request.user)
    parties = list(escalation.parties.all())
    if Action.DECIDE not in access.allowed_actions(person, escalation, parties, procedure):
        raise Http404
    return redirect("panels:outcome", reference=escalation.reference)


record_event = _action_view(
    action=Action.RECORD,
    form_class=forms.EventForm,
    service=services.escalation_record_event,
    title="Record what happened",
    done="Added to the record.",
    form_kwargs=lambda e, p: {
        "choices": [(v.id, v.name) for v in lc.recordable_events(p, _state(e))]
    },
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
        "choices": [(o.id, o.what) for o in lc.doable_obligations(p, _state(e))]
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
            **_flowchart(procedure),
        },
    )


#: Flowcharts already drawn, by (definition, current stage, stages reached). A definition
#: object never changes (the registry holds one per version), so neither does its drawing;
#: drawing one took 12 ms of an escalation's page. Keyed by the object's identity, which the
#: entry keeps alive; emptied when full.
_DRAWN: dict[tuple[int, int | None, frozenset[int]], tuple[Procedure, str, Any]] = {}
_DRAWN_MAX = 512


def _flowchart(
    procedure: Procedure, *, current: int | None = None, reached: frozenset[int] = frozenset()
) -> dict[str, Any]:
    """The flowchart and its text version for ``cases/_flowchart.html``."""
    key = (id(procedure), current, reached)
    drawn = _DRAWN.get(key)
    if drawn is None or drawn[0] is not procedure:
        svg = flowchart.flowchart_svg(procedure, current=current, reached=reached)
        steps = flowchart.marked_steps(procedure, current=current, reached=reached)
        if len(_DRAWN) >= _DRAWN_MAX:
            _DRAWN.clear()
        drawn = _DRAWN[key] = (procedure, svg, tuple(steps))
    return {
        # flowchart_svg escapes every text it draws (tests/procedures/test_flowchart.py).
        "flowchart": mark_safe(drawn[1]),  # noqa: S308
        "flow_steps": drawn[2],
    }


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
        name = f"subject-access-{timekeeping.today().isoformat()}.json"
        response["Content-Disposition"] = f'attachment; filename="{name}"'
        return response
    return render(request, "cases/subject_access.html", {"form": form})
