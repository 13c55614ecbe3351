"""``recompute_facts``: rebuilds the facts from the record, reports what differed by reference,
writes only without ``--dry-run``, in batches of constant size."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.test.utils import CaptureQueriesContext

from escalate.cases import services
from escalate.cases.actors import Actor
from escalate.cases.models import Escalation
from escalate.directory.models import Agency, ClosureDay
from escalate.insights import facts
from escalate.insights.models import EscalationFact, StageFact
from tests.cases.conftest import World, highest, make_world, raise_one
from tests.insights.conftest import a_working_day_inside, all_rows, expected, stored

pytestmark = pytest.mark.django_db

D = dt.date


@pytest.fixture
def world(db: None) -> World:
    return make_world("north-east-lincolnshire")


def _run(*args: str) -> str:
    out = io.StringIO()
    call_command("recompute_facts", *args, stdout=out, stderr=out)
    return out.getvalue()


def _several(world: World, n: int = 4) -> list[Escalation]:
    """Open and resolved escalations, with private words in them."""
    made = []
    for i in range(n):
        esc = raise_one(world, subject_name="", subject_reference=f"PID-SECRET-{i}")
        if i % 2:
            esc = services.escalation_resolve(
                actor=Actor.of(highest(world)),
                escalation=esc,
                version=esc.version,
                today=D(2026, 3, 6),
                on=D(2026, 3, 6),
                outcome="A private outcome",
            )
        made.append(esc)
    return made


def test_nothing_to_change_after_the_services(world: World) -> None:
    _several(world)
    out = _run()
    assert "Checked 4 escalations: 0 differed" in out


def test_a_closure_day_in_a_stage_is_reported_and_fixed(world: World) -> None:
    escalations = _several(world)
    resolved = escalations[1]
    day = a_working_day_inside(resolved, 1)  # 3 March: stage 1 now due on the 5th
    assert day == D(2026, 3, 3)
    ClosureDay.objects.create(partnership=world.partnership, on=day, reason="Training day")
    before = stored(resolved)
    assert before != expected(resolved)

    out = _run()
    assert "Checked 4 escalations: 4 differed (their facts rewritten)." in out
    line = next(x for x in out.splitlines() if resolved.reference in x)
    assert "working_days_taken" in line and "stage 1 due_on" in line
    assert "  stage.due_on: 4" in out
    assert "  working_days_taken: 2" in out
    assert stored(resolved) == expected(resolved)
    assert EscalationFact.objects.get(pk=resolved.pk).working_days_taken == 3  # 4 before
    assert "Checked 4 escalations: 0 differed" in _run()


def test_a_dry_run_reports_and_changes_nothing(world: World) -> None:
    escalations = _several(world)
    ClosureDay.objects.create(partnership=world.partnership, on=D(2026, 3, 3), reason="x")
    EscalationFact.objects.filter(pk=escalations[2].pk).delete()
    before = all_rows()
    out = _run("--dry-run")
    assert "4 differed (dry run: nothing written)" in out
    assert f"{escalations[2].reference}: missing" in out
    assert all_rows() == before


def test_missing_and_extra_facts_are_made_good(world: World) -> None:
    escalations = _several(world)
    EscalationFact.objects.filter(pk=escalations[0].pk).delete()
    StageFact.objects.filter(escalation=escalations[0]).delete()
    StageFact.objects.create(
        escalation=escalations[1],
        partnership=world.partnership,
        number=3,
        entered_on=D(2026, 3, 9),
    )
    StageFact.objects.filter(escalation=escalations[2]).update(
        ended="resolved", left_on=D(2026, 3, 3)
    )
    out = _run()
    assert f"{escalations[0].reference}: missing" in out
    assert f"{escalations[1].reference}: stage 3 extra" in out
    assert f"{escalations[2].reference}: stage 1 left_on, stage 1 ended" in out
    for esc in escalations:
        assert stored(esc) == expected(esc)
    assert "0 differed" in _run()


def test_a_recompute_keeps_the_agencies_types_at_the_raise(world: World) -> None:
    esc, other = _several(world, 2)
    Agency.objects.filter(pk=world.b.pk).update(agency_type="police")
    EscalationFact.objects.filter(pk=other.pk).delete()
    _run()
    assert EscalationFact.objects.get(pk=esc.pk).receiving_agency_type == "secondary-health"
    # No facts to keep: the agency's type now.
    assert EscalationFact.objects.get(pk=other.pk).receiving_agency_type == "police"


def test_one_partnership_only(world: World) -> None:
    other = make_world("redbridge-sab")
    ours, theirs = raise_one(world), raise_one(other)
    EscalationFact.objects.all().delete()
    out = _run("--partnership", world.partnership.slug)
    assert f"Checked 1 escalations of {world.partnership.short_name}: 1 differed" in out
    assert ours.reference in out and theirs.reference not in out
    assert not EscalationFact.objects.filter(pk=theirs.pk).exists()
    with pytest.raises(CommandError, match="No partnership has the slug 'nowhere'"):
        _run("--partnership", "nowhere")


def test_the_report_names_references_only(world: World) -> None:
    escalations = _several(world)
    EscalationFact.objects.all().delete()
    out = _run("--dry-run")
    assert all(e.reference in out for e in escalations)
    for private in ("SECRET", "private", "The issue", "The risk", world.partnership.name):
        assert private not in out


def test_a_long_report_is_cut_short_unless_asked(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    from escalate.insights.management.commands import recompute_facts

    monkeypatch.setattr(recompute_facts, "LISTED", 2)
    escalations = _several(world)
    EscalationFact.objects.all().delete()
    out = _run("--dry-run")
    assert sum(e.reference in out for e in escalations) == 2
    assert "... and 2 more (-v 2 lists every one)" in out
    out = _run("--dry-run", "-v", "2")
    assert all(e.reference in out for e in escalations)


def test_batches_of_any_size_give_the_same_result(world: World) -> None:
    escalations = _several(world, 5)
    ClosureDay.objects.create(partnership=world.partnership, on=D(2026, 3, 3), reason="x")
    EscalationFact.objects.filter(pk=escalations[3].pk).delete()
    out = _run("--batch", "2")
    assert "Checked 5 escalations: 5 differed" in out
    for esc in escalations:
        assert stored(esc) == expected(esc)


def test_the_queries_grow_with_batches_not_escalations(world: World) -> None:
    """A batch's escalations, stages, entries and facts are read a query each: memory and
    queries per batch stay the same however many escalations there are."""

    def queries(n: int) -> int:
        with CaptureQueriesContext(connection) as captured:
            result = facts.recompute(dry_run=True)
        assert result.checked == n
        return len(captured.captured_queries)

    _several(world, 2)
    few = queries(2)
    _several(world, 6)
    assert queries(8) == few
