"""Written representations in a real browser: the escalation page's section, the upload page
(a refused file's message at the field, then a good PDF), the list and the download; each page
checked with axe (WCAG 2.2 AA); and the same upload with JavaScript turned off."""

from __future__ import annotations

import datetime as dt
import io
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from escalate.attachments import services
from escalate.attachments.models import Representation
from escalate.cases.actors import Actor
from escalate.procedures.schema import Level
from tests.attachments import samples
from tests.browser.test_journeys import Journey
from tests.cases.conftest import World, make_world, raise_one

pytestmark = pytest.mark.browser


def _world() -> tuple[World, str]:
    world = make_world("north-east-lincolnshire")
    esc = raise_one(world, on=dt.date.today())  # noqa: DTZ011 (the live server's today)
    services.representation_upload(
        actor=Actor.of(world.user("b", Level.PRACTITIONER)),
        escalation=esc,
        content=io.BytesIO(samples.docx_bytes()),
        original_name="Health chronology.docx",
        now=dt.datetime.now(dt.UTC),
    )
    return world, esc.reference


def _files(tmp_path: Path) -> tuple[Path, Path]:
    renamed = tmp_path / "not really.pdf"
    renamed.write_bytes(samples.text_bytes())
    good = tmp_path / "Council account.pdf"
    good.write_bytes(samples.pdf_bytes())
    return renamed, good


def test_the_representation_pages_are_accessible(
    page: Page, live_server: Any, tmp_path: Path
) -> None:
    world, reference = _world()
    renamed, good = _files(tmp_path)
    j = Journey(page, live_server.url, world, axe=True, name="representations")
    j.sign_in(world.user("a", Level.PRACTITIONER).username)
    page.goto(f"{live_server.url}/escalations/{reference}/")
    expect(page.get_by_role("heading", name="Written representations")).to_be_visible()
    expect(page.get_by_text("Uploaded as Health chronology.docx")).to_be_visible()
    j.check("escalation-page")

    page.get_by_role("link", name=f"Add a written representation to {reference}").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Add a written representation")
    j.check("upload")
    page.get_by_label("Upload a file").set_input_files(str(renamed))
    page.get_by_role("button", name="Add the representation").click()
    expect(page.locator(".govuk-error-summary")).to_contain_text(services.WRONG_TYPE)
    expect(page.locator(".govuk-error-message")).to_contain_text(services.WRONG_TYPE)
    j.check("upload-refused")
    # The summary's link takes the keyboard to the field.
    page.locator(".govuk-error-summary a").first.click()
    expect(page.get_by_label("Upload a file")).to_be_focused()

    page.get_by_label("Upload a file").set_input_files(str(good))
    page.get_by_role("button", name="Add the representation").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Written representations")
    expect(page.locator(".govuk-notification-banner--success")).to_be_visible()
    expect(page.get_by_text("Uploaded as Council account.pdf")).to_be_visible()
    j.check("list")

    mine = Representation.objects.get(original_name="Council account.pdf")
    with page.expect_download() as info:
        page.get_by_role("link", name=f"Download representation {mine.pk} from").click()
    download = info.value
    assert download.suggested_filename == f"{reference}-representation-{mine.pk}.pdf"
    assert Path(download.path()).read_bytes() == samples.pdf_bytes()


def test_uploading_works_without_javascript(
    page_nojs: Page, live_server: Any, tmp_path: Path
) -> None:
    world, reference = _world()
    _renamed, good = _files(tmp_path)
    page = page_nojs
    j = Journey(page, live_server.url, world, axe=False, name="representations-nojs")
    j.sign_in(world.user("a", Level.PRACTITIONER).username)
    page.goto(f"{live_server.url}/escalations/{reference}/representations/")
    j.check("list")
    page.get_by_role("link", name="Add a written representation").click()
    page.get_by_role("button", name="Add the representation").click()
    expect(page.locator(".govuk-error-message")).to_contain_text("Select a file")
    j.check("no-file")
    page.get_by_label("Upload a file").set_input_files(str(good))
    page.get_by_role("button", name="Add the representation").click()
    expect(page.get_by_text("Uploaded as Council account.pdf")).to_be_visible()
    j.check("added")
    assert Representation.objects.filter(original_name="Council account.pdf").count() == 1
