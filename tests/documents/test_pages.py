"""The forms' pages: the escalation page's Forms section, completing, signing, sending and the
PDF (its text holds what the screen and the record hold), and who may reach what."""

from __future__ import annotations

import io
import re
from html.parser import HTMLParser
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from pypdf import PdfReader
from pypdf.generic import BooleanObject

from escalate.cases.models import Escalation
from escalate.documents import services
from escalate.documents.models import FormVersion, VersionStatus
from escalate.notifications.models import Kind, Notification
from escalate.procedures.schema import Level
from tests.cases.conftest import World, make_world, raise_one
from tests.documents.conftest import MONITORING_ANSWERS, NOW, actor, draft, world_at
from tests.support import date_fields, signed_in

pytestmark = pytest.mark.django_db

FORM = "monitoring-form"


def url(name: str, esc: Escalation, form_id: str = FORM, **extra: int) -> str:
    return reverse(
        f"documents:{name}", kwargs={"reference": esc.reference, "form_id": form_id, **extra}
    )


class _Values(HTMLParser):
    """The text of each value of a form's fields (``dl.app-form-values dd``), as shown."""

    def __init__(self) -> None:
        super().__init__()
        self.values: list[str] = []
        self._in_list = 0
        self._in_value = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        classes = dict(attrs).get("class") or ""
        if tag == "dl" and "app-form-values" in classes:
            self._in_list += 1
        elif tag == "dd" and self._in_list:
            self._in_value = True
            self.values.append("")

    def handle_endtag(self, tag: str) -> None:
        if tag == "dl" and self._in_list:
            self._in_list -= 1
        elif tag == "dd":
            self._in_value = False

    def handle_data(self, data: str) -> None:
        if self._in_value:
            self.values[-1] += data


def shown_values(html: str) -> list[str]:
    parser = _Values()
    parser.feed(html)
    return [" ".join(v.split()) for v in parser.values]


def flat(text: str) -> str:
    return " ".join(text.split())


# -- the escalation page -------------------------------------------------------------------------


def test_the_escalation_page_lists_the_forms_of_the_stages_reached_with_their_status() -> None:
    world, esc = world_at("north-somerset-sab", 3)
    client = signed_in(world.user("a", Level.PRACTITIONER))
    page = client.get(reverse("cases:detail", args=[esc.reference])).content.decode()
    assert 'id="forms"' in page
    assert url("form", esc) in page
    assert "Not started" in page
    draft(world, esc, FORM, {"adult": "Ann"}, actor(world, "a", Level.SENIOR_MANAGER))
    page = client.get(reverse("cases:detail", args=[esc.reference])).content.decode()
    assert "Draft, version 1" in page


def test_no_forms_section_before_a_form_s_stage() -> None:
    world, esc = world_at("north-somerset-sab", 1)
    page = signed_in(world.user("a", Level.PRACTITIONER)).get(
        reverse("cases:detail", args=[esc.reference])
    )
    assert 'id="forms"' not in page.content.decode()


# -- completing ----------------------------------------------------------------------------------


def test_the_form_starts_with_what_the_record_holds() -> None:
    world, esc = world_at("north-somerset-sab", 3)
    client = signed_in(world.user("a", Level.SENIOR_MANAGER))
    page = client.get(url("edit", esc)).content.decode()
    assert "PID (case system number): PID-1" in page  # the subject, from the record
    assert "The issue" in page  # the summary, from the record
    assert re.search(r'name="days-taken"[^>]*value="\d+"', page)  # working days taken


def test_saving_a_draft_and_a_wrong_date_refused_at_the_field() -> None:
    world, esc = world_at("sunderland-sab", 4)
    client = signed_in(world.bu_user)
    form_id = "resolving-professional-differences-proforma"
    bad = {"form_revision": "0", "feedback": "Learn", **date_fields("meeting-on", NOW.date())}
    bad["meeting-on_day"] = "31"
    bad["meeting-on_month"] = "2"
    response = client.post(url("edit", esc, form_id), bad)
    assert response.status_code == 200
    body = response.content.decode()
    assert "The date the sub-committee met must be a real date" in body
    assert 'class="govuk-error-summary"' in body
    assert not FormVersion.objects.exists()
    good = {**bad, **date_fields("meeting-on", NOW.date()), "then": "draft"}
    response = client.post(url("edit", esc, form_id), good)
    assert response.status_code == 302
    assert response["Location"] == url("form", esc, form_id)
    version = FormVersion.objects.get()
    assert version.values == {"meeting-on": NOW.date().isoformat(), "feedback": "Learn"}


