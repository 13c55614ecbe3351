"""Services act for an actor (a person or the system) on the date they are given, and keep
the deadlines the sweep reads in step with the record."""

from __future__ import annotations

import ast
import datetime as dt
from pathlib import Path

import pytest

from escalate.audit.models import AuditAction, AuditEntry, AuditResult
from escalate.cases import services
from escalate.cases.actors import Actor
from escalate.cases.models import Deadline, Escalation
from escalate.procedures.schema import Level
from tests.cases.conftest import World, highest, new_escalation, raise_one

D = dt.date


def deadlines(esc: Escalation) -> set[tuple[int, str, dt.date]]:
    return set(Deadline.objects.filter(escalation=esc).values_list("stage", "obligation", "due_on"))


def test_the_system_acts_and_the_record_and_audit_say_so(world: World) -> None:
    esc = raise_one(world)
    esc = services.escalation_escalate(
        actor=Actor.for_system("sweep-test"),
        escalation=esc,
        version=esc.version,
        today=D(2026, 3, 3),
        on=D(2026, 3, 3),
        reason="Escalated by a command",
    )
    last = esc.entries.order_by("-sequence").first()
    assert last is not None
    assert (last.author_id, last.author_name) == (None, "Escalate")
    entry = AuditEntry.objects.filter(action=AuditAction.ESCALATION_CHANGED).last()
    assert entry is not None
    assert entry.actor_id is None
    assert entry.detail["actor"] == "system:sweep-test"


def test_a_person_acting_is_recorded_as_a_person(world: World) -> None:
    esc = raise_one(world)
    entry = AuditEntry.objects.filter(action=AuditAction.ESCALATION_RAISED).last()
    assert entry is not None
    assert entry.actor_id == world.user("a", Level.PRACTITIONER).pk
    assert entry.detail["actor"] == "person"
    assert esc.entries.get(sequence=1).author_name == world.people[("a", Level.PRACTITIONER)].name


def test_the_date_acted_on_is_the_one_given_not_the_clock(world: World) -> None:
    esc = raise_one(world, on=D(2026, 3, 4))
    assert esc.raised_on == D(2026, 3, 4)
    with pytest.raises(services.ActionError) as caught:
        services.escalation_escalate(
            actor=Actor.of(highest(world)),
            escalation=esc,
            version=esc.version,
            today=D(2026, 3, 4),
            on=D(2026, 3, 5),  # after the "today" given: the future, whatever the clock says
            reason="x",
        )
    assert (caught.value.message, caught.value.field) == (services.DATE_IN_FUTURE, "on")


def test_a_refused_raise_is_audited_and_saves_nothing(world: World) -> None:
    before = Escalation.objects.count()
    with pytest.raises(services.ActionError):
        services.escalation_raise(
            actor=Actor.of(world.bu_user), data=new_escalation(world), today=D(2026, 3, 2)
        )
    with pytest.raises(services.ActionError):
        services.escalation_raise(
            actor=Actor.of(world.user("a", Level.PRACTITIONER)),
            data=new_escalation(world, category="no-such-category"),
            today=D(2026, 3, 2),
        )
    assert Escalation.objects.count() == before
    refused = AuditEntry.objects.filter(
        action=AuditAction.ESCALATION_RAISED, result=AuditResult.REFUSED
    ).order_by("sequence")
    assert [(e.actor_id, e.detail.get("field")) for e in refused] == [
        (world.bu_user.pk, None),
        (world.user("a", Level.PRACTITIONER).pk, "category"),
    ]
    assert all(e.detail["service"] == "escalation_raise" for e in refused)
    assert all(e.object_ref == "" for e in refused)


def test_deadlines_follow_the_record(world: World) -> None:
    # North East Lincolnshire: stage 1 due 5 working days after the outset (2 March 2026).
    esc = raise_one(world)
    assert (1, "", esc.current_due_on) in deadlines(esc)
    assert {d for d in deadlines(esc) if d[2] == esc.next_due_on}
    esc = services.escalation_escalate(
        actor=Actor.of(highest(world)),
        escalation=esc,
        version=esc.version,
        today=D(2026, 3, 3),
        on=D(2026, 3, 3),
        reason="Not agreed",
    )
    stages = {stage for stage, _, _ in deadlines(esc)}
    assert 1 not in stages, "the stage left has no deadline"
    assert 2 in stages
    assert (2, "", esc.current_due_on) in deadlines(esc)
    esc = services.escalation_resolve(
        actor=Actor.of(highest(world)),
        escalation=esc,
        version=esc.version,
        today=D(2026, 3, 4),
        on=D(2026, 3, 4),
        outcome="Agreed",
    )
    # Once resolved, only the duties that follow a resolution are still due.
    assert all(obligation for _, obligation, _ in deadlines(esc))
    esc = services.escalation_withdraw(
        actor=Actor.of(world.user("a", Level.PRACTITIONER)),
        escalation=raise_one(world),
        version=1,
        today=D(2026, 3, 3),
        on=D(2026, 3, 3),
        reason="Raised in error",
    )
    assert deadlines(esc) == set()


def test_a_deadline_brought_forward_replaces_the_old_date(world: World) -> None:
    esc = raise_one(world, on=D(2026, 3, 2))
    ordinary = esc.current_due_on
    assert ordinary is not None
    esc = services.escalation_bring_forward(
        actor=Actor.of(highest(world)),
        escalation=esc,
        version=esc.version,
        today=D(2026, 3, 2),
        due_on=D(2026, 3, 3),
        reason="Risk rising",
    )
    stage_dates = {due for stage, ob, due in deadlines(esc) if stage == 1 and not ob}
    assert stage_dates == {D(2026, 3, 3)}


def test_the_directory_depends_on_nothing_above_it() -> None:
    root = Path(__file__).resolve().parents[2] / "src" / "escalate" / "directory"
    above = ("escalate.cases", "escalate.notifications", "escalate.demo", "escalate.board")
    found = []
    for path in root.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            names = (
                [a.name for a in node.names]
                if isinstance(node, ast.Import)
                else [node.module or ""]
                if isinstance(node, ast.ImportFrom)
                else []
            )
            found += [f"{path.name}: {n}" for n in names if n.startswith(above)]
    assert found == []
