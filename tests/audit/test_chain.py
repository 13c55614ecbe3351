"""The hash chains: they verify, and every kind of tampering is found in the right chain at the
right entry, without stopping the other chains being verified."""

from __future__ import annotations

from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection

from escalate.audit.chain import Anchor, anchors_in, verify_chain
from escalate.audit.db import TABLE
from escalate.audit.models import (
    INSTALLATION_CHAIN,
    AuditAction,
    AuditEntry,
    AuditResult,
)
from escalate.audit.services import audit_record
from escalate.procedures.schema import Level
from tests.audit.support import insert_legacy, tamper
from tests.cases.conftest import World

pytestmark = pytest.mark.django_db

ACTIONS = [
    AuditAction.ESCALATION_VIEWED,
    AuditAction.ESCALATION_CHANGED,
    AuditAction.LIST_SEARCHED,
    AuditAction.EXPORT,
]


class Trail:
    """Six entries in partnership A's chain, three in B's, two in the installation's,
    written interleaved as concurrent users would."""

    def __init__(self, world: World, other: World) -> None:
        self.a = world.partnership.pk
        self.b = other.partnership.pk
        user_a = world.user("a", Level.PRACTITIONER)
        user_b = other.user("a", Level.PRACTITIONER)
        plan = [
            (user_a, self.a),
            (user_b, self.b),
            (None, None),
            (user_a, self.a),
            (user_a, self.a),
            (user_b, self.b),
            (user_a, self.a),
            (None, None),
            (user_a, self.a),
            (user_b, self.b),
            (user_a, self.a),
        ]
        self.entries = [
            audit_record(
                actor=actor,
                action=ACTIONS[i % len(ACTIONS)],
                object_type="escalation",
                object_ref=f"ESC-0000-00{i:02d}",
                partnership_id=partnership,
                ip=f"192.0.2.{i + 1}",
                detail={"service": "escalation_escalate", "stage": i},
            )
            for i, (actor, partnership) in enumerate(plan)
        ]

    def of(self, chain: int) -> list[AuditEntry]:
        return [e for e in self.entries if e.chain == chain]

    def name(self, chain: int) -> str:
        return f"partnership-{chain}"


@pytest.fixture
def trail(world: World, other_world: World) -> Trail:
    return Trail(world, other_world)


def where(chain: int, position: int) -> str:
    return f"chain = {int(chain)} AND chain_sequence = {int(position)}"


def test_empty_trail_verifies(db: None) -> None:
    result = verify_chain()
    assert result.ok and result.entries == 0 and result.chains == ()
    assert not result.missing_triggers
    assert result.message == "Audit trail verified: 0 chains, 0 entries."


def test_every_chain_verifies_on_its_own(trail: Trail) -> None:
    result = verify_chain()
    assert result.ok, [c.message for c in result.chains]
    assert [(c.chain, c.entries) for c in result.chains] == [
        (INSTALLATION_CHAIN, 2),
        (trail.a, 6),
        (trail.b, 3),
    ]
    chain_a = result.chain(trail.a)
    assert (chain_a.head_sequence, chain_a.head_hash) == (6, trail.of(trail.a)[-1].hash)
    assert chain_a.message == (
        f"Audit chain {trail.name(trail.a)} verified: 6 entries "
        f"(head {trail.name(trail.a)}:6:{trail.of(trail.a)[-1].hash})"
    )
    assert result.message == "Audit trail verified: 3 chains, 11 entries."


