"""The home page's counts (open, overdue, open at immediate risk) are of what the viewer may
see, exactly, in one query over the open escalations only, and the page costs the same
queries however many escalations there are. (That the query is answered from the partial
index of open escalations alone: test_list_indexes.py.)"""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from escalate import timekeeping
from escalate.cases import selectors
from escalate.cases.models import Escalation, Status
from escalate.procedures.schema import Level
from tests.cases.conftest import World, make_world
from tests.cases.test_list_pages import many
from tests.support import signed_in

pytestmark = pytest.mark.django_db


def expected(escalations: list[Escalation], today: dt.date) -> dict[str, int]:
    opened = [e for e in escalations if e.status == Status.OPEN]
    return {
        "open": len(opened),
        "overdue": sum(1 for e in opened if e.next_due_on is not None and e.next_due_on < today),
        "immediate_risk": sum(1 for e in opened if e.immediate_risk),
    }


def test_the_counts_are_of_what_the_viewer_may_see(world: World) -> None:
    made = many(world, 90)
    many(make_world("sunderland-sab", "elsewhere"), 12)  # another partnership's: never counted
    today = timekeeping.today()
    assert selectors.escalation_counts_for(world.bu_user, today) == expected(made, today)
    party = world.user("c", Level.PRACTITIONER)  # c receives every third one
    theirs = [e for e in made if e.receiving_agency_id == world.c.pk]
    assert 0 < len(theirs) < len(made)
    assert selectors.escalation_counts_for(party, today) == expected(theirs, today)
    # A day later, what was due today is overdue too.
    tomorrow = today + dt.timedelta(days=1)
    assert selectors.escalation_counts_for(world.bu_user, tomorrow) == expected(made, tomorrow)


def test_the_counts_are_one_query_that_reads_only_open_escalations(world: World) -> None:
    many(world, 20)
    with CaptureQueriesContext(connection) as captured:
        selectors.escalation_counts_for(world.bu_user, timekeeping.today())
    (query,) = captured
    assert re.search(r"""WHERE .*"cases_escalation"\."status" = 'open'""", query["sql"])


def test_the_home_page_shows_the_counts(world: World) -> None:
    made = many(world, 90)
    counts = expected(made, timekeeping.today())
    html = signed_in(world.bu_user).get("/").content.decode()
    assert f"{counts['open']} open escalations you can see" in html
    assert f"{counts['overdue']} overdue" in html
    assert f"{counts['immediate_risk']} open escalations you can see are about someone" in html


@pytest.mark.parametrize("who", ["business unit", "party"])
def test_the_home_page_costs_the_same_queries_however_many_escalations(
    world: World, who: str
) -> None:
    user = world.bu_user if who == "business unit" else world.user("b", Level.PRACTITIONER)
    client = signed_in(user)
    many(world, 30)
    client.get("/")  # the first request of a session does its own one-off work

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get("/").status_code == 200
        return len(captured)

    small = queries()
    many(world, 300, start=30)
    assert queries() == small
