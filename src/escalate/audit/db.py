"""The database side of append-only: which triggers guard the table, and (for the test suite's
flush, and tests that tamper on purpose) suspending them inside one transaction.

The triggers themselves are created by migration ``0002_append_only_triggers``; their SQL is
written out there, not imported from here, so that the migration keeps meaning what it meant.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from django.db import transaction
from django.db.backends.base.base import BaseDatabaseWrapper

TABLE = "audit_auditentry"

#: The triggers each vendor must have, enabled, on the table.
EXPECTED_TRIGGERS: dict[str, frozenset[str]] = {
    "postgresql": frozenset(
        {"audit_auditentry_no_update", "audit_auditentry_no_delete", "audit_auditentry_no_truncate"}
    ),
    "sqlite": frozenset({"audit_auditentry_no_update", "audit_auditentry_no_delete"}),
}

UNSUPPORTED_VENDOR = "The audit trail supports PostgreSQL and SQLite, not {vendor}."


def installed_triggers(connection: BaseDatabaseWrapper) -> frozenset[str]:
    """The names of the enabled triggers on the audit table."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT tgname FROM pg_trigger "
                "WHERE tgrelid = %s::regclass AND NOT tgisinternal AND tgenabled <> 'D'",
                [TABLE],
            )
        elif connection.vendor == "sqlite":
            cursor.execute(
                "SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = %s",
                [TABLE],
            )
        else:
            raise NotImplementedError(UNSUPPORTED_VENDOR.format(vendor=connection.vendor))
        return frozenset(row[0] for row in cursor.fetchall())


def missing_triggers(connection: BaseDatabaseWrapper) -> frozenset[str]:
    expected = EXPECTED_TRIGGERS.get(connection.vendor)
    if expected is None:
        raise NotImplementedError(UNSUPPORTED_VENDOR.format(vendor=connection.vendor))
    return expected - installed_triggers(connection)


@contextmanager
def triggers_suspended(connection: BaseDatabaseWrapper) -> Iterator[None]:
    """Run the body with the append-only triggers off, in one transaction, and put them back.

    Only the database owner can do this (as it could drop the triggers outright): the triggers
    stop the application and accidents, the hash chain shows anything else. Used by the
    ``flush`` command under ``ESCALATE_AUDIT_FLUSHABLE`` (tests only) and by tests.
    """
    with transaction.atomic(using=connection.alias), connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(f'ALTER TABLE "{TABLE}" DISABLE TRIGGER USER')
            yield
            cursor.execute(f'ALTER TABLE "{TABLE}" ENABLE TRIGGER USER')
        elif connection.vendor == "sqlite":
            cursor.execute(
                "SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name = %s",
                [TABLE],
            )
            saved = cursor.fetchall()
            for name, _sql in saved:
                cursor.execute(f'DROP TRIGGER "{name}"')
            yield
            for _name, sql in saved:
                cursor.execute(sql)
        else:
            raise NotImplementedError(UNSUPPORTED_VENDOR.format(vendor=connection.vendor))
