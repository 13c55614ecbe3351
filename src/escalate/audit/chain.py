"""Verifying the chains: every hash recomputed in order, every link and every position checked.

There is one chain per partnership, one for the installation, and the legacy chain: every
entry written before there were chains, verified exactly as it was then (ADR 0006). Each chain
is verified on its own, and a problem in one does not stop the others being verified.

What a chain shows: an entry changed in place (its hash no longer matches its contents), an
entry deleted (a gap in the chain's positions), an entry changed and re-hashed (the next
entry's ``prev_hash`` no longer matches), entries removed from the end of the legacy chain
(every later chain's first entry links to the legacy chain's last). What it cannot show on its
own: the newest entries removed from the end of a chain, or a whole chain removed. For that,
keep the heads (printed by every verification, one per chain) somewhere else and pass them back
as anchors.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from django.db import connections, router

from escalate.audit.db import missing_triggers
from escalate.audit.models import (
    GENESIS_HASH,
    HASHED_FIELDS,
    AuditEntry,
    chain_name,
    chain_of,
    hash_of,
    parse_chain_name,
)

MISSING = "entry {sequence} is missing (the next entry is {found})"
MISSING_AT_START = "entry {sequence} is missing (the chain starts at {found})"
BAD_LINK = "its previous-entry hash does not match the hash of entry {previous}"
BAD_START = "its previous-entry hash is not the last hash of the legacy chain ({expected})"
BAD_GENESIS = "its previous-entry hash is not the start of a chain (there is no legacy chain)"
BAD_HASH = "its hash does not match its contents: the entry has been altered"
WRONG_CHAIN = "it belongs in chain {expected}, not this one"
OUT_OF_ORDER = "its place in the whole trail ({sequence}) is not after the previous entry's"
ANCHOR_MISMATCH = "its hash is not the one recorded for it ({expected})"
ANCHOR_MISSING = "entry {sequence} is missing: the chain ends at {last}"
ANCHOR_FORMAT = (
    "An anchor is written CHAIN:SEQUENCE:HASH (or SEQUENCE:HASH for the legacy chain), "
    "as the verification printed it after 'head'."
)

CHUNK = 2000

#: ``(head CHAIN:SEQUENCE:HASH)`` as every verified chain's line ends.
_HEAD_IN_TEXT = re.compile(r"\(head ([a-z]+(?:-\d+)?:\d+:[0-9a-fA-F]{64})\)")


@dataclass(frozen=True)
class Anchor:
    """A chain's position and hash, recorded outside the database at an earlier verification.
    ``chain`` None is the legacy chain."""

    chain: int | None
    sequence: int
    hash: str

    @classmethod
    def parse(cls, text: str) -> Anchor:
        parts = text.strip().split(":")
        if len(parts) == 2:  # SEQUENCE:HASH, as printed before there were chains
            parts = ["legacy", *parts]
        if len(parts) != 3 or not parts[1].isdigit() or len(parts[2]) != 64:
            raise ValueError(ANCHOR_FORMAT)
        try:
            int(parts[2], 16)
            chain = parse_chain_name(parts[0])
        except ValueError:
            raise ValueError(ANCHOR_FORMAT) from None
        return cls(chain, int(parts[1]), parts[2].lower())

    def __str__(self) -> str:
        return f"{chain_name(self.chain)}:{self.sequence}:{self.hash}"


def anchors_in(text: str) -> list[Anchor]:
    """The anchors in ``text``: a verification's saved output (every ``(head ...)``), or
    anchors one to a line. Blank lines, lines starting with ``#`` and the verification's
    other lines (``Audit ...``, ``Append-only ...``) are ignored; anything else is an error."""
    found: list[Anchor] = []
    for line in text.splitlines():
        heads = _HEAD_IN_TEXT.findall(line)
        stripped = line.strip()
        if heads:
            found.extend(Anchor.parse(head) for head in heads)
        elif stripped and not stripped.startswith(("#", "Audit ", "Append-only ")):
            found.append(Anchor.parse(stripped))
    return found


@dataclass(frozen=True)
class ChainResult:
    """One chain's verification."""

    chain: int | None
    ok: bool
    entries: int
    head_sequence: int | None = None
    head_hash: str | None = None
    broken_sequence: int | None = None
    reason: str = ""

    @property
    def name(self) -> str:
        return chain_name(self.chain)

    @property
    def head(self) -> str | None:
        """The chain's head as an anchor (CHAIN:SEQUENCE:HASH), when it has entries."""
        if self.head_sequence is None:
            return None
        return f"{self.name}:{self.head_sequence}:{self.head_hash}"

    @property
    def message(self) -> str:
        if not self.ok:
            return f"Audit chain {self.name} broken at entry {self.broken_sequence}: {self.reason}."
        return f"Audit chain {self.name} verified: {self.entries} entries (head {self.head})"


