"""Writing the audit trail: :func:`audit_record`, :func:`append_many` for generated data, and
:func:`client_ip` for the address.

Call :func:`audit_record` inside the transaction of the change it describes, as its last step
before commit: the entry is then written if and only if the change commits. Each entry goes in
one chain (ADR 0006): its partnership's, else the acting person's partnership's, else the
installation's. On PostgreSQL it takes a transaction-level advisory lock on *that chain only*,
so appends to one chain are serialised and it never forks, while appends to other chains do
not wait; the lock is held until the caller's transaction ends, which is why it should be the
last step. On SQLite the database serialises writers (a second concurrent writer waits, or gets
an error and writes nothing).

What goes in an entry: references, ids and enum values. ``object_ref`` is a record's reference
(``ESC-XXXX-XXXX``) or id, never a name; ``detail`` holds values such as
``{"service": "escalation_escalate", "stage": 2}``, never what someone wrote (no reasons,
outcomes, names, NHS numbers or search text).
"""

from __future__ import annotations

import contextvars
import datetime as dt
import functools
import ipaddress
import itertools
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.exceptions import ObjectDoesNotExist
from django.db import connections, router, transaction
from django.db.backends.base.base import BaseDatabaseWrapper
from django.http import HttpRequest
from django.utils import timezone

from escalate.audit.db import TABLE
from escalate.audit.models import (
    GENESIS_HASH,
    HASHED_FIELDS,
    AuditAction,
    AuditEntry,
    AuditResult,
    ObjectType,
    canonical_at,
    chain_of,
    hash_of,
)

#: The first key of ``pg_advisory_xact_lock(int, int)`` for every chain; the second is the
#: chain (a partnership's id, 0 for the installation). Any constant will do ("esca").
CHAIN_LOCK_CLASS = 0x6573_6361

#: The PostgreSQL sequence the global ``sequence`` of new entries comes from (migration 0005).
SEQUENCE = "audit_auditentry_sequence_seq"

UNKNOWN_ACTION = "Unknown audit action {action!r}."
UNKNOWN_RESULT = "Unknown audit result {result!r}."
DETAIL_NOT_A_DICT = "An audit entry's detail is a dict of references, ids and enum values."
DETAIL_BAD_VALUE = (
    "Audit detail {path} is a {kind}: use strings, integers, booleans, None, "
    "and lists or dicts of them."
)
DETAIL_BAD_KEY = "Audit detail keys are strings (got {key!r})."
DETAIL_NUL = "Audit detail {path} contains a NUL character."
TOO_LONG = "Audit {name} is at most {limit} characters."

#: The address of the request being handled, set by :class:`AuditContextMiddleware`; used
#: when a caller (a service with no request) passes no ``ip``.
_request_ip: contextvars.ContextVar[str | None] = contextvars.ContextVar(
    "escalate_audit_request_ip", default=None
)


# ---------------------------------------------------------------------------------------
# The address


@functools.lru_cache(maxsize=4096)
def _parse_ip(value: str) -> str | None:
    value = value.strip()
    if value.startswith("[") and "]" in value:  # [v6]:port
        value = value[1 : value.index("]")]
    elif value.count(":") == 1:  # v4:port
        value = value.split(":", 1)[0]
    value = value.split("%", 1)[0]  # an IPv6 zone (fe80::1%eth0) is not part of the address
    try:
        return str(ipaddress.ip_address(value))
    except ValueError:
        return None


def client_ip(request: HttpRequest) -> str | None:
    """The client's address: ``REMOTE_ADDR``, unless ``ESCALATE_TRUSTED_PROXY_COUNT`` (default
    0) says that many proxies of ours sit in front, each appending to X-Forwarded-For; then the
    address the outermost of them saw. Anything unparseable is ``None``, never a guess."""
    trusted = int(getattr(settings, "ESCALATE_TRUSTED_PROXY_COUNT", 0) or 0)
    if trusted > 0:
        forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
        hops = [hop.strip() for hop in forwarded.split(",") if hop.strip()]
        if len(hops) >= trusted:
            return _parse_ip(hops[-trusted])
    return _parse_ip(request.META.get("REMOTE_ADDR", "") or "")


def request_ip() -> str | None:
    """The current request's address, when :class:`AuditContextMiddleware` is installed."""
    return _request_ip.get()


class AuditContextMiddleware:
    """Makes the request's address known to :func:`audit_record` for the whole request, so
    services need not carry it. An explicit ``ip=`` always wins."""

    def __init__(self, get_response: Any) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> Any:
        token = _request_ip.set(client_ip(request))
        try:
            return self.get_response(request)
        finally:
            _request_ip.reset(token)


