"""Migration 0005 on a trail written by the release before chains: nothing rewritten, the
triggers kept, the old entries still verify and the new chains start after them."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from escalate.audit.chain import verify_chain
from escalate.audit.db import missing_triggers
from escalate.audit.models import GENESIS_HASH, AuditAction, AuditEntry, hash_of
from escalate.audit.services import audit_record

BEFORE = [("audit", "0004_notification_actions")]
AFTER = [("audit", "0005_chains")]


def migrate(target: list[tuple[str, str]]) -> MigrationExecutor:
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(target)
    return executor


@pytest.fixture
def before_chains(transactional_db: None, erase_trail_after: None) -> Iterator[None]:
    """The database as the previous release left it; migrated forward again afterwards."""
    migrate(BEFORE)
    try:
        yield
    finally:
        migrate(AFTER)


def write_as_before(count: int) -> list[str]:
    """Entries as the previous release wrote them, through its own model; their hashes."""
    old = MigrationExecutor(connection).loader.project_state(BEFORE).apps
    model = old.get_model("audit", "AuditEntry")
    hashes, previous = [], GENESIS_HASH
    for sequence in range(1, count + 1):
        values = {
            "sequence": sequence,
            "at": dt.datetime(2026, 11, 30, 12, 0, sequence, tzinfo=dt.UTC),
            "actor_id": 4,
            "actor_username": "north.bu",
            "actor_agency_id": 2,
            "actor_partnership_id": 1,
            "action": "escalation-viewed",
            "object_type": "escalation",
            "object_ref": f"ESC-OLD0-{sequence:04d}",
            "partnership_id": 1,
            "ip": "2001:db8::5",
            "result": "success",
            "detail": {"page": "detail"},
            "prev_hash": previous,
        }
        previous = hash_of({**values, "chain": None})
        model.objects.create(**values, hash=previous)
        hashes.append(previous)
    return hashes


@pytest.mark.usefixtures("before_chains")
def test_old_entries_verify_after_the_migration_and_new_chains_follow_them() -> None:
    hashes = write_as_before(5)
    migrate(AFTER)
    assert not missing_triggers(connection)  # the table was not rebuilt
    result = verify_chain()
    assert result.ok, [c.message for c in result.chains]
    assert result.chain(None).head == f"legacy:5:{hashes[-1]}"
    one = audit_record(actor=None, action=AuditAction.LIST_SEARCHED, partnership_id=1)
    other = audit_record(actor=None, action=AuditAction.SIGN_IN_FAILED)
    assert (one.sequence, other.sequence) == (6, 7)  # the database sequence starts after them
    assert (one.chain_sequence, other.chain_sequence) == (1, 1)
    assert one.prev_hash == other.prev_hash == hashes[-1]
    assert [(c.name, c.entries) for c in verify_chain().chains] == [
        ("legacy", 5),
        ("installation", 1),
        ("partnership-1", 1),
    ]
    assert AuditEntry.objects.filter(chain__isnull=True).count() == 5


@pytest.mark.usefixtures("before_chains")
def test_going_back_is_refused_once_entries_are_in_chains() -> None:
    write_as_before(2)
    migrate(AFTER)
    migrate(BEFORE)  # nothing chained yet: allowed, and the triggers are still there
    assert not missing_triggers(connection)
    migrate(AFTER)
    audit_record(actor=None, action=AuditAction.SIGN_IN_FAILED)
    with pytest.raises(RuntimeError, match="would no longer verify"):
        migrate(BEFORE)
    assert verify_chain().ok
