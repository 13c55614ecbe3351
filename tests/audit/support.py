"""Helpers for tests that tamper with the trail on purpose, as only a database owner could, and
that write entries as the release before chains did."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import connection

from escalate.audit.db import TABLE, triggers_suspended
from escalate.audit.models import GENESIS_HASH, AuditEntry
from escalate.audit.services import SEQUENCE


def tamper(sql: str, params: list[Any] | None = None) -> None:
    """Run raw SQL on the audit table with its append-only triggers suspended."""
    with triggers_suspended(connection), connection.cursor() as cursor:
        cursor.execute(sql, params or [])


def erase_trail() -> None:
    """Empty the audit table (before a transactional test's flush)."""
    tamper(f'DELETE FROM "{TABLE}"')  # noqa: S608 (a constant)


def insert_legacy(count: int, partnership_id: int | None = None) -> list[AuditEntry]:
    """``count`` entries as the release before chains wrote them: one chain for the whole
    installation, ``sequence`` 1, 2, 3, ..., no ``chain``. Then, as migration 0005 does on
    PostgreSQL, the database sequence continues after them."""
    assert not AuditEntry.objects.filter(chain__isnull=False).exists(), "legacy entries come first"
    last = AuditEntry.objects.order_by("-sequence").first()
    sequence, prev_hash = (last.sequence, last.hash) if last else (0, GENESIS_HASH)
    written = []
    for i in range(count):
        sequence += 1
        entry = AuditEntry(
            sequence=sequence,
            at=dt.datetime(2026, 11, 25, 9, 0, i, tzinfo=dt.UTC),
            actor_username="legacy",
            action="escalation-viewed",
            object_type="escalation",
            object_ref=f"ESC-LEGA-{sequence:04d}",
            partnership_id=partnership_id,
            ip="192.0.2.1",
            detail={"i": i},
            prev_hash=prev_hash,
        )
        entry.hash = prev_hash = entry.compute_hash()
        entry.save()
        written.append(entry)
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT setval(%s, %s)", [SEQUENCE, sequence])
    return written
