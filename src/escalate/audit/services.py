"""Writing the audit trail: :func:`audit_record`, and :func:`client_ip` for the address.

Call :func:`audit_record` inside the transaction of the change it describes, as its last step
before commit: the entry is then written if and only if the change commits. On PostgreSQL it
takes a transaction-level advisory lock, so appends are serialised and the chain never forks;
the lock is held until the caller's transaction ends, which is why it should be the last
step. On SQLite the database serialises writers (a second concurrent writer gets an error and
writes nothing).

What goes in an entry: references, ids and enum values. ``object_ref`` is a record's reference
(``ESC-XXXX-XXXX``) or id, never a name; ``detail`` holds values such as
``{"service": "escalation_escalate", "stage": 2}``, never what someone wrote (no reasons,
outcomes, names, NHS numbers or search text).
"""

from __future__ import annotations

import contextvars
import ipaddress
from typing import Any

from django.conf import settings
from django.core.exceptions import ObjectDoesNotExist
from django.db import connections, router, transaction
from django.http import HttpRequest
from django.utils import timezone

from escalate.audit.models import (
    GENESIS_HASH,
    AuditAction,
    AuditEntry,
    AuditResult,
    ObjectType,
)

#: Any constant will do: every writer of the trail takes the same one.
CHAIN_LOCK_KEY = 0x6573_6361_6C61_7465  # "escalate"

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
    """Append one entry to the trail, chained to the one before, and return it.

    ``actor`` is the user who acted (``None`` or an anonymous user for no one, e.g. a scheduled
    job: say which in ``detail``). ``ip`` defaults to the current request's address when the
    middleware is installed. Raises ``ValueError``/``TypeError`` for an unknown action or
    result, over-long references, or a ``detail`` that is not plain JSON of references.
    """
    try:
        action = AuditAction(action)
    except ValueError:
        raise ValueError(UNKNOWN_ACTION.format(action=action)) from None
    try:
        result = AuditResult(result)
    except ValueError:
        raise ValueError(UNKNOWN_RESULT.format(result=result)) from None
    if detail is not None and not isinstance(detail, dict):
        raise TypeError(DETAIL_NOT_A_DICT)
    checked_detail = _checked_detail(detail or {})
    object_type = _limit("object_type", object_type, 40)
    object_ref = _limit("object_ref", str(object_ref), 80)
    actor_id, username, agency_id, actor_partnership_id = _actor_snapshot(actor)
    address = _parse_ip(ip) if ip is not None else request_ip()

    using = router.db_for_write(AuditEntry)
    with transaction.atomic(using=using):
        _lock_chain(using)
        head = (
            AuditEntry.objects.using(using)
            .order_by("-sequence")
            .values_list("sequence", "hash")
            .first()
        )
        sequence, prev_hash = (head[0] + 1, head[1]) if head else (1, GENESIS_HASH)
        entry = AuditEntry(
            sequence=sequence,
            at=timezone.now(),  # after the lock, so times follow the sequence
            actor_id=actor_id,
            actor_username=username,
            actor_agency_id=agency_id,
            actor_partnership_id=actor_partnership_id,
            action=action.value,
            object_type=object_type,
            object_ref=object_ref,
            partnership_id=partnership_id,
            ip=address,
            result=result.value,
            detail=checked_detail,
            prev_hash=prev_hash,
        )
        entry.hash = entry.compute_hash()
        entry.save(using=using)
    return entry


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


def _lock_chain(using: str) -> None:
    """Serialise appends until the surrounding transaction ends (PostgreSQL); SQLite already
    allows one writer at a time."""
    connection = connections[using]
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [CHAIN_LOCK_KEY])
