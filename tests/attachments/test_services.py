"""representation_upload: what is refused (with its message, audited, nothing stored) and what
is stored (outside every public path, under a random name)."""

from __future__ import annotations

import datetime as dt
import hashlib
import io
from pathlib import Path

import pytest
from django.conf import settings
from django.test import override_settings

from escalate.attachments import services
from escalate.attachments.models import FileKind, Representation, ScanStatus
from escalate.audit.models import AuditAction, AuditEntry, AuditResult
from escalate.cases import services as case_services
from escalate.cases.actors import Actor
from escalate.cases.models import Escalation
from escalate.procedures.schema import Level
from tests.attachments import samples
from tests.attachments.conftest import stored_files
from tests.attachments.fakes import BROKEN_SCANNER, EICAR_SCANNER, EicarScanner
from tests.cases.conftest import World

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 3, 3, 10, 30, tzinfo=dt.UTC)


def upload(
    world: World,
    esc: Escalation,
    data: bytes,
    name: str = "our account.pdf",
    *,
    agency: str = "a",
    level: Level = Level.PRACTITIONER,
) -> Representation:
    return services.representation_upload(
        actor=Actor.of(world.user(agency, level)),
        escalation=esc,
        content=io.BytesIO(data),
        original_name=name,
        now=NOW,
    )


def refused(world: World, esc: Escalation, data: bytes, name: str, **kwargs: object) -> str:
    """The message of a refused upload, after checking that nothing was stored."""
    with pytest.raises(services.UploadRefusedError) as caught:
        upload(world, esc, data, name, **kwargs)  # type: ignore[arg-type]
    assert caught.value.field == "file"
    assert not Representation.objects.exists()
    assert stored_files(Path(settings.ESCALATE_UPLOAD_ROOT)) == []
    return caught.value.message


def last_audit() -> AuditEntry:
    entry = AuditEntry.objects.order_by("-sequence").first()
    assert entry is not None
    return entry


# -- stored ---------------------------------------------------------------------------------


def test_a_good_pdf_is_stored_privately_under_a_random_name(
    world: World, esc: Escalation, upload_root: Path
) -> None:
    data = samples.pdf_bytes()
    rep = upload(world, esc, data, "Smith family chronology.pdf")
    assert rep.kind == FileKind.PDF
    assert rep.size == len(data)
    assert rep.sha256 == hashlib.sha256(data).hexdigest()
    assert rep.agency == world.a
    assert rep.uploaded_by == world.people[("a", Level.PRACTITIONER)]
    assert rep.uploaded_at == NOW
    assert rep.stage == esc.current_stage
    assert rep.original_name == "Smith family chronology.pdf"
    assert rep.scan_status == ScanStatus.NOT_SCANNED and rep.scanner == ""
    [stored] = stored_files(upload_root)
    assert stored.read_bytes() == data
    # Nothing of the uploaded name, the escalation or the type is in where it is stored.
    assert "Smith" not in str(stored) and esc.reference not in str(stored)
    assert stored.suffix == ""
    assert stored.relative_to(upload_root).as_posix() == rep.stored_name
    assert stored.stat().st_mode & 0o077 == 0  # owner only
    # Outside everything served or rendered.
    public = [Path(settings.STATIC_ROOT), *map(Path, settings.STATICFILES_DIRS)]
    for directory in public:
        assert directory.resolve() not in stored.resolve().parents


def test_the_stored_upload_is_audited_without_its_name(world: World, esc: Escalation) -> None:
    rep = upload(world, esc, samples.pdf_bytes(), "Jane Doe NHS 9434765919.pdf")
    entry = last_audit()
    assert entry.action == AuditAction.ESCALATION_CHANGED
    assert entry.result == AuditResult.SUCCESS
    assert entry.object_ref == esc.reference
    assert entry.detail == {
        "service": "representation_upload",
        "representation": rep.pk,
        "kind": "pdf",
        "size": rep.size,
        "scan": "not-scanned",
        "stage": esc.current_stage,
        "actor": "person",
    }
    assert "Jane" not in str(entry.detail) and "9434765919" not in str(entry.detail)


