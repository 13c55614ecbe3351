"""Nothing a user typed is thrown away, and only a change of stage or status conflicts.

A change posted from a form opened before someone else's change is decided by the service: an
entry that changes no stage or status (a contact, a view, a duty done) is simply added beside
the other change; a change of stage or status brings the form back with everything typed, the
other change above it and a button to submit again. Every refusal is in the audit trail.
"""

from __future__ import annotations

import datetime as dt
import os
import threading
import time

import pytest
from django.db import OperationalError, connection, connections

from escalate import timekeeping
from escalate.audit.models import AuditAction, AuditEntry, AuditResult
from escalate.cases import services
from escalate.cases.actors import Actor
from escalate.cases.models import Entry, EntryKind, Escalation
from escalate.cases.rules import procedure_of
from escalate.procedures.schema import Level
from tests.cases.conftest import World, highest, make_world, raise_one
from tests.support import date_fields, signed_in

D = dt.date


def contact(summary: str, version: int) -> dict[str, str | int]:
    return {
        "version": version,
        "method": "telephone",
        "contact_by": "Alex, council",
        "contact_with": "Sam, health",
        "summary": summary,
        "agreed": "Nothing yet",
        **date_fields("occurred_on", D(2026, 3, 3)),
    }


def refusals(esc: Escalation) -> list[AuditEntry]:
    return list(
        AuditEntry.objects.filter(
            action=AuditAction.ESCALATION_CHANGED, object_ref=esc.reference
        ).exclude(result=AuditResult.SUCCESS)
    )


def test_a_contact_beside_another_contact_is_simply_saved(world: World) -> None:
    esc = raise_one(world)
    a = signed_in(world.user("a", Level.PRACTITIONER))
    b = signed_in(world.user("b", Level.PRACTITIONER))
    url = f"/escalations/{esc.reference}/contact/"
    assert a.post(url, contact("A's call", 1)).status_code == 302
    assert b.post(url, contact("B's call", 1)).status_code == 302  # opened at version 1 too
    summaries = list(esc.entries.filter(kind=EntryKind.CONTACT).values_list("summary", flat=True))
    assert summaries == ["A's call", "B's call"]
    assert refusals(esc) == []


def test_a_view_and_a_duty_beside_other_changes_are_saved(world: World) -> None:
    esc = raise_one(world)
    services.escalation_record_contact(
        actor=Actor.of(world.user("a", Level.PRACTITIONER)),
        today=timekeeping.today(),
        escalation=esc,
        version=1,
        occurred_on=D(2026, 3, 3),
        method="meeting",
        contact_by="A",
        contact_with="B",
        summary="s",
        agreed="a",
        decision_makers="",
    )
    services.escalation_record_view(
        actor=Actor.of(world.user("b", Level.PRACTITIONER)),
        today=timekeeping.today(),
        escalation=esc,
        version=1,
        view="Our view",
    )
    duty = next(o.id for o in procedure_of(esc).stage(1).obligations if not o.tied_to_resolution)
    esc = services.escalation_meet_obligation(
        actor=Actor.of(world.user("a", Level.PRACTITIONER)),
        today=timekeeping.today(),
        escalation=esc,
        version=1,
        on=D(2026, 3, 3),
        obligation=duty,
    )
    assert esc.version == 4
    assert list(esc.entries.values_list("version", flat=True)) == [1, 2, 3, 4]


def test_a_contact_after_the_stage_changed_comes_back_with_what_was_typed(world: World) -> None:
    esc = raise_one(world)
    services.escalation_escalate(
        actor=Actor.of(highest(world)),
        today=timekeeping.today(),
        escalation=esc,
        version=1,
        on=D(2026, 3, 3),
        reason="Not agreed",
    )
    b = signed_in(world.user("b", Level.PRACTITIONER))
    response = b.post(f"/escalations/{esc.reference}/contact/", contact("Typed with care", 1))
    html = response.content.decode()
    assert response.status_code == 200
    assert "There is a problem" in html
    assert "What changed since you opened this page" in html
    assert "Not agreed" in html  # the other person's change, shown above the form
    assert "Typed with care" in html  # the person's own typing, still in the form
    assert 'name="version" value="2"' in html  # moved on, so submitting again is one press
    assert "Submit again" in html
    assert esc.entries.filter(kind=EntryKind.CONTACT).count() == 0
    (refused,) = refusals(esc)
    assert refused.result == AuditResult.FAILED
    assert refused.detail["reason"] == "concurrent"
    again = b.post(f"/escalations/{esc.reference}/contact/", contact("Typed with care", 2))
    assert again.status_code == 302
    saved = esc.entries.get(kind=EntryKind.CONTACT)
    assert (saved.summary, saved.stage) == ("Typed with care", 2)


