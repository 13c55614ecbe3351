"""Every change to a form goes through one of these services.

Each takes keyword-only, typed arguments, among them the ``actor`` and ``now`` (time is an
input), checks who may act (``signers``: only the people the procedure names complete and sign
a form), writes in one transaction with its audit entry (and, for sending, the outbox rows),
and returns. A refusal raises :class:`FormError` (with the ``field`` it concerns, if any) and is
audited too, outside the rolled-back transaction.

- :func:`form_save_draft`: start the form, or change its draft. What is typed is checked as a
  draft (unanswered questions are fine; a wrong answer is not).
- :func:`form_sign`: sign one of the signature fields of the latest version. The form must be
  complete; from the first signature its values never change.
- :func:`form_submit`: send a signed version to the recipients its definition names.
- :func:`form_new_version`: start a new version from a signed one: a correction at the same
  stage (with the reason) or the form's continuation at a later stage. The old one is kept.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from contextlib import AbstractContextManager
from dataclasses import dataclass

from django.db import IntegrityError, transaction

from escalate.audit.models import AuditAction, ObjectType
from escalate.audit.services import audit_record
from escalate.cases.actors import Actor
from escalate.cases.models import Escalation
from escalate.cases.rules import procedure_of
from escalate.cases.services import ServiceError, audited_refusal
from escalate.documents import signers
from escalate.documents.models import FormRecord, FormVersion, Signature, VersionStatus
from escalate.procedures import forms as core
from escalate.procedures.schema import Form

UNKNOWN_FORM = "The procedure of this escalation has no such form."
NOT_AT_THIS_STAGE = "This form is completed at stage {used}; the escalation is at stage {stage}."
SIGNED_ALREADY = (
    "This version has been signed, so it cannot be changed. Start a new version to correct it: "
    "the signed one is kept."
)
CHANGED_SINCE = (
    "Someone else saved this form after you opened it. Nothing you entered has been saved yet: "
    "your answers are below as you typed them. Check them against the saved version, then "
    "save again."
)
INCOMPLETE = "Complete the form before signing it"
CHOOSE_SIGNATURE = "Select which signature you are giving"
ALL_SIGNED = "Every signature of this version has been given."
NOT_LATEST = "This is no longer the latest version of the form: open the form again."
NOT_SIGNED_YET = "Sign the form before sending it"
STILL_TO_SIGN = "The form cannot be sent until it has every signature: {missing}."
ALREADY_SENT = "This version has already been sent."
SENT_TO_NO_ONE = "The procedure sends this form to no one: once signed, it is kept on the record."
STILL_A_DRAFT = "The latest version is still a draft: change it rather than start a new one."
NOTHING_YET = "Nobody has started this form yet."
REASON_REQUIRED = "Enter why the form needs correcting"
REASON_TOO_LONG = "Why the form needs correcting must be 5,000 characters or fewer"
REASON_LIMIT = 5000


class FormError(ServiceError):
    """A change to a form refused."""


class FormIncompleteError(FormError):
    """What was typed will not do: ``errors`` by field id."""

    def __init__(self, message: str, errors: Mapping[str, str]) -> None:
        super().__init__(message)
        self.errors = dict(errors)


class FormChangedError(FormError):
    """Someone else saved the draft since the page was opened."""

    def __init__(self) -> None:
        super().__init__(CHANGED_SINCE)


@dataclass
class _Loaded:
    escalation: Escalation
    form: Form
    case: signers.Case
    record: FormRecord | None
    latest: FormVersion | None


def _load(escalation: Escalation, form_id: str, *, create: bool, now: dt.datetime) -> _Loaded:
    """The escalation locked (PostgreSQL: one change to its forms at a time), its form, and
    the form's record and latest version."""
    esc = (
        Escalation.objects.select_for_update(of=("self",))
        .select_related("partnership")
        .get(pk=escalation.pk)
    )
    procedure = procedure_of(esc)
    form = next((f for f in procedure.forms if f.id == form_id), None)
    if form is None:
        raise FormError(UNKNOWN_FORM)
    record = FormRecord.objects.filter(escalation=esc, form_id=form_id).first()
    if record is None and create:
        record = FormRecord.objects.create(escalation=esc, form_id=form_id, created_at=now)
    latest = record.versions.order_by("-number").first() if record is not None else None
    return _Loaded(esc, form, signers.Case.of(esc, procedure), record, latest)


def _stage_open(form: Form, stage: int) -> None:
    if stage not in form.used_at:
        used = " or ".join(", ".join(str(n) for n in form.used_at).rsplit(", ", 1))
        raise FormError(NOT_AT_THIS_STAGE.format(used=used, stage=stage))


def _may_complete(loaded: _Loaded, actor: Actor, stage: int) -> None:
    if not signers.may_complete(loaded.form, actor.person, loaded.case, stage):
        raise FormError(core.who_may_sign(loaded.form, stage))


def _audited(
    actor: Actor, escalation: Escalation, service: str, form_id: str
) -> AbstractContextManager[None]:
    """A refused change is recorded too, outside its rolled-back transaction."""
    return audited_refusal(actor, escalation, service, concurrent=(FormChangedError,), form=form_id)