def test_a_stale_page_keeps_the_typing_and_says_what_happened() -> None:
    world, esc = world_at("north-somerset-sab", 3)
    draft(world, esc, FORM, {"adult": "Theirs"}, actor(world, "b", Level.SENIOR_MANAGER))
    client = signed_in(world.user("a", Level.SENIOR_MANAGER))
    response = client.post(url("edit", esc), {"form_revision": "0", "adult": "Mine"})
    assert response.status_code == 200
    body = response.content.decode()
    assert "Someone else saved this form after you opened it" in body
    assert 'value="Mine"' in body
    assert "Save again" in body
    assert FormVersion.objects.get().values == {"adult": "Theirs"}


def test_sign_page_lists_what_is_missing_then_signs() -> None:
    world, esc = world_at("north-somerset-sab", 3)
    client = signed_in(world.user("a", Level.SENIOR_MANAGER))
    client.post(url("edit", esc), {"form_revision": "0", "adult": "Ann", "then": "sign"})
    page = client.get(url("sign", esc)).content.decode()
    assert "There is a problem" in page
    assert "Enter the summary of the reason for the dispute" in page
    assert f'href="{url("edit", esc)}#id_summary"' in page
    draft(world, esc, FORM, MONITORING_ANSWERS, actor(world, "a", Level.SENIOR_MANAGER))
    page = client.get(url("sign", esc)).content.decode()
    assert "as signature of initiating manager" in page
    response = client.post(url("sign", esc), {"number": "1"})
    assert response.status_code == 302
    page = client.get(url("form", esc)).content.decode()
    assert "Signed by a senior-manager, senior-manager" in page
    assert "Still to sign before it can be sent: Signature of receiving manager." in page


def test_who_may_not_sign_gets_no_sign_page_and_is_told_who_may() -> None:
    world, esc = world_at("north-somerset-sab", 3)
    draft(world, esc, FORM, MONITORING_ANSWERS, actor(world, "a", Level.SENIOR_MANAGER))
    client = signed_in(world.user("a", Level.PRACTITIONER))
    assert client.get(url("sign", esc)).status_code == 404
    assert client.post(url("sign", esc), {"number": "1"}).status_code == 404
    assert client.get(url("edit", esc)).status_code == 404
    page = client.get(url("form", esc)).content.decode()
    assert "a senior manager or above of the raising agency" in page


def test_sending_from_the_pages_writes_the_outbox() -> None:
    world, esc = world_at("north-somerset-sab", 3)
    draft(world, esc, FORM, MONITORING_ANSWERS, actor(world, "a", Level.SENIOR_MANAGER))
    for agency in ("a", "b"):
        services.form_sign(
            actor=actor(world, agency, Level.SENIOR_MANAGER),
            escalation=esc,
            form_id=FORM,
            number=1,
            field_id=None,
            now=NOW,
        )
    client = signed_in(world.user("b", Level.SENIOR_MANAGER))
    page = client.get(url("submit", esc)).content.decode()
    assert "Stage 4 representative" in page and "Business manager" in page
    response = client.post(url("submit", esc), {"number": "1"})
    assert response.status_code == 302
    assert FormVersion.objects.get().status == VersionStatus.SUBMITTED
    told = {n.recipient for n in Notification.objects.filter(kind=Kind.FORM, escalation=esc)}
    # a's stage 4 representative and the business manager; never the sender (b's stage 4
    # contact in this world), who sent it.
    assert told == {world.people[("a", Level.BOARD_REPRESENTATIVE)], world.business_unit}
    assert client.get(url("submit", esc)).status_code == 404  # sent once


def test_a_new_version_from_the_pages() -> None:
    world, esc = world_at("north-somerset-sab", 3)
    draft(world, esc, FORM, MONITORING_ANSWERS, actor(world, "a", Level.SENIOR_MANAGER))
    services.form_sign(
        actor=actor(world, "a", Level.SENIOR_MANAGER),
        escalation=esc,
        form_id=FORM,
        number=1,
        field_id=None,
        now=NOW,
    )
    client = signed_in(world.user("a", Level.SENIOR_MANAGER))
    response = client.post(url("new-version", esc), {"number": "1", "reason": ""})
    assert response.status_code == 200
    assert services.REASON_REQUIRED in response.content.decode()
    response = client.post(url("new-version", esc), {"number": "1", "reason": "Days wrong"})
    assert response["Location"] == url("edit", esc)
    page = client.get(url("form", esc)).content.decode()
    assert url("version", esc, number=1) in page  # the signed version is kept, and linked
    old = client.get(url("version", esc, number=1)).content.decode()
    assert "This is version 1, kept as it was" in old


# -- the PDF -------------------------------------------------------------------------------------


def _signed_monitoring_form() -> tuple[World, Escalation]:
    world, esc = world_at("north-somerset-sab", 3)
    draft(world, esc, FORM, MONITORING_ANSWERS, actor(world, "a", Level.SENIOR_MANAGER))
    services.form_sign(
        actor=actor(world, "a", Level.SENIOR_MANAGER),
        escalation=esc,
        form_id=FORM,
        number=1,
        field_id=None,
        now=NOW,
    )
    return world, esc