@pytest.mark.parametrize(
    ("make", "kind"),
    [
        (samples.pdf_bytes, FileKind.PDF),
        (samples.docx_bytes, FileKind.DOCX),
        (samples.doc_bytes, FileKind.DOC),
        (samples.png_bytes, FileKind.PNG),
        (samples.jpeg_bytes, FileKind.JPEG),
    ],
)
def test_each_accepted_type_is_stored_as_what_its_content_is(
    world: World, esc: Escalation, make: object, kind: FileKind
) -> None:
    # The name says PDF whatever the content: the content decides.
    rep = upload(world, esc, make(), "representation.pdf")  # type: ignore[operator]
    assert rep.kind == kind


def test_the_receiving_agency_and_a_manager_add_their_own(world: World, esc: Escalation) -> None:
    theirs = upload(world, esc, samples.pdf_bytes(), agency="b")
    manager = upload(world, esc, samples.png_bytes(), level=Level.SENIOR_MANAGER)
    assert theirs.agency == world.b and manager.agency == world.a


def test_an_awkward_name_is_kept_as_a_description_only(world: World, esc: Escalation) -> None:
    rep = upload(world, esc, samples.pdf_bytes(), "..\\..\\etc/passwd\x00\x07" + "x" * 400)
    assert "/" not in rep.original_name and "\\" not in rep.original_name
    assert "\x00" not in rep.original_name and len(rep.original_name) == 255


# -- refused, with nothing stored -------------------------------------------------------------


def test_a_text_file_renamed_to_pdf_is_refused(world: World, esc: Escalation) -> None:
    message = refused(world, esc, samples.text_bytes(), "representation.pdf")
    assert message == services.WRONG_TYPE


@pytest.mark.parametrize(
    "make",
    [samples.docm_bytes, samples.xlsx_bytes, samples.xls_bytes, lambda: b"<html>hi</html>"],
    ids=["macro-enabled-word", "spreadsheet", "old-spreadsheet", "html"],
)
def test_other_types_are_refused(world: World, esc: Escalation, make: object) -> None:
    assert refused(world, esc, make(), "letter.docx") == services.WRONG_TYPE  # type: ignore[operator]


def test_an_archive_claiming_to_inflate_enormously_is_refused(
    world: World, esc: Escalation
) -> None:
    assert refused(world, esc, samples.zip_claiming(2**31), "a.docx") == services.WRONG_TYPE


def test_a_file_over_the_default_20_mb_is_refused(world: World, esc: Escalation) -> None:
    assert settings.ESCALATE_UPLOAD_MAX_MB == 20
    too_big = samples.pdf_bytes(pad=20 * 1024 * 1024)
    message = refused(world, esc, too_big, "big.pdf")
    assert message == "The selected file must be smaller than 20 MB"


@override_settings(ESCALATE_UPLOAD_MAX_MB=1)
def test_the_limit_is_a_setting(world: World, esc: Escalation) -> None:
    limit = 1024 * 1024
    just_over = samples.pdf_bytes(pad=limit)
    assert refused(world, esc, just_over, "big.pdf") == services.TOO_LARGE.format(limit=1)
    data = samples.pdf_bytes(pad=limit - 1000)
    assert len(data) <= limit
    assert upload(world, esc, data).size == len(data)


def test_an_empty_file_is_refused(world: World, esc: Escalation) -> None:
    assert refused(world, esc, b"", "empty.pdf") == services.EMPTY


@override_settings(ESCALATE_VIRUS_SCANNER=EICAR_SCANNER)
def test_an_infected_file_is_refused_and_audited(world: World, esc: Escalation) -> None:
    message = refused(world, esc, samples.EICAR, "eicar.pdf")
    assert message == services.INFECTED
    entry = last_audit()
    assert entry.result == AuditResult.REFUSED
    assert entry.object_ref == esc.reference
    assert entry.detail == {
        "service": "representation_upload",
        "reason": "infected",
        "field": "file",
        "signature": "Eicar-Test-Signature",
        "actor": "person",
    }


@override_settings(ESCALATE_VIRUS_SCANNER=EICAR_SCANNER)
def test_a_virus_inside_an_accepted_type_is_refused_too(world: World, esc: Escalation) -> None:
    infected_pdf = samples.pdf_bytes() + samples.EICAR
    assert refused(world, esc, infected_pdf, "letter.pdf") == services.INFECTED


