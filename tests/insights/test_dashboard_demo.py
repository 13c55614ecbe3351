"""The dashboard over the demo (five partnerships built through the services, which write the
facts as they go): every figure equals what the record says (``tests.insights
.dashboard_oracle``) for each partnership, and each link of one partnership lists exactly the
escalations its figure counts."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest
from django.db import transaction
from django.test import override_settings
from pytest_django.plugin import DjangoDbBlocker

from escalate import timekeeping
from escalate.cases.models import Escalation
from escalate.demo import scenario as demo
from escalate.directory.models import Partnership
from tests.insights.dashboard_checks import assert_links, assert_partnership, year_before
from tests.insights.dashboard_oracle import Choice

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.filterwarnings("ignore:No directory at:UserWarning"),
]


@pytest.fixture(scope="module")
def loaded(
    django_db_setup: None, django_db_blocker: DjangoDbBlocker
) -> Iterator[list[Partnership]]:
    """The demo, loaded once for the module in a transaction rolled back after it (its audit
    entries too)."""
    with django_db_blocker.unblock(), transaction.atomic(), override_settings(ESCALATE_DEMO=True):
        demo.demo_load()
        yield list(Partnership.objects.filter(slug__startswith=demo.DEMO_SLUG_PREFIX))
        transaction.set_rollback(True)


def test_the_demos_figures_equal_its_records(loaded: list[Partnership]) -> None:
    today = timekeeping.today()
    assert len(loaded) == 5
    counted = 0
    for partnership in loaded:
        counted += assert_partnership(
            partnership,
            today,
            [Choice(year_before(today), today), Choice(dt.date(today.year - 3, 1, 1), today)],
        )
    assert counted > 20


def test_the_demos_links_list_what_they_count(loaded: list[Partnership]) -> None:
    today = timekeeping.today()
    busiest = max(loaded, key=lambda p: Escalation.objects.filter(partnership=p).count())
    assert assert_links(busiest, today, Choice(dt.date(today.year - 3, 1, 1), today)) > 20
