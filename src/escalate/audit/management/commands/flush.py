"""Django's ``flush``, aware of the append-only audit trail.

The audit table's triggers refuse DELETE (and, on PostgreSQL, TRUNCATE of a table with rows),
so a plain flush of a database with audit entries fails and changes nothing: that is the point
in production. The test suite flushes after every transactional test; with
``ESCALATE_AUDIT_FLUSHABLE = True`` (test settings only) this command first empties the audit
table with its triggers suspended, then flushes as Django does. Only
when run without a prompt (``--no-input``, as the test runner does).
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.commands import flush
from django.db import DEFAULT_DB_ALIAS, connections

from escalate.audit.db import TABLE, triggers_suspended


class Command(flush.Command):
    def handle(self, **options: Any) -> None:
        # Only unattended (as the test runner calls it): never before an "are you sure?".
        if getattr(settings, "ESCALATE_AUDIT_FLUSHABLE", False) and not options["interactive"]:
            connection = connections[options.get("database") or DEFAULT_DB_ALIAS]
            if TABLE in connection.introspection.table_names():
                with triggers_suspended(connection), connection.cursor() as cursor:
                    cursor.execute(f'DELETE FROM "{TABLE}"')  # noqa: S608 (a constant)
        super().handle(**options)