def test_an_action_no_longer_allowed_keeps_the_typing_and_offers_no_submit(world: World) -> None:
    esc = raise_one(world)
    services.escalation_escalate(
        actor=Actor.of(highest(world)),
        today=timekeeping.today(),
        escalation=esc,
        version=1,
        on=D(2026, 3, 3),
        reason="Not agreed",
    )
    practitioner = signed_in(world.user("b", Level.PRACTITIONER))
    data = {"version": 1, "outcome": "We agreed a plan", **date_fields("on", D(2026, 3, 3))}
    response = practitioner.post(f"/escalations/{esc.reference}/resolve/", data)
    html = response.content.decode()
    assert response.status_code == 200
    assert "We agreed a plan" in html
    assert "You can no longer do this at stage 2" in html
    assert "Submit again" not in html
    esc.refresh_from_db()
    assert esc.status == "open"
    assert len(refusals(esc)) == 1


def test_a_fresh_post_of_an_action_not_allowed_is_still_not_found(world: World) -> None:
    esc = raise_one(world)
    outsider = signed_in(world.user("c", Level.PRACTITIONER))
    data = {"version": 1, "outcome": "x", **date_fields("on", D(2026, 3, 3))}
    assert outsider.post(f"/escalations/{esc.reference}/resolve/", data).status_code == 404


def test_a_stage_change_conflicts_with_a_stage_change_and_may_be_submitted_again(
    world: World,
) -> None:
    esc = raise_one(world)
    services.escalation_escalate(
        actor=Actor.of(highest(world, "a")),
        today=timekeeping.today(),
        escalation=esc,
        version=1,
        on=D(2026, 3, 3),
        reason="A",
    )
    b = signed_in(highest(world, "b"))
    data = {"version": 1, "reason": "B's reason", **date_fields("on", D(2026, 3, 4))}
    response = b.post(f"/escalations/{esc.reference}/escalate/", data)
    assert "Submit again" in response.content.decode()
    data["version"] = 2
    assert b.post(f"/escalations/{esc.reference}/escalate/", data).status_code == 302
    esc.refresh_from_db()
    assert esc.current_stage == 3


def test_the_conflict_error_names_the_unseen_entries(world: World) -> None:
    esc = raise_one(world)
    services.escalation_escalate(
        actor=Actor.of(highest(world)),
        today=timekeeping.today(),
        escalation=esc,
        version=1,
        on=D(2026, 3, 3),
        reason="A",
    )
    with pytest.raises(services.ConcurrentChangeError) as caught:
        services.escalation_resolve(
            actor=Actor.of(highest(world, "b")),
            today=timekeeping.today(),
            escalation=esc,
            version=1,
            on=D(2026, 3, 3),
            outcome="x",
        )
    assert [e.kind for e in caught.value.unseen] == [EntryKind.ESCALATED]


@pytest.mark.django_db(transaction=True)
def test_concurrent_contacts_are_all_saved() -> None:
    """Writers on their own connections, all from a form opened at version 1: every contact is
    saved and none is refused (on PostgreSQL the row lock makes them wait their turn; the
    shared in-memory SQLite database reports a lock, and the writer tries again)."""
    world = make_world("north-east-lincolnshire", slug="race")
    esc = raise_one(world)
    # More writers for a heavier check: ESCALATE_RACE_WRITERS=50 pytest -k concurrent_contacts
    writers = int(os.environ.get("ESCALATE_RACE_WRITERS", "6"))
    start = threading.Barrier(writers)
    errors: list[BaseException] = []
    users = [
        world.user(k, lv)
        for k in ("a", "b")
        for lv in (Level.PRACTITIONER, Level.LINE_MANAGER, Level.SENIOR_MANAGER)
    ]

    def write(n: int) -> None:
        try:
            start.wait()
            for _attempt in range(200):
                try:
                    services.escalation_record_contact(
                        actor=Actor.of(users[n % len(users)]),
                        today=timekeeping.today(),
                        escalation=Escalation.objects.get(pk=esc.pk),
                        version=1,
                        occurred_on=D(2026, 3, 3),
                        method="telephone",
                        contact_by=f"writer {n}",
                        contact_with="x",
                        summary="s",
                        agreed="a",
                        decision_makers="",
                    )
                    break
                except OperationalError:
                    if connection.vendor == "postgresql":
                        raise
                    time.sleep(0.005)
            else:
                raise AssertionError(f"writer {n} gave up")
        except BaseException as exc:  # reported by the main thread
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=write, args=(n,)) for n in range(writers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    contacts = Entry.objects.filter(escalation_id=esc.pk, kind=EntryKind.CONTACT)
    assert sorted(contacts.values_list("contact_by", flat=True)) == sorted(
        f"writer {n}" for n in range(writers)
    )
    assert refusals(esc) == []