@dataclass(frozen=True)
class VerifyResult:
    """Every chain verified (in order: legacy, installation, partnerships by id)."""

    chains: tuple[ChainResult, ...]
    missing_triggers: frozenset[str] = frozenset()
    anchors: int = 0

    @property
    def ok(self) -> bool:
        """Every chain verified (triggers are reported separately)."""
        return all(c.ok for c in self.chains)

    @property
    def entries(self) -> int:
        return sum(c.entries for c in self.chains)

    @property
    def broken(self) -> tuple[ChainResult, ...]:
        return tuple(c for c in self.chains if not c.ok)

    def chain(self, chain: int | None) -> ChainResult:
        """The result for one chain (``LookupError`` if it was not verified)."""
        for result in self.chains:
            if result.chain == chain:
                return result
        raise LookupError(chain_name(chain))

    @property
    def message(self) -> str:
        count = len(self.chains)
        chains = f"{count} chain{'' if count == 1 else 's'}"
        if self.ok:
            return f"Audit trail verified: {chains}, {self.entries} entries."
        return f"Audit trail broken: {len(self.broken)} of {chains} broken."


@dataclass
class _Walk:
    """One chain being walked."""

    chain: int | None
    start: str
    anchors: dict[int, str]
    expected: int = 1
    previous_hash: str = ""
    previous_sequence: int = 0
    count: int = 0
    failure: ChainResult | None = field(default=None)

    def __post_init__(self) -> None:
        self.previous_hash = self.start

    def broken(self, position: int, reason: str) -> ChainResult:
        return ChainResult(
            chain=self.chain,
            ok=False,
            entries=self.count,
            head_sequence=self.expected - 1 or None,
            head_hash=self.previous_hash if self.count else None,
            broken_sequence=position,
            reason=reason,
        )

    def step(self, values: dict[str, Any]) -> None:
        """Check the next entry; on the first problem, remember it and check no more."""
        if self.failure is not None:
            return
        self.failure = self._problem(values)
        if self.failure is None:
            self.previous_hash = values["hash"]
            self.previous_sequence = values["sequence"]
            self.expected += 1
            self.count += 1

    def _problem(self, values: dict[str, Any]) -> ChainResult | None:
        legacy = self.chain is None
        position = values["sequence"] if legacy else values["chain_sequence"]
        if position != self.expected:
            template = MISSING if self.count else MISSING_AT_START
            reason = template.format(sequence=self.expected, found=position)
            return self.broken(self.expected, reason)
        if values["prev_hash"] != self.previous_hash:
            if self.count or legacy:
                reason = BAD_LINK.format(previous=position - 1)
            elif self.start == GENESIS_HASH:
                reason = BAD_GENESIS
            else:
                reason = BAD_START.format(expected=self.start)
            return self.broken(position, reason)
        if hash_of(values) != values["hash"]:
            return self.broken(position, BAD_HASH)
        if not legacy:
            belongs = chain_of(values["partnership_id"], values["actor_partnership_id"])
            if belongs != self.chain:
                return self.broken(position, WRONG_CHAIN.format(expected=chain_name(belongs)))
            if values["sequence"] <= self.previous_sequence:
                return self.broken(position, OUT_OF_ORDER.format(sequence=values["sequence"]))
        expected_hash = self.anchors.get(position)
        if expected_hash is not None and expected_hash != values["hash"]:
            return self.broken(position, ANCHOR_MISMATCH.format(expected=expected_hash))
        return None

    def result(self) -> ChainResult:
        if self.failure is not None:
            return self.failure
        if self.anchors and max(self.anchors) > self.count:
            furthest = max(self.anchors)
            return self.broken(furthest, ANCHOR_MISSING.format(sequence=furthest, last=self.count))
        return ChainResult(
            chain=self.chain,
            ok=True,
            entries=self.count,
            head_sequence=self.count or None,
            head_hash=self.previous_hash if self.count else None,
        )


