"""One model: :class:`AuditEntry`, a line of the append-only, hash-chained audit trail.

An entry holds references (ids, escalation references, enum values), never personal data
about the people an escalation concerns. It has no foreign keys, so deleting a user, an
agency or an escalation never touches the trail that describes them.

Append-only is enforced twice: here (``save()`` inserts only; ``delete()`` and the queryset's
``update()``/``delete()``/``bulk_*`` refuse) and in the database (triggers installed by
migration 0002 on SQLite and PostgreSQL refuse UPDATE, DELETE and, on PostgreSQL, TRUNCATE).
Entries are only ever added by :func:`escalate.audit.services.audit_record` (or, for generated
data, :func:`escalate.audit.services.append_many`), which chains each to the one before it in
its chain by ``prev_hash``.

The chains (ADR 0006): one per partnership (``chain`` is the partnership's id), one for the
installation (``chain`` 0: entries about no partnership by no one in a partnership), and the
*legacy* chain (``chain`` empty): every entry written before there were chains, one chain for
the whole installation, hashed and verified as it always was. Every new chain's first entry
links to the legacy chain's last.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import ipaddress
import json
from typing import Any, NoReturn

from django.db import models
from django.db.models import Q

#: ``prev_hash`` of the first entry of a chain when there is no legacy chain before it.
GENESIS_HASH = "0" * 64

#: ``chain`` of the installation's chain: entries with no partnership, by no one in one.
INSTALLATION_CHAIN = 0

APPEND_ONLY = "Audit entries are append-only: they are never changed or deleted."
CREATE_THROUGH_SERVICE = "Add audit entries with audit_record() (append_many() for generated data)."


class AppendOnlyError(Exception):
    """An attempt to change, delete or bulk-write audit entries through the application."""


class AuditAction(models.TextChoices):
    SIGN_IN = "sign-in", "Signed in"
    SIGN_IN_FAILED = "sign-in-failed", "Sign-in failed"
    SIGN_OUT = "sign-out", "Signed out"
    MFA_VERIFIED = "mfa-verified", "Second factor verified"
    MFA_FAILED = "mfa-failed", "Second factor failed"
    PASSWORD_RESET_REQUESTED = "password-reset-requested", "Password reset requested"
    PASSWORD_CHANGED = "password-changed", "Password changed"
    MFA_SET_UP = "mfa-set-up", "Set up an authenticator app"
    MFA_SET_UP_ALLOWED = "mfa-set-up-allowed", "Allowed a new authenticator app"
    RECOVERY_CODES_ISSUED = "recovery-codes-issued", "Issued new recovery codes"
    SIGNED_OUT_EVERYWHERE = "signed-out-everywhere", "Signed out everywhere"
    SSO_LINKED = "sso-linked", "Linked an organisation account"
    SSO_UNLINKED = "sso-unlinked", "Unlinked an organisation account"
    ESCALATION_VIEWED = "escalation-viewed", "Viewed the escalation"
    ESCALATION_RAISED = "escalation-raised", "Raised the escalation"
    ESCALATION_CHANGED = "escalation-changed", "Changed the escalation"
    LIST_SEARCHED = "list-searched", "Searched or listed escalations"
    EXPORT = "export", "Exported"
    ADMIN_CHANGE = "admin-change", "Administrative change"
    DIRECTORY_IMPORTED = "directory-imported", "Imported the directory"
    ACCESS_DENIED = "access-denied", "Access refused"
    RETENTION_APPLIED = "retention-applied", "Retention applied"
    AUDIT_VIEWED = "audit-viewed", "Viewed the audit trail"
    AUDIT_VERIFIED = "audit-verified", "Verified the audit chain"
    NOTIFICATION_SENT = "notification-sent", "Sent a notification"
    NOTIFICATION_FAILED = "notification-failed", "A notification could not be sent"
    NOTIFICATION_RETRIED = "notification-retried", "Asked for a notification to be sent again"
    NOTIFICATION_PREFERENCE_CHANGED = "notification-preference-changed", "Changed how they hear"
    CALENDAR_FEED_RESET = "calendar-feed-reset", "Reset their calendar feed address"
    BOARD_VIEWED = "board-viewed", "Viewed the board's figures"
    ANNUAL_REPORT_CHANGED = "annual-report-changed", "Changed the annual report's narrative"


class AuditResult(models.TextChoices):
    SUCCESS = "success", "Success"
    REFUSED = "refused", "Refused"
    FAILED = "failed", "Failed"


class ObjectType(models.TextChoices):
    """The usual values of ``object_type`` (the field accepts any short slug)."""

    ESCALATION = "escalation", "Escalation"
    USER = "user", "User"
    PERSON = "person", "Person"
    AGENCY = "agency", "Agency"
    PARTNERSHIP = "partnership", "Partnership"
    EXPORT = "export", "Export"
    AUDIT = "audit", "Audit trail"
    NOTIFICATION = "notification", "Notification"


#: The fields the hash of a *legacy* entry covers (one written before chains: ``chain`` is
#: empty), in the canonical JSON (keys sorted). Frozen: those entries must keep verifying.
LEGACY_HASHED_FIELDS = (
    "sequence",
    "at",
    "actor_id",
    "actor_username",
    "actor_agency_id",
    "actor_partnership_id",
    "action",
    "object_type",
    "object_ref",
    "partnership_id",
    "ip",
    "result",
    "detail",
    "prev_hash",
)

#: The fields the hash of every entry written in a chain covers: every concrete field but
#: ``hash`` itself. A test fails if a field is added without deciding whether it belongs here
#: (adding one changes how new entries hash: entries already written must keep hashing
#: without it, as legacy entries hash without ``chain`` and ``chain_sequence``).
HASHED_FIELDS = (*LEGACY_HASHED_FIELDS, "chain", "chain_sequence")


def canonical_at(value: dt.datetime) -> str:
    if value.tzinfo is None:
        raise ValueError("Audit times must be timezone-aware.")
    return value.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


@functools.lru_cache(maxsize=4096)
def canonical_ip(value: str | None) -> str | None:
    """The address's bytes in hex (8 digits for IPv4, 32 for IPv6): the same whatever textual
    form the database returns it in, and whatever Python's ``str()`` of an address becomes."""
    if value is None or value == "":
        return None
    return ipaddress.ip_address(value).packed.hex()


