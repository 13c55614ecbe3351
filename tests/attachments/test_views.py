"""The pages: the escalation page's section, the list, the upload form and the download, each
only for those who may see the escalation (404 otherwise)."""

from __future__ import annotations

import datetime as dt
import io
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client, override_settings
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from escalate.attachments import services
from escalate.attachments.models import Representation
from escalate.audit.models import AuditAction, AuditEntry
from escalate.cases.actors import Actor
from escalate.cases.models import Escalation
from escalate.procedures.schema import Level
from tests.attachments import samples
from tests.attachments.conftest import stored_files
from tests.attachments.fakes import EICAR_SCANNER
from tests.cases.conftest import World, make_world, raise_one
from tests.security.test_headers import assert_security_headers
from tests.support import signed_in

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.filterwarnings("ignore:No directory at:UserWarning"),
]

NOW = dt.datetime(2026, 3, 3, 10, 30, tzinfo=dt.UTC)


def add(world: World, esc: Escalation, data: bytes, agency: str = "a") -> Representation:
    return services.representation_upload(
        actor=Actor.of(world.user(agency, Level.PRACTITIONER)),
        escalation=esc,
        content=io.BytesIO(data),
        original_name="Our account.pdf",
        now=NOW,
    )


def url(name: str, esc: Escalation, **kwargs: object) -> str:
    return reverse(f"attachments:{name}", kwargs={"reference": esc.reference, **kwargs})


def post_file(world: World, esc: Escalation, data: bytes, name: str) -> object:
    client = signed_in(world.user("a", Level.PRACTITIONER))
    return client.post(url("upload", esc), {"file": SimpleUploadedFile(name, data)})


# -- uploading through the page ----------------------------------------------------------------


def test_a_party_uploads_a_pdf_and_sees_it_listed(world: World, esc: Escalation) -> None:
    client = signed_in(world.user("a", Level.PRACTITIONER))
    form = client.get(url("upload", esc))
    assert form.status_code == 200
    html = form.content.decode()
    assert 'enctype="multipart/form-data"' in html and 'type="file"' in html
    assert "smaller than 20 MB" in html
    response = client.post(
        url("upload", esc), {"file": SimpleUploadedFile("Chronology.pdf", samples.pdf_bytes())}
    )
    assert response.status_code == 302
    assert response["Location"] == url("list", esc)
    page = client.get(url("list", esc)).content.decode()
    assert "Your written representation has been added." in page
    assert "Uploaded as Chronology.pdf" in page
    assert "Not scanned" in page  # no scanner configured, and the page says so
    rep = Representation.objects.get()
    assert url("download", esc, pk=rep.pk) in page


@pytest.mark.parametrize(
    ("data", "name", "message"),
    [
        (samples.text_bytes(), "renamed.pdf", services.WRONG_TYPE),
        (samples.pdf_bytes(pad=20 * 1024 * 1024), "huge.pdf", "smaller than 20 MB"),
    ],
    ids=["wrong-type-renamed-pdf", "oversized"],
)
def test_a_refused_file_is_a_message_at_the_field(
    world: World, esc: Escalation, upload_root: Path, data: bytes, name: str, message: str
) -> None:
    response = post_file(world, esc, data, name)
    assert response.status_code == 200  # type: ignore[attr-defined]
    html = response.content.decode()  # type: ignore[attr-defined]
    assert "There is a problem" in html
    assert 'href="#id_file"' in html  # the summary links to the field
    assert 'class="govuk-error-message"' in html and message in html
    assert "<title>Error: " in html
    assert not Representation.objects.exists() and stored_files(upload_root) == []


@override_settings(ESCALATE_VIRUS_SCANNER=EICAR_SCANNER)
def test_an_infected_file_is_a_message_at_the_field(
    world: World, esc: Escalation, upload_root: Path
) -> None:
    response = post_file(world, esc, samples.EICAR, "eicar.pdf")
    html = response.content.decode()  # type: ignore[attr-defined]
    assert services.INFECTED in html
    assert not Representation.objects.exists() and stored_files(upload_root) == []


def test_no_file_chosen(world: World, esc: Escalation) -> None:
    client = signed_in(world.user("a", Level.PRACTITIONER))
    html = client.post(url("upload", esc), {}).content.decode()
    assert "Select a file" in html
    empty = client.post(url("upload", esc), {"file": SimpleUploadedFile("a.pdf", b"")})
    assert "The selected file is empty" in empty.content.decode()


def test_only_parties_get_the_upload_page(world: World, esc: Escalation) -> None:
    not_party = signed_in(world.user("c", Level.PRACTITIONER))
    assert not_party.get(url("upload", esc)).status_code == 404
    bu = signed_in(world.bu_user)  # works for c: not a party here
    assert bu.get(url("upload", esc)).status_code == 404
    assert bu.post(url("upload", esc), {}).status_code == 404
    assert bu.get(url("list", esc)).status_code == 200