@pytest.mark.parametrize(
    ("column", "value"),
    [
        ("object_ref", "ESC-ZZZZ-ZZZZ"),
        ("actor_username", "someone-else"),
        ("result", "refused"),
        ("ip", "198.51.100.200"),
        ("detail", '{"service": "escalation_resolve", "stage": 3}'),
        ("at", "2020-01-01 00:00:00+00:00"),
    ],
)
def test_an_altered_entry_is_found_in_its_chain_at_its_place(
    trail: Trail, column: str, value: str
) -> None:
    tamper(f'UPDATE "{TABLE}" SET "{column}" = %s WHERE {where(trail.a, 4)}', [value])  # noqa: S608
    result = verify_chain()
    assert not result.ok
    assert [c.chain for c in result.broken] == [trail.a]
    broken = result.chain(trail.a)
    assert broken.broken_sequence == 4
    assert "altered" in broken.reason
    assert broken.entries == 3  # entries 1 to 3 verified before it
    assert result.chain(trail.b).ok and result.chain(INSTALLATION_CHAIN).ok
    assert result.message == "Audit trail broken: 1 of 3 chains broken."


def test_an_altered_and_rehashed_entry_breaks_the_next_link(trail: Trail) -> None:
    forged = AuditEntry.objects.get(chain=trail.b, chain_sequence=2)
    forged.object_ref = "ESC-ZZZZ-ZZZZ"
    tamper(
        f'UPDATE "{TABLE}" SET object_ref = %s, hash = %s WHERE {where(trail.b, 2)}',  # noqa: S608
        [forged.object_ref, forged.compute_hash()],
    )
    broken = verify_chain().chain(trail.b)
    assert (broken.ok, broken.broken_sequence) == (False, 3)
    assert broken.reason == "its previous-entry hash does not match the hash of entry 2"


def test_a_deleted_entry_is_found_as_a_gap(trail: Trail) -> None:
    tamper(f'DELETE FROM "{TABLE}" WHERE {where(trail.a, 3)}')  # noqa: S608
    broken = verify_chain().chain(trail.a)
    assert (broken.ok, broken.broken_sequence) == (False, 3)
    assert broken.reason == "entry 3 is missing (the next entry is 4)"


def test_a_deleted_first_entry_is_found(trail: Trail) -> None:
    tamper(f'DELETE FROM "{TABLE}" WHERE {where(INSTALLATION_CHAIN, 1)}')  # noqa: S608
    broken = verify_chain().chain(INSTALLATION_CHAIN)
    assert (broken.ok, broken.broken_sequence) == (False, 1)
    assert broken.reason == "entry 1 is missing (the chain starts at 2)"


def test_an_entry_moved_to_another_partnership_and_rehashed_is_found(trail: Trail) -> None:
    """Re-attributing an entry (so that another partnership's business unit sees it) and
    hashing it again keeps its own hash right: it is in the wrong chain."""
    forged = AuditEntry.objects.get(chain=trail.a, chain_sequence=2)
    forged.partnership_id = trail.b
    tamper(
        f'UPDATE "{TABLE}" SET partnership_id = %s, hash = %s WHERE {where(trail.a, 2)}',  # noqa: S608
        [trail.b, forged.compute_hash()],
    )
    broken = verify_chain().chain(trail.a)
    assert (broken.ok, broken.broken_sequence) == (False, 2)
    assert broken.reason == f"it belongs in chain {trail.name(trail.b)}, not this one"


def test_an_entry_out_of_order_in_the_whole_trail_is_found(trail: Trail) -> None:
    """Within a chain the global sequence increases (it is taken under the chain's lock):
    moving an entry before its predecessor in the whole trail, even re-hashed, is found."""
    freed = trail.of(INSTALLATION_CHAIN)[0]  # written between A's first and second entries
    tamper(f'DELETE FROM "{TABLE}" WHERE sequence = %s', [freed.sequence])  # noqa: S608
    moved = trail.of(trail.a)[3]
    assert freed.sequence < trail.of(trail.a)[2].sequence
    moved.sequence = freed.sequence
    tamper(
        f'UPDATE "{TABLE}" SET sequence = %s, hash = %s WHERE {where(trail.a, 4)}',  # noqa: S608
        [moved.sequence, moved.compute_hash()],
    )
    broken = verify_chain().chain(trail.a)
    assert (broken.ok, broken.broken_sequence) == (False, 4)
    assert broken.reason == (
        f"its place in the whole trail ({freed.sequence}) is not after the previous entry's"
    )