def _audit(
    actor: Actor, esc: Escalation, service: str, version: FormVersion, **extra: str | int
) -> None:
    audit_record(
        actor=actor.user,
        action=AuditAction.ESCALATION_CHANGED,
        object_type=ObjectType.ESCALATION,
        object_ref=esc.reference,
        partnership_id=esc.partnership_id,
        detail={
            "service": service,
            "form": version.record.form_id,
            "version": version.number,
            "stage": version.stage,
            "status": version.status,
            **extra,
            **actor.audit_detail(),
        },
    )


# ---------------------------------------------------------------------------------------
# Drafts


def form_save_draft(
    *,
    actor: Actor,
    escalation: Escalation,
    form_id: str,
    values: Mapping[str, str],
    revision: int,
    now: dt.datetime,
) -> FormVersion:
    """Start the form (``revision`` 0) or change its draft (``revision``: the draft's revision
    when the page was opened). Only the fields completed at the escalation's current stage are
    taken; the others keep what the version holds."""
    with _audited(actor, escalation, "form_save_draft", form_id):
        try:
            with transaction.atomic():
                return _save_draft(actor, escalation, form_id, values, revision, now)
        except IntegrityError as exc:  # another first save got there at the same moment
            raise FormChangedError from exc


def _save_draft(
    actor: Actor,
    escalation: Escalation,
    form_id: str,
    values: Mapping[str, str],
    revision: int,
    now: dt.datetime,
) -> FormVersion:
    loaded = _load(escalation, form_id, create=True, now=now)
    esc, form, latest = loaded.escalation, loaded.form, loaded.latest
    stage = esc.current_stage
    _stage_open(form, stage)
    _may_complete(loaded, actor, stage)
    if latest is not None and not latest.is_draft:
        raise FormError(SIGNED_ALREADY)
    if (latest.revision if latest is not None else 0) != revision:
        raise FormChangedError
    errors = core.check(form, values, stage=stage, draft=True)
    if errors:
        raise FormIncompleteError(next(iter(errors.values())), errors)
    typed = core.clean(form, values, stage=stage)
    asked = {f.id for f in core.answerable(form, stage)}
    record = loaded.record
    if record is None:  # pragma: no cover - _load(create=True) always gives one
        raise FormChangedError
    if latest is None:
        version = FormVersion.objects.create(
            record=record,
            number=1,
            stage=stage,
            values=typed,
            created_by=actor.user,
            created_by_name=actor.name,
            created_at=now,
            updated_at=now,
        )
    else:
        kept = {k: v for k, v in latest.values.items() if k not in asked}
        updated = FormVersion.objects.filter(
            pk=latest.pk, revision=revision, status=VersionStatus.DRAFT
        ).update(values={**kept, **typed}, stage=stage, revision=revision + 1, updated_at=now)
        if updated != 1:
            raise FormChangedError
        version = FormVersion.objects.select_related("record").get(pk=latest.pk)
    _audit(actor, esc, "form_save_draft", version, revision=version.revision)
    return version


def form_new_version(
    *, actor: Actor, escalation: Escalation, form_id: str, reason: str, now: dt.datetime
) -> FormVersion:
    """A new draft from the latest, signed version, which is kept: a correction at the same
    stage (``reason`` required) or the form's continuation at the escalation's later stage."""
    with _audited(actor, escalation, "form_new_version", form_id):
        try:
            with transaction.atomic():
                return _new_version(actor, escalation, form_id, reason.strip(), now)
        except IntegrityError as exc:  # someone else started one at the same moment
            raise FormChangedError from exc


def _new_version(
    actor: Actor, escalation: Escalation, form_id: str, reason: str, now: dt.datetime
) -> FormVersion:
    loaded = _load(escalation, form_id, create=False, now=now)
    esc, form, latest = loaded.escalation, loaded.form, loaded.latest
    if latest is None:
        raise FormError(NOTHING_YET)
    if latest.is_draft:
        raise FormError(STILL_A_DRAFT)
    stage = esc.current_stage
    _stage_open(form, stage)
    _may_complete(loaded, actor, stage)
    correction = stage == latest.stage
    if correction and not reason:
        raise FormError(REASON_REQUIRED, "reason")
    if len(reason) > REASON_LIMIT:
        raise FormError(REASON_TOO_LONG, "reason")
    version = FormVersion.objects.create(
        record=latest.record,
        number=latest.number + 1,
        stage=stage,
        values=dict(latest.values),
        reason=reason,
        created_by=actor.user,
        created_by_name=actor.name,
        created_at=now,
        updated_at=now,
    )
    _audit(actor, esc, "form_new_version", version, replaces=latest.number)
    return version


# ---------------------------------------------------------------------------------------
# Signing and sending


def _latest_numbered(loaded: _Loaded, number: int) -> FormVersion:
    latest = loaded.latest
    if latest is None:
        raise FormError(NOTHING_YET)
    if latest.number != number:
        raise FormError(NOT_LATEST)
    return latest


