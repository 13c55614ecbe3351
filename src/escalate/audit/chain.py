"""Verifying the chain: every hash recomputed in order, every link and every sequence checked.

What the chain shows: an entry changed in place (its hash no longer matches its contents), an
entry deleted (a gap in the sequence), an entry changed and re-hashed (the next entry's
``prev_hash`` no longer matches). What it cannot show on its own: the newest entries removed
from the end. For that, keep the head (sequence and hash, printed by every verification)
somewhere else and pass it back as an anchor.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import connections, router

from escalate.audit.db import missing_triggers
from escalate.audit.models import GENESIS_HASH, AuditEntry

MISSING = "entry {sequence} is missing (the next entry is {found})"
MISSING_AT_START = "entry {sequence} is missing (the trail starts at {found})"
BAD_LINK = "its previous-entry hash does not match the hash of entry {previous}"
BAD_HASH = "its hash does not match its contents: the entry has been altered"
ANCHOR_MISMATCH = "its hash is not the one recorded for it ({expected})"
ANCHOR_MISSING = "entry {sequence} is missing: the trail ends at {last}"

CHUNK = 2000


@dataclass(frozen=True)
class Anchor:
    """A sequence and hash recorded outside the database, at an earlier verification."""

    sequence: int
    hash: str

    @classmethod
    def parse(cls, text: str) -> Anchor:
        sequence, _, digest = text.partition(":")
        if not sequence.isdigit() or len(digest) != 64:
            raise ValueError("An anchor is written SEQUENCE:HASH, as the verification printed it.")
        return cls(int(sequence), digest.lower())


@dataclass(frozen=True)
class VerifyResult:
    ok: bool
    entries: int
    head_sequence: int | None = None
    head_hash: str | None = None
    broken_sequence: int | None = None
    reason: str = ""
    missing_triggers: frozenset[str] = frozenset()

    @property
    def message(self) -> str:
        if not self.ok:
            return f"Audit chain broken at entry {self.broken_sequence}: {self.reason}."
        head = f" (head {self.head_sequence}:{self.head_hash})" if self.head_sequence else ""
        return f"Audit chain verified: {self.entries} entries{head}"


def verify_chain(anchor: Anchor | None = None) -> VerifyResult:
    """Recompute the chain from the first entry. Stops at the first problem and names it."""
    connection = connections[router.db_for_read(AuditEntry)]
    triggers = missing_triggers(connection)
    expected = 1
    previous_hash = GENESIS_HASH
    count = 0

    def broken(sequence: int, reason: str) -> VerifyResult:
        return VerifyResult(
            ok=False,
            entries=count,
            head_sequence=expected - 1 or None,
            head_hash=previous_hash if count else None,
            broken_sequence=sequence,
            reason=reason,
            missing_triggers=triggers,
        )

    entries = AuditEntry.objects.order_by("sequence").iterator(chunk_size=CHUNK)
    for entry in entries:
        if entry.sequence != expected:
            template = MISSING if count else MISSING_AT_START
            return broken(expected, template.format(sequence=expected, found=entry.sequence))
        if entry.prev_hash != previous_hash:
            return broken(entry.sequence, BAD_LINK.format(previous=entry.sequence - 1))
        if entry.compute_hash() != entry.hash:
            return broken(entry.sequence, BAD_HASH)
        if anchor is not None and anchor.sequence == entry.sequence and anchor.hash != entry.hash:
            return broken(entry.sequence, ANCHOR_MISMATCH.format(expected=anchor.hash))
        previous_hash = entry.hash
        expected += 1
        count += 1
    if anchor is not None and anchor.sequence > count:
        return broken(anchor.sequence, ANCHOR_MISSING.format(sequence=anchor.sequence, last=count))
    return VerifyResult(
        ok=True,
        entries=count,
        head_sequence=count or None,
        head_hash=previous_hash if count else None,
        missing_triggers=triggers,
    )
