"""What the scale data generator (:mod:`escalate.demo.scale`) and its forms and panels
(:mod:`escalate.demo.scale_papers`) both use: the time zone, ids taken ahead and rows written
fast, the audit entries to write, and a person's line managers.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from types import SimpleNamespace
from typing import Any
from zoneinfo import ZoneInfo

from django.db import connection, models

from escalate.audit.models import AuditResult
from escalate.directory.models import Person

ZONE = ZoneInfo("Europe/London")


# ---------------------------------------------------------------------------------------
# Writing rows fast


class _Ids:
    """Ids for new rows of one table, taken from its own sequence a block at a time, so that
    rows can be linked before they are written (and the sequence stays ahead of them)."""

    def __init__(self, model: type[models.Model], block: int = 10_000) -> None:
        self.table = model._meta.db_table
        self.block = block
        self.free: list[int] = []
        self.next_free = 0
        if connection.vendor != "postgresql":
            with connection.cursor() as cursor:
                cursor.execute(f'SELECT MAX(id) FROM "{self.table}"')  # noqa: S608 - a table name
                self.next_free = (cursor.fetchone()[0] or 0) + 1

    def take(self) -> int:
        if connection.vendor != "postgresql":
            self.next_free += 1
            return self.next_free - 1
        if not self.free:
            with connection.cursor() as cursor:
                cursor.execute(
                    "SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)",
                    [self.table, self.block],
                )
                self.free = [row[0] for row in cursor.fetchall()]
                self.free.reverse()
        return self.free.pop()


def write_rows(model: type[models.Model], objects: Sequence[object]) -> None:
    """Insert rows as they are (every column, ids included, no ``save()``, no ``auto_now``):
    model instances, or plain objects with an attribute for each of the model's columns
    (:class:`Row`, much cheaper to make). ``COPY`` on PostgreSQL, ``executemany`` elsewhere."""
    if not objects:
        return
    fields = model._meta.concrete_fields
    quote = connection.ops.quote_name
    table = quote(model._meta.db_table)
    columns = ", ".join(quote(str(f.column)) for f in fields)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            raw = cursor.cursor  # psycopg's own cursor, in Django's transaction
            # JSON goes as the field adapts it; everything else as it is.
            adapt = [
                (lambda v, f=f: f.get_db_prep_save(v, connection))
                if isinstance(f, models.JSONField)
                else None
                for f in fields
            ]
            with raw.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
                for obj in objects:
                    copy.write_row(
                        [
                            getattr(obj, f.attname) if a is None else a(getattr(obj, f.attname))
                            for f, a in zip(fields, adapt, strict=True)
                        ]
                    )
            return
        marks = ", ".join(["%s"] * len(fields))
        cursor.executemany(
            f"INSERT INTO {table} ({columns}) VALUES ({marks})",  # noqa: S608 - model metadata
            [
                [f.get_db_prep_save(getattr(o, f.attname), connection) for f in fields]
                for o in objects
            ],
        )


class Row(SimpleNamespace):
    """A row of a model's table, by attribute name (``escalation_id``), for :func:`write_rows`."""


# ---------------------------------------------------------------------------------------
# The audit entries to write


@dataclass(frozen=True)
class AuditLine:
    """One audit entry to write: what ``audit_record`` takes, and when (``at``). The same
    fields as ``escalate.audit.services.AuditDraft``."""

    at: dt.datetime
    actor: object
    action: str
    object_type: str
    object_ref: str
    partnership_id: int | None
    detail: dict[str, Any]
    ip: str | None = None
    result: str = AuditResult.SUCCESS


# ---------------------------------------------------------------------------------------
# People


def _chain(person: Person) -> list[Person]:
    """The person and their line managers, up to the most senior."""
    chain = [person]
    while chain[-1].line_manager is not None:
        chain.append(chain[-1].line_manager)
    return chain
