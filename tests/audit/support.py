"""Helpers for tests that tamper with the trail on purpose, as only a database owner could."""

from __future__ import annotations

from typing import Any

from django.db import connection

from escalate.audit.db import TABLE, triggers_suspended


def tamper(sql: str, params: list[Any] | None = None) -> None:
    """Run raw SQL on the audit table with its append-only triggers suspended."""
    with triggers_suspended(connection), connection.cursor() as cursor:
        cursor.execute(sql, params or [])


def erase_trail() -> None:
    """Empty the audit table (before a transactional test's flush)."""
    tamper(f'DELETE FROM "{TABLE}"')  # noqa: S608 (a constant)
