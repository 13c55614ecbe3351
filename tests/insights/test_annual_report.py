"""The board's annual report (escalate.insights.annual, .reports): a financial year's figures
as the dashboard shows them, with the small-number rule applied and nothing linked; the
narrative the business unit writes (a save from a page opened before someone else's is
refused, nothing overwritten); the PDF; who may see it; the audit trail; the query count."""

from __future__ import annotations

import datetime as dt
import io
import re
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from pypdf import PdfReader

from escalate import timekeeping
from escalate.accounts.models import User
from escalate.audit.models import AuditAction, AuditEntry
from escalate.cases import services
from escalate.cases.actors import Actor
from escalate.cases.models import Escalation
from escalate.directory.models import Person
from escalate.insights.models import NARRATIVE_LIMIT, AnnualReport
from escalate.insights.reports import EN_DASH, FinancialYear
from escalate.insights.small_numbers import WITHHELD
from escalate.insights.tables import Table
from escalate.procedures.schema import Level
from tests.cases.conftest import World, escalated_to, make_world, raise_one
from tests.support import sign_in, signed_in

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.filterwarnings("ignore:No directory at:UserWarning"),
]

YEAR = 2025  # 1 April 2025 to 31 March 2026
TITLE = f"Escalations annual report 2025{EN_DASH}26"
FIRST_MONDAY = dt.date(2025, 6, 2)


def report_url(year: int = YEAR) -> str:
    return reverse("insights:annual-report", kwargs={"year": year})


def narrative_url(year: int = YEAR) -> str:
    return reverse("insights:annual-report-narrative", kwargs={"year": year})


def pdf_url(year: int = YEAR) -> str:
    return reverse("insights:annual-report-pdf", kwargs={"year": year})


def raise_in_year(world: World, n: int, *, first: dt.date = FIRST_MONDAY) -> list[Escalation]:
    """``n`` escalations raised a week apart from ``first`` (a Monday), through the services."""
    found = []
    for k in range(n):
        on = first + dt.timedelta(weeks=k)
        found.append(raise_one(world, on=on, outset_on=on, subject_reference=f"PID-{k}"))
    return found


def resolve(world: World, esc: Escalation, on: dt.date) -> None:
    esc.refresh_from_db()
    services.escalation_resolve(
        actor=Actor.of(world.user("b", Level.PRACTITIONER)),
        escalation=esc,
        version=esc.version,
        today=on,
        on=on,
        outcome="Agreed",
    )


@pytest.fixture
def world(db: None) -> World:
    """Twelve escalations in the year: six resolved, four escalated to stage 2, two open."""
    world = make_world("north-east-lincolnshire", "annual")
    found = raise_in_year(world, 12)
    for esc in found[:6]:
        resolve(world, esc, esc.raised_on + dt.timedelta(days=2))
    for esc in found[6:10]:
        escalated_to(world, esc, 2)
    return world


def _sections(response: Any) -> dict[str, Table]:
    return {s.key: s.table for s in response.context["sections"]}


def _is_count(cell: object) -> bool:
    return isinstance(cell, int) and not isinstance(cell, bool)


def dashboard_for_the_year(world: World, year: int = YEAR) -> dict[str, Table]:
    fy = FinancialYear(year)
    end = min(fy.end, timekeeping.today())
    response = signed_in(world.bu_user).get(
        reverse("insights:dashboard"),
        {
            "start_day": 1,
            "start_month": 4,
            "start_year": year,
            "end_day": end.day,
            "end_month": end.month,
            "end_year": end.year,
        },
    )
    assert response.status_code == 200
    return _sections(response)


# -- the figures ------------------------------------------------------------------------------


