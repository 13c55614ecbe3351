"""Exports of the board's view: the anonymised register, and the figures, as CSV and XLSX.

**The register** is one row per escalation of a partnership raised in a period, read from the
facts kept for counting (``EscalationFact``) joined to the agencies' names and the escalation's
reference: who raised it with whom (agencies, not people) and their types as at the raise, the
category, whether about a child or an adult, the procedure and its version, the dates, the
highest stage reached, immediate risk, the status, the working days taken and how many stages
ended within their due dates. No names, no subject references, no free text.

It is never held in memory whole: the rows come from the database ``chunk_size`` at a time
(``QuerySet.iterator`` over value tuples, in the order of the ``fact_by_raised`` index). CSV
is written a chunk at a time into a generator for a ``StreamingHttpResponse``; XLSX by
openpyxl's write-only workbook (which keeps each sheet in a temporary file as it goes) into an
anonymous temporary file, streamed with a ``FileResponse`` and gone once it is closed.

**The figures** are a list of :class:`~escalate.insights.tables.Table`: CSV as one block a
table (its title, its headers, its rows, its summary, a blank line), XLSX as one sheet a
table. With ``publish=True`` every table is first made fit to leave the partnership
(``insights.small_numbers.published``: small numbers and what would give them away withheld,
``insights.small_numbers``, and no links).

Spreadsheets run what looks like a formula: a CSV cell of text starting with ``=``, ``+``,
``-``, ``@``, a tab or a carriage return gets a ``'`` in front (OWASP's advice), and in XLSX
every text is written as text, never as a formula. File names say what and when, never who.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
import tempfile
from collections.abc import Iterable, Iterator, Sequence
from functools import cache
from typing import IO, Any

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE, Cell
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet._write_only import WriteOnlyWorksheet

from escalate.cases.models import Status, SubjectKind
from escalate.directory.models import Partnership
from escalate.directory.procedures import registry
from escalate.insights.models import EscalationFact
from escalate.insights.small_numbers import published
from escalate.insights.tables import Table
from escalate.procedures.registry import UnknownProcedureError
from escalate.procedures.schema import AGENCY_TYPE_NAMES

#: Rows fetched from the database at a time, and written to the CSV stream at a time.
CHUNK_ROWS = 1_000

CSV_TYPE = "text/csv; charset=utf-8"
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

#: The register's columns: (header, the fact's field as ``values_list`` reads it).
REGISTER: tuple[tuple[str, str], ...] = (
    ("Reference", "escalation__reference"),
    ("Raising agency", "raising_agency__name"),
    ("Raising agency type", "raising_agency_type"),
    ("Receiving agency", "receiving_agency__name"),
    ("Receiving agency type", "receiving_agency_type"),
    ("Category", "category"),
    ("Subject", "subject_kind"),
    ("Procedure", "procedure_id"),
    ("Procedure version", "procedure_version"),
    ("Concern identified", "outset_on"),
    ("Raised", "raised_on"),
    ("Highest stage reached", "stage_reached"),
    ("Immediate risk", "immediate_risk"),
    ("Status", "status"),
    ("Closed", "closed_on"),
    ("Working days taken", "working_days_taken"),
    ("Stages ended within their due date", "stages_ended_within_due"),
    ("Stages ended", "stages_ended"),
)
REGISTER_HEADERS = tuple(header for header, _ in REGISTER)

Value = str | int | float | dt.date | None
Row = tuple[Value, ...]

_AGENCY_TYPES = {str(t.value): name for t, name in AGENCY_TYPE_NAMES.items()}
_STATUSES = {str(s.value): str(s.label) for s in Status}
_SUBJECTS = {str(s.value): str(s.label) for s in SubjectKind}


@cache
def _category_names(procedure_id: str, version: str) -> dict[str, str]:
    try:
        procedure = registry().get(procedure_id, version)
    except UnknownProcedureError:
        return {}
    return {c.id: c.name for c in procedure.categories}


# -- the register -----------------------------------------------------------------------------


def register_rows(partnership: Partnership, start: dt.date, end: dt.date) -> Iterator[Row]:
    """The register's rows: the partnership's escalations raised from ``start`` to ``end``
    (both included), oldest first, in words where the facts hold codes. One query, read
    ``CHUNK_ROWS`` at a time."""
    rows = (
        EscalationFact.objects.filter(
            partnership_id=partnership.pk, raised_on__gte=start, raised_on__lte=end
        )
        .order_by("raised_on", "escalation_id")
        .values_list(*(field for _, field in REGISTER))
    )
    for row in rows.iterator(chunk_size=CHUNK_ROWS):
        yield _in_words(row)


def _in_words(row: tuple[Any, ...]) -> Row:
    (reference, raising, raising_type, receiving, receiving_type, category, subject,
     procedure, version, *dates, reached, at_risk, status, closed, days, within,
     ended) = row  # fmt: skip
    return (
        reference,
        raising,
        _AGENCY_TYPES.get(raising_type, raising_type),
        receiving,
        _AGENCY_TYPES.get(receiving_type, receiving_type),
        _category_names(procedure, version).get(category, category),
        _SUBJECTS.get(subject, subject),
        procedure,
        version,
        *dates,  # the concern identified, raised
        reached,
        "Yes" if at_risk else "No",
        _STATUSES.get(status, status),
        closed,
        days,
        within,
        ended,
    )


def register_csv(partnership: Partnership, start: dt.date, end: dt.date) -> Iterator[str]:
    """The register as CSV, a chunk of rows at a time."""
    return csv_stream(REGISTER_HEADERS, register_rows(partnership, start, end))


def register_xlsx(partnership: Partnership, start: dt.date, end: dt.date) -> IO[bytes]:
    """The register as an XLSX workbook in a temporary file (at its start; deleted when
    closed)."""
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("Register")
    sheet.freeze_panes = "A2"
    widths = (14, 30, 24, 30, 24, 30, 8, 22, 10, 12, 12, 10, 10, 22, 12, 10, 12, 10)
    for i, width in enumerate(widths, start=1):
        sheet.column_dimensions[get_column_letter(i)].width = width
    sheet.append(_bold(sheet, REGISTER_HEADERS))
    for row in register_rows(partnership, start, end):
        sheet.append(_xlsx_row(sheet, row))
    return _saved(workbook)


# -- the figures ------------------------------------------------------------------------------


def _prepared(tables: Iterable[Table], publish: bool, threshold: int) -> list[Table]:
    if not publish:
        return list(tables)
    return [published(table, threshold) for table in tables]


def figures_csv(
    tables: Iterable[Table], *, publish: bool = False, threshold: int = 5
) -> Iterator[str]:
    """The figures as CSV: a block a table (title, headers, rows, summary) and a blank line
    between. ``publish``: as they may leave the partnership (small numbers hidden)."""
    tables = _prepared(tables, publish, threshold)
    out = io.StringIO()
    writer = csv.writer(out)
    yield "\ufeff"
    for i, table in enumerate(tables):
        if i:
            writer.writerow([])
        writer.writerow([neutralised(table.title)])
        writer.writerow([neutralised(h) for h in table.headers])
        writer.writerows([_csv_cell(cell) for cell in row] for row in table.rows)
        if table.summary:
            writer.writerow([neutralised(table.summary)])
        yield out.getvalue()
        out.seek(0)
        out.truncate()


def figures_xlsx(
    tables: Iterable[Table], *, publish: bool = False, threshold: int = 5
) -> IO[bytes]:
    """The figures as an XLSX workbook, a sheet a table (title, headers, rows, summary)."""
    workbook = Workbook(write_only=True)
    used: set[str] = set()
    for table in _prepared(tables, publish, threshold):
        sheet = workbook.create_sheet(_sheet_title(table.title, used))
        sheet.column_dimensions["A"].width = 36
        for i in range(2, len(table.headers) + 1):
            sheet.column_dimensions[get_column_letter(i)].width = 16
        sheet.append(_bold(sheet, (table.title,)))
        sheet.append(_bold(sheet, table.headers))
        for row in table.rows:
            sheet.append(_xlsx_row(sheet, row))
        if table.summary:
            sheet.append([])
            sheet.append(_xlsx_row(sheet, (table.summary,)))
    if not used:
        workbook.create_sheet("Figures").append(["No figures"])
    return _saved(workbook)


# -- writing ----------------------------------------------------------------------------------

#: What a spreadsheet may take for the start of a formula (OWASP, "CSV injection").
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def neutralised(text: str) -> str:
    """Text a spreadsheet shows as it is: a ``'`` before a formula's first character."""
    return f"'{text}" if text.startswith(FORMULA_START) else text


def _csv_cell(cell: Value) -> str | int | float:
    if cell is None:
        return ""
    if isinstance(cell, dt.date):
        return cell.isoformat()
    if isinstance(cell, str):
        return neutralised(cell)
    return cell


def csv_stream(headers: Sequence[str], rows: Iterable[Row]) -> Iterator[str]:
    """CSV text, a chunk of ``CHUNK_ROWS`` rows at a time; first a byte-order mark, so that
    spreadsheets read the file as UTF-8 (agencies' names may not be ASCII)."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([neutralised(h) for h in headers])
    yield "\ufeff" + out.getvalue()
    out.seek(0)
    out.truncate()
    count = 0
    for row in rows:
        writer.writerow([_csv_cell(cell) for cell in row])
        count += 1
        if count == CHUNK_ROWS:
            yield out.getvalue()
            out.seek(0)
            out.truncate()
            count = 0
    if count:
        yield out.getvalue()


def _xlsx_value(sheet: WriteOnlyWorksheet, cell: Value) -> Any:
    if isinstance(cell, str):
        text = ILLEGAL_CHARACTERS_RE.sub("", cell)
        if text.startswith("="):
            written = WriteOnlyCell(sheet, value=text)
            written.data_type = "s"  # text, never a formula
            return written
        return text
    return cell


def _xlsx_row(sheet: WriteOnlyWorksheet, row: Sequence[Value]) -> list[Any]:
    return [_xlsx_value(sheet, cell) for cell in row]


def _bold(sheet: WriteOnlyWorksheet, texts: Sequence[str]) -> list[Cell]:
    cells = []
    for text in texts:
        cell = WriteOnlyCell(sheet, value=ILLEGAL_CHARACTERS_RE.sub("", text))
        cell.data_type = "s"
        cell.font = Font(bold=True)
        cells.append(cell)
    return cells


_NOT_IN_SHEET_TITLES = re.compile(r"[\[\]:*?/\\]")


def _sheet_title(title: str, used: set[str]) -> str:
    """A sheet's name: at most 31 characters, none of ``[]:*?/\\``, unique in the book."""
    base = _NOT_IN_SHEET_TITLES.sub(" ", ILLEGAL_CHARACTERS_RE.sub("", title)).strip(" '")
    base = base[:31] or "Figures"
    name, n = base, 1
    while name.lower() in used:
        n += 1
        suffix = f" ({n})"
        name = base[: 31 - len(suffix)] + suffix
    used.add(name.lower())
    return name


def _saved(workbook: Workbook) -> IO[bytes]:
    file = tempfile.TemporaryFile()  # noqa: SIM115 (the response closes it)
    workbook.save(file)
    file.seek(0)
    return file


def filename(what: str, partnership: Partnership, start: dt.date, end: dt.date, ext: str) -> str:
    """``escalations-register-north-east-lincolnshire-2025-04-01-to-2026-03-31.csv``: what,
    whose (the partnership's slug) and when; never a person."""
    slug = re.sub(r"[^a-z0-9-]", "-", partnership.slug.lower())
    return f"escalations-{what}-{slug}-{start.isoformat()}-to-{end.isoformat()}.{ext}"
