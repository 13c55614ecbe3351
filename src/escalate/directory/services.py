"""Changes to the directory: the CSV import of agencies, people and stage contacts.

One CSV file holds the three kinds of record, told apart by its ``record`` column (the format is
documented in ``docs/directory-csv.md``). Every row is checked first; the valid rows are then
imported in one transaction, matching agencies by name and people by e-mail address within the
partnership, so importing the same file twice changes nothing the second time. The result is an
:class:`ImportReport` that a page or a command can show as it is: counts, and each rejected row
with its number and reasons. A file that cannot be read at all (not UTF-8, not CSV, no header)
gives a report with ``error`` set and nothing imported; no input raises an exception.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import DatabaseError, transaction

from escalate.audit.models import AuditAction, ObjectType
from escalate.audit.services import audit_record
from escalate.directory.models import (
    LEVEL_LABELS,
    Agency,
    Partnership,
    Person,
    StageContact,
)
from escalate.directory.procedures import partnership_procedure
from escalate.procedures.registry import UnknownProcedureError
from escalate.procedures.schema import AGENCY_TYPE_NAMES, AgencyType, Procedure

# ---------------------------------------------------------------------------------------
# The format

MAX_ROWS = 5000
MAX_FIELD = 1000
ROLE_MAX = 2000  # a text field: room for any procedure's own wording
NAME_MAX = Person._meta.get_field("name").max_length or 200
JOB_TITLE_MAX = Person._meta.get_field("job_title").max_length or 200
PHONE_MAX = Person._meta.get_field("phone").max_length or 40
EMAIL_MAX = Person._meta.get_field("email").max_length or 254
AGENCY_NAME_MAX = Agency._meta.get_field("name").max_length or 200


class RecordKind(StrEnum):
    AGENCY = "agency"
    PERSON = "person"
    STAGE_CONTACT = "stage-contact"


RECORD_KINDS = {k.value: k for k in RecordKind} | {
    "contact": RecordKind.STAGE_CONTACT,
    "stagecontact": RecordKind.STAGE_CONTACT,
    "people": RecordKind.PERSON,
}


#: Every column the importer reads. ``record`` and ``agency`` are needed in every file.
COLUMNS = (
    "record",
    "agency",
    "agency_type",
    "name",
    "job_title",
    "level",
    "email",
    "phone",
    "business_unit",
    "stage",
    "role",
    "active",
)
REQUIRED_HEADER = ("record", "agency")
#: Other spellings of column names that people use.
COLUMN_ALIASES = {
    "e_mail": "email",
    "email_address": "email",
    "e_mail_address": "email",
    "agency_name": "agency",
    "type": "agency_type",
    "telephone": "phone",
    "phone_number": "phone",
    "stage_number": "stage",
    "title": "job_title",
}
#: The cells each kind of record needs, besides ``record`` and ``agency``.
REQUIRED = {
    RecordKind.AGENCY: ("agency_type",),
    RecordKind.PERSON: ("name", "job_title", "level", "email"),
    RecordKind.STAGE_CONTACT: ("stage",),
}
YES = frozenset({"yes", "y", "true", "1"})
NO = frozenset({"no", "n", "false", "0"})

# ---------------------------------------------------------------------------------------
# The messages, named so that pages and tests can refer to them.

FILE_EMPTY = "The file is empty."
FILE_NOT_UTF8 = (
    "The file is not UTF-8 text. Save it as 'CSV UTF-8 (comma delimited)' and upload it again."
)
FILE_SPREADSHEET = (
    "The file is a spreadsheet, not CSV. Save it as 'CSV UTF-8 (comma delimited)' and upload "
    "it again."
)
FILE_BINARY = "The file is not a CSV file: it holds binary data."
FILE_NOT_CSV = "The file could not be read as CSV ({detail})."
FILE_NO_HEADER = "The first row must be the header, naming the columns; it has no {missing} column."
FILE_SEMICOLONS = (
    "The columns are separated by semicolons; separate them with commas "
    "(save the file as 'CSV UTF-8 (comma delimited)')."
)
FILE_DUPLICATE_COLUMN = "The header names the column '{column}' twice."
FILE_TOO_MANY_ROWS = "The file has more than {max} rows; split it into smaller files."
FILE_NO_ROWS = "The file has a header but no rows."
UNKNOWN_PROCEDURE = "The partnership's procedure {key} is not installed: {detail}"
IMPORT_FAILED = "Nothing was imported: the database refused the changes ({detail})."

ROW_EMPTY_RECORD = "The record column is empty: give agency, person or stage-contact."
ROW_UNKNOWN_RECORD = "Unknown record '{value}': give agency, person or stage-contact."
ROW_NO_COLUMN = "The file has no {column} column, which a {record} row needs."
ROW_MISSING = "The {column} is missing."
ROW_TOO_LONG = "The {column} is longer than {max} characters."
ROW_FIELD_TOO_LONG = "The {column} cell is longer than {max} characters."
ROW_UNKNOWN_AGENCY_TYPE = "Unknown agency type '{value}': give one of {allowed}."
ROW_UNKNOWN_LEVEL = "Unknown level '{value}': give one of {allowed}."
ROW_BAD_EMAIL = "'{value}' is not a valid e-mail address."
ROW_BAD_YES_NO = "The {column} must be yes or no, not '{value}'."
ROW_BAD_STAGE = "The stage must be a whole number, not '{value}'."
ROW_STAGE_OUT_OF_RANGE = "{procedure} has no stage {stage}: its stages are 1 to {top}."
ROW_AGENCY_NOT_FOUND = (
    "There is no agency '{agency}' in this partnership or in the file's agency rows."
)
ROW_AGENCY_REJECTED = "The agency '{agency}' is not imported: its row {row} was rejected."
ROW_PERSON_NOT_FOUND = (
    "There is no person with the e-mail {email} in this partnership or in the file's person rows."
)
ROW_PERSON_REJECTED = "The person {email} is not imported: their row {row} was rejected."
ROW_PERSON_AMBIGUOUS = (
    "More than one person in this partnership has the e-mail {email}; correct it in the "
    "directory first."
)
ROW_DUPLICATE_AGENCY = "Agency '{agency}' is already given in row {row}."
ROW_DUPLICATE_PERSON = "The person with the e-mail {email} is already given in row {row}."
ROW_DUPLICATE_CONTACT = "This stage contact is already given in row {row}."


# ---------------------------------------------------------------------------------------
# The report


@dataclass
class Counts:
    created: int = 0
    updated: int = 0
    unchanged: int = 0


@dataclass(frozen=True)
class RejectedRow:
    """A row not imported. ``row`` is its number as a spreadsheet shows it (header = 1)."""

    row: int
    record: str
    label: str
    reasons: tuple[str, ...]


@dataclass
class ImportReport:
    """What an import did, or (``dry_run``) would do. Render it as it is."""

    dry_run: bool
    error: str | None = None
    rows_read: int = 0
    agencies: Counts = field(default_factory=Counts)
    people: Counts = field(default_factory=Counts)
    stage_contacts: Counts = field(default_factory=Counts)
    rejected: list[RejectedRow] = field(default_factory=list)
    ignored_columns: tuple[str, ...] = ()
    #: The ids of the people created or changed (for the audit trail).
    people_changed: set[int] = field(default_factory=set)

    @property
    def ok(self) -> bool:
        """The file was read (some rows may still have been rejected)."""
        return self.error is None

    @property
    def changed(self) -> int:
        return sum(c.created + c.updated for c in self.counts().values())

    def counts(self) -> dict[str, Counts]:
        return {
            "Agencies": self.agencies,
            "People": self.people,
            "Stage contacts": self.stage_contacts,
        }

    def lines(self) -> list[str]:
        """The report as plain text lines (for the command line and logs of a run)."""
        if self.error is not None:
            return [f"Nothing imported. {self.error}"]
        head = "Dry run: nothing was saved. " if self.dry_run else ""
        verb = "would be " if self.dry_run else ""
        out = [f"{head}{self.rows_read} rows read, {len(self.rejected)} rejected."]
        for name, c in self.counts().items():
            out.append(
                f"{name}: {c.created} {verb}created, {c.updated} {verb}updated, "
                f"{c.unchanged} unchanged."
            )
        if self.ignored_columns:
            out.append(f"Columns ignored: {', '.join(self.ignored_columns)}.")
        for r in self.rejected:
            out.append(f"Row {r.row} ({r.record}{': ' + r.label if r.label else ''}) rejected:")
            out.extend(f"  - {reason}" for reason in r.reasons)
        return out


# ---------------------------------------------------------------------------------------
# What the procedure says: shared with the demo data


def stage_role(procedure: Procedure, stage: int, agency_type: str) -> str:
    """Who acts for an agency type at a stage, as the procedure names it (up to ROLE_MAX):
    the stage's ``who_by_agency`` entry for the type, else the stage's ``who``."""
    definition = procedure.stage(stage)
    try:
        text = definition.who_by_agency.get(AgencyType(agency_type)) or definition.who
    except ValueError:
        text = definition.who
    return _shorten(" ".join(text.split()), ROLE_MAX)


def _shorten(text: str, limit: int) -> str:
    if len(text) <= limit:
        return text
    cut = text[: limit - 1].rsplit(" ", 1)[0].rstrip(",;:")
    return cut + "…"


# ---------------------------------------------------------------------------------------
# Reading the file


class _FileError(Exception):
    pass


def _decode(data: bytes) -> str:
    if data.startswith(b"PK\x03\x04") or data.startswith(b"\xd0\xcf\x11\xe0"):
        raise _FileError(FILE_SPREADSHEET)
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):  # UTF-16: Excel's "Unicode text"
        raise _FileError(FILE_NOT_UTF8)
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        if b"\x00" in data:
            raise _FileError(FILE_BINARY) from None
        raise _FileError(FILE_NOT_UTF8) from None


def _read(text: str) -> tuple[list[str], list[tuple[int, dict[str, str]]]]:
    """The header (normalised names) and the non-blank rows with their spreadsheet numbers."""
    text = text.removeprefix("\ufeff")
    if not text.strip():
        raise _FileError(FILE_EMPTY)
    if "\x00" in text:
        raise _FileError(FILE_BINARY)
    if "\ufffd" in text:
        raise _FileError(FILE_NOT_UTF8)
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    try:
        header = _header(next(reader, None))
        rows: list[tuple[int, dict[str, str]]] = []
        for number, cells in enumerate(reader, start=2):
            if not any(c.strip() for c in cells):
                continue
            if len(rows) >= MAX_ROWS:
                raise _FileError(FILE_TOO_MANY_ROWS.format(max=MAX_ROWS))
            row = {name: cells[i] if i < len(cells) else "" for i, name in enumerate(header)}
            rows.append((number, row))
    except csv.Error as exc:
        raise _FileError(FILE_NOT_CSV.format(detail=exc)) from exc
    if not rows:
        raise _FileError(FILE_NO_ROWS)
    return header, rows


def _header(cells: list[str] | None) -> list[str]:
    if cells is None:
        raise _FileError(FILE_EMPTY)
    header = [_column_name(c) for c in cells]
    for i, name in enumerate(header):
        if name and name in header[:i]:
            raise _FileError(FILE_DUPLICATE_COLUMN.format(column=name))
    missing = [c for c in REQUIRED_HEADER if c not in header]
    if missing:
        if len(cells) == 1 and ";" in cells[0]:
            raise _FileError(FILE_SEMICOLONS)
        raise _FileError(FILE_NO_HEADER.format(missing=" or ".join(missing)))
    return header


def _column_name(cell: str) -> str:
    """'Job title', 'job-title' and 'JOB_TITLE' all name the job_title column."""
    name = re.sub(r"[\s\-]+", "_", cell.strip().casefold())
    return COLUMN_ALIASES.get(name, name)


def _slug(text: str) -> str:
    """'Line manager', 'line_manager' and 'LINE-MANAGER' all give 'line-manager'."""
    return re.sub(r"[\s_\-]+", "-", text.strip().casefold())


def _key(text: str) -> str:
    """Agency names match ignoring case and repeated spaces."""
    return " ".join(text.split()).casefold()


# ---------------------------------------------------------------------------------------
# Checking rows


def _choices(labels: Mapping[Any, str]) -> dict[str, str]:
    """Accept the value ('line-manager') or the label ('Line manager'), in any case."""
    out: dict[str, str] = {}
    for value, label in labels.items():
        out[_slug(label)] = value.value
        out[value.value] = value.value
    return out


AGENCY_TYPES = _choices(AGENCY_TYPE_NAMES)
LEVELS = _choices(LEVEL_LABELS)
AGENCY_TYPE_VALUES = ", ".join(t.value for t in AGENCY_TYPE_NAMES)
LEVEL_VALUES = ", ".join(lv.value for lv in LEVEL_LABELS)


@dataclass
class _Row:
    number: int
    kind: RecordKind | None
    cells: dict[str, str]
    reasons: list[str] = field(default_factory=list)

    def get(self, column: str) -> str:
        return " ".join(self.cells.get(column, "").split())

    @property
    def label(self) -> str:
        if self.kind is RecordKind.PERSON:
            return self.get("name") or self.get("email")
        if self.kind is RecordKind.STAGE_CONTACT:
            return f"{self.get('agency')}, stage {self.get('stage')}".strip(", ")
        return self.get("agency")


@dataclass(frozen=True)
class _AgencyData:
    name: str
    agency_type: str
    is_active: bool | None


@dataclass(frozen=True)
class _PersonData:
    agency_key: str
    email: str
    name: str
    job_title: str
    level: str
    phone: str | None
    is_business_unit: bool | None
    is_active: bool | None


@dataclass(frozen=True)
class _ContactData:
    agency_key: str
    stage: int
    email: str | None
    role: str | None


def _yes_no(row: _Row, column: str) -> bool | None:
    value = row.get(column).lower()
    if not value:
        return None
    if value in YES:
        return True
    if value in NO:
        return False
    row.reasons.append(ROW_BAD_YES_NO.format(column=column.replace("_", " "), value=value))
    return None


def _required(row: _Row, kind: RecordKind, header: Iterable[str]) -> None:
    present = set(header)
    for column in REQUIRED[kind]:
        if column not in present:
            row.reasons.append(ROW_NO_COLUMN.format(column=column, record=kind.value))
        elif not row.get(column):
            row.reasons.append(ROW_MISSING.format(column=column.replace("_", " ")))


def _length(row: _Row, column: str, limit: int) -> None:
    if len(row.get(column)) > limit:
        row.reasons.append(ROW_TOO_LONG.format(column=column.replace("_", " "), max=limit))


def _email(row: _Row) -> str:
    email = row.get("email")
    if not email:
        return ""
    try:
        validate_email(email)
    except ValidationError:
        row.reasons.append(ROW_BAD_EMAIL.format(value=email))
        return ""
    local, _, domain = email.rpartition("@")
    return f"{local}@{domain.lower()}"


def _check_agency(row: _Row) -> _AgencyData | None:
    _length(row, "agency", AGENCY_NAME_MAX)
    raw_type = row.get("agency_type")
    agency_type = AGENCY_TYPES.get(_slug(raw_type))
    if raw_type and agency_type is None:
        row.reasons.append(
            ROW_UNKNOWN_AGENCY_TYPE.format(value=raw_type, allowed=AGENCY_TYPE_VALUES)
        )
    active = _yes_no(row, "active")
    if row.reasons or agency_type is None:
        return None
    return _AgencyData(row.get("agency"), agency_type, active)


def _check_person(row: _Row) -> _PersonData | None:
    limits = (
        ("name", NAME_MAX),
        ("job_title", JOB_TITLE_MAX),
        ("phone", PHONE_MAX),
        ("email", EMAIL_MAX),
    )
    for column, limit in limits:
        _length(row, column, limit)
    raw_level = row.get("level")
    level = LEVELS.get(_slug(raw_level))
    if raw_level and level is None:
        row.reasons.append(ROW_UNKNOWN_LEVEL.format(value=raw_level, allowed=LEVEL_VALUES))
    email = _email(row)
    business_unit = _yes_no(row, "business_unit")
    active = _yes_no(row, "active")
    if row.reasons or level is None or not email:
        return None
    return _PersonData(
        agency_key=_key(row.get("agency")),
        email=email,
        name=row.get("name"),
        job_title=row.get("job_title"),
        level=level,
        phone=row.get("phone") or None,
        is_business_unit=business_unit,
        is_active=active,
    )


def _check_contact(row: _Row, procedure: Procedure) -> _ContactData | None:
    raw_stage = row.get("stage")
    stage: int | None = None
    if raw_stage:
        if re.fullmatch(r"\d{1,3}", raw_stage):
            stage = int(raw_stage)
            if not 1 <= stage <= procedure.top:
                row.reasons.append(
                    ROW_STAGE_OUT_OF_RANGE.format(
                        procedure=procedure.title, stage=stage, top=procedure.top
                    )
                )
        else:
            row.reasons.append(ROW_BAD_STAGE.format(value=raw_stage))
    _length(row, "role", ROLE_MAX)
    email = _email(row)
    if row.reasons or stage is None:
        return None
    return _ContactData(_key(row.get("agency")), stage, email or None, row.get("role") or None)


# ---------------------------------------------------------------------------------------
# The import


def directory_import_csv(
    *,
    partnership: Partnership,
    text: str | bytes,
    dry_run: bool = False,
    actor: object = None,
    via: str = "page",
) -> ImportReport:
    """Import one partnership's agencies, people and stage contacts from one CSV file.

    ``text`` is the file's text, or its bytes as uploaded (UTF-8, with or without a byte-order
    mark). With ``dry_run`` everything is checked and counted and nothing is saved.

    An import that saves is recorded in the audit trail, in its transaction: who (``actor``;
    ``None`` from the command line, which ``via`` says), the partnership, the counts, and the
    ids of the people created or changed (an import can make someone the business unit), never
    a name or an address. A check (``dry_run``) changes nothing and is not recorded.
    """
    report = ImportReport(dry_run=dry_run)
    try:
        procedure = partnership_procedure(partnership)
    except UnknownProcedureError as exc:
        report.error = UNKNOWN_PROCEDURE.format(key=partnership.procedure_key, detail=exc)
        return report
    try:
        if isinstance(text, bytes):
            text = _decode(text)
        header, raw_rows = _read(text)
    except _FileError as exc:
        report.error = str(exc)
        return report
    report.rows_read = len(raw_rows)
    report.ignored_columns = tuple(c for c in header if c and c not in COLUMNS)

    rows = [_classify(number, cells) for number, cells in raw_rows]
    plan = _Plan(partnership, procedure)
    for row in rows:
        plan.check(row, header)
    plan.link()
    report.rejected = [
        RejectedRow(r.number, r.cells.get("record", "").strip(), r.label, tuple(r.reasons))
        for r in rows
        if r.reasons
    ]
    try:
        with transaction.atomic():
            plan.apply(report)
            if dry_run:
                transaction.set_rollback(True)
            else:
                _audit_import(actor, via, partnership, report)
    except DatabaseError as exc:
        return ImportReport(
            dry_run=dry_run,
            error=IMPORT_FAILED.format(detail=exc),
            rows_read=report.rows_read,
            rejected=report.rejected,
            ignored_columns=report.ignored_columns,
        )
    return report


def _audit_import(actor: object, via: str, partnership: Partnership, report: ImportReport) -> None:
    counts = {
        name: {"created": c.created, "updated": c.updated, "unchanged": c.unchanged}
        for name, c in (
            ("agencies", report.agencies),
            ("people", report.people),
            ("stage_contacts", report.stage_contacts),
        )
    }
    audit_record(
        actor=actor,
        action=AuditAction.DIRECTORY_IMPORTED,
        object_type=ObjectType.PARTNERSHIP,
        object_ref=str(partnership.pk),
        partnership_id=partnership.pk,
        detail={
            "via": via,
            "rows": report.rows_read,
            "rejected": len(report.rejected),
            **counts,
            "people_changed": sorted(report.people_changed),
        },
    )


def _classify(number: int, cells: dict[str, str]) -> _Row:
    raw = cells.get("record", "").strip()
    row = _Row(number, RECORD_KINDS.get(_slug(raw)), cells)
    if not raw:
        row.reasons.append(ROW_EMPTY_RECORD)
    elif row.kind is None:
        row.reasons.append(ROW_UNKNOWN_RECORD.format(value=raw))
    return row


class _Plan:
    """The rows checked, then linked to each other and to what is stored, then applied."""

    def __init__(self, partnership: Partnership, procedure: Procedure) -> None:
        self.partnership = partnership
        self.procedure = procedure
        self.stored_agencies = {_key(a.name): a for a in partnership.agencies.all()}
        self.stored_people: dict[str, list[Person]] = {}
        stored = Person.objects.filter(agency__partnership=partnership).exclude(email="")
        for p in stored.select_related("agency"):
            self.stored_people.setdefault(p.email.casefold(), []).append(p)
        self.agencies: dict[str, tuple[_Row, _AgencyData | None]] = {}
        self.people: dict[str, tuple[_Row, _PersonData | None]] = {}
        # A contact is one agency, stage and person (or, with no person, role).
        self.contacts: dict[tuple[str, int, str], tuple[_Row, _ContactData]] = {}
        self.person_rows: list[tuple[_Row, _PersonData]] = []
        self.contact_rows: list[tuple[_Row, _ContactData]] = []
        # Stored stage contacts, loaded when applied: see ``_contact_key``.
        self.stored_contacts: dict[tuple[int, int, int | None, str | None], StageContact] = {}

    def check(self, row: _Row, header: list[str]) -> None:
        for column, value in row.cells.items():
            if len(value) > MAX_FIELD:
                row.reasons.append(
                    ROW_FIELD_TOO_LONG.format(column=column.replace("_", " "), max=MAX_FIELD)
                )
        if row.kind is None:
            return
        if not row.get("agency"):
            row.reasons.append(ROW_MISSING.format(column="agency"))
        _required(row, row.kind, header)
        if row.kind is RecordKind.AGENCY:
            self._check_agency_row(row)
        elif row.kind is RecordKind.PERSON:
            self._check_person_row(row)
        else:
            self._check_contact_row(row)

    def _check_agency_row(self, row: _Row) -> None:
        agency = _check_agency(row)
        key = _key(row.get("agency"))
        if not key:
            return
        seen = self.agencies.get(key)
        if seen is not None:
            row.reasons.append(
                ROW_DUPLICATE_AGENCY.format(agency=row.get("agency"), row=seen[0].number)
            )
        else:
            self.agencies[key] = (row, agency)

    def _check_person_row(self, row: _Row) -> None:
        person = _check_person(row)
        email = row.get("email").casefold()
        if email:
            seen = self.people.get(email)
            if seen is not None:
                row.reasons.append(
                    ROW_DUPLICATE_PERSON.format(email=row.get("email"), row=seen[0].number)
                )
            else:
                self.people[email] = (row, person)
                if len(self.stored_people.get(email, [])) > 1:
                    row.reasons.append(ROW_PERSON_AMBIGUOUS.format(email=row.get("email")))
        if person is not None and not row.reasons:
            self.person_rows.append((row, person))

    def _check_contact_row(self, row: _Row) -> None:
        contact = _check_contact(row, self.procedure)
        if contact is None or row.reasons:
            return
        key = (
            contact.agency_key,
            contact.stage,
            contact.email.casefold() if contact.email else _key(contact.role or ""),
        )
        seen = self.contacts.get(key)
        if seen is not None:
            row.reasons.append(ROW_DUPLICATE_CONTACT.format(row=seen[0].number))
        else:
            self.contacts[key] = (row, contact)
            self.contact_rows.append((row, contact))

    def _agency_problem(self, agency_key: str, name: str) -> str | None:
        if agency_key in self.stored_agencies:
            return None  # even when its row in the file was rejected: it is there to link to
        in_file = self.agencies.get(agency_key)
        if in_file is None:
            return ROW_AGENCY_NOT_FOUND.format(agency=name)
        row, data = in_file
        if data is None or row.reasons:
            return ROW_AGENCY_REJECTED.format(agency=name, row=row.number)
        return None

    def link(self) -> None:
        """Reject people and contacts whose agency or person is not there to link to."""
        for row, person in self.person_rows:
            problem = self._agency_problem(person.agency_key, row.get("agency"))
            if problem:
                row.reasons.append(problem)
        for row, contact in self.contact_rows:
            problem = self._agency_problem(contact.agency_key, row.get("agency"))
            if problem:
                row.reasons.append(problem)
            if contact.email is not None:
                email = contact.email.casefold()
                in_file = self.people.get(email)
                if in_file is not None:
                    p_row, _ = in_file
                    if p_row.reasons:
                        row.reasons.append(
                            ROW_PERSON_REJECTED.format(email=contact.email, row=p_row.number)
                        )
                elif not self.stored_people.get(email):
                    row.reasons.append(ROW_PERSON_NOT_FOUND.format(email=contact.email))
                elif len(self.stored_people[email]) > 1:
                    row.reasons.append(ROW_PERSON_AMBIGUOUS.format(email=contact.email))

    def apply(self, report: ImportReport) -> None:
        stored_contacts = StageContact.objects.filter(agency__partnership=self.partnership)
        for stored in stored_contacts.order_by("pk"):
            key = _contact_key(stored.agency_id, stored.stage, stored.person_id, stored.role)
            self.stored_contacts.setdefault(key, stored)
        agencies = dict(self.stored_agencies)
        for row, data in self.agencies.values():
            if data is None or row.reasons:
                continue
            agencies[_key(data.name)] = self._save_agency(data, report.agencies)
        people: dict[str, Person] = {
            email: found[0] for email, found in self.stored_people.items() if len(found) == 1
        }
        for row, person in self.person_rows:
            if row.reasons:
                continue
            saved, changed = self._save_person(person, agencies[person.agency_key], report.people)
            people[person.email.casefold()] = saved
            if changed:
                report.people_changed.add(saved.pk)
        for row, contact in self.contact_rows:
            if row.reasons:
                continue
            person_obj = people[contact.email.casefold()] if contact.email else None
            self._save_contact(
                contact, agencies[contact.agency_key], person_obj, report.stage_contacts
            )

    def _save_agency(self, data: _AgencyData, counts: Counts) -> Agency:
        agency = self.stored_agencies.get(_key(data.name))
        if agency is None:
            counts.created += 1
            return Agency.objects.create(
                partnership=self.partnership,
                name=data.name,
                agency_type=data.agency_type,
                is_active=True if data.is_active is None else data.is_active,
            )
        changes: dict[str, object] = {"name": data.name, "agency_type": data.agency_type}
        if data.is_active is not None:
            changes["is_active"] = data.is_active
        _update(agency, changes, counts)
        return agency

    def _save_person(
        self, data: _PersonData, agency: Agency, counts: Counts
    ) -> tuple[Person, bool]:
        found = self.stored_people.get(data.email.casefold(), [])
        changes: dict[str, object] = {
            "agency": agency,
            "name": data.name,
            "job_title": data.job_title,
            "level": data.level,
            "email": data.email,
        }
        for name in ("phone", "is_business_unit", "is_active"):
            value = getattr(data, name)
            if value is not None:
                changes[name] = value
        if not found:
            counts.created += 1
            return Person.objects.create(**changes), True
        person = found[0]
        return person, _update(person, changes, counts)

    def _save_contact(
        self, data: _ContactData, agency: Agency, person: Person | None, counts: Counts
    ) -> None:
        role = data.role or stage_role(self.procedure, data.stage, agency.agency_type)
        key = _contact_key(agency.pk, data.stage, person.pk if person else None, role)
        contact = self.stored_contacts.get(key)
        if contact is None:
            counts.created += 1
            self.stored_contacts[key] = StageContact.objects.create(
                agency=agency, stage=data.stage, person=person, role=role
            )
            return
        _update(contact, {"role": role}, counts)


def _contact_key(
    agency_id: int, stage: int, person_id: int | None, role: str
) -> tuple[int, int, int | None, str | None]:
    """What makes a stage contact the same one: agency, stage and person, or (with no person)
    agency, stage and role."""
    return (agency_id, stage, person_id, role if person_id is None else None)


def _update(
    obj: Agency | Person | StageContact, changes: Mapping[str, object], counts: Counts
) -> bool:
    """Save what differs; whether anything did."""
    changed = [name for name, value in changes.items() if getattr(obj, name) != value]
    if not changed:
        counts.unchanged += 1
        return False
    for name in changed:
        setattr(obj, name, changes[name])
    obj.save(update_fields=changed)
    counts.updated += 1
    return True