def test_the_figures_are_the_dashboards_for_the_year_with_small_numbers_hidden(
    world: World,
) -> None:
    threshold = world.partnership.small_number_threshold
    dashboard = dashboard_for_the_year(world)
    response = signed_in(world.bu_user).get(report_url())
    assert response.status_code == 200
    report = _sections(response)
    # Every figure of the dashboard but the effectiveness feedback (free text), in its order.
    assert list(report) == [k for k in dashboard if k != "feedback"]
    shown_as_is = 0
    for key, table in report.items():
        theirs = dashboard[key]
        assert (table.title, table.headers, table.count_columns) == (
            theirs.title,
            theirs.headers,
            theirs.count_columns,
        ), key
        assert table.links == {}, key  # nothing links to an escalation
        assert len(table.rows) == len(theirs.rows), key
        for ours, dash in zip(table.rows, theirs.rows, strict=True):
            hidden_in_row = any(ours[c] != dash[c] for c in table.count_columns)
            for c, (mine, original) in enumerate(zip(ours, dash, strict=True)):
                if c in table.count_columns and _is_count(original):
                    if 0 < original < threshold:  # type: ignore[operator]
                        assert mine == f"fewer than {threshold}", (key, dash)
                    else:
                        assert mine in (original, WITHHELD), (key, dash)
                        shown_as_is += mine == original and original > 0  # type: ignore[operator]
                elif mine != original:
                    # A number worked out from a hidden count goes with it.
                    assert mine == WITHHELD and hidden_in_row, (key, dash, ours)
    assert shown_as_is > 5
    headline = report["at-a-glance"]
    assert headline.rows[0] == ("Raised in the period", 12)
    assert headline.rows[1:3] == (("Still open", 6), ("Closed", 6))


def test_a_partnership_with_3_escalations_shows_fewer_than_5(db: None) -> None:
    small = make_world("north-east-lincolnshire", "small")
    raise_in_year(small, 3)
    response = signed_in(small.bu_user).get(report_url())
    html = response.content.decode()
    sections = _sections(response)
    assert sections["at-a-glance"].rows[0] == ("Raised in the period", "fewer than 5")
    assert ">fewer than 5<" in html
    assert "3 escalations" not in html
    # The outcomes' chart would draw only zeros beside the hidden count: it is left out.
    by_status = next(s for s in response.context["sections"] if s.key == "by-status")
    assert by_status.chart is None
    assert by_status.table.rows[0] == ("Open", "fewer than 5")
    # Every chart left is drawn from the table shown beside it, small numbers hidden.
    for section in response.context["sections"]:
        if section.chart is not None:
            assert section.chart.table is section.table
    # The month's line (3 raised in June 2025) draws no point for June's hidden count.
    by_month = next(s for s in response.context["sections"] if s.key == "by-month")
    june = next(row for row in by_month.table.rows if row[0] == "June 2025")
    assert june[1] == "fewer than 5"
    # With a threshold of 3 the 3 shows (the threshold is the partnership's).
    small.partnership.small_number_threshold = 3
    small.partnership.save()
    response = signed_in(small.bu_user).get(report_url())
    assert _sections(response)["at-a-glance"].rows[0] == ("Raised in the period", 3)


def test_shares_and_days_of_hidden_counts_are_withheld(db: None) -> None:
    small = make_world("north-east-lincolnshire", "shares")
    found = raise_in_year(small, 3)
    resolve(small, found[0], found[0].raised_on + dt.timedelta(days=1))
    report = _sections(signed_in(small.bu_user).get(report_url()))
    dashboard = dashboard_for_the_year(small)
    closed = report["time-to-close"].rows[0]
    assert dashboard["time-to-close"].rows[0][:3] == ("All closed", 1, 1)
    assert closed == ("All closed", "fewer than 5", *[WITHHELD] * 5)
    stage_1 = report["within-due-by-stage"].rows[0]
    assert dashboard["within-due-by-stage"].rows[0][4] == 100.0
    assert stage_1[4] == WITHHELD


def test_nothing_links_to_an_escalation_and_no_feedback_is_shown(world: World) -> None:
    html = signed_in(world.bu_user).get(report_url()).content.decode()
    assert "/escalations/ESC-" not in html
    assert "/board/escalations/" not in html
    assert "?status=" not in html and "?start_day=" not in html
    assert "How effective the procedure was" not in html
    assert "not in this report" in html


def test_the_page_says_what_it_covers(world: World) -> None:
    html = signed_in(world.bu_user).get(report_url()).content.decode()
    assert TITLE in html
    assert world.partnership.name in html
    assert "by financial year, from 1 April to 31 March" in html
    assert "from 1 April 2025 to 31 March 2026" in html
    assert reverse("insights:annual-report-pdf", kwargs={"year": YEAR}) in html


def test_the_year_still_running_is_counted_to_today(world: World) -> None:
    today = timekeeping.today()
    current = FinancialYear.of(today)
    response = signed_in(world.bu_user).get(report_url(current.year))
    assert response.status_code == 200
    assert response.context["counted_to"] == today
    assert f"so far: from 1 April {current.year} to {today:%-d %B %Y}" in response.content.decode()


