"""The other lists that grow without bound page the same way as the escalation lists (the
shared helper and include): the notifications, the business unit's outbox, an escalation's
audit trail and who has viewed an agency's escalations. Page 1 and page 2 of each cost the
same queries however many rows there are, and show the numbered GOV.UK pagination."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from escalate.audit.models import AuditAction
from escalate.audit.services import audit_record
from escalate.cases.models import Escalation
from escalate.directory.models import Person
from escalate.notifications.models import Channel, Status
from escalate.procedures.schema import Level
from tests.cases.conftest import World, make_world
from tests.notifications.test_views import fresh, row
from tests.support import signed_in

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.filterwarnings("ignore:No directory at:UserWarning"),
]

CURRENT = re.compile(r'aria-label="Page (\d+)" aria-current="page"')


@pytest.fixture
def world(db: None) -> World:
    return make_world("north-east-lincolnshire", "paging")


def _page(client: Client, url: str) -> tuple[int, str]:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200
    return len(captured), response.content.decode()


def _same_as_it_grows(
    client: Client, url: str, add: Callable[[int], object], per_page: int
) -> list[str]:
    """Pages 1 and 2 of ``url`` with a little over two pages of rows, then a little over four:
    the same number of queries each time. Returns the pages' HTML, at the larger size."""
    add(2 * per_page + 10)
    client.get(url)  # the first request of a session does its own one-off work
    small = [_page(client, url)[0], _page(client, f"{url}?page=2")[0]]
    add(2 * per_page + 10)
    large = [_page(client, url), _page(client, f"{url}?page=2")]
    assert [n for n, _ in large] == small
    return [html for _, html in large]


def _numbered(html: str, current: int, label: str) -> None:
    assert f'<nav class="govuk-pagination" aria-label="Pages of {label}">' in html
    assert CURRENT.findall(html) == [str(current)]


def test_the_notifications_list(world: World) -> None:
    me: Person = world.people[("a", Level.PRACTITIONER)]
    esc = fresh(world)
    first, second = _same_as_it_grows(
        signed_in(me.user),
        "/notifications/",
        lambda n: [row(me, esc) for _ in range(n)],
        per_page=25,
    )
    _numbered(first, 1, "notifications")
    _numbered(second, 2, "notifications")
    assert 'Older<span class="govuk-visually-hidden"> notifications</span>' in first


def test_the_business_units_outbox_keeps_its_filter_across_pages(world: World) -> None:
    unit: Person = world.business_unit  # type: ignore[assignment]
    to = world.people[("b", Level.SENIOR_MANAGER)]
    esc = fresh(world)
    client = signed_in(unit.user)
    first, second = _same_as_it_grows(
        client,
        "/notifications/outbox/",
        lambda n: [
            row(to, esc, channel=Channel.EMAIL, status=Status.FAILED, failure="Refused")
            for _ in range(n)
        ],
        per_page=50,
    )
    _numbered(first, 1, "messages")
    _numbered(second, 2, "messages")
    failed = client.get("/notifications/outbox/", {"status": "failed"}).content.decode()
    assert 'href="?status=failed&amp;page=2" rel="next"' in failed


def _viewed(esc: Escalation, user: object, n: int) -> None:
    for _ in range(n):
        audit_record(
            actor=user,
            action=AuditAction.ESCALATION_VIEWED,
            object_type="escalation",
            object_ref=esc.reference,
            partnership_id=esc.partnership_id,
        )


def test_an_escalations_audit_trail(world: World) -> None:
    esc = fresh(world)
    viewer = world.user("b", Level.PRACTITIONER)
    first, second = _same_as_it_grows(
        signed_in(world.bu_user),
        f"/audit/escalations/{esc.reference}/",
        lambda n: _viewed(esc, viewer, n),
        per_page=50,
    )
    _numbered(first, 1, "entries")
    _numbered(second, 2, "entries")


def test_who_has_viewed_an_agencys_escalations(world: World) -> None:
    esc = fresh(world)
    viewer = world.user("c", Level.PRACTITIONER)
    first, second = _same_as_it_grows(
        signed_in(world.user("a", Level.LINE_MANAGER)),
        "/audit/views-of-our-cases/",
        lambda n: _viewed(esc, viewer, n),
        per_page=50,
    )
    _numbered(first, 1, "views")
    _numbered(second, 2, "views")