@override_settings(ESCALATE_VIRUS_SCANNER=EICAR_SCANNER)
def test_a_clean_file_is_stored_as_scanned_by_the_configured_scanner(
    world: World, esc: Escalation
) -> None:
    data = samples.pdf_bytes()
    rep = upload(world, esc, data)
    assert EicarScanner.scanned == [len(data)]
    assert rep.scan_status == ScanStatus.CLEAN and rep.scanner == "Fake scanner"
    assert last_audit().detail["scan"] == "clean"


@override_settings(ESCALATE_VIRUS_SCANNER=BROKEN_SCANNER)
def test_a_scanner_that_cannot_answer_refuses_the_upload(world: World, esc: Escalation) -> None:
    assert refused(world, esc, samples.pdf_bytes(), "a.pdf") == services.SCAN_FAILED
    assert last_audit().detail["reason"] == "scan-failed"


def test_without_a_scanner_the_file_is_stored_marked_not_scanned(
    world: World, esc: Escalation
) -> None:
    """No scanner configured: nothing is checked (not even for EICAR), and the row says so."""
    assert settings.ESCALATE_VIRUS_SCANNER == ""
    rep = upload(world, esc, samples.pdf_bytes() + samples.EICAR)
    assert rep.scan_status == ScanStatus.NOT_SCANNED and rep.scanner == ""
    assert EicarScanner.scanned == []


# -- who may add one --------------------------------------------------------------------------


def test_an_agency_that_is_not_a_party_is_refused(world: World, esc: Escalation) -> None:
    assert refused(world, esc, samples.pdf_bytes(), "a.pdf", agency="c") == services.NOT_A_PARTY
    entry = last_audit()
    assert entry.result == AuditResult.REFUSED and entry.detail["reason"] == "not-a-party"


def test_the_business_unit_of_no_party_agency_adds_none(world: World, esc: Escalation) -> None:
    """The business unit oversees: it reads the representations but gives none of its own."""
    with pytest.raises(services.UploadRefusedError) as caught:
        services.representation_upload(
            actor=Actor.of(world.bu_user),
            escalation=esc,
            content=io.BytesIO(samples.pdf_bytes()),
            original_name="a.pdf",
            now=NOW,
        )
    assert caught.value.message == services.NOT_A_PARTY


def test_the_system_adds_none(world: World, esc: Escalation) -> None:
    with pytest.raises(services.UploadRefusedError):
        services.representation_upload(
            actor=Actor.for_system("demo"),
            escalation=esc,
            content=io.BytesIO(samples.pdf_bytes()),
            original_name="a.pdf",
            now=NOW,
        )
    assert last_audit().detail["actor"] == "system:demo"


def test_a_party_may_still_add_one_after_it_is_withdrawn(world: World, esc: Escalation) -> None:
    """As with an agency's view: the record of each side's account stays open to them."""
    esc = case_services.escalation_withdraw(
        actor=Actor.of(world.user("a", Level.PRACTITIONER)),
        escalation=esc,
        version=esc.version,
        today=dt.date(2026, 3, 3),
        on=dt.date(2026, 3, 3),
        reason="Agreed",
    )
    assert upload(world, esc, samples.pdf_bytes(), agency="b").agency == world.b


# -- the file and the row stand or fall together -----------------------------------------------


def test_a_failure_after_the_file_is_written_leaves_no_file(
    world: World, esc: Escalation, upload_root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(**kwargs: object) -> None:
        raise RuntimeError("database went away")

    monkeypatch.setattr(services, "audit_record", broken)
    with pytest.raises(RuntimeError):
        upload(world, esc, samples.pdf_bytes())
    assert not Representation.objects.exists()
    assert stored_files(upload_root) == []


def test_deleting_the_escalation_removes_its_files(
    world: World,
    esc: Escalation,
    upload_root: Path,
    django_capture_on_commit_callbacks: object,
) -> None:
    upload(world, esc, samples.pdf_bytes())
    assert len(stored_files(upload_root)) == 1
    with django_capture_on_commit_callbacks(execute=True):  # type: ignore[operator]
        Escalation.objects.filter(pk=esc.pk).delete()
    assert stored_files(upload_root) == []