@pytest.mark.parametrize("year", [1999, 0, 99_999_999])
def test_a_year_out_of_range_is_not_found(world: World, year: int) -> None:
    client = signed_in(world.bu_user)
    for url in (report_url(year), narrative_url(year), pdf_url(year)):
        assert client.get(url).status_code == 404


def test_next_year_is_not_found(world: World) -> None:
    next_year = FinancialYear.of(timekeeping.today()).year + 1
    assert signed_in(world.bu_user).get(report_url(next_year)).status_code == 404


def test_choose_a_year_lists_the_years_with_escalations_newest_first(world: World) -> None:
    raise_in_year(world, 1, first=dt.date(2023, 2, 6))  # financial year 2022-23
    raise_in_year(world, 1, first=dt.date(2024, 3, 25))  # 2023-24 (before April)
    current = FinancialYear.of(timekeeping.today()).year
    html = signed_in(world.bu_user).get(reverse("insights:annual-reports")).content.decode()
    years = [int(y) for y in re.findall(r'href="/board/annual-report/(\d+)/"', html)]
    assert years == sorted({current, 2025, 2023, 2022}, reverse=True)
    assert f"Escalations annual report 2022{EN_DASH}23" in html
    assert "financial year, from 1 April to 31 March" in html


def test_the_dashboard_links_to_the_annual_reports(world: World) -> None:
    html = signed_in(world.bu_user).get(reverse("insights:dashboard")).content.decode()
    assert f'href="{reverse("insights:annual-reports")}"' in html


# -- the narrative ----------------------------------------------------------------------------


def _form_version(html: str) -> str:
    found = re.search(r'name="version" value="(\d+)"', html)
    assert found is not None, html
    return found.group(1)


def test_write_the_narrative_and_read_it_in_the_report_as_paragraphs(world: World) -> None:
    client = signed_in(world.bu_user)
    form = client.get(narrative_url())
    assert form.status_code == 200
    html = form.content.decode()
    assert _form_version(html) == "0"
    assert "You can enter up to 10,000 characters" in html
    assert 'name="csrfmiddlewaretoken"' in html
    text = "The year was busy.\r\nMostly health.\r\n\r\nThe board <b>agreed</b> a plan."
    response = client.post(narrative_url(), {"narrative": text, "version": "0"})
    assert response.status_code == 302
    assert response["Location"] == report_url()
    saved = AnnualReport.objects.get(partnership=world.partnership, year=YEAR)
    assert (
        saved.narrative == "The year was busy.\nMostly health.\n\nThe board <b>agreed</b> a plan."
    )
    assert (saved.version, saved.updated_by) == (1, world.bu_user)
    page = client.get(report_url()).content.decode()
    assert '<p class="govuk-body">The year was busy.<br>Mostly health.</p>' in page
    assert '<p class="govuk-body">The board &lt;b&gt;agreed&lt;/b&gt; a plan.</p>' in page
    entry = AuditEntry.objects.get(action=AuditAction.ANNUAL_REPORT_CHANGED)
    assert entry.partnership_id == world.partnership.pk
    assert entry.detail == {"year": YEAR, "version": 1, "characters": len(saved.narrative)}
    assert "busy" not in str(entry.detail)
    # Opened again: the form carries the version saved.
    assert _form_version(client.get(narrative_url()).content.decode()) == "1"


def colleague_in_the_business_unit(world: World) -> User:
    user = User.objects.create_user(username="annual-bu-2", password="x")
    Person.objects.create(
        agency=world.c,
        name="Robin Colleague",
        job_title="Business officer",
        level=Level.SENIOR_MANAGER.value,
        is_business_unit=True,
        user=user,
    )
    return user


