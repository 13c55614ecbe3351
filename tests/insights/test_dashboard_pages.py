"""The board's view as pages: who may see it (the business unit of the partnership, its own
figures only), its filters (bad input shows errors and computes nothing; never a 500), the
list behind a figure (a filter not understood gives a 400 page and lists nothing), the audit
trail, the navigation link and the table markup."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from escalate import timekeeping
from escalate.audit.models import AuditAction, AuditEntry
from escalate.cases import services
from escalate.cases.actors import Actor
from escalate.cases.models import Escalation
from escalate.insights.selectors import quantile
from escalate.insights.tables import Table
from escalate.procedures.schema import Level
from tests.cases.conftest import World, make_world, raise_one
from tests.security.world import LEVEL_ROLES
from tests.support import signed_in

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.filterwarnings("ignore:No directory at:UserWarning"),
]

BOARD = "/board/"
LIST = "/board/escalations/"
REFERENCE = re.compile(r'href="/escalations/(ESC-[0-9A-Z]{4}-[0-9A-Z]{4})/"')


def period(start: dt.date, end: dt.date, **more: Any) -> dict[str, str]:
    q = {
        "start_day": str(start.day),
        "start_month": str(start.month),
        "start_year": str(start.year),
        "end_day": str(end.day),
        "end_month": str(end.month),
        "end_year": str(end.year),
    }
    q.update({k: str(v) for k, v in more.items()})
    return q


@pytest.fixture
def two(db: None) -> tuple[World, World]:
    """Two partnerships, each with escalations raised this week: one resolved in the first."""
    one = make_world("north-east-lincolnshire", "board-one")
    other = make_world("north-east-lincolnshire", "board-two")
    today = timekeeping.today()
    for world, count in ((one, 3), (other, 2)):
        for k in range(count):
            raise_one(world, on=today, outset_on=today, subject_reference=f"PID-{k}")
    first = Escalation.objects.filter(partnership=one.partnership).order_by("pk").first()
    assert first is not None
    services.escalation_resolve(
        actor=Actor.of(one.user("b", Level.PRACTITIONER)),
        escalation=first,
        version=first.version,
        today=today,
        on=today,
        outcome="Agreed",
    )
    return one, other


def _sections(response: Any) -> dict[str, Table]:
    return {s.key: s.table for s in response.context["sections"]}


def _count(table: Table, label: str) -> Any:
    return next(row[1] for row in table.rows if row[0] == label)


# -- who sees it ------------------------------------------------------------------------------


def test_the_business_unit_sees_its_own_partnerships_figures(two: tuple[World, World]) -> None:
    one, other = two
    response = signed_in(one.bu_user).get(BOARD)
    assert response.status_code == 200
    glance = _sections(response)["at-a-glance"]
    assert _count(glance, "Raised in the period") == 3
    assert _count(glance, "Still open") == 2
    assert _count(glance, "Closed") == 1
    theirs = _sections(signed_in(other.bu_user).get(BOARD))["at-a-glance"]
    assert _count(theirs, "Raised in the period") == 2


@pytest.mark.parametrize("role", sorted(LEVEL_ROLES))
def test_practitioners_and_managers_get_a_404(two: tuple[World, World], role: str) -> None:
    one, _ = two
    client = signed_in(one.user("a", LEVEL_ROLES[role]))
    assert client.get(BOARD).status_code == 404
    assert client.get(LIST).status_code == 404
    assert client.post(BOARD).status_code == 405


def test_anonymous_users_are_sent_to_sign_in(two: tuple[World, World]) -> None:
    for url in (BOARD, LIST):
        response = Client().get(url)
        assert response.status_code == 302
        assert response["Location"].startswith("/account/sign-in/")


def test_another_partnerships_business_unit_cannot_reach_these_escalations(
    two: tuple[World, World],
) -> None:
    """The URL names no partnership: the other business unit's view is its own, and naming
    the first partnership's agencies gets errors or nothing, never their escalations."""
    one, other = two
    client = signed_in(other.bu_user)
    theirs = set(
        Escalation.objects.filter(partnership=one.partnership).values_list("reference", flat=True)
    )
    today = timekeeping.today()
    response = client.get(BOARD, period(today, today, agency=one.a.pk))
    assert response.status_code == 200
    assert response.context["sections"] == []  # not one of their agencies: an error
    for own in ({"raising": one.a.pk}, {"receiving": one.b.pk}, {}):
        listed = client.get(LIST, period(today, today, **own))
        assert listed.status_code == 200
        assert not set(REFERENCE.findall(listed.content.decode())) & theirs