# ---------------------------------------------------------------------------------------
# Recording


def _checked_detail(value: object, path: str = "detail") -> Any:
    """A copy of ``value`` if it is JSON that hashes the same after a database round trip
    (no floats: their text form is not stable across vendors)."""
    if value is None or isinstance(value, bool | int):
        return value
    if isinstance(value, str):
        if "\x00" in value:
            raise ValueError(DETAIL_NUL.format(path=path))
        return value
    if isinstance(value, list | tuple):
        return [_checked_detail(v, f"{path}[{i}]") for i, v in enumerate(value)]
    if isinstance(value, dict):
        out: dict[str, Any] = {}
        for key, item in value.items():
            if not isinstance(key, str):
                raise TypeError(DETAIL_BAD_KEY.format(key=key))
            out[key] = _checked_detail(item, f"{path}.{key}")
        return out
    raise TypeError(DETAIL_BAD_VALUE.format(path=path, kind=type(value).__name__))


def _actor_snapshot(actor: object) -> tuple[int | None, str, int | None, int | None]:
    """(user id, username, agency id, partnership id) of ``actor``; blanks for no one."""
    if actor is None or not getattr(actor, "is_authenticated", False):
        return None, "", None, None
    user_id = getattr(actor, "pk", None)
    username = str(actor.get_username()) if hasattr(actor, "get_username") else ""
    try:
        person = actor.person  # type: ignore[attr-defined]
    except (ObjectDoesNotExist, AttributeError):
        person = None
    if person is None:
        return user_id, username, None, None
    return user_id, username, person.agency_id, person.agency.partnership_id


def _limit(name: str, value: str, limit: int) -> str:
    if len(value) > limit:
        raise ValueError(TOO_LONG.format(name=name, limit=limit))
    return value


@dataclass(frozen=True, kw_only=True)
class AuditDraft:
    """One entry for :func:`append_many`: what :func:`audit_record` takes, plus ``at`` (when;
    timezone-aware; None for the moment it is appended)."""

    actor: object
    action: str
    object_type: str = ""
    object_ref: str = ""
    partnership_id: int | None = None
    ip: str | None = None
    result: str = AuditResult.SUCCESS
    detail: dict[str, Any] | None = None
    at: dt.datetime | None = None


Snapshot = tuple[int | None, str, int | None, int | None]


def _checked(draft: AuditDraft, snapshot: Snapshot, default_ip: str | None) -> dict[str, Any]:
    """The field values of an entry (all but its place in a chain and its hash), every
    argument checked; raises ``ValueError``/``TypeError`` as :func:`audit_record` says."""
    try:
        action = AuditAction(draft.action)
    except ValueError:
        raise ValueError(UNKNOWN_ACTION.format(action=draft.action)) from None
    try:
        result = AuditResult(draft.result)
    except ValueError:
        raise ValueError(UNKNOWN_RESULT.format(result=draft.result)) from None
    if draft.detail is not None and not isinstance(draft.detail, dict):
        raise TypeError(DETAIL_NOT_A_DICT)
    if draft.at is not None:
        canonical_at(draft.at)  # refuses a naive time
    actor_id, username, agency_id, actor_partnership_id = snapshot
    return {
        "at": draft.at,
        "actor_id": actor_id,
        "actor_username": username,
        "actor_agency_id": agency_id,
        "actor_partnership_id": actor_partnership_id,
        "action": action.value,
        "object_type": _limit("object_type", draft.object_type, 40),
        "object_ref": _limit("object_ref", str(draft.object_ref), 80),
        "partnership_id": draft.partnership_id,
        "ip": _parse_ip(draft.ip) if draft.ip is not None else default_ip,
        "result": result.value,
        "detail": _checked_detail(draft.detail or {}),
        "chain": chain_of(draft.partnership_id, actor_partnership_id),
    }