def _rows(queryset: Any) -> Iterator[dict[str, Any]]:
    names = (*HASHED_FIELDS, "hash")
    for row in queryset.values_list(*names).iterator(chunk_size=CHUNK):
        yield dict(zip(names, row, strict=True))


def verify_chain(
    anchors: Iterable[Anchor] = (), chains: Iterable[int | None] | None = None
) -> VerifyResult:
    """Verify every chain (or only ``chains``: None is the legacy chain), each from its first
    entry, stopping within a chain at its first problem. ``anchors`` are heads recorded at an
    earlier verification: each must still be there, with the same hash; an anchor for a chain
    that no longer has entries breaks it."""
    connection = connections[router.db_for_read(AuditEntry)]
    triggers = missing_triggers(connection)
    anchors = list(anchors)
    by_chain: dict[int | None, dict[int, str]] = {}
    for anchor in anchors:
        by_chain.setdefault(anchor.chain, {})[anchor.sequence] = anchor.hash
    wanted = None if chains is None else set(chains)

    legacy_entries = AuditEntry.objects.filter(chain__isnull=True).order_by("sequence")
    results: list[ChainResult] = []
    if wanted is None or None in wanted:
        legacy = _verify_legacy(legacy_entries, by_chain.get(None, {}))
        results.extend([legacy] if legacy is not None else [])
    # Every later chain starts from the legacy chain's last entry as it is now.
    last_legacy = legacy_entries.order_by("-sequence").values_list("hash", flat=True).first()
    start = last_legacy or GENESIS_HASH
    anchored = {c: a for c, a in by_chain.items() if c is not None}
    if wanted is not None:
        anchored = {c: a for c, a in anchored.items() if c in wanted}
        only = [c for c in wanted if c is not None]
        results.extend(_verify_chained(only, start, anchored) if only else [])
    else:
        results.extend(_verify_chained(None, start, anchored))
    results.sort(key=lambda r: (r.chain is not None, r.chain or 0))
    return VerifyResult(chains=tuple(results), missing_triggers=triggers, anchors=len(anchors))


def _verify_legacy(entries: Any, anchors: dict[int, str]) -> ChainResult | None:
    """The legacy chain, as it was always verified; None when it has no entries (and no
    anchor says it should)."""
    walk = _Walk(chain=None, start=GENESIS_HASH, anchors=anchors)
    for values in _rows(entries):
        walk.step(values)
        if walk.failure is not None:
            break
    if walk.count or walk.failure or walk.anchors:
        return walk.result()
    return None


def _verify_chained(
    only: list[int] | None, start: str, anchors: dict[int, dict[int, str]]
) -> list[ChainResult]:
    """Every chain since the legacy one (or ``only`` these), in one pass in chain order."""
    chained = AuditEntry.objects.filter(chain__isnull=False)
    if only is not None:
        chained = chained.filter(chain__in=only)
    results: list[ChainResult] = []
    walk: _Walk | None = None
    for values in _rows(chained.order_by("chain", "chain_sequence")):
        if walk is None or values["chain"] != walk.chain:
            if walk is not None:
                results.append(walk.result())
            chain = values["chain"]
            walk = _Walk(chain=chain, start=start, anchors=anchors.pop(chain, {}))
        walk.step(values)
    if walk is not None:
        results.append(walk.result())
    # What is left: anchors for chains that have no entries at all any more.
    results.extend(_Walk(chain=c, start=start, anchors=a).result() for c, a in anchors.items())
    return results
