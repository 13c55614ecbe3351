"""The written representations of an escalation: the list, the upload page and the download.

Every view starts from ``escalate.cases.views.escalation_or_404`` (the access rules, and a
refusal in the audit trail): whoever may not see the escalation gets 404, for its
representations too. A download is an attachment, never shown inline, marked ``nosniff`` and
``no-store``, under a name made of the reference and the representation's number only.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import content_disposition_header

from escalate import timekeeping
from escalate.attachments import forms, selectors, services, storage
from escalate.audit.models import AuditAction, ObjectType
from escalate.audit.services import audit_record
from escalate.cases import access
from escalate.cases.models import Escalation
from escalate.cases.services import ServiceError, actor_for
from escalate.cases.views import GET_ONLY, GET_POST, escalation_or_404
from escalate.web.middleware import NO_STORE

ADDED = "Your written representation has been added."


def _may_add(request: HttpRequest, escalation: Escalation) -> bool:
    person = access.person_of(request.user)
    return services.may_add(person, escalation, list(escalation.parties.all()))


@login_required
@GET_ONLY
def representation_list(request: HttpRequest, reference: str) -> HttpResponse:
    escalation = escalation_or_404(request, reference)
    section = selectors.section_for(
        access.person_of(request.user), escalation, list(escalation.parties.all())
    )
    return render(request, "attachments/list.html", {"e": escalation, "representations": section})


@login_required
@GET_POST
def representation_upload(request: HttpRequest, reference: str) -> HttpResponse:
    escalation = escalation_or_404(request, reference)
    if not _may_add(request, escalation):
        raise Http404
    limit_mb = services.max_upload_bytes() // (1024 * 1024)
    if request.method == "POST":
        form = forms.UploadForm(request.POST, request.FILES, limit_mb=limit_mb)
        if form.is_valid():
            upload = form.cleaned_data["file"]
            try:
                services.representation_upload(
                    actor=actor_for(request.user),
                    escalation=escalation,
                    content=upload,
                    original_name=upload.name or "",
                    now=timekeeping.now(),
                )
            except ServiceError as exc:
                form.add_error("file", exc.message)
            else:
                messages.success(request, ADDED)
                return redirect("attachments:list", reference=escalation.reference)
    else:
        form = forms.UploadForm(limit_mb=limit_mb)
    return render(request, "attachments/upload.html", {"e": escalation, "form": form})


@login_required
@GET_ONLY
def representation_download(request: HttpRequest, reference: str, pk: int) -> HttpResponse:
    escalation = escalation_or_404(request, reference)
    representation = selectors.representation_of(escalation, pk)
    if representation is None:
        raise Http404
    try:
        with storage.open_for_reading(representation.stored_name) as handle:
            data = handle.read()
    except FileNotFoundError:
        raise Http404 from None
    audit_record(
        actor=request.user,
        action=AuditAction.ESCALATION_VIEWED,
        object_type=ObjectType.ESCALATION,
        object_ref=escalation.reference,
        partnership_id=escalation.partnership_id,
        detail={"representation": representation.pk},
    )
    # Read whole (at most the upload limit) rather than streamed: the handle is closed before
    # the response leaves, and every test client reads the body the same way.
    response = HttpResponse(data, content_type=representation.mime_type)
    name = f"{escalation.reference}-representation-{representation.pk}.{representation.extension}"
    response["Content-Disposition"] = content_disposition_header(True, name)
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = NO_STORE
    return response
