"""Thin views: ask a selector, record that the trail was read (or refused), render."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_http_methods

from escalate.audit import selectors
from escalate.audit.models import AuditAction, AuditResult, ObjectType
from escalate.audit.services import audit_record
from escalate.cases import access
from escalate.web import paging

GET_ONLY = require_http_methods(["GET", "HEAD"])
PER_PAGE = 50


@login_required
@GET_ONLY
def escalation_trail(request: HttpRequest, reference: str) -> HttpResponse:
    try:
        escalation, entries = selectors.escalation_trail_for(request.user, reference)
    except selectors.TrailNotFound as refused:
        audit_record(
            actor=request.user,
            action=AuditAction.ACCESS_DENIED,
            object_type=ObjectType.ESCALATION,
            object_ref=selectors.reference_or_blank(reference),
            partnership_id=refused.partnership_id,
            result=AuditResult.REFUSED,
            detail={"page": "escalation-trail"},
        )
        raise Http404 from None
    page = paging.paginate(request, entries, per_page=PER_PAGE)
    shown = selectors.rows(page.object_list)  # read before this view is itself recorded
    audit_record(
        actor=request.user,
        action=AuditAction.AUDIT_VIEWED,
        object_type=ObjectType.ESCALATION,
        object_ref=escalation.reference,
        partnership_id=escalation.partnership_id,
        detail={"page": "escalation-trail", "page_number": page.number},
    )
    return render(
        request,
        "audit/escalation_trail.html",
        {
            "e": escalation,
            "page": page,
            "rows": shown,
            "refused_count": selectors.refused_count(entries),
        },
    )


@login_required
@GET_ONLY
def views_of_our_cases(request: HttpRequest) -> HttpResponse:
    person = access.person_of(request.user)
    if person is None:
        raise Http404
    page = paging.paginate(
        request, selectors.views_of_our_cases_for(request.user), per_page=PER_PAGE
    )
    shown = selectors.rows(page.object_list)
    audit_record(
        actor=request.user,
        action=AuditAction.AUDIT_VIEWED,
        object_type=ObjectType.AGENCY,
        object_ref=str(person.agency_id),
        partnership_id=person.agency.partnership_id,
        detail={"page": "views-of-our-cases", "page_number": page.number},
    )
    return render(
        request,
        "audit/views_of_our_cases.html",
        {"agency": person.agency, "page": page, "rows": shown},
    )
