"""The generated data set's facts (``generate_scale_data`` writes them with ``COPY``): what the
rules core computes from each record, what the services would have stored, and nothing for
``recompute_facts`` to change."""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Iterator
from typing import Any

import pytest
from django.core.management import call_command
from django.db import transaction
from pytest_django.plugin import DjangoDbBlocker

from escalate.cases.models import Escalation
from escalate.demo import scale
from escalate.insights.models import EscalationFact, StageFact
from tests.demo.test_scale import _sample
from tests.insights.conftest import all_rows, expected, stored

pytestmark = pytest.mark.django_db

TODAY = dt.date(2026, 3, 3)
SEED = 17
N = 300


@pytest.fixture(scope="module")
def generated(
    django_db_setup: None, django_db_blocker: DjangoDbBlocker
) -> Iterator[scale.ScaleResult]:
    """As tests/demo/test_scale.py: made once, in a transaction rolled back after the module."""
    with django_db_blocker.unblock(), transaction.atomic():
        result = scale.generate(
            escalations=N, partnerships=5, seed=SEED, today=TODAY, keep_plans=True
        )
        yield result
        transaction.set_rollback(True)


def _ours() -> Any:
    return Escalation.objects.filter(partnership__slug__startswith=f"scale-{SEED}-")


def test_every_generated_escalation_has_the_facts_its_record_gives(
    generated: scale.ScaleResult,
) -> None:
    escalations = _ours().select_related("partnership", "raising_agency", "receiving_agency")
    assert escalations.count() == N == EscalationFact.objects.count()
    assert generated.counts["escalationfact"] == N
    assert StageFact.objects.count() == generated.counts["stagefact"] == generated.counts["stage"]
    for esc in escalations:
        assert stored(esc) == expected(esc), esc.reference
    assert set(StageFact.objects.values_list("ended", flat=True)) == {
        "open",
        "resolved",
        "escalated",
        "withdrawn",
        "decided",
    }


def test_the_recompute_finds_nothing_to_change(generated: scale.ScaleResult) -> None:
    before = all_rows()
    for args in (["--dry-run"], [], ["--batch", "7"]):
        out = io.StringIO()
        call_command("recompute_facts", *args, stdout=out)
        assert f"Checked {N} escalations: 0 differed" in out.getvalue()
    assert all_rows() == before


def _facts_of(esc: Escalation) -> tuple[Any, ...]:
    """Everything stored in the facts but the escalation's ids."""
    fact = EscalationFact.objects.get(pk=esc.pk)
    return (
        [getattr(fact, f.attname) for f in EscalationFact._meta.concrete_fields[1:]],
        list(
            StageFact.objects.filter(escalation=esc).values_list(
                "partnership_id", "number", "entered_on", "due_on", "left_on", "ended", "within_due"
            )
        ),
    )


def test_the_services_store_the_same_facts(generated: scale.ScaleResult) -> None:
    for planned in _sample(generated.plans):
        ours = Escalation.objects.get(reference=planned.reference)
        theirs = scale.replay_through_services(planned)
        assert _facts_of(theirs) == _facts_of(ours), planned.reference
