"""Every read of the forms goes through here. The escalation itself is always loaded first
through ``escalate.cases.selectors.escalation_get_for`` (the access rules), so these read only
an escalation the viewer may see."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import Prefetch

from escalate.cases.models import EntryKind, Escalation, Status
from escalate.documents.models import FormRecord, FormVersion, Signature, VersionStatus
from escalate.procedures import clock
from escalate.procedures import forms as core
from escalate.procedures.schema import FieldType, Form, Procedure


def form_of(procedure: Procedure, form_id: str) -> Form | None:
    """The procedure's form of that id, or None."""
    return next((f for f in procedure.forms if f.id == form_id), None)


def record_for(escalation: Escalation, form_id: str) -> FormRecord | None:
    """The escalation's record of one form, with every version and signature (two queries
    beside the record's own, however many versions)."""
    return (
        FormRecord.objects.filter(escalation=escalation, form_id=form_id)
        .prefetch_related(
            Prefetch(
                "versions",
                queryset=FormVersion.objects.order_by("number").prefetch_related(
                    Prefetch("signatures", queryset=Signature.objects.order_by("signed_at", "pk"))
                ),
            )
        )
        .first()
    )


def versions_of(record: FormRecord | None) -> list[FormVersion]:
    """A record's versions, oldest first (from :func:`record_for`'s prefetch)."""
    return list(record.versions.all()) if record is not None else []


def _snapshot_stage_dates(escalation: Escalation) -> tuple[core.StageDates, ...]:
    return tuple(
        core.StageDates(s.number, s.entered_on, s.left_on)
        for s in sorted(escalation.stages.all(), key=lambda s: s.number)
    )


def record_snapshot(
    escalation: Escalation, procedure: Procedure, today: dt.date
) -> core.RecordSnapshot:
    """The escalation's record as its forms read it (from what ``escalation_get_for``
    prefetched: no further query)."""
    esc = escalation
    entries = list(esc.entries.all())
    views: dict[str, core.AgencyView] = {}
    contacts: list[core.ContactNote] = []
    for entry in entries:
        if entry.kind == EntryKind.VIEW:
            views[entry.author_agency] = core.AgencyView(entry.author_agency, entry.text)
        elif entry.kind == EntryKind.CONTACT:
            with_whom = f"with {entry.contact_with}" if entry.contact_with else ""
            between = "; ".join(part for part in (entry.contact_by, with_whom) if part)
            contacts.append(
                core.ContactNote(
                    stage=entry.stage,
                    on=entry.occurred_on,
                    method=entry.get_contact_method_display() if entry.contact_method else "",
                    between=between,
                    summary=entry.summary,
                    agreed=entry.agreed,
                    decision_makers=entry.decision_makers,
                )
            )
    parties = list(esc.parties.all())
    others = tuple(p.agency.name for p in parties if p.role == "other")
    raiser = esc.raising_person
    receiver = esc.receiving_person
    end = esc.closed_on or max(today, esc.outset_on)
    taken = clock.time_taken(esc.partnership.calendar(), esc.outset_on, end)
    closed_at = esc.current_stage if esc.status in (Status.RESOLVED, Status.DECIDED) else None
    source = esc.get_source_display()
    return core.RecordSnapshot(
        reference=esc.reference,
        subject_kind=esc.subject_kind,
        subject_name=esc.subject_name,
        subject_reference_kind=esc.get_subject_reference_kind_display(),
        subject_reference=esc.subject_reference,
        raising_agency=esc.raising_agency.name,
        receiving_agency=esc.receiving_agency.name,
        other_agencies=others,
        raiser=f"{raiser.name}, {raiser.job_title}" if raiser is not None else "",
        receiver=(
            f"{receiver.name}, {receiver.job_title}"
            if receiver is not None
            else esc.receiving_practitioner
        ),
        category=next((c.name for c in procedure.categories if c.id == esc.category), esc.category),
        conflict_source=f"{source}: {esc.source_detail}" if esc.source_detail else source,
        summary=esc.issue,
        risk=esc.risk,
        aim=esc.aim,
        views=tuple(views.values()),
        current_stage=esc.current_stage,
        closed_at_stage=closed_at,
        outset_on=esc.outset_on,
        raised_on=esc.raised_on,
        closed_on=esc.closed_on,
        working_days_taken=taken.working_days,
        outcome=esc.outcome,
        stages=_snapshot_stage_dates(esc),
        contacts=tuple(contacts),
    )


@dataclass(frozen=True)
class FormSummary:
    """One of the procedure's forms as the escalation page lists it."""

    form: Form
    latest: FormVersion | None
    #: Completed at the escalation's current stage (so it can be started or changed now).
    at_current_stage: bool

    @property
    def status(self) -> str:
        v = self.latest
        if v is None:
            return "Not started"
        return f"{VersionStatus(v.status).label}, version {v.number}"

    @property
    def colour(self) -> str:
        """The GOV.UK tag colour of the status."""
        if self.latest is None:
            return "grey"
        return {"draft": "yellow", "signed": "blue", "submitted": "green"}[self.latest.status]


def forms_for(escalation: Escalation, procedure: Procedure) -> list[FormSummary]:
    """The procedure's forms used at the escalation's current stage or at a stage it has
    reached, each with its latest version (one query, however many forms and versions)."""
    reached = escalation.current_stage
    wanted = [f for f in procedure.forms if min(f.used_at) <= reached]
    if not wanted:
        return []
    latest: dict[str, FormVersion] = {}
    versions = FormVersion.objects.filter(record__escalation=escalation).select_related("record")
    for version in versions.order_by("record_id", "number"):
        latest[version.record.form_id] = version
    return [
        FormSummary(form=f, latest=latest.get(f.id), at_current_stage=reached in f.used_at)
        for f in wanted
    ]


@dataclass(frozen=True)
class Row:
    """One field of a version as the screen and the PDF show it."""

    field_id: str
    label: str
    value: str
    is_signature: bool
    signature: Signature | None
    required: bool


@dataclass(frozen=True)
class Section:
    """The fields of a version completed at one stage (``stage`` None: at every stage)."""

    stage: int | None
    rows: list[Row]


def sections(form: Form, version: FormVersion | None, stage: int) -> list[Section]:
    """What a version shows, in the definition's order: the fields completed at every stage
    first, then those of each stage up to the version's own (or ``stage`` with no version)."""
    at = version.stage if version is not None else stage
    values: dict[str, str] = dict(version.values) if version is not None else {}
    signed = {s.field_id: s for s in version.signatures.all()} if version is not None else {}
    out: dict[int | None, list[Row]] = {}
    for fld in core.fields_shown(form, at):
        own = form.stages_of(fld)
        key = None if tuple(own) == tuple(form.used_at) else own[0]
        is_signature = fld.type is FieldType.SIGNATURE
        out.setdefault(key, []).append(
            Row(
                field_id=fld.id,
                label=fld.label,
                value="" if is_signature else core.display(fld, values.get(fld.id, "")),
                is_signature=is_signature,
                signature=signed.get(fld.id),
                required=fld.required,
            )
        )
    ordered = sorted(out.items(), key=lambda item: -1 if item[0] is None else item[0])
    return [Section(stage=key, rows=rows) for key, rows in ordered]
