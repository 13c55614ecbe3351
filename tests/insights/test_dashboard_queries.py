"""The dashboard and the list behind a figure ask the same number of queries whatever the
number of escalations: two partnerships of the same procedure, generated at two sizes
(``escalate.demo.scale``), each page asked by each partnership's business unit."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest
from django.db import connection, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext
from pytest_django.plugin import DjangoDbBlocker

from escalate import timekeeping
from escalate.cases.models import Escalation
from escalate.demo import scale
from escalate.directory.models import Partnership
from tests.insights.dashboard_checks import bu_client
from tests.insights.dashboard_oracle import Choice

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.filterwarnings("ignore:No directory at:UserWarning"),
]

TODAY = timekeeping.today()
#: Both sizes fill the lists' first two pages (50 rows each), so that both count the list.
SMALL, LARGE = 130, 390


@pytest.fixture(scope="module")
def sizes(django_db_setup: None, django_db_blocker: DjangoDbBlocker) -> Iterator[list[Partnership]]:
    """One partnership of each size, running the same procedure (the first of the registry)."""
    with django_db_blocker.unblock(), transaction.atomic():
        scale.generate(escalations=SMALL, partnerships=1, seed=31, today=TODAY)
        scale.generate(escalations=LARGE, partnerships=1, seed=32, today=TODAY, add=True)
        made = [Partnership.objects.get(slug__startswith=f"scale-{seed}-") for seed in (31, 32)]
        yield made
        transaction.set_rollback(True)


def _queries(client: Client, url: str, query: dict[str, str]) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url, query)
    assert response.status_code == 200
    return len(captured)


WHOLE = Choice(dt.date(TODAY.year - 3, 1, 1), TODAY)
PAGES = [
    ("/board/", {}),
    ("/board/", WHOLE.query()),
    ("/board/", {**WHOLE.query(), "stage": "2", "agency_type": "police"}),
    ("/board/escalations/", WHOLE.query()),
    ("/board/escalations/", {**WHOLE.query(), "page": "2"}),
    ("/board/escalations/", {**WHOLE.query(), "basis": "closed", "closed": "1"}),
    ("/board/escalations/", {**WHOLE.query(), "within_due": "met"}),
]


def test_the_pages_ask_as_many_queries_at_either_size(sizes: list[Partnership]) -> None:
    small, large = sizes
    assert Escalation.objects.filter(partnership=small).count() == SMALL
    assert Escalation.objects.filter(partnership=large).count() == LARGE
    counts = []
    for partnership in (small, large):
        client = bu_client(partnership)
        client.get("/board/")  # the session's one-off work
        counts.append([_queries(client, url, query) for url, query in PAGES])
    assert counts[0] == counts[1]
    assert max(counts[0]) < 40