def canonical_json(payload: dict[str, Any]) -> bytes:
    return json.dumps(
        payload, sort_keys=True, separators=(",", ":"), ensure_ascii=True, allow_nan=False
    ).encode("ascii")


def hash_payload_of(values: dict[str, Any]) -> dict[str, Any]:
    """What is hashed of an entry whose field values are ``values`` (a dict by field name):
    the legacy fields for an entry with no chain, every hashed field for the others."""
    names = LEGACY_HASHED_FIELDS if values["chain"] is None else HASHED_FIELDS
    payload = {name: values[name] for name in names}
    payload["at"] = canonical_at(values["at"])
    payload["ip"] = canonical_ip(values["ip"])
    return payload


def hash_of(values: dict[str, Any]) -> str:
    """The hash an entry with these field values must carry."""
    return hashlib.sha256(canonical_json(hash_payload_of(values))).hexdigest()


def chain_of(partnership_id: int | None, actor_partnership_id: int | None) -> int:
    """The chain a new entry goes in: the record's partnership, else the acting person's
    partnership (their sign-ins, their account), else the installation's chain."""
    if partnership_id is not None:
        return partnership_id
    if actor_partnership_id is not None:
        return actor_partnership_id
    return INSTALLATION_CHAIN


def chain_name(chain: int | None) -> str:
    """``legacy``, ``installation`` or ``partnership-<id>``: how the verification names it."""
    if chain is None:
        return "legacy"
    if chain == INSTALLATION_CHAIN:
        return "installation"
    return f"partnership-{chain}"


def parse_chain_name(text: str) -> int | None:
    """The inverse of :func:`chain_name`; ``ValueError`` for anything else."""
    text = text.strip().lower()
    if text == "legacy":
        return None
    if text == "installation":
        return INSTALLATION_CHAIN
    prefix, _, number = text.partition("-")
    if prefix == "partnership" and number.isdigit() and int(number) > 0:
        return int(number)
    raise ValueError(f"{text!r} is not a chain: say legacy, installation or partnership-<id>.")


