"""The directory's CSV import: valid files, each kind of rejected row, idempotence, dry runs
and input that is not a CSV file at all."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from escalate.cases.rules import registry
from escalate.directory import services as ds
from escalate.directory.models import Agency, Partnership, Person, StageContact
from escalate.procedures.schema import Level, Procedure

pytestmark = pytest.mark.django_db

HEADER = "record,agency,agency_type,name,job_title,level,email,phone,business_unit,stage,role"

VALID = f"""{HEADER}
agency,Northmoor Police,police,,,,,,,,
agency,Riverside Housing,Housing,,,,,,,,
person,Northmoor Police,,Sam Example,DS,line-manager,sam@police.example,0123 45678,,,
person,Riverside Housing,,Alex Sample,Housing Officer,Practitioner,alex@housing.example,,,,
person,Riverside Housing,,Jo Unit,Business Manager,senior-manager,jo@board.example,,yes,,
stage-contact,Northmoor Police,,,,,sam@police.example,,,1,Detective Sergeant (safeguarding)
stage-contact,Riverside Housing,,,,,alex@housing.example,,,1,
stage-contact,Riverside Housing,,,,,,,,4,Nominated Board representative
"""


@pytest.fixture
def partnership() -> Partnership:
    return Partnership.objects.create(
        slug="test-sab",
        name="Test Safeguarding Adults Board",
        short_name="Test SAB",
        procedure_id="north-somerset-sab",
        procedure_version="1",
    )


def _import(
    partnership: Partnership, text: str | bytes, *, dry_run: bool = False
) -> ds.ImportReport:
    return ds.directory_import_csv(partnership=partnership, text=text, dry_run=dry_run)


def _reasons(report: ds.ImportReport, row: int) -> tuple[str, ...]:
    found = [r for r in report.rejected if r.row == row]
    assert found, f"row {row} was not rejected: {report.lines()}"
    return found[0].reasons


def _file(*rows: str, header: str = HEADER) -> str:
    return "\n".join([header, *rows]) + "\n"


def _procedure(partnership: Partnership) -> Procedure:
    return registry().get(partnership.procedure_id, partnership.procedure_version)


def _totals() -> tuple[int, int, int]:
    return Agency.objects.count(), Person.objects.count(), StageContact.objects.count()


# ---------------------------------------------------------------------------------------
# A valid file


def test_a_valid_file_imports_agencies_people_and_stage_contacts(partnership: Partnership) -> None:
    report = _import(partnership, VALID)
    assert report.ok, report.lines()
    assert report.rejected == []
    assert report.rows_read == 8
    assert (report.agencies.created, report.people.created, report.stage_contacts.created) == (
        2,
        3,
        3,
    )
    assert report.changed == 8
    police = Agency.objects.get(partnership=partnership, name="Northmoor Police")
    assert police.agency_type == "police"
    sam = Person.objects.get(email="sam@police.example")
    assert (sam.agency, sam.level, sam.phone, sam.is_business_unit) == (
        police,
        Level.LINE_MANAGER,
        "0123 45678",
        False,
    )
    assert Person.objects.get(email="jo@board.example").is_business_unit is True
    housing = Agency.objects.get(name="Riverside Housing")
    assert housing.agency_type == "housing"  # the label is accepted as well as the value
    contact = StageContact.objects.get(agency=police, stage=1)
    assert (contact.person, contact.role) == (sam, "Detective Sergeant (safeguarding)")
    # An empty role is filled from the procedure: the stage's 'who' (no who_by_agency here).
    filled = StageContact.objects.get(agency=housing, stage=1)
    assert filled.role == ds.stage_role(_procedure(partnership), 1, "housing")
    assert filled.role.startswith(" ".join(_procedure(partnership).stage(1).who.split())[:50])
    no_person = StageContact.objects.get(agency=housing, stage=4)
    assert no_person.person is None
    assert no_person.role == "Nominated Board representative"


def test_the_role_comes_from_who_by_agency_when_the_procedure_has_one() -> None:
    nel = registry().get("north-east-lincolnshire")
    assert ds.stage_role(nel, 2, "police") == "Detective Sergeant (PVPU)"
    assert ds.stage_role(nel, 5, "police").startswith("The raising agency refers")
    # the whole wording is kept: roles are text, not cut short
    assert ds.stage_role(nel, 5, "police") == " ".join(nel.stage(5).who.split())
    assert ds.stage_role(nel, 1, "housing").startswith("The practitioner raising")


def test_the_same_file_twice_changes_nothing(partnership: Partnership) -> None:
    _import(partnership, VALID)
    before = _totals()
    again = _import(partnership, VALID)
    assert _totals() == before
    assert again.rejected == []
    assert again.changed == 0
    assert (again.agencies.unchanged, again.people.unchanged, again.stage_contacts.unchanged) == (
        2,
        3,
        3,
    )


def test_a_changed_row_updates_the_match_and_keeps_empty_cells(partnership: Partnership) -> None:
    _import(partnership, VALID)
    changed = _file(
        "agency,NORTHMOOR  police,police,,,,,,,,",
        "person,Riverside Housing,,Sam Example,Safeguarding Lead,second-tier-manager,"
        "SAM@police.example,,,,",
    )
    report = _import(partnership, changed)
    assert report.rejected == []
    assert (report.agencies.updated, report.people.updated) == (1, 1)
    assert Agency.objects.filter(partnership=partnership).count() == 2
    sam = Person.objects.get(email__iexact="sam@police.example")
    assert sam.agency.name == "Riverside Housing"  # moved between agencies
    assert sam.level == Level.SECOND_TIER_MANAGER
    assert sam.phone == "0123 45678"  # an empty optional cell leaves the value
    assert Agency.objects.get(pk=sam.agency.pk).name == "Riverside Housing"
    assert Agency.objects.filter(name="NORTHMOOR police").exists()


def test_people_match_by_email_within_the_partnership_only(partnership: Partnership) -> None:
    other = Partnership.objects.create(
        slug="other",
        name="Other",
        short_name="Other",
        procedure_id="redbridge-sab",
        procedure_version="1",
    )
    _import(other, VALID)
    report = _import(partnership, VALID)
    assert report.people.created == 3
    assert Person.objects.filter(email="sam@police.example").count() == 2


def test_a_dry_run_counts_but_saves_nothing(partnership: Partnership) -> None:
    report = _import(partnership, VALID, dry_run=True)
    assert report.dry_run
    assert (report.agencies.created, report.people.created, report.stage_contacts.created) == (
        2,
        3,
        3,
    )
    assert _totals() == (0, 0, 0)
    assert report.lines()[0].startswith("Dry run: nothing was saved.")


def test_a_dry_run_after_an_import_reports_everything_unchanged(partnership: Partnership) -> None:
    _import(partnership, VALID)
    before = _totals()
    report = _import(partnership, VALID, dry_run=True)
    assert report.changed == 0
    assert _totals() == before


def test_rows_may_come_in_any_order(partnership: Partnership) -> None:
    rows = VALID.strip().splitlines()
    report = _import(partnership, "\n".join([rows[0], *reversed(rows[1:])]))
    assert report.rejected == []
    assert report.stage_contacts.created == 3


# ---------------------------------------------------------------------------------------
# Rejected rows, each with its reason


def test_each_kind_of_bad_row_is_rejected_with_its_reason(partnership: Partnership) -> None:
    text = _file(
        "agency,Northmoor Police,police,,,,,,,,",  # 2: fine
        "agency,Moon Base,space-agency,,,,,,,,",  # 3
        "person,Northmoor Police,,Ann Bad,Constable,sergeant-major,ann@police.example,,,,",  # 4
        "person,Northmoor Police,,Ben Bad,Constable,practitioner,not-an-email,,,,",  # 5
        "person,Northmoor Police,,,Constable,practitioner,cy@police.example,,,,",  # 6
        "stage-contact,Northmoor Police,,,,,,,,7,Someone",  # 7
        "stage-contact,Northmoor Police,,,,,,,,two,Someone",  # 8
        "person,Nowhere Agency,,Di Lost,Nurse,practitioner,di@nowhere.example,,,,",  # 9
        "stage-contact,Nowhere Agency,,,,,,,,1,Someone",  # 10
        "stage-contact,Northmoor Police,,,,,nobody@police.example,,,1,",  # 11
        "agency,northmoor police,police,,,,,,,,",  # 12: duplicate of 2
        "person,Northmoor Police,,Ed Good,Constable,practitioner,ed@police.example,,,,",  # 13
        "person,Northmoor Police,,Ed Again,Constable,practitioner,ED@police.example,,,,",  # 14
        "stage-contact,Northmoor Police,,,,,ed@police.example,,,1,",  # 15
        "stage-contact,Northmoor Police,,,,,ed@police.example,,,1,Other words",  # 16
        "widget,Northmoor Police,,,,,,,,,",  # 17
        ",Northmoor Police,,,,,,,,,",  # 18
        "person,Northmoor Police,,Fay Flag,PC,practitioner,fay@police.example,,maybe,,",  # 19
        "agency,,police,,,,,,,,",  # 20
        "stage-contact,Moon Base,,,,,,,,1,",  # 21: its agency row (3) was rejected
        "stage-contact,Northmoor Police,,,,,ann@police.example,,,2,",  # 22: its person (4) too
    )
    report = _import(partnership, text)
    assert report.ok
    assert "Unknown agency type 'space-agency'" in _reasons(report, 3)[0]
    assert "police" in _reasons(report, 3)[0]  # the allowed values are listed
    assert _reasons(report, 4) == (
        ds.ROW_UNKNOWN_LEVEL.format(value="sergeant-major", allowed=ds.LEVEL_VALUES),
    )
    assert _reasons(report, 5) == (ds.ROW_BAD_EMAIL.format(value="not-an-email"),)
    assert _reasons(report, 6) == (ds.ROW_MISSING.format(column="name"),)
    assert _reasons(report, 7) == (
        ds.ROW_STAGE_OUT_OF_RANGE.format(procedure=_procedure_title(partnership), stage=7, top=5),
    )
    assert _reasons(report, 8) == (ds.ROW_BAD_STAGE.format(value="two"),)
    assert _reasons(report, 9) == (ds.ROW_AGENCY_NOT_FOUND.format(agency="Nowhere Agency"),)
    assert _reasons(report, 10) == (ds.ROW_AGENCY_NOT_FOUND.format(agency="Nowhere Agency"),)
    assert _reasons(report, 11) == (ds.ROW_PERSON_NOT_FOUND.format(email="nobody@police.example"),)
    assert _reasons(report, 12) == (
        ds.ROW_DUPLICATE_AGENCY.format(agency="northmoor police", row=2),
    )
    assert _reasons(report, 14) == (
        ds.ROW_DUPLICATE_PERSON.format(email="ED@police.example", row=13),
    )
    assert _reasons(report, 16) == (ds.ROW_DUPLICATE_CONTACT.format(row=15),)
    assert _reasons(report, 17) == (ds.ROW_UNKNOWN_RECORD.format(value="widget"),)
    assert _reasons(report, 18) == (ds.ROW_EMPTY_RECORD,)
    assert _reasons(report, 19) == (
        ds.ROW_BAD_YES_NO.format(column="business unit", value="maybe"),
    )
    assert _reasons(report, 20) == (ds.ROW_MISSING.format(column="agency"),)
    assert _reasons(report, 21) == (ds.ROW_AGENCY_REJECTED.format(agency="Moon Base", row=3),)
    assert _reasons(report, 22) == (
        ds.ROW_PERSON_REJECTED.format(email="ann@police.example", row=4),
    )
    # The valid rows were imported all the same.
    assert [r.row for r in report.rejected] == [
        3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 14, 16, 17, 18, 19, 20, 21, 22,
    ]  # fmt: skip
    assert (report.agencies.created, report.people.created, report.stage_contacts.created) == (
        1,
        1,
        1,
    )
    assert Person.objects.get().email == "ed@police.example"
    lines = report.lines()
    assert any(line.startswith("Row 4 (person: Ann Bad) rejected:") for line in lines)


def _procedure_title(partnership: Partnership) -> str:
    return _procedure(partnership).title


def test_a_row_gives_every_reason_not_only_the_first(partnership: Partnership) -> None:
    text = _file("person,,,,Constable,boss,bad@,,perhaps,,")
    reasons = _reasons(_import(partnership, text), 2)
    assert ds.ROW_MISSING.format(column="agency") in reasons
    assert ds.ROW_MISSING.format(column="name") in reasons
    assert ds.ROW_UNKNOWN_LEVEL.format(value="boss", allowed=ds.LEVEL_VALUES) in reasons
    assert ds.ROW_BAD_EMAIL.format(value="bad@") in reasons
    assert ds.ROW_BAD_YES_NO.format(column="business unit", value="perhaps") in reasons


def test_a_missing_column_is_named(partnership: Partnership) -> None:
    text = _file(
        "agency,Northmoor Police,police",
        "person,Northmoor Police,Sam",
        header="record,agency,agency_type",
    )
    report = _import(partnership, text)
    reasons = _reasons(report, 3)
    assert ds.ROW_NO_COLUMN.format(column="level", record="person") in reasons
    assert ds.ROW_NO_COLUMN.format(column="email", record="person") in reasons
    assert report.agencies.created == 1


def test_a_stage_contact_may_name_someone_already_in_the_directory(
    partnership: Partnership,
) -> None:
    _import(partnership, VALID)
    text = _file("stage-contact,Northmoor Police,,,,,alex@housing.example,,,3,")
    report = _import(partnership, text)
    assert report.rejected == []
    assert report.stage_contacts.created == 1


def test_an_email_two_people_share_is_ambiguous(partnership: Partnership) -> None:
    agency = Agency.objects.create(partnership=partnership, name="A", agency_type="police")
    for name in ("One", "Two"):
        Person.objects.create(
            agency=agency, name=name, job_title="PC", level="practitioner", email="x@y.example"
        )
    text = _file("person,A,,Three,PC,practitioner,x@y.example,,,,")
    assert _reasons(_import(partnership, text), 2) == (
        ds.ROW_PERSON_AMBIGUOUS.format(email="x@y.example"),
    )


def test_unknown_columns_are_ignored_and_listed(partnership: Partnership) -> None:
    text = _file("agency,Northmoor Police,police,x", header="Record,Agency,Type,Notes")
    report = _import(partnership, text)
    assert report.agencies.created == 1
    assert report.ignored_columns == ("notes",)


# ---------------------------------------------------------------------------------------
# Input that is not a CSV file


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", ds.FILE_EMPTY),
        ("   \n\n", ds.FILE_EMPTY),
        (b"PK\x03\x04\x14\x00\x06\x00binary spreadsheet", ds.FILE_SPREADSHEET),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1old excel", ds.FILE_SPREADSHEET),
        (b"record,agency\nagency,Caf\xe9 Project\n", ds.FILE_NOT_UTF8),
        ("record,agency\n".encode("utf-16"), ds.FILE_NOT_UTF8),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\xff\x00", ds.FILE_BINARY),
        ("record,agency\nagency,Broken\x00\n", ds.FILE_BINARY),
        ("record,agency\nagency,Caf\ufffd\n", ds.FILE_NOT_UTF8),
        ("record;agency;agency_type\nagency;X;police\n", ds.FILE_SEMICOLONS),
        (
            "Dear business unit,\nplease find attached.\n",
            ds.FILE_NO_HEADER.format(missing="record or agency"),
        ),
        ("record,agency,record\nagency,X,y\n", ds.FILE_DUPLICATE_COLUMN.format(column="record")),
        ("record,agency\n", ds.FILE_NO_ROWS),
        ('record,agency\nagency,"unterminated\n', None),
        ('{"json": [1, 2, 3]}', ds.FILE_NO_HEADER.format(missing="record or agency")),
    ],
)
def test_input_that_is_not_csv_gives_a_clear_error(
    partnership: Partnership, data: str | bytes, message: str | None
) -> None:
    report = _import(partnership, data)
    assert not report.ok
    assert report.error
    if message is not None:
        assert report.error == message
    else:
        assert report.error.startswith("The file could not be read as CSV")
    assert report.lines() == [f"Nothing imported. {report.error}"]
    assert _totals() == (0, 0, 0)


def test_bytes_in_utf8_with_a_byte_order_mark_are_read(partnership: Partnership) -> None:
    report = _import(partnership, "\ufeff" + _file("agency,Café Project,voluntary-sector,,,,,,,,"))
    assert report.agencies.created == 1
    report = _import(partnership, VALID.encode("utf-8-sig"))
    assert report.ok
    assert Agency.objects.filter(name="Café Project").exists()


def test_too_many_rows_is_refused(
    partnership: Partnership, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(ds, "MAX_ROWS", 2)
    report = _import(partnership, VALID)
    assert report.error == ds.FILE_TOO_MANY_ROWS.format(max=2)


def test_an_unknown_procedure_is_an_error_not_an_exception() -> None:
    odd = Partnership.objects.create(
        slug="odd", name="Odd", short_name="Odd", procedure_id="no-such", procedure_version="9"
    )
    report = _import(odd, VALID)
    assert not report.ok
    assert "no-such@9" in (report.error or "")


# ---------------------------------------------------------------------------------------
# The command


def test_the_command_prints_the_report(partnership: Partnership, tmp_path: Path) -> None:
    path = tmp_path / "directory.csv"
    path.write_text(VALID + "person,Nowhere,,X,Y,practitioner,x@x.example,,,,\n")
    out = io.StringIO()
    call_command("import_directory", "--partnership", "test-sab", str(path), stdout=out)
    text = out.getvalue()
    assert "Agencies: 2 created, 0 updated, 0 unchanged." in text
    assert "Row 10 (person: X) rejected:" in text
    assert Person.objects.count() == 3


def test_the_command_dry_run_saves_nothing(partnership: Partnership, tmp_path: Path) -> None:
    path = tmp_path / "directory.csv"
    path.write_text(VALID)
    out = io.StringIO()
    call_command(
        "import_directory", "--partnership", "test-sab", str(path), "--dry-run", stdout=out
    )
    assert "2 would be created" in out.getvalue()
    assert _totals() == (0, 0, 0)


def test_the_command_refuses_an_unknown_partnership_or_unreadable_file(
    partnership: Partnership, tmp_path: Path
) -> None:
    with pytest.raises(CommandError, match="No partnership 'nope'"):
        call_command("import_directory", "--partnership", "nope", str(tmp_path / "x.csv"))
    with pytest.raises(CommandError, match="Cannot read"):
        call_command("import_directory", "--partnership", "test-sab", str(tmp_path / "x.csv"))
    bad = tmp_path / "bad.csv"
    bad.write_bytes(b"\xff\xfe\x00r\x00e")
    with pytest.raises(CommandError, match="Nothing was imported"):
        call_command("import_directory", "--partnership", "test-sab", str(bad))


# ---------------------------------------------------------------------------------------
# The audit trail


def test_an_import_is_in_the_audit_trail_with_counts_and_ids_never_names(
    partnership: Partnership,
) -> None:
    from escalate.audit.models import AuditEntry

    ds.directory_import_csv(partnership=partnership, text=VALID, dry_run=True)
    assert not AuditEntry.objects.filter(action="directory-imported").exists()  # a check

    ds.directory_import_csv(partnership=partnership, text=VALID, actor=None, via="command")
    [entry] = AuditEntry.objects.filter(action="directory-imported")
    assert (entry.object_type, entry.object_ref) == ("partnership", str(partnership.pk))
    assert entry.partnership_id == partnership.pk
    people = sorted(Person.objects.values_list("pk", flat=True))
    assert entry.detail == {
        "via": "command",
        "rows": 8,
        "rejected": 0,
        "agencies": {"created": 2, "updated": 0, "unchanged": 0},
        "people": {"created": 3, "updated": 0, "unchanged": 0},
        "stage_contacts": {"created": 3, "updated": 0, "unchanged": 0},
        "people_changed": people,
    }
    for personal in ("Sam Example", "sam@police.example", "Northmoor", "0123 45678"):
        assert personal not in str(entry.detail)

    # Again, with one person made the business unit: that person's id is named.
    again = VALID.replace(
        "Practitioner,alex@housing.example,,,", "Practitioner,alex@housing.example,,yes,"
    )
    ds.directory_import_csv(partnership=partnership, text=again, actor=None, via="command")
    latest = AuditEntry.objects.filter(action="directory-imported").order_by("-sequence").first()
    assert latest is not None
    alex = Person.objects.get(email="alex@housing.example")
    assert alex.is_business_unit
    assert latest.detail["people_changed"] == [alex.pk]
    assert latest.detail["people"] == {"created": 0, "updated": 1, "unchanged": 2}