def test_a_save_from_a_page_opened_before_someone_elses_is_refused(world: World) -> None:
    mine = signed_in(world.bu_user)
    theirs = signed_in(colleague_in_the_business_unit(world))
    mine_version = _form_version(mine.get(narrative_url()).content.decode())
    their_version = _form_version(theirs.get(narrative_url()).content.decode())
    assert mine_version == their_version == "0"
    assert theirs.post(narrative_url(), {"narrative": "Theirs", "version": "0"}).status_code == 302

    response = mine.post(narrative_url(), {"narrative": "Mine, typed with care", "version": "0"})
    assert response.status_code == 200
    html = response.content.decode()
    form = response.context["form"]
    assert "Robin Colleague saved the narrative at" in form.errors["narrative"][0]
    assert "Yours has not been saved" in form.errors["narrative"][0]
    assert 'class="govuk-error-message"' in html and "Robin Colleague saved the narrative" in html
    assert "Mine, typed with care</textarea>" in html  # what I typed is still there
    assert '<p class="govuk-body">Theirs</p>' in html  # and theirs is shown
    assert _form_version(html) == "1"  # the form moved on to their version
    report = AnnualReport.objects.get()
    assert (report.narrative, report.version) == ("Theirs", 1)  # nothing overwritten
    assert AuditEntry.objects.filter(action=AuditAction.ANNUAL_REPORT_CHANGED).count() == 1

    # Later saves at a stale version are refused too; saving again, knowingly, replaces it.
    assert (
        theirs.post(narrative_url(), {"narrative": "Theirs 2", "version": "1"}).status_code == 302
    )
    stale = mine.post(narrative_url(), {"narrative": "Mine again", "version": "1"})
    assert stale.status_code == 200
    assert AnnualReport.objects.get().narrative == "Theirs 2"
    assert (
        mine.post(narrative_url(), {"narrative": "Mine again", "version": "2"}).status_code == 302
    )
    assert (AnnualReport.objects.get().narrative, AnnualReport.objects.get().version) == (
        "Mine again",
        3,
    )


def test_an_empty_narrative_is_allowed(world: World) -> None:
    client = signed_in(world.bu_user)
    client.post(narrative_url(), {"narrative": "Something", "version": "0"})
    response = client.post(narrative_url(), {"narrative": "  \r\n ", "version": "1"})
    assert response.status_code == 302
    assert AnnualReport.objects.get().narrative == ""
    assert (
        "No narrative has been written for this year yet"
        in client.get(report_url()).content.decode()
    )


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("x" * (NARRATIVE_LIMIT + 1), "The narrative must be 10,000 characters or fewer"),
        ("Null \x00 here", "Null characters are not allowed."),
    ],
)
def test_bad_input_is_refused_at_the_field_and_saves_nothing(
    world: World, typed: str, message: str
) -> None:
    response = signed_in(world.bu_user).post(narrative_url(), {"narrative": typed, "version": "0"})
    assert response.status_code == 200
    assert response.context["form"].errors["narrative"] == [message]
    html = response.content.decode()
    assert 'href="#id_narrative"' in html  # the error summary links to the field
    assert "govuk-textarea--error" in html
    assert not AnnualReport.objects.exists()
    assert not AuditEntry.objects.filter(action=AuditAction.ANNUAL_REPORT_CHANGED).exists()


def test_the_limit_counts_a_line_break_as_one_character(world: World) -> None:
    text = ("x" * 99 + "\r\n") * 99 + "x" * 100  # 10,099 as posted, 10,000 as counted
    response = signed_in(world.bu_user).post(narrative_url(), {"narrative": text, "version": "0"})
    assert response.status_code == 302
    assert len(AnnualReport.objects.get().narrative) == NARRATIVE_LIMIT


@pytest.mark.parametrize("version", [None, "", "-1", "abc"])
def test_a_form_without_its_version_saves_nothing(world: World, version: str | None) -> None:
    data = {"narrative": "Text"}
    if version is not None:
        data["version"] = version
    response = signed_in(world.bu_user).post(narrative_url(), data)
    assert response.status_code == 200
    assert "This page was out of date" in response.content.decode()
    assert not AnnualReport.objects.exists()


def test_the_narrative_form_needs_a_csrf_token(world: World) -> None:
    client = sign_in(Client(enforce_csrf_checks=True), world.bu_user)
    response = client.post(narrative_url(), {"narrative": "Text", "version": "0"})
    assert response.status_code == 403
    assert not AnnualReport.objects.exists()


# -- the PDF ----------------------------------------------------------------------------------


