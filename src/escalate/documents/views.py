"""Thin views of an escalation's forms: the escalation is loaded through the access rules
(404 for anyone who may not see it), each page offered only to whom the procedure names, and
every change made by one service."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.safestring import mark_safe
from django.views.decorators.http import require_http_methods

from escalate import timekeeping
from escalate.audit.models import AuditAction, ObjectType
from escalate.audit.services import audit_record
from escalate.cases import access, rules
from escalate.cases.models import Escalation
from escalate.cases.services import actor_for
from escalate.cases.views import escalation_or_404
from escalate.directory.models import Person
from escalate.documents import forms, pdf, selectors, services, signers
from escalate.documents.models import FormRecord, FormVersion, VersionStatus
from escalate.procedures import flowchart, words
from escalate.procedures import forms as core
from escalate.procedures.schema import Form, Procedure

GET_ONLY = require_http_methods(["GET", "HEAD"])
GET_POST = require_http_methods(["GET", "HEAD", "POST"])

SAVED = "Your draft has been saved."
SIGNED = "You have signed the form."
SENT = "The form has been sent."
NEW_VERSION = "A new version has been started. The signed version is kept."


@dataclass
class _Page:
    """One form of one escalation, as the person asking may see and act on it."""

    escalation: Escalation
    procedure: Procedure
    form: Form
    record: FormRecord | None
    versions: list[FormVersion]
    person: Person | None
    case: signers.Case

    @property
    def latest(self) -> FormVersion | None:
        return self.versions[-1] if self.versions else None

    @property
    def stage(self) -> int:
        return self.escalation.current_stage

    def signed_ids(self, version: FormVersion) -> set[str]:
        return {s.field_id for s in version.signatures.all()}

    def may_edit(self) -> bool:
        latest = self.latest
        return (latest is None or latest.is_draft) and signers.may_complete(
            self.form, self.person, self.case, self.stage
        )

    def slots(self) -> list[Any]:
        latest = self.latest
        if latest is None or latest.status == VersionStatus.SUBMITTED:
            return []
        return signers.slots_for(
            self.form, self.person, self.case, latest.stage, signed=self.signed_ids(latest)
        )

    def may_submit(self) -> bool:
        latest = self.latest
        if latest is None or latest.status != VersionStatus.SIGNED or not self.form.send_to:
            return False
        person = self.person
        if person is None or services.missing_signatures(self.form, latest):
            return False
        signed_it = any(s.user_id == person.user_id for s in latest.signatures.all())
        return signed_it or any(
            signers.signed_as(self.form, slot, person, self.case, latest.stage)
            for slot in core.signature_slots(self.form, latest.stage)
        )

    def may_start_new_version(self) -> bool:
        latest = self.latest
        return (
            latest is not None
            and not latest.is_draft
            and signers.may_complete(self.form, self.person, self.case, self.stage)
        )


def _page(request: HttpRequest, reference: str, form_id: str) -> _Page:
    escalation = escalation_or_404(request, reference)
    procedure = rules.procedure_of(escalation)
    form = selectors.form_of(procedure, form_id)
    if form is None:
        raise Http404
    record = selectors.record_for(escalation, form_id)
    return _Page(
        escalation=escalation,
        procedure=procedure,
        form=form,
        record=record,
        versions=selectors.versions_of(record),
        person=access.person_of(request.user),
        case=signers.Case.of(escalation, procedure),
    )


def _form_url(page: _Page, name: str = "documents:form", **extra: Any) -> str:
    return reverse(
        name, kwargs={"reference": page.escalation.reference, "form_id": page.form.id, **extra}
    )


def _recipients_in_words(form: Form) -> list[str]:
    return [words.plain(r).capitalize() for r in form.send_to]


def _body(page: _Page, version: FormVersion | None) -> dict[str, Any]:
    """What ``documents/_form_body.html`` shows, on the screen and in the PDF alike: the
    version, and the procedure's flowchart with the form's stage marked."""
    at = version.stage if version is not None else page.stage
    reached = frozenset(s.number for s in page.escalation.stages.all()) - {at}
    svg = flowchart.flowchart_svg(page.procedure, current=at, reached=reached)
    return {
        # flowchart_svg escapes every text it draws (tests/procedures/test_flowchart.py).
        "flowchart": mark_safe(svg),  # noqa: S308
        "flow_steps": flowchart.marked_steps(page.procedure, current=at, reached=reached),
        "e": page.escalation,
        "procedure": page.procedure,
        "definition": page.form,
        "version": version,
        "sections": selectors.sections(page.form, version, page.stage),
        "send_to": _recipients_in_words(page.form),
        "missing": services.missing_signatures(page.form, version) if version else [],
    }


def _audit_view(request: HttpRequest, page: _Page, what: str, version: int | None) -> None:
    audit_record(
        actor=request.user,
        action=AuditAction.EXPORT if what == "form-pdf" else AuditAction.ESCALATION_VIEWED,
        object_type=ObjectType.ESCALATION,
        object_ref=page.escalation.reference,
        partnership_id=page.escalation.partnership_id,
        detail={"page": what, "form": page.form.id, "version": version},
    )


# -- reading ----------------------------------------------------------------------------------


@login_required
@GET_ONLY
def form_page(request: HttpRequest, reference: str, form_id: str) -> HttpResponse:
    page = _page(request, reference, form_id)
    latest = page.latest
    _audit_view(request, page, "form", latest.number if latest else None)
    return _render_form(request, page, latest)


@login_required
@GET_ONLY
def version_page(request: HttpRequest, reference: str, form_id: str, number: int) -> HttpResponse:
    page = _page(request, reference, form_id)
    version = next((v for v in page.versions if v.number == number), None)
    if version is None:
        raise Http404
    _audit_view(request, page, "form-version", number)
    return _render_form(request, page, version)


def _render_form(request: HttpRequest, page: _Page, version: FormVersion | None) -> HttpResponse:
    latest = page.latest
    is_latest = version is None or version is latest
    context = {
        **_body(page, version),
        "versions": page.versions,
        "is_latest": is_latest,
        "latest": latest,
        "who_may_sign": core.who_may_sign(page.form, version.stage if version else page.stage),
        "at_current_stage": page.stage in page.form.used_at,
        "may_edit": is_latest and page.may_edit(),
        "may_sign": is_latest and bool(page.slots()),
        "may_submit": is_latest and page.may_submit(),
        "may_start_new_version": is_latest and page.may_start_new_version(),
    }
    return render(request, "documents/form.html", context)


@login_required
@GET_ONLY
def pdf_download(request: HttpRequest, reference: str, form_id: str, number: int) -> HttpResponse:
    """One version as a tagged PDF, from the same body template as the screen. The file name
    carries the escalation's reference only."""
    page = _page(request, reference, form_id)
    version = next((v for v in page.versions if v.number == number), None)
    if version is None:
        raise Http404
    html = render_to_string("documents/pdf.html", _body(page, version), request=request)
    data = pdf.render(html)
    _audit_view(request, page, "form-pdf", number)
    response = HttpResponse(data, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{page.escalation.reference}.pdf"'
    return response


# -- changing ---------------------------------------------------------------------------------


def _agencies(page: _Page) -> list[str]:
    return [p.agency.name for p in sorted(page.escalation.parties.all(), key=lambda p: p.pk)]


@login_required
@GET_POST
def edit(request: HttpRequest, reference: str, form_id: str) -> HttpResponse:
    page = _page(request, reference, form_id)
    if not page.may_edit():
        raise Http404
    latest = page.latest
    today = timekeeping.today()
    snapshot = selectors.record_snapshot(page.escalation, page.procedure, today)
    carried = dict(latest.values) if latest is not None else {}
    values = core.started(page.form, snapshot, stage=page.stage, carried=carried)
    revision = latest.revision if latest is not None else 0
    kwargs: dict[str, Any] = {"form": page.form, "stage": page.stage, "agencies": _agencies(page)}
    conflict = False
    if request.method != "POST":
        form = forms.FormFieldsForm(initial={"form_revision": revision}, values=values, **kwargs)
    else:
        form = forms.FormFieldsForm(request.POST, values=values, **kwargs)
        if form.is_valid():
            try:
                services.form_save_draft(
                    actor=actor_for(request.user),
                    escalation=page.escalation,
                    form_id=page.form.id,
                    values=form.values(),
                    revision=form.cleaned_data["form_revision"],
                    now=timekeeping.now(),
                )
            except services.FormChangedError as exc:
                conflict = True
                moved_on = request.POST.copy()
                moved_on["form_revision"] = str(revision)
                form = forms.FormFieldsForm(moved_on, values=values, **kwargs)
                form.is_valid()
                form.add_error(None, exc.message)
            except services.FormIncompleteError as exc:
                for field_id, message in exc.errors.items():
                    form.add_error(field_id if field_id in form.fields else None, message)
            except services.FormError as exc:
                form.add_error(exc.field if exc.field in form.fields else None, exc.message)
            else:
                messages.success(request, SAVED)
                if request.POST.get("then") == "sign":
                    return redirect(_form_url(page, "documents:sign"))
                return redirect(_form_url(page))
    earlier = [
        s for s in selectors.sections(page.form, latest, page.stage) if s.stage != page.stage
    ]
    return render(
        request,
        "documents/edit.html",
        {
            "e": page.escalation,
            "procedure": page.procedure,
            "form": form,
            "definition": page.form,
            "version": latest,
            "stage": page.stage,
            "earlier": [
                s
                for s in earlier
                if any(not r.is_signature and r.field_id not in form.fields for r in s.rows)
            ],
            "conflict": conflict,
            "form_url": _form_url(page),
        },
    )


@login_required
@GET_POST
def sign(request: HttpRequest, reference: str, form_id: str) -> HttpResponse:
    page = _page(request, reference, form_id)
    slots = page.slots()
    latest = page.latest
    if latest is None or not slots:
        raise Http404
    incomplete = core.check(page.form, latest.values, stage=latest.stage)
    form = forms.SignForm(
        request.POST if request.method == "POST" else None,
        initial={"number": latest.number},
        slots=slots,
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.form_sign(
                actor=actor_for(request.user),
                escalation=page.escalation,
                form_id=page.form.id,
                number=form.cleaned_data["number"],
                field_id=form.cleaned_data.get("field_id") or None,
                now=timekeeping.now(),
            )
        except services.FormIncompleteError as exc:
            incomplete = exc.errors
            form.add_error(None, exc.message)
        except services.FormError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        else:
            messages.success(request, SIGNED)
            return redirect(_form_url(page))
    edit_url = _form_url(page, "documents:edit") if page.may_edit() else ""
    problems = [
        {"text": message, "href": f"{edit_url}#id_{field_id}" if edit_url else ""}
        for field_id, message in incomplete.items()
    ]
    person = page.person
    return render(
        request,
        "documents/sign.html",
        {
            **_body(page, latest),
            "form": form,
            "sign_form": form,
            "problems": problems,
            "slot": slots[0] if len(slots) == 1 else None,
            "signer": person,
            "form_url": _form_url(page),
        },
    )


@login_required
@GET_POST
def submit(request: HttpRequest, reference: str, form_id: str) -> HttpResponse:
    page = _page(request, reference, form_id)
    latest = page.latest
    if latest is None or not page.may_submit():
        raise Http404
    form = forms.SubmitForm(
        request.POST if request.method == "POST" else None, initial={"number": latest.number}
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.form_submit(
                actor=actor_for(request.user),
                escalation=page.escalation,
                form_id=page.form.id,
                number=form.cleaned_data["number"],
                now=timekeeping.now(),
            )
        except services.FormError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, SENT)
            return redirect(_form_url(page))
    return render(
        request,
        "documents/submit.html",
        {**_body(page, latest), "form": form, "form_url": _form_url(page)},
    )


@login_required
@GET_POST
def new_version(request: HttpRequest, reference: str, form_id: str) -> HttpResponse:
    page = _page(request, reference, form_id)
    latest = page.latest
    if latest is None or not page.may_start_new_version():
        raise Http404
    correction = latest.stage == page.stage
    form = forms.NewVersionForm(
        request.POST if request.method == "POST" else None,
        initial={"number": latest.number},
        correction=correction,
    )
    if request.method == "POST" and form.is_valid():
        if form.cleaned_data["number"] != latest.number:
            form.add_error(None, services.NOT_LATEST)
        else:
            try:
                services.form_new_version(
                    actor=actor_for(request.user),
                    escalation=page.escalation,
                    form_id=page.form.id,
                    reason=form.cleaned_data["reason"],
                    now=timekeeping.now(),
                )
            except services.FormError as exc:
                form.add_error(exc.field if exc.field in form.fields else None, exc.message)
            else:
                messages.success(request, NEW_VERSION)
                return redirect(_form_url(page, "documents:edit"))
    return render(
        request,
        "documents/new_version.html",
        {
            "e": page.escalation,
            "definition": page.form,
            "form": form,
            "latest": latest,
            "stage": page.stage,
            "correction": correction,
            "form_url": _form_url(page),
        },
    )
