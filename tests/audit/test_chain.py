"""The hash chain: it verifies, and every kind of tampering is found at the right entry."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command
from django.db import connection

from escalate.audit.chain import Anchor, verify_chain
from escalate.audit.db import TABLE
from escalate.audit.models import AuditAction, AuditEntry, AuditResult
from escalate.audit.services import audit_record
from escalate.procedures.schema import Level
from tests.audit.support import tamper
from tests.cases.conftest import World

pytestmark = pytest.mark.django_db


def build(world: World, n: int = 6) -> list[AuditEntry]:
    actions = [
        AuditAction.SIGN_IN,
        AuditAction.ESCALATION_VIEWED,
        AuditAction.ESCALATION_CHANGED,
        AuditAction.LIST_SEARCHED,
        AuditAction.EXPORT,
        AuditAction.SIGN_OUT,
    ]
    user = world.user("a", Level.PRACTITIONER)
    return [
        audit_record(
            actor=user,
            action=actions[i % len(actions)],
            object_type="escalation",
            object_ref=f"ESC-0000-000{i}",
            partnership_id=world.partnership.pk,
            ip=f"192.0.2.{i + 1}",
            detail={"service": "escalation_escalate", "stage": i},
        )
        for i in range(n)
    ]


def test_empty_trail_verifies(db: None) -> None:
    result = verify_chain()
    assert result.ok and result.entries == 0 and result.head_sequence is None
    assert not result.missing_triggers


def test_a_chain_of_several_entries_verifies(world: World) -> None:
    entries = build(world)
    result = verify_chain()
    assert result.ok, result.message
    assert result.entries == 6
    assert (result.head_sequence, result.head_hash) == (6, entries[-1].hash)
    assert result.message.startswith("Audit chain verified: 6 entries")


@pytest.mark.parametrize(
    ("column", "value"),
    [
        ("object_ref", "ESC-ZZZZ-ZZZZ"),
        ("actor_username", "someone-else"),
        ("result", "refused"),
        ("ip", "198.51.100.200"),
        ("detail", '{"service": "escalation_resolve", "stage": 3}'),
    ],
)
def test_an_altered_entry_is_found_at_its_sequence(world: World, column: str, value: str) -> None:
    build(world)
    tamper(f'UPDATE "{TABLE}" SET "{column}" = %s WHERE sequence = 4', [value])  # noqa: S608
    result = verify_chain()
    assert not result.ok
    assert result.broken_sequence == 4
    assert "altered" in result.reason
    assert result.entries == 3  # entries 1 to 3 verified before it


def test_an_altered_and_rehashed_entry_breaks_the_next_link(world: World) -> None:
    build(world)
    forged = AuditEntry.objects.get(sequence=3)
    forged.object_ref = "ESC-ZZZZ-ZZZZ"
    tamper(
        f'UPDATE "{TABLE}" SET object_ref = %s, hash = %s WHERE sequence = 3',  # noqa: S608
        [forged.object_ref, forged.compute_hash()],
    )
    result = verify_chain()
    assert not result.ok
    assert result.broken_sequence == 4
    assert "previous-entry hash" in result.reason


def test_a_deleted_entry_is_found_as_a_gap(world: World) -> None:
    build(world)
    tamper(f'DELETE FROM "{TABLE}" WHERE sequence = 3')  # noqa: S608
    result = verify_chain()
    assert not result.ok
    assert result.broken_sequence == 3
    assert result.reason == "entry 3 is missing (the next entry is 4)"


def test_a_deleted_first_entry_is_found(world: World) -> None:
    build(world)
    tamper(f'DELETE FROM "{TABLE}" WHERE sequence = 1')  # noqa: S608
    result = verify_chain()
    assert (result.ok, result.broken_sequence) == (False, 1)
    assert "the trail starts at 2" in result.reason


def test_entries_removed_from_the_end_are_found_against_an_anchor(world: World) -> None:
    entries = build(world)
    anchor = Anchor(6, entries[-1].hash)
    assert verify_chain(anchor).ok
    tamper(f'DELETE FROM "{TABLE}" WHERE sequence >= 5')  # noqa: S608
    assert verify_chain().ok  # the chain alone cannot tell
    result = verify_chain(anchor)
    assert (result.ok, result.broken_sequence) == (False, 6)
    assert "the trail ends at 4" in result.reason


def test_a_rewritten_tail_is_found_against_an_anchor(world: World) -> None:
    entries = build(world, 3)
    assert not verify_chain(Anchor(2, entries[0].hash)).ok
    assert verify_chain(Anchor(2, entries[1].hash)).ok


def test_anchor_parsing() -> None:
    digest = "ab" * 32
    assert Anchor.parse(f"12:{digest.upper()}") == Anchor(12, digest)
    for bad in ("12", "x:" + digest, "12:abc"):
        with pytest.raises(ValueError, match="SEQUENCE:HASH"):
            Anchor.parse(bad)


# -- the command -------------------------------------------------------------------------


def run(*args: str) -> tuple[int, str, str]:
    out, err = StringIO(), StringIO()
    try:
        call_command("verify_audit_chain", *args, stdout=out, stderr=err)
    except SystemExit as exc:
        return int(exc.code or 0), out.getvalue(), err.getvalue()
    return 0, out.getvalue(), err.getvalue()


def test_the_command_verifies_and_records_that_it_did(world: World) -> None:
    entries = build(world)
    status, out, _ = run()
    assert status == 0
    assert out.strip() == f"Audit chain verified: 6 entries (head 6:{entries[-1].hash})"
    recorded = AuditEntry.objects.get(sequence=7)
    assert recorded.action == AuditAction.AUDIT_VERIFIED
    assert recorded.result == AuditResult.SUCCESS
    assert recorded.detail["entries"] == 6 and recorded.detail["head"] == 6
    status, out, _ = run("--no-record", "--anchor", f"6:{entries[-1].hash}")
    assert status == 0 and "7 entries" in out
    assert AuditEntry.objects.count() == 7


def test_the_command_names_the_first_broken_entry_and_exits_1(world: World) -> None:
    build(world)
    tamper(f'UPDATE "{TABLE}" SET object_ref = %s WHERE sequence = 2', ["ESC-X"])  # noqa: S608
    status, out, err = run()
    assert status == 1
    assert out == ""
    assert err.strip() == (
        "Audit chain broken at entry 2: its hash does not match its contents: "
        "the entry has been altered."
    )
    assert AuditEntry.objects.get(sequence=7).result == AuditResult.FAILED


def test_the_command_refuses_a_malformed_anchor(db: None) -> None:
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="SEQUENCE:HASH"):
        call_command("verify_audit_chain", "--anchor", "nonsense")


def test_the_command_fails_when_a_trigger_is_missing(world: World) -> None:
    build(world, 2)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(f'ALTER TABLE "{TABLE}" DISABLE TRIGGER audit_auditentry_no_delete')
        else:
            cursor.execute("DROP TRIGGER audit_auditentry_no_delete")
    status, out, err = run("--no-record")
    assert status == 1
    assert "Append-only triggers missing or disabled: audit_auditentry_no_delete" in err
    assert "Audit chain verified: 2 entries" in out