# -- downloading ---------------------------------------------------------------------------


def test_the_download_is_an_attachment_named_by_the_reference(
    world: World, esc: Escalation
) -> None:
    data = samples.pdf_bytes()
    rep = add(world, esc, data)
    response = signed_in(world.user("b", Level.PRACTITIONER)).get(url("download", esc, pk=rep.pk))
    assert response.status_code == 200
    assert response.content == data
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == (
        f'attachment; filename="{esc.reference}-representation-{rep.pk}.pdf"'
    )
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "no-store" in response["Cache-Control"]
    assert_security_headers(response, "the download")  # CSP, framing, referrer: as every page
    entry = AuditEntry.objects.order_by("-sequence").first()
    assert entry is not None and entry.action == AuditAction.ESCALATION_VIEWED
    assert entry.detail == {"representation": rep.pk}


def test_a_docx_downloads_as_a_word_document(world: World, esc: Escalation) -> None:
    rep = add(world, esc, samples.docx_bytes())
    response = signed_in(world.user("a", Level.PRACTITIONER)).get(url("download", esc, pk=rep.pk))
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    assert response["Content-Disposition"].endswith(f'-representation-{rep.pk}.docx"')


def test_only_those_who_see_the_escalation_download(world: World, esc: Escalation) -> None:
    rep = add(world, esc, samples.pdf_bytes())
    target = url("download", esc, pk=rep.pk)
    assert signed_in(world.user("a", Level.LINE_MANAGER)).get(target).status_code == 200
    assert signed_in(world.bu_user).get(target).status_code == 200
    # Agency c is not a party; the other partnership's people see nothing of this one.
    assert signed_in(world.user("c", Level.PRACTITIONER)).get(target).status_code == 404
    other = make_world("north-east-lincolnshire", "elsewhere")
    assert signed_in(other.user("a", Level.PRACTITIONER)).get(target).status_code == 404
    assert signed_in(other.bu_user).get(target).status_code == 404
    # Signed out: to the sign-in page, no file.
    anonymous = Client().get(target)
    assert anonymous.status_code == 302 and "/account/sign-in/" in anonymous["Location"]


def test_a_representation_is_reached_only_through_its_own_escalation(world: World) -> None:
    mine = raise_one(world)
    theirs = raise_one(world, receiving_agency_id=world.c.pk)  # a -> c: b is not a party
    rep = add(world, theirs, samples.pdf_bytes())
    b = signed_in(world.user("b", Level.PRACTITIONER))
    # b sees `mine`, but the representation belongs to `theirs`.
    assert b.get(url("download", mine, pk=rep.pk)).status_code == 404
    assert b.get(url("download", theirs, pk=rep.pk)).status_code == 404


def test_a_missing_file_is_not_found(world: World, esc: Escalation, upload_root: Path) -> None:
    rep = add(world, esc, samples.pdf_bytes())
    for stored in stored_files(upload_root):
        stored.unlink()
    client = signed_in(world.user("a", Level.PRACTITIONER))
    assert client.get(url("download", esc, pk=rep.pk)).status_code == 404


def test_the_download_is_get_only(world: World, esc: Escalation) -> None:
    rep = add(world, esc, samples.pdf_bytes())
    client = signed_in(world.user("a", Level.PRACTITIONER))
    assert client.post(url("download", esc, pk=rep.pk)).status_code == 405


# -- the escalation page ---------------------------------------------------------------------


def test_the_escalation_page_lists_them_and_offers_adding_one(
    world: World, esc: Escalation
) -> None:
    detail = reverse("cases:detail", kwargs={"reference": esc.reference})
    party = signed_in(world.user("a", Level.PRACTITIONER)).get(detail).content.decode()
    assert "Written representations" in party
    assert "No agency has added a written representation yet." in party
    assert url("upload", esc) in party
    rep = add(world, esc, samples.png_bytes(), agency="b")
    bu = signed_in(world.bu_user).get(detail).content.decode()
    assert url("download", esc, pk=rep.pk) in bu and "PNG image" in bu
    assert url("upload", esc) not in bu  # the business unit reads; it adds none


def test_the_pages_query_count_does_not_grow_with_representations(
    world: World, esc: Escalation
) -> None:
    client = signed_in(world.user("a", Level.PRACTITIONER))
    detail = reverse("cases:detail", kwargs={"reference": esc.reference})
    add(world, esc, samples.pdf_bytes())
    counts = {}
    for page in (detail, url("list", esc)):
        client.get(page)  # the session's first request does more (sign-in bookkeeping)
        with CaptureQueriesContext(connection) as one:
            client.get(page)
        for _ in range(5):
            add(world, esc, samples.pdf_bytes(), agency="b")
        with CaptureQueriesContext(connection) as six:
            client.get(page)
        counts[page] = (len(one), len(six))
    assert all(a == b for a, b in counts.values()), counts
