"""The demo's facts: what the services stored is what the rules core computes from each record;
``recompute_facts`` finds nothing to change, until a partnership closes for a day."""

from __future__ import annotations

import io
from collections.abc import Iterator

import pytest
from django.core.management import call_command
from pytest_django.plugin import DjangoDbBlocker

from escalate.cases.models import Escalation, Status
from escalate.demo import scenario as demo
from escalate.directory.models import ClosureDay
from escalate.insights.models import EscalationFact, StageFact
from tests.audit.support import erase_trail
from tests.insights.conftest import a_working_day_inside, all_rows, expected, stored

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def loaded(django_db_setup: None, django_db_blocker: DjangoDbBlocker) -> Iterator[None]:
    """The demo, loaded once for this module and removed after it (as tests/demo does)."""
    with django_db_blocker.unblock():
        call_command("load_demo", stdout=io.StringIO())
    yield
    with django_db_blocker.unblock():
        demo.demo_remove()
        erase_trail()


def _recompute(*args: str) -> str:
    out = io.StringIO()
    call_command("recompute_facts", *args, stdout=out, stderr=out)
    return out.getvalue()


def test_every_escalation_has_the_facts_its_record_gives(loaded: None) -> None:
    escalations = Escalation.objects.select_related("partnership").order_by("pk")
    assert escalations.count() >= 40
    assert EscalationFact.objects.count() == escalations.count()
    assert StageFact.objects.count() == sum(
        e.current_stage - e.start_stage + 1 for e in escalations
    )
    for esc in escalations:
        assert stored(esc) == expected(esc), esc.reference
    ended = set(StageFact.objects.values_list("ended", flat=True))
    assert ended == {"open", "resolved", "escalated", "withdrawn", "decided"}
    assert set(StageFact.objects.values_list("within_due", flat=True)) == {True, False, None}


def test_the_recompute_finds_nothing_to_change(loaded: None) -> None:
    before = all_rows()
    out = _recompute()
    count = Escalation.objects.count()
    assert f"Checked {count:,} escalations: 0 differed" in out
    assert all_rows() == before


def test_a_closure_day_inside_a_stage_is_found_and_fixed(loaded: None) -> None:
    closed, day = next(
        (e, day)
        for e in Escalation.objects.filter(status=Status.RESOLVED, current_stage=1)
        .select_related("partnership")
        .order_by("pk")
        if (day := a_working_day_inside(e, 1)) is not None
    )
    ClosureDay.objects.create(partnership=closed.partnership, on=day, reason="Staff training")
    assert stored(closed) != expected(closed)

    before = all_rows()
    out = _recompute("--dry-run", "--partnership", closed.partnership.slug)
    assert all_rows() == before
    assert f"{closed.reference}: " in out
    line = next(x for x in out.splitlines() if closed.reference in x)
    assert "working_days_taken" in line and "stage 1 due_on" in line

    out = _recompute("--partnership", closed.partnership.slug)
    assert "(their facts rewritten)" in out
    assert stored(closed) == expected(closed)
    for esc in Escalation.objects.select_related("partnership"):
        assert stored(esc) == expected(esc), esc.reference
    assert " 0 differed" in _recompute()