def test_a_system_administrator_gets_a_404(two: tuple[World, World]) -> None:
    from escalate.accounts.models import User

    admin = User.objects.create_superuser(username="root", email="r@x.invalid", password="x")
    assert signed_in(admin).get(BOARD).status_code == 404


def test_the_navigation_offers_the_boards_view_to_the_business_unit_only(
    two: tuple[World, World],
) -> None:
    one, _ = two
    link = '<a class="govuk-service-navigation__link" href="/board/">'
    assert link in signed_in(one.bu_user).get("/").content.decode()
    practitioner = signed_in(one.user("a", Level.PRACTITIONER)).get("/").content.decode()
    assert 'href="/board/"' not in practitioner
    current = signed_in(one.bu_user).get(BOARD).content.decode()
    assert 'href="/board/" aria-current="page"' in current


# -- the filters --------------------------------------------------------------------------------


def test_without_filters_the_period_is_the_last_12_months(two: tuple[World, World]) -> None:
    one, _ = two
    today = timekeeping.today()
    try:
        a_year_ago = today.replace(year=today.year - 1)
    except ValueError:
        a_year_ago = today.replace(year=today.year - 1, day=28)
    start = a_year_ago + dt.timedelta(days=1)
    html = signed_in(one.bu_user).get(BOARD).content.decode()
    assert f"Escalations raised from {start:%-d %B %Y} to {today:%-d %B %Y}" in html
    assert f'name="start_year" type="text" inputmode="numeric" value="{start.year}"' in html


def test_the_presets_are_links_that_keep_the_other_filters(two: tuple[World, World]) -> None:
    one, _ = two
    today = timekeeping.today()
    response = signed_in(one.bu_user).get(BOARD, period(today, today, stage=1))
    links = {p["label"]: p["href"] for p in response.context["presets"]}
    fy = today.year if today.month >= 4 else today.year - 1
    assert links["This financial year"] == (
        f"/board/?start_day=1&start_month=4&start_year={fy}&end_day={today.day}"
        f"&end_month={today.month}&end_year={today.year}&stage=1"
    )
    assert links["Last financial year"] == (
        f"/board/?start_day=1&start_month=4&start_year={fy - 1}&end_day=31&end_month=3"
        f"&end_year={fy}&stage=1"
    )
    assert links["This calendar year"].startswith(
        f"/board/?start_day=1&start_month=1&start_year={today.year}&"
    )
    html = response.content.decode()
    for href in links.values():
        assert f'href="{href.replace("&", "&amp;")}"' in html


BAD_FILTERS = [
    (
        {"start_day": "21"},
        "The start of the period must be the same as or before its end",
    ),
    ({"start_month": "13"}, "The start of the period must be a real date"),
    ({"end_day": ""}, "The end of the period must include a day"),
    ({"end_year": "2999"}, "The end of the period must be today or in the past"),
    ({"start_year": "1999"}, "The period must be 10 years or shorter"),
    ({"agency": "not-a-number"}, "Select agency"),
    ({"agency": "999999"}, "Select agency"),
    ({"category": "<script>"}, "Select category"),
    ({"stage": "99"}, "Select stage"),
    ({"version": "x@1"}, "Select procedure version"),
    ({"agency_type": "\x00"}, "Select type of agency"),
]