def test_the_pdf_holds_the_title_the_narrative_and_the_figures(world: World) -> None:
    client = signed_in(world.bu_user)
    client.post(narrative_url(), {"narrative": "Agencies worked well together.", "version": "0"})
    response = client.get(pdf_url())
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == (
        'attachment; filename="annual-escalations-annual-report-2025-26.pdf"'
    )
    assert "no-store" in response["Cache-Control"]
    reader = PdfReader(io.BytesIO(response.content))
    text = " ".join(" ".join((page.extract_text() or "").split()) for page in reader.pages)
    assert TITLE in text
    assert world.partnership.name in text
    assert "Agencies worked well together." in text
    assert "Raised in the period 12" in text
    assert "fewer than 5" in text  # a small number, hidden in the PDF too
    assert reader.metadata is not None
    assert reader.metadata.title == f"{TITLE}: {world.partnership.name}"
    entry = AuditEntry.objects.filter(action=AuditAction.EXPORT).latest("sequence")
    assert entry.detail == {"view": "annual-report-pdf", "year": YEAR}
    assert entry.partnership_id == world.partnership.pk


# -- who may see it, and the audit trail ------------------------------------------------------


def test_reading_the_report_is_audited(world: World) -> None:
    signed_in(world.bu_user).get(report_url())
    entry = AuditEntry.objects.filter(action=AuditAction.BOARD_VIEWED).latest("sequence")
    assert entry.detail == {"view": "annual-report", "year": YEAR}
    assert (entry.object_ref, entry.partnership_id) == (str(YEAR), world.partnership.pk)


URLS = [report_url, narrative_url, pdf_url]


@pytest.mark.parametrize(
    "level", [Level.PRACTITIONER, Level.LINE_MANAGER, Level.BOARD_REPRESENTATIVE]
)
def test_nobody_but_the_business_unit_reads_or_writes_it(world: World, level: Level) -> None:
    client = signed_in(world.user("a", level))
    assert client.get(reverse("insights:annual-reports")).status_code == 404
    for url in URLS:
        assert client.get(url()).status_code == 404
    assert client.post(narrative_url(), {"narrative": "No", "version": "0"}).status_code == 404
    assert not AnnualReport.objects.exists()


def test_anonymous_is_sent_to_sign_in(world: World) -> None:
    client = Client()
    for url in [*(u() for u in URLS), reverse("insights:annual-reports")]:
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith("/account/sign-in/")
    client.post(narrative_url(), {"narrative": "No", "version": "0"})
    assert not AnnualReport.objects.exists()


def test_another_partnerships_business_unit_sees_and_writes_only_its_own(world: World) -> None:
    signed_in(world.bu_user).post(narrative_url(), {"narrative": "Ours alone", "version": "0"})
    other = make_world("north-east-lincolnshire", "elsewhere")
    client = signed_in(other.bu_user)
    response = client.get(report_url())
    html = response.content.decode()
    assert other.partnership.name in html and world.partnership.name not in html
    assert "Ours alone" not in html
    assert _sections(response)["at-a-glance"].rows[0] == ("Raised in the period", 0)
    assert "Ours alone" not in client.get(narrative_url()).content.decode()
    assert client.post(narrative_url(), {"narrative": "Theirs", "version": "1"}).status_code == 200
    assert AnnualReport.objects.get(partnership=world.partnership).narrative == "Ours alone"
    assert not AnnualReport.objects.filter(partnership=other.partnership).exists()
    pdf = client.get(pdf_url())
    assert b"Ours alone" not in pdf.content
    assert other.partnership.slug in pdf["Content-Disposition"]


# -- the query count --------------------------------------------------------------------------


def _queries(client: Client, url: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured)


def test_the_query_count_stays_the_same_as_data_grows(world: World) -> None:
    client = signed_in(world.bu_user)
    client.post(narrative_url(), {"narrative": "Words", "version": "0"})
    for url in (report_url(), reverse("insights:annual-reports"), narrative_url()):
        client.get(url)  # warm: the session, the procedure registry
    before = {
        url: _queries(client, url) for url in (report_url(), reverse("insights:annual-reports"))
    }
    more = raise_in_year(world, 24, first=dt.date(2025, 4, 7))
    for esc in more[:10]:
        resolve(world, esc, esc.raised_on + dt.timedelta(days=3))
    for esc in more[10:14]:
        escalated_to(world, esc, 3)
    raise_in_year(world, 3, first=dt.date(2023, 5, 1))  # another year to choose
    after = {url: _queries(client, url) for url in before}
    assert after == before