def test_entries_removed_from_the_end_are_found_against_the_anchors(trail: Trail) -> None:
    anchors = [Anchor.parse(c.head or "") for c in verify_chain().chains]
    assert verify_chain(anchors).ok
    tamper(f'DELETE FROM "{TABLE}" WHERE chain = %s AND chain_sequence >= 5', [trail.a])  # noqa: S608
    assert verify_chain().ok  # the chain alone cannot tell
    result = verify_chain(anchors)
    broken = result.chain(trail.a)
    assert (broken.ok, broken.broken_sequence) == (False, 6)
    assert broken.reason == "entry 6 is missing: the chain ends at 4"
    assert [c.chain for c in result.broken] == [trail.a]


def test_a_whole_chain_removed_is_found_against_the_anchors(trail: Trail) -> None:
    anchors = [Anchor.parse(c.head or "") for c in verify_chain().chains]
    tamper(f'DELETE FROM "{TABLE}" WHERE chain = %s', [trail.b])  # noqa: S608
    assert verify_chain().ok
    broken = verify_chain(anchors).chain(trail.b)
    assert (broken.ok, broken.entries, broken.broken_sequence) == (False, 0, 3)
    assert broken.reason == "entry 3 is missing: the chain ends at 0"


def test_a_rewritten_tail_is_found_against_an_anchor(trail: Trail) -> None:
    ours = trail.of(trail.a)
    assert not verify_chain([Anchor(trail.a, 2, ours[0].hash)]).ok
    assert verify_chain([Anchor(trail.a, 2, ours[1].hash)]).ok
    assert not verify_chain([Anchor(trail.b, 2, ours[1].hash)]).ok


def test_verifying_only_some_chains(trail: Trail) -> None:
    result = verify_chain(chains=[trail.b])
    assert [(c.chain, c.entries) for c in result.chains] == [(trail.b, 3)]
    result = verify_chain(chains=[trail.b], anchors=[Anchor(trail.a, 99, "0" * 64)])
    assert result.ok  # an anchor for a chain not asked about is not checked


# -- the legacy chain -----------------------------------------------------------------------


def test_legacy_entries_verify_and_every_new_chain_starts_after_them(world: World) -> None:
    legacy = insert_legacy(4, partnership_id=world.partnership.pk)
    new = audit_record(actor=None, action=AuditAction.SIGN_IN_FAILED)
    result = verify_chain()
    assert result.ok, [c.message for c in result.chains]
    assert [(c.name, c.entries) for c in result.chains] == [("legacy", 4), ("installation", 1)]
    assert result.chain(None).head == f"legacy:4:{legacy[-1].hash}"
    assert new.prev_hash == legacy[-1].hash


def test_an_altered_legacy_entry_is_found_and_the_new_chains_still_verify(world: World) -> None:
    insert_legacy(4)
    audit_record(actor=None, action=AuditAction.SIGN_IN_FAILED)
    tamper(f'UPDATE "{TABLE}" SET object_ref = %s WHERE sequence = 2', ["ESC-X"])  # noqa: S608
    result = verify_chain()
    assert [c.name for c in result.broken] == ["legacy"]
    assert result.chain(None).broken_sequence == 2
    assert result.chain(INSTALLATION_CHAIN).ok