@pytest.mark.parametrize(("bad", "message"), BAD_FILTERS)
def test_bad_filters_show_errors_and_compute_nothing(
    two: tuple[World, World], bad: dict[str, str], message: str
) -> None:
    one, _ = two
    client = signed_in(one.bu_user)
    last_year = timekeeping.today().year - 1
    query = period(dt.date(last_year, 6, 15), dt.date(last_year, 6, 20))
    query.update(bad)
    client.get(BOARD)  # the session's one-off work
    with CaptureQueriesContext(connection) as captured:
        response = client.get(BOARD, query)
    assert response.status_code == 200
    html = response.content.decode()
    assert "There is a problem" in html
    assert message in html
    assert "<title>Error: The board" in html
    assert response.context["sections"] == []
    assert not [q for q in captured if "insights_" in q["sql"]]


@pytest.mark.parametrize(
    "bad",
    [
        {"month": "2026-13"},
        {"month": "March"},
        {"quarter": "2026-Q5"},
        {"status": "lost"},
        {"within_due": "maybe"},
        {"raising": "abc"},
        {"receiving": "-1"},
        {"stage_reached": "0"},
        {"current_stage": "2"},  # only with overdue
        {"basis": "opened"},
        {"start_month": "13"},
        {"agency": "999999"},
        {"month": "2026-03\x00"},
        {"month": "9999-12"},  # no month after it to end at
        {"quarter": "0000-Q1"},
        {"raising": "99999999999999999999"},  # no id is that large
        {"overdue": "1", "status": "resolved"},  # overdue is now, not the period
    ],
)
def test_a_list_with_a_filter_not_understood_is_a_400_and_lists_nothing(
    two: tuple[World, World], bad: dict[str, str]
) -> None:
    one, _ = two
    response = signed_in(one.bu_user).get(LIST, bad)
    assert response.status_code == 400
    html = response.content.decode()
    assert "This list cannot be shown" in html
    assert not REFERENCE.findall(html)


def test_a_page_number_that_is_not_one_shows_the_first_page(two: tuple[World, World]) -> None:
    one, _ = two
    response = signed_in(one.bu_user).get(LIST, {"page": "x"})
    assert response.status_code == 200
    assert len(set(REFERENCE.findall(response.content.decode()))) == 3


# -- the list behind a figure ------------------------------------------------------------------


def test_the_list_names_its_figure_and_links_each_escalation(two: tuple[World, World]) -> None:
    one, _ = two
    today = timekeeping.today()
    response = signed_in(one.bu_user).get(LIST, period(today, today, status="open"))
    html = response.content.decode()
    open_ones = Escalation.objects.filter(partnership=one.partnership, status="open")
    assert set(REFERENCE.findall(html)) == {e.reference for e in open_ones}
    assert "Status now" in html and ">Open<" in html
    assert f"{today:%-d %B %Y} to {today:%-d %B %Y}" in html
    assert 'class="govuk-back-link">Back to the board' in html
    # Each escalation opens under the usual rules: the business unit sees its partnership's.
    ref = REFERENCE.findall(html)[0]
    assert signed_in(one.bu_user).get(f"/escalations/{ref}/").status_code == 200


# -- the audit trail ---------------------------------------------------------------------------


def test_viewing_the_figures_and_a_list_is_audited(two: tuple[World, World]) -> None:
    one, _ = two
    client = signed_in(one.bu_user)
    today = timekeeping.today()
    client.get(BOARD, period(today, today, stage=1))
    viewed = AuditEntry.objects.filter(action=AuditAction.BOARD_VIEWED).latest("sequence")
    assert viewed.partnership_id == one.partnership.pk
    assert viewed.actor_id == one.bu_user.pk
    assert viewed.detail["start"] == today.isoformat()
    assert viewed.detail["stage"] == 1
    client.get(BOARD, {"start_month": "13"})
    assert AuditEntry.objects.filter(action=AuditAction.BOARD_VIEWED).latest("sequence").detail == {
        "valid": False
    }
    client.get(LIST, period(today, today, status="resolved"))
    listed = AuditEntry.objects.filter(action=AuditAction.LIST_SEARCHED).latest("sequence")
    assert listed.detail["view"] == "board"
    assert listed.detail["status"] == "resolved"
    assert listed.detail["results"] == 1
    assert listed.partnership_id == one.partnership.pk


