"""Agency views, the business unit's CSV import page, and the partnership body."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from escalate import timekeeping
from escalate.audit.models import AuditEntry
from escalate.cases import services
from escalate.cases.actors import Actor
from escalate.directory.models import Agency, Person
from escalate.procedures.schema import Level
from tests.cases.conftest import World, raise_one
from tests.support import signed_in

pytestmark = pytest.mark.django_db


def test_each_agency_gives_its_view_and_nothing_is_overwritten(world: World) -> None:
    esc = raise_one(world)
    client = signed_in(world.user("b", Level.PRACTITIONER))
    url = f"/escalations/{esc.reference}/view/"
    for text in ("First view", "Second view"):
        esc.refresh_from_db()
        response = client.post(url, {"version": esc.version, "view": text})
        assert response.status_code == 302
    esc.refresh_from_db()
    assert list(esc.entries.filter(kind="view").values_list("text", flat=True)) == [
        "First view",
        "Second view",
    ]
    page = client.get(f"/escalations/{esc.reference}/").content.decode()
    assert "Each agency&#x27;s view" in page or "Each agency's view" in page
    assert "Second view" in page
    with pytest.raises(services.ActionError):
        services.escalation_record_view(
            actor=Actor.of(world.bu_user),
            today=timekeeping.today(),
            escalation=esc,
            version=esc.version,
            view="Not a party",
        )


CSV = (
    "record,agency,agency_type,name,job_title,level,email,phone,business_unit,stage,role,active\n"
    "agency,Riverside Housing,housing,,,,,,,,,\n"
    "person,Riverside Housing,,Pat Example,Housing officer,practitioner,pat@example.invalid,,,,,\n"
    "person,Nowhere Agency,,Lee Example,Officer,practitioner,lee@example.invalid,,,,,\n"
)


def test_business_unit_imports_the_directory_and_sees_rejected_rows(world: World) -> None:
    client = signed_in(world.bu_user)
    assert client.get("/directory/import/").status_code == 200
    upload = SimpleUploadedFile("d.csv", CSV.encode(), content_type="text/csv")
    page = client.post("/directory/import/", {"file": upload}).content.decode()
    assert "Rows not imported, and why" in page
    assert Agency.objects.filter(name="Riverside Housing").exists()
    assert Person.objects.filter(email="pat@example.invalid").exists()
    assert not Person.objects.filter(email="lee@example.invalid").exists()
    [entry] = AuditEntry.objects.filter(action="directory-imported")
    assert (entry.actor_id, entry.detail["via"]) == (world.bu_user.pk, "page")
    assert entry.partnership_id == world.partnership.pk


def test_import_page_refuses_bad_files_at_the_field(world: World) -> None:
    client = signed_in(world.bu_user)
    page = client.post("/directory/import/", {}).content.decode()
    assert "Select a CSV file" in page
    upload = SimpleUploadedFile("d.xlsx", b"PK\x03\x04binary", content_type="text/csv")
    page = client.post("/directory/import/", {"file": upload}).content.decode()
    assert "govuk-error-summary" in page
    assert "spreadsheet" in page


def test_only_the_business_unit_may_import(world: World) -> None:
    for agency, level in (("a", Level.PRACTITIONER), ("b", Level.BOARD_REPRESENTATIVE)):
        assert signed_in(world.user(agency, level)).get("/directory/import/").status_code == 404


def test_the_partnership_body_is_never_a_party(world: World) -> None:
    board = Agency.objects.create(
        partnership=world.partnership,
        name="Board business unit",
        agency_type="other",
        is_partnership_body=True,
    )
    client = signed_in(world.user("a", Level.PRACTITIONER))
    page = client.get("/raise/agency/").content.decode()
    assert "Board business unit" not in page
    with pytest.raises(services.ActionError):
        raise_one(world, receiving_agency_id=board.pk)