def audit_record(
    *,
    actor: object,
    action: str,
    object_type: str = "",
    object_ref: str = "",
    partnership_id: int | None = None,
    ip: str | None = None,
    result: str = AuditResult.SUCCESS,
    detail: dict[str, Any] | None = None,
) -> AuditEntry:
    """Append one entry to its chain, linked to the chain's last entry, and return it.

    ``actor`` is the user who acted (``None`` or an anonymous user for no one, e.g. a scheduled
    job: say which in ``detail``). ``ip`` defaults to the current request's address when the
    middleware is installed. Raises ``ValueError``/``TypeError`` for an unknown action or
    result, over-long references, or a ``detail`` that is not plain JSON of references.
    """
    draft = AuditDraft(
        actor=actor,
        action=action,
        object_type=object_type,
        object_ref=object_ref,
        partnership_id=partnership_id,
        ip=ip,
        result=result,
        detail=detail,
    )
    values = _checked(draft, _actor_snapshot(actor), request_ip())
    using = router.db_for_write(AuditEntry)
    connection = connections[using]
    with transaction.atomic(using=using):
        chain = values["chain"]
        _lock_chains(connection, [chain])
        sequence, head = _next_place(connection, chain)
        position, prev_hash = head if head is not None else (0, _chain_start(connection))
        values["sequence"] = sequence
        values["at"] = timezone.now()  # after the lock, so times follow the chain
        values["chain_sequence"] = position + 1
        values["prev_hash"] = prev_hash
        entry = AuditEntry(**values)
        entry.hash = entry.compute_hash()
        entry.save(using=using)
    return entry


def append_many(drafts: Iterable[AuditDraft], *, batch_size: int = 5000) -> int:
    """Chain and insert many entries, in the order given; return how many.

    **For loading generated data and for tests only**: it writes entries as if each had been
    recorded with :func:`audit_record` at its ``at`` (``ip`` is what the draft says, never the
    current request's), under the same per-chain locks, several thousand to a statement. Each
    batch of ``batch_size`` is one transaction (a savepoint inside the caller's, if any): wrap
    the call in ``transaction.atomic()`` to have all or nothing. Every draft of a batch is
    checked before any of it is written. Pass users with their person and agency loaded
    (``select_related("person__agency")``): each user's snapshot is taken once per call.
    """
    if batch_size < 1:
        raise ValueError("batch_size is at least 1.")
    using = router.db_for_write(AuditEntry)
    connection = connections[using]
    snapshots: dict[object, Snapshot] = {}
    written = 0
    iterator = iter(drafts)
    while batch := list(itertools.islice(iterator, batch_size)):
        rows = [_checked(d, _cached_snapshot(d.actor, snapshots), None) for d in batch]
        with transaction.atomic(using=using):
            chains = sorted({row["chain"] for row in rows})
            _lock_chains(connection, chains)  # in one order: two callers cannot deadlock
            heads = _heads(connection, chains)
            sequences = _take_sequences(connection, len(rows))
            start: str | None = None
            now = timezone.now()
            for row, sequence in zip(rows, sequences, strict=True):
                head = heads.get(row["chain"])
                if head is None:
                    start = start if start is not None else _chain_start(connection)
                    head = (0, start)
                row["sequence"] = sequence
                row["at"] = row["at"] or now
                row["chain_sequence"] = head[0] + 1
                row["prev_hash"] = head[1]
                row["hash"] = hash_of(row)
                heads[row["chain"]] = (row["chain_sequence"], row["hash"])
            _insert(connection, rows)
        written += len(rows)
    return written


def _cached_snapshot(actor: object, cache: dict[object, Snapshot]) -> Snapshot:
    if actor is None or not getattr(actor, "is_authenticated", False):
        return None, "", None, None
    key = (type(actor), getattr(actor, "pk", None))
    if key not in cache:
        cache[key] = _actor_snapshot(actor)
    return cache[key]


# ---------------------------------------------------------------------------------------
# The chains in the database


def _lock_chains(connection: BaseDatabaseWrapper, chains: Sequence[int]) -> None:
    """Serialise appends to these chains (and only these) until the surrounding transaction
    ends (PostgreSQL); SQLite already allows one writer at a time. A separate statement from
    the read of the head: a statement that waited for the lock inside itself would read with
    the snapshot it took before waiting, and miss the entry it waited for."""
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        for chain in chains:
            cursor.execute(
                "SELECT pg_advisory_xact_lock(%s::int4, %s::int4)",
                [CHAIN_LOCK_CLASS, _lock_key(chain)],
            )


def _lock_key(chain: int) -> int:
    """The chain as the lock's second key (an int4); two chains share a lock only beyond two
    billion partnerships, which would serialise them, never fork them."""
    return chain & 0x7FFF_FFFF