class AuditEntryQuerySet(models.QuerySet["AuditEntry"]):
    """Reads only: every bulk write or delete is refused."""

    def update(self, *args: Any, **kwargs: Any) -> NoReturn:
        raise AppendOnlyError(APPEND_ONLY)

    def _update(self, *args: Any, **kwargs: Any) -> NoReturn:
        raise AppendOnlyError(APPEND_ONLY)

    def delete(self, *args: Any, **kwargs: Any) -> NoReturn:
        raise AppendOnlyError(APPEND_ONLY)

    def _raw_delete(self, *args: Any, **kwargs: Any) -> NoReturn:
        raise AppendOnlyError(APPEND_ONLY)

    def bulk_update(self, *args: Any, **kwargs: Any) -> NoReturn:
        raise AppendOnlyError(APPEND_ONLY)

    def update_or_create(self, *args: Any, **kwargs: Any) -> NoReturn:
        raise AppendOnlyError(APPEND_ONLY)

    def bulk_create(self, *args: Any, **kwargs: Any) -> NoReturn:
        raise AppendOnlyError(CREATE_THROUGH_SERVICE)


AuditEntryManager = models.Manager.from_queryset(AuditEntryQuerySet)


class AuditEntry(models.Model):
    sequence = models.PositiveBigIntegerField(
        primary_key=True,
        help_text="Increases across the whole trail. Legacy entries: 1, 2, 3, ... with no gaps; "
        "since chains, gaps are allowed (chain_sequence is the gapless one).",
    )
    at = models.DateTimeField(help_text="When, in UTC.")

    # Who: a snapshot, not foreign keys, so the trail outlives the user and the directory.
    actor_id = models.BigIntegerField(null=True, blank=True, help_text="The user's id.")
    actor_username = models.CharField(max_length=150, blank=True)
    actor_agency_id = models.BigIntegerField(null=True, blank=True)
    actor_partnership_id = models.BigIntegerField(null=True, blank=True)

    # What, to which record.
    action = models.CharField(max_length=40, choices=AuditAction.choices)
    object_type = models.CharField(max_length=40, blank=True)
    object_ref = models.CharField(
        max_length=80, blank=True, help_text="A reference or id (ESC-XXXX-XXXX), never a name."
    )
    partnership_id = models.BigIntegerField(
        null=True, blank=True, help_text="The partnership of the record, for who may see it."
    )

    # From where, and how it went.
    ip = models.GenericIPAddressField(null=True, blank=True)
    result = models.CharField(
        max_length=10, choices=AuditResult.choices, default=AuditResult.SUCCESS
    )
    detail = models.JSONField(
        default=dict, blank=True, help_text="References, ids and enum values only."
    )

    # Which chain, and where in it (both empty for legacy entries).
    chain = models.BigIntegerField(
        null=True,
        blank=True,
        help_text="The partnership's id, 0 for the installation; empty for legacy entries.",
    )
    chain_sequence = models.PositiveBigIntegerField(
        null=True,
        blank=True,
        help_text="1, 2, 3, ... within the chain with no gaps: a gap means a deleted entry.",
    )

    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64, unique=True)

    objects = AuditEntryManager()

    class Meta:
        ordering = ["sequence"]
        verbose_name_plural = "audit entries"
        indexes = [
            models.Index(fields=["object_type", "object_ref"], name="audit_object"),
            models.Index(fields=["action", "partnership_id"], name="audit_action_partnership"),
            # The legacy chain in order, and its head (where every new chain starts).
            models.Index(
                fields=["sequence"], condition=Q(chain__isnull=True), name="audit_legacy_chain"
            ),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(sequence__gte=1), name="audit_sequence_positive"),
            # Finds a chain's head, and makes a forked chain (two entries at one place)
            # impossible whatever a writer's isolation level. Partial, so that SQLite creates
            # it as an index instead of rebuilding the table (which would drop its triggers).
            models.UniqueConstraint(
                fields=["chain", "chain_sequence"],
                condition=Q(chain__isnull=False),
                name="audit_chain_position",
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.sequence} {self.action} {self.object_type}:{self.object_ref}"

    # -- append-only --------------------------------------------------------------------

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding or kwargs.get("force_update") or kwargs.get("update_fields"):
            raise AppendOnlyError(APPEND_ONLY)
        kwargs["force_insert"] = True
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> NoReturn:
        raise AppendOnlyError(APPEND_ONLY)

    # -- the chain ----------------------------------------------------------------------

    @property
    def chain_name(self) -> str:
        return chain_name(self.chain)

    def hash_payload(self) -> dict[str, Any]:
        return hash_payload_of({name: getattr(self, name) for name in HASHED_FIELDS})

    def compute_hash(self) -> str:
        return hash_of({name: getattr(self, name) for name in HASHED_FIELDS})