def test_legacy_entries_removed_from_the_end_break_every_later_chain(
    world: World, other_world: World
) -> None:
    """No anchor needed: every new chain's first entry carries the legacy chain's last hash."""
    legacy = insert_legacy(4)
    audit_record(actor=None, action=AuditAction.SIGN_IN_FAILED)
    audit_record(actor=None, action=AuditAction.EXPORT, partnership_id=world.partnership.pk)
    tamper(f'DELETE FROM "{TABLE}" WHERE chain IS NULL AND sequence >= 3')  # noqa: S608
    result = verify_chain()
    assert result.chain(None).ok  # what is left of it is a good chain
    assert {c.chain for c in result.broken} == {INSTALLATION_CHAIN, world.partnership.pk}
    for broken in result.broken:
        assert broken.broken_sequence == 1
        assert broken.reason == (
            f"its previous-entry hash is not the last hash of the legacy chain ({legacy[1].hash})"
        )


def test_a_legacy_anchor_in_the_old_form_still_works(db: None) -> None:
    legacy = insert_legacy(3)
    printed_before = f"3:{legacy[-1].hash}"  # what the previous release printed
    assert verify_chain([Anchor.parse(printed_before)]).ok
    tamper(f'DELETE FROM "{TABLE}" WHERE sequence = 3')  # noqa: S608
    broken = verify_chain([Anchor.parse(printed_before)]).chain(None)
    assert (broken.ok, broken.reason) == (False, "entry 3 is missing: the chain ends at 2")


# -- anchors --------------------------------------------------------------------------------


def test_anchor_parsing() -> None:
    digest = "ab" * 32
    assert Anchor.parse(f"partnership-7:12:{digest.upper()}") == Anchor(7, 12, digest)
    assert Anchor.parse(f"installation:3:{digest}") == Anchor(INSTALLATION_CHAIN, 3, digest)
    assert Anchor.parse(f"legacy:3:{digest}") == Anchor(None, 3, digest)
    assert Anchor.parse(f"12:{digest}") == Anchor(None, 12, digest)
    assert str(Anchor(7, 12, digest)) == f"partnership-7:12:{digest}"
    for bad in (
        "12",
        "x:" + digest,
        "12:abc",
        f"partnership-0:1:{digest}",
        f"elsewhere:1:{digest}",
        f"partnership-7:1:{'z' * 64}",
    ):
        with pytest.raises(ValueError, match="CHAIN:SEQUENCE:HASH"):
            Anchor.parse(bad)


def test_anchors_are_read_from_a_saved_verification() -> None:
    digest = "cd" * 32
    saved = (
        f"Audit chain legacy verified: 3 entries (head legacy:3:{digest})\n"
        f"Audit chain partnership-2 verified: 1 entries (head partnership-2:1:{digest})\n"
        "Audit trail verified: 2 chains, 4 entries.\n"
        "\n# kept by hand:\n"
        f"installation:5:{digest}\n"
    )
    assert anchors_in(saved) == [
        Anchor(None, 3, digest),
        Anchor(2, 1, digest),
        Anchor(INSTALLATION_CHAIN, 5, digest),
    ]
    with pytest.raises(ValueError, match="CHAIN:SEQUENCE:HASH"):
        anchors_in("something else\n")


# -- the command -------------------------------------------------------------------------


def run(*args: str) -> tuple[int, str, str]:
    out, err = StringIO(), StringIO()
    try:
        call_command("verify_audit_chain", *args, stdout=out, stderr=err)
    except SystemExit as exc:
        return int(exc.code or 0), out.getvalue(), err.getvalue()
    return 0, out.getvalue(), err.getvalue()