def _next_place(connection: BaseDatabaseWrapper, chain: int) -> tuple[int, tuple[int, str] | None]:
    """The new entry's global sequence, and the chain's head (position, hash) if it has one."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                f"SELECT nextval('{SEQUENCE}'), head.chain_sequence, head.hash "  # noqa: S608
                f"FROM (SELECT 1) AS one LEFT JOIN LATERAL ("
                f'SELECT chain_sequence, hash FROM "{TABLE}" '
                f"WHERE chain = %s ORDER BY chain_sequence DESC LIMIT 1"
                f") AS head ON true",
                [chain],
            )
            sequence, position, digest = cursor.fetchone()
            return sequence, (position, digest) if position is not None else None
        cursor.execute(f'SELECT COALESCE(MAX(sequence), 0) + 1 FROM "{TABLE}"')  # noqa: S608
        (sequence,) = cursor.fetchone()
    return sequence, _heads(connection, [chain]).get(chain)


def _heads(connection: BaseDatabaseWrapper, chains: Sequence[int]) -> dict[int, tuple[int, str]]:
    """Each chain's last entry (position, hash), for the chains that have one."""
    if not chains:
        return {}
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT c, head.chain_sequence, head.hash "  # noqa: S608
                "FROM unnest(%s::bigint[]) AS c JOIN LATERAL ("
                f'SELECT chain_sequence, hash FROM "{TABLE}" '
                "WHERE chain = c ORDER BY chain_sequence DESC LIMIT 1"
                ") AS head ON true",
                [list(chains)],
            )
            return {chain: (position, digest) for chain, position, digest in cursor.fetchall()}
        heads = {}
        for chain in chains:
            cursor.execute(
                f'SELECT chain_sequence, hash FROM "{TABLE}" '  # noqa: S608
                "WHERE chain = %s ORDER BY chain_sequence DESC LIMIT 1",
                [chain],
            )
            row = cursor.fetchone()
            if row is not None:
                heads[chain] = (row[0], row[1])
        return heads


def _chain_start(connection: BaseDatabaseWrapper) -> str:
    """``prev_hash`` of a chain's first entry: the legacy chain's last hash, so that removing
    legacy entries from its end breaks every chain after it; 64 zeros when there is none."""
    with connection.cursor() as cursor:
        cursor.execute(
            f'SELECT hash FROM "{TABLE}" WHERE chain IS NULL '  # noqa: S608
            "ORDER BY sequence DESC LIMIT 1"
        )
        row = cursor.fetchone()
    return row[0] if row is not None else GENESIS_HASH


def _take_sequences(connection: BaseDatabaseWrapper, count: int) -> list[int]:
    """``count`` new global sequences, increasing."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                f"SELECT nextval('{SEQUENCE}') FROM generate_series(1, %s) ORDER BY 1",  # noqa: S608
                [count],
            )
            return [row[0] for row in cursor.fetchall()]
        cursor.execute(f'SELECT COALESCE(MAX(sequence), 0) FROM "{TABLE}"')  # noqa: S608
        (last,) = cursor.fetchone()
    return list(range(last + 1, last + 1 + count))


COLUMNS = (*HASHED_FIELDS, "hash")


def _insert(connection: BaseDatabaseWrapper, rows: list[dict[str, Any]]) -> None:
    """Insert whole rows: PostgreSQL's COPY, else one multi-row statement per few hundred."""
    names = ", ".join(f'"{name}"' for name in COLUMNS)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            with cursor.cursor.copy(f'COPY "{TABLE}" ({names}) FROM STDIN') as copy:
                for row in rows:
                    copy.write_row(
                        [json.dumps(row[n]) if n == "detail" else row[n] for n in COLUMNS]
                    )
            return
        fields = [f for f in AuditEntry._meta.concrete_fields if f.name in COLUMNS]
        fields.sort(key=lambda f: COLUMNS.index(f.name))
        values = [
            [field.get_db_prep_save(row[field.name], connection) for field in fields]
            for row in rows
        ]
        per_statement = max(1, 900 // len(COLUMNS))  # SQLite's limit on parameters
        for chunk in itertools.batched(values, per_statement):
            placeholders = ", ".join(["(" + ", ".join(["%s"] * len(COLUMNS)) + ")"] * len(chunk))
            cursor.execute(
                f'INSERT INTO "{TABLE}" ({names}) VALUES {placeholders}',  # noqa: S608
                [value for row in chunk for value in row],
            )


def audit_account(
    *,
    actor: object,
    account: object,
    action: str,
    result: str = AuditResult.SUCCESS,
    ip: str | None = None,
    detail: dict[str, Any] | None = None,
) -> AuditEntry:
    """An entry about one user account (a sign-in, a second factor, a password, a linked
    organisation account): the account's id as the record, never a code, key or claim."""
    return audit_record(
        actor=actor,
        action=action,
        object_type=ObjectType.USER,
        object_ref=str(getattr(account, "pk", "")),
        ip=ip,
        result=result,
        detail=detail or None,
    )