def test_the_pdf_holds_what_the_screen_and_the_record_hold() -> None:
    world, esc = _signed_monitoring_form()
    client = signed_in(world.user("b", Level.PRACTITIONER))
    screen = shown_values(client.get(url("form", esc)).content.decode())
    response = client.get(url("pdf", esc, number=1))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == f'attachment; filename="{esc.reference}.pdf"'
    reader = PdfReader(io.BytesIO(response.content))
    # A line broken after a hyphen ("north-" / "somerset") is one word again.
    text = flat(" ".join(page.extract_text() for page in reader.pages).replace("-\n", "-"))
    assert len(screen) == 9  # every field of the monitoring form at stage 3
    for value in screen:
        assert value in text, value
    # ... and those values are the record's and the signer's.
    for value in ("PID: PID-1", "The issue, and each agency's view", "A joint visit", "Stage 3"):
        assert value in text
    assert "Signed by a senior-manager, senior-manager, " + world.a.name in text
    assert "Not signed" in text  # the receiving manager's, on screen and on paper alike
    assert esc.reference in text


def test_the_pdf_is_tagged_and_carries_its_title() -> None:
    world, esc = _signed_monitoring_form()
    client = signed_in(world.user("a", Level.PRACTITIONER))
    reader = PdfReader(io.BytesIO(client.get(url("pdf", esc, number=1)).content))
    title = reader.metadata.title if reader.metadata else None
    assert title == (
        "Monitoring form - a tool to record decisions and to monitor the Resolution of "
        f"Professional Differences policy (appendix 2): {esc.reference}"
    )
    root: Any = reader.trailer["/Root"]
    assert root["/MarkInfo"]["/Marked"] == BooleanObject(True)  # a tagged PDF
    assert "/StructTreeRoot" in root
    assert root["/ViewerPreferences"]["/DisplayDocTitle"] == BooleanObject(True)
    assert root["/Lang"] == "en-GB"


# -- access ----------------------------------------------------------------------------------------


def test_non_parties_get_not_found_everywhere() -> None:
    world, esc = _signed_monitoring_form()
    other = make_world("north-somerset-sab", "other-ns")
    outsider_esc = raise_one(other)
    for user in (world.user("c", Level.BOARD_REPRESENTATIVE), other.bu_user):
        client = signed_in(user)
        urls = [url(n, esc) for n in ("form", "edit", "sign", "submit", "new-version")]
        urls += [url(n, esc, number=1) for n in ("version", "pdf")]
        for address in urls:
            assert client.get(address).status_code == 404, (user, address)
    # An unknown form, or a version that does not exist, is not found either.
    client = signed_in(world.user("a", Level.PRACTITIONER))
    assert client.get(url("form", esc, "no-such-form")).status_code == 404
    assert client.get(url("pdf", esc, number=7)).status_code == 404
    assert client.get(url("form", outsider_esc)).status_code == 404


def test_the_form_page_s_queries_do_not_grow_with_versions() -> None:
    world, esc = _signed_monitoring_form()
    client = signed_in(world.user("a", Level.SENIOR_MANAGER))
    client.get(url("form", esc))
    with CaptureQueriesContext(connection) as one:
        assert client.get(url("form", esc)).status_code == 200
    sm = actor(world, "a", Level.SENIOR_MANAGER)
    for n in (2, 3):
        services.form_new_version(actor=sm, escalation=esc, form_id=FORM, reason="again", now=NOW)
        services.form_sign(actor=sm, escalation=esc, form_id=FORM, number=n, field_id=None, now=NOW)
    with CaptureQueriesContext(connection) as three:
        assert client.get(url("form", esc)).status_code == 200
    assert len(three) == len(one)


HOSTILE = ["a\x00b", "x" * 25_000, '"><script>alert(1)</script>', "9" * 40, "31"]


@pytest.mark.parametrize("value", HOSTILE, ids=["nul", "long", "markup", "huge", "no-date"])
def test_no_input_is_a_server_error_and_nothing_bad_is_saved(value: str) -> None:
    world, esc = world_at("sunderland-sab", 4)
    client = signed_in(world.bu_user)
    form_id = "resolving-professional-differences-proforma"
    names = re.findall(r'name="([^"]+)"', client.get(url("edit", esc, form_id)).content.decode())
    data = {n: value for n in names if n != "csrfmiddlewaretoken"}
    response = client.post(url("edit", esc, form_id), data)
    assert response.status_code == 200  # refused at the fields, never a 500
    assert not FormVersion.objects.exists()
    for name in ("sign", "new-version", "submit"):
        assert client.post(url(name, esc, form_id), {"number": value}).status_code == 404