def form_sign(
    *,
    actor: Actor,
    escalation: Escalation,
    form_id: str,
    number: int,
    field_id: str | None,
    now: dt.datetime,
) -> Signature:
    """Sign one signature field of version ``number`` (the latest) as the person acting: their
    name, role and agency as they are now, their account and the moment. ``field_id`` None
    signs the one field they may sign (an error if there are several)."""
    with _audited(actor, escalation, "form_sign", form_id):
        try:
            with transaction.atomic():
                return _sign(actor, escalation, form_id, number, field_id, now)
        except IntegrityError as exc:  # the same signature given at the same moment
            raise FormChangedError from exc


def _sign(
    actor: Actor,
    escalation: Escalation,
    form_id: str,
    number: int,
    field_id: str | None,
    now: dt.datetime,
) -> Signature:
    loaded = _load(escalation, form_id, create=False, now=now)
    esc, form = loaded.escalation, loaded.form
    version = _latest_numbered(loaded, number)
    if version.status == VersionStatus.SUBMITTED:
        raise FormError(ALREADY_SENT)
    errors = core.check(form, version.values, stage=version.stage)
    if errors:
        raise FormIncompleteError(INCOMPLETE, errors)
    signed = set(version.signatures.values_list("field_id", flat=True))
    person = actor.person
    slots = signers.slots_for(form, person, loaded.case, version.stage, signed=signed)
    if not slots:
        every = {s.id for s in core.signature_slots(form, version.stage)}
        raise FormError(ALL_SIGNED if every <= signed else core.who_may_sign(form, version.stage))
    if field_id is None and len(slots) > 1:
        raise FormError(CHOOSE_SIGNATURE, "field_id")
    slot = next((s for s in slots if field_id in (None, s.id)), None)
    if slot is None or person is None:
        raise FormError(CHOOSE_SIGNATURE, "field_id")
    signature = Signature.objects.create(
        version=version,
        field_id=slot.id,
        user=actor.user,
        name=person.name,
        role=person.job_title,
        agency=person.agency.name,
        signed_as=signers.signed_as(form, slot, person, loaded.case, version.stage) or "",
        signed_at=now,
    )
    if version.status == VersionStatus.DRAFT:
        version.status = VersionStatus.SIGNED
        version.signed_at = now
        version.updated_at = now
        version.save(update_fields=["status", "signed_at", "updated_at"])
    _audit(actor, esc, "form_sign", version, field=slot.id, signed_as=signature.signed_as)
    return signature


def missing_signatures(form: Form, version: FormVersion) -> list[str]:
    """The labels of the required signature fields of the version's stage not yet signed."""
    signed = {s.field_id for s in version.signatures.all()}
    return [
        s.label
        for s in core.signature_slots(form, version.stage)
        if s.required and s.id not in signed
    ]


def form_submit(
    *, actor: Actor, escalation: Escalation, form_id: str, number: int, now: dt.datetime
) -> FormVersion:
    """Send version ``number`` (the latest, signed by everyone it needs) to the recipients the
    definition names, through the outbox, in the same transaction."""
    with _audited(actor, escalation, "form_submit", form_id), transaction.atomic():
        return _submit(actor, escalation, form_id, number, now)


def _submit(
    actor: Actor, escalation: Escalation, form_id: str, number: int, now: dt.datetime
) -> FormVersion:
    from escalate.notifications import outbox  # notifications reads cases, not the reverse

    loaded = _load(escalation, form_id, create=False, now=now)
    esc, form = loaded.escalation, loaded.form
    version = _latest_numbered(loaded, number)
    if not form.send_to:
        raise FormError(SENT_TO_NO_ONE)
    if version.status == VersionStatus.SUBMITTED:
        raise FormError(ALREADY_SENT)
    if version.status == VersionStatus.DRAFT:
        raise FormError(NOT_SIGNED_YET)
    person = actor.person
    slots = core.signature_slots(form, version.stage)
    signed_by_them = version.signatures.filter(user=actor.user).exists() if actor.user else False
    may = person is not None and any(
        signers.signed_as(form, s, person, loaded.case, version.stage) for s in slots
    )
    if not (may or signed_by_them):
        raise FormError(core.who_may_sign(form, version.stage))
    missing = missing_signatures(form, version)
    if missing:
        raise FormError(STILL_TO_SIGN.format(missing="; ".join(missing)))
    version.status = VersionStatus.SUBMITTED
    version.submitted_at = now
    version.submitted_by = actor.user
    version.submitted_by_name = actor.name
    version.updated_at = now
    version.save(
        update_fields=["status", "submitted_at", "submitted_by", "submitted_by_name", "updated_at"]
    )
    written = outbox.write_for_form(
        escalation=esc,
        form_id=form.id,
        version=version.number,
        stage=version.stage,
        send_to=form.send_to,
        actor=actor,
        now=now,
    )
    if written:
        transaction.on_commit(outbox.wake_delivery)
    _audit(actor, esc, "form_submit", version, messages=written)
    return version