# -- the table markup --------------------------------------------------------------------------


def test_a_figures_table_is_a_govuk_table_with_links_and_dashes(two: tuple[World, World]) -> None:
    one, _ = two
    html = signed_in(one.bu_user).get(BOARD).content.decode()
    time = html.split('id="time-to-close"', 1)[1].split("</table>", 1)[0]
    assert '<caption class="govuk-table__caption govuk-table__caption--s">Working days' in time
    assert '<th scope="col" class="govuk-table__header govuk-table__header--numeric">Median' in time
    assert '<th scope="row" class="govuk-table__header">Withdrawn</th>' in time
    # Nothing was withdrawn: its days are none, shown as a dash read as "none"; its 0 has no
    # link (nothing behind it).
    withdrawn = time.split(">Withdrawn</th>", 1)[1].split("</tr>", 1)[0]
    assert withdrawn.count('<span aria-hidden="true">&ndash;</span>') == 5
    assert withdrawn.count('<span class="govuk-visually-hidden">none</span>') == 5
    assert '<td class="govuk-table__cell govuk-table__cell--numeric">0</td>' in withdrawn
    resolved = time.split(">Resolved</th>", 1)[1].split("</tr>", 1)[0]
    assert re.search(
        r'govuk-table__cell--numeric"><a class="govuk-link" '
        r'href="/board/escalations/\?[^"]*status=resolved">1</a>',
        resolved,
    )


@pytest.mark.parametrize("values", [[5], [1, 2], [3, 1, 4, 1, 5, 9, 2, 6], [0, 0, 7, 7, 7, 30]])
def test_quantiles_from_a_histogram_interpolate_as_numpy_does(values: list[int]) -> None:
    import numpy as np

    histogram = sorted({v: values.count(v) for v in values}.items())
    for p in (0, 0.25, 0.5, 0.75, 1):
        assert quantile(histogram, p) == pytest.approx(float(np.quantile(values, p)))


def _body(response: Any) -> bytes:
    """A download's bytes (it is streamed: a response has no ``content``)."""
    assert response.streaming
    return b"".join(response.streaming_content)


DOWNLOAD = re.compile(r'href="(/board/export/[^"]+)" download')


def test_the_dashboard_offers_the_period_s_register_and_its_figures_as_files(
    two: tuple[World, World],
) -> None:
    """Each download link on the dashboard answers with its file for the dashboard's own
    filters; the figures to publish hide the three raised (fewer than 5)."""
    one, _other = two
    client = signed_in(one.bu_user)
    today = timekeeping.today()
    page = client.get(BOARD, period(today - dt.timedelta(days=30), today))
    assert page.status_code == 200
    links = [link.replace("&amp;", "&") for link in DOWNLOAD.findall(page.content.decode())]
    assert len(links) == 6
    bodies = {}
    for link in links:
        response = client.get(link)
        assert response.status_code == 200, link
        assert "no-store" in response["Cache-Control"]
        bodies[link] = _body(response)
    register_csv = next(body for link, body in bodies.items() if "register.csv" in link)
    assert register_csv.decode("utf-8-sig").count("ESC-") == 3
    figures = [body for link, body in bodies.items() if "figures.csv" in link]
    internal = next(b for b in figures if b"fewer than" not in b)
    published = next(b for b in figures if b"fewer than 5" in b)
    assert internal != published
    assert sum("publish=1" in link for link in links) == 2