def test_the_command_prints_each_chain_and_records_that_it_did(trail: Trail) -> None:
    head_a, head_b = trail.of(trail.a)[-1].hash, trail.of(trail.b)[-1].hash
    head_i = trail.of(INSTALLATION_CHAIN)[-1].hash
    status, out, err = run()
    assert (status, err) == (0, "")
    assert out.splitlines() == [
        f"Audit chain installation verified: 2 entries (head installation:2:{head_i})",
        f"Audit chain {trail.name(trail.a)} verified: 6 entries "
        f"(head {trail.name(trail.a)}:6:{head_a})",
        f"Audit chain {trail.name(trail.b)} verified: 3 entries "
        f"(head {trail.name(trail.b)}:3:{head_b})",
        "Audit trail verified: 3 chains, 11 entries.",
    ]
    recorded = AuditEntry.objects.get(chain=INSTALLATION_CHAIN, chain_sequence=3)
    assert recorded.action == AuditAction.AUDIT_VERIFIED
    assert recorded.result == AuditResult.SUCCESS
    assert recorded.detail["entries"] == 11 and recorded.detail["chains"] == 3
    assert recorded.detail["broken"] == []
    status, out, _ = run("--no-record", "--anchor", f"{trail.name(trail.a)}:6:{head_a}")
    assert status == 0 and "installation verified: 3 entries" in out
    assert AuditEntry.objects.count() == 12


def test_the_command_names_each_broken_chain_and_exits_1(trail: Trail) -> None:
    tamper(f'UPDATE "{TABLE}" SET object_ref = %s WHERE {where(trail.a, 2)}', ["ESC-X"])  # noqa: S608
    tamper(f'DELETE FROM "{TABLE}" WHERE {where(trail.b, 2)}')  # noqa: S608
    status, out, err = run()
    assert status == 1
    assert err.splitlines() == [
        f"Audit chain {trail.name(trail.a)} broken at entry 2: its hash does not match its "
        "contents: the entry has been altered.",
        f"Audit chain {trail.name(trail.b)} broken at entry 2: entry 2 is missing (the next "
        "entry is 3).",
        "Audit trail broken: 2 of 3 chains broken.",
    ]
    assert out.startswith("Audit chain installation verified: 2 entries")
    recorded = AuditEntry.objects.get(chain=INSTALLATION_CHAIN, chain_sequence=3)
    assert recorded.result == AuditResult.FAILED
    assert recorded.detail["broken"] == [f"{trail.name(trail.a)}:2", f"{trail.name(trail.b)}:2"]


def test_the_command_checks_a_saved_output_as_anchors(trail: Trail, tmp_path: Path) -> None:
    _, out, _ = run("--no-record")
    saved = tmp_path / "heads.txt"
    saved.write_text(out, encoding="utf-8")
    assert run("--no-record", "--anchors-from", str(saved))[0] == 0
    tamper(f'DELETE FROM "{TABLE}" WHERE {where(trail.b, 3)}')  # noqa: S608
    status, _, err = run("--no-record", "--anchors-from", str(saved))
    assert status == 1
    assert (
        f"Audit chain {trail.name(trail.b)} broken at entry 3: entry 3 is missing: "
        "the chain ends at 2." in err
    )


def test_the_command_verifies_only_the_chains_asked_for(trail: Trail) -> None:
    tamper(f'DELETE FROM "{TABLE}" WHERE {where(trail.b, 2)}')  # noqa: S608
    status, out, _ = run("--no-record", "--chain", trail.name(trail.a))
    assert status == 0
    assert out.splitlines()[-1] == "Audit trail verified: 1 chain, 6 entries."
    assert run("--no-record", "--chain", trail.name(trail.b))[0] == 1


@pytest.mark.parametrize(
    "args",
    [("--anchor", "nonsense"), ("--chain", "elsewhere"), ("--anchors-from", "/no/such/file")],
)
def test_the_command_refuses_what_it_cannot_read(db: None, args: tuple[str, str]) -> None:
    with pytest.raises(CommandError):
        call_command("verify_audit_chain", *args)


def test_the_command_fails_when_a_trigger_is_missing(trail: Trail) -> None:
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(f'ALTER TABLE "{TABLE}" DISABLE TRIGGER audit_auditentry_no_delete')
        else:
            cursor.execute("DROP TRIGGER audit_auditentry_no_delete")
    status, out, err = run("--no-record")
    assert status == 1
    assert "Append-only triggers missing or disabled: audit_auditentry_no_delete" in err
    assert "Audit trail verified: 3 chains, 11 entries." in out
