"""Adding a party's written representation: checked, scanned, stored, audited, or refused.

:func:`representation_upload` takes the actor (a person of an agency party to the escalation;
the system has no agency and adds none) and the moment it acts (``now``). In order, each
refusal raising :class:`UploadRefusedError` with its message (a constant below) at the form's
``file`` field, audited with its reason and nothing stored:

1. who: only a party agency's person who may record on the escalation now;
2. size: not empty, at most ``ESCALATE_UPLOAD_MAX_MB`` (20);
3. viruses: the configured scanner (``scanning``) must find none, and must answer: a scanner
   that cannot answer refuses the upload; with no scanner configured the file is stored marked
   "not scanned";
4. type: from the content (``filetypes``), never the name: PDF, Word (.docx, .doc), PNG, JPEG.

Then, in one transaction, the row, the file in the private store (``storage``, a random name)
and the audit entry; a failure at any point removes the file again. Audit entries carry the
escalation's reference, the row's id, the kind, the size and the scan result: never the name
the file was uploaded with, which may name the person the escalation is about.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from typing import IO

from django.conf import settings
from django.db import transaction

from escalate.attachments import filetypes, scanning, storage
from escalate.attachments.models import Representation, ScanStatus
from escalate.audit.models import AuditAction, AuditResult, ObjectType
from escalate.audit.services import audit_record
from escalate.cases import access, rules
from escalate.cases.access import Action
from escalate.cases.actors import Actor
from escalate.cases.models import Escalation, Party
from escalate.cases.services import ServiceError
from escalate.directory.models import Person

SERVICE = "representation_upload"
FIELD = "file"

NOT_A_PARTY = "Only an agency party to this escalation can add a written representation."
EMPTY = "The selected file is empty"
TOO_LARGE = "The selected file must be smaller than {limit} MB"
INFECTED = "The selected file contains a virus: it has not been saved"
SCAN_FAILED = (
    "The selected file could not be checked for viruses, so it has not been saved. Try again later"
)
WRONG_TYPE = "The selected file must be a PDF, a Word document (.docx or .doc), a PNG or a JPEG"

#: The longest original name kept (the model's limit); a longer one keeps its end.
NAME_LIMIT = 255


class UploadRefusedError(ServiceError):
    """An upload refused; ``reason`` is the code its audit entry carries."""

    def __init__(self, message: str, reason: str, signature: str = "") -> None:
        super().__init__(message, FIELD)
        self.reason = reason
        #: For an infected file: what the scanner found (its name for it, not the content).
        self.signature = signature


def max_upload_bytes() -> int:
    return int(settings.ESCALATE_UPLOAD_MAX_MB) * 1024 * 1024


def may_add(person: Person | None, escalation: Escalation, parties: list[Party]) -> bool:
    """Whether this person may add a representation now: a person of a party agency who may
    record on the escalation (the same rule as giving the agency's view)."""
    if person is None or access.is_party(person, parties) is None:
        return False
    procedure = rules.procedure_of(escalation)
    return Action.RECORD in access.allowed_actions(person, escalation, parties, procedure)


def _description(name: str) -> str:
    """The uploaded name as a description: no path, no control characters, not too long."""
    name = name.replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(ch for ch in name if ch.isprintable()).strip() or "(no name)"
    return name[-NAME_LIMIT:]


def _read(content: IO[bytes], limit: int) -> bytes:
    """At most ``limit + 1`` bytes: enough to know the file is too large, whatever its
    declared size."""
    content.seek(0)
    return content.read(limit + 1)


def representation_upload(
    *,
    actor: Actor,
    escalation: Escalation,
    content: IO[bytes],
    original_name: str,
    now: dt.datetime,
) -> Representation:
    """Store one party's written representation, or refuse it (audited either way)."""
    try:
        return _upload(
            actor=actor,
            escalation=escalation,
            content=content,
            original_name=original_name,
            now=now,
        )
    except UploadRefusedError as exc:
        _audit_refusal(actor, escalation, exc)
        raise


def _upload(
    *,
    actor: Actor,
    escalation: Escalation,
    content: IO[bytes],
    original_name: str,
    now: dt.datetime,
) -> Representation:
    person = actor.person
    parties = list(escalation.parties.all())
    if person is None or not may_add(person, escalation, parties):
        raise UploadRefusedError(NOT_A_PARTY, "not-a-party")
    limit = max_upload_bytes()
    data = _read(content, limit)
    if not data:
        raise UploadRefusedError(EMPTY, "empty")
    if len(data) > limit:
        raise UploadRefusedError(
            TOO_LARGE.format(limit=settings.ESCALATE_UPLOAD_MAX_MB), "too-large"
        )
    status, scanner_name = _scan(data)
    kind = filetypes.detect(data)
    if kind is None:
        raise UploadRefusedError(WRONG_TYPE, "wrong-type")
    stored_name = storage.new_name()
    try:
        with transaction.atomic():
            stored_name = storage.save(stored_name, data)
            representation = Representation.objects.create(
                escalation=escalation,
                agency=person.agency,
                uploaded_by=person,
                uploaded_by_name=person.name,
                uploaded_at=now,
                stage=escalation.current_stage,
                original_name=_description(original_name),
                size=len(data),
                kind=kind,
                sha256=hashlib.sha256(data).hexdigest(),
                scan_status=status,
                scanner=scanner_name,
                stored_name=stored_name,
            )
            audit_record(
                actor=actor.user,
                action=AuditAction.ESCALATION_CHANGED,
                object_type=ObjectType.ESCALATION,
                object_ref=escalation.reference,
                partnership_id=escalation.partnership_id,
                detail={
                    "service": SERVICE,
                    "representation": representation.pk,
                    "kind": kind.value,
                    "size": len(data),
                    "scan": status.value,
                    "stage": escalation.current_stage,
                    **actor.audit_detail(),
                },
            )
    except BaseException:
        storage.delete(stored_name)
        raise
    return representation


def _scan(data: bytes) -> tuple[ScanStatus, str]:
    """The scan status to store and the scanner's name; refuses an infected file, and one the
    configured scanner could not check."""
    scanner = scanning.configured_scanner()
    if scanner is None:
        return ScanStatus.NOT_SCANNED, ""
    try:
        report = scanner.scan(data)
    except scanning.ScannerUnavailableError:
        raise UploadRefusedError(SCAN_FAILED, "scan-failed") from None
    if report.verdict is scanning.Verdict.INFECTED:
        raise UploadRefusedError(INFECTED, "infected", signature=report.signature[:100])
    return ScanStatus.CLEAN, scanner.name


def _audit_refusal(actor: Actor, escalation: Escalation, exc: UploadRefusedError) -> None:
    audit_record(
        actor=actor.user,
        action=AuditAction.ESCALATION_CHANGED,
        object_type=ObjectType.ESCALATION,
        object_ref=escalation.reference,
        partnership_id=escalation.partnership_id,
        result=AuditResult.REFUSED,
        detail={
            "service": SERVICE,
            "reason": exc.reason,
            "field": FIELD,
            **({"signature": exc.signature} if exc.signature else {}),
            **actor.audit_detail(),
        },
    )
