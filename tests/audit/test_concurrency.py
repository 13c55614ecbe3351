"""Concurrent writers never fork a chain, lose an entry or put one out of order; and on
PostgreSQL, writers to different partnerships' chains do not wait for each other."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import pytest
from django.db import OperationalError, connection, connections, transaction

from escalate.audit.chain import verify_chain
from escalate.audit.models import INSTALLATION_CHAIN, AuditAction, AuditEntry
from escalate.audit.services import AuditDraft, append_many, audit_record

#: Which chain each writer appends to: two share partnership 101's, two share 102's, one has
#: 103's, one writes entries about no partnership by no one (the installation's chain).
WRITERS = [101, 101, 102, 102, 103, None]
EACH = 8
WAIT = 30  # seconds: only ever reached when something is wrong


def in_thread(target: Callable[[], None]) -> tuple[threading.Thread, list[BaseException]]:
    """Run ``target`` in a thread with its own database connection; its errors are kept."""
    errors: list[BaseException] = []

    def run() -> None:
        try:
            target()
        except BaseException as exc:  # reported by the test's thread
            errors.append(exc)
        finally:
            connections.close_all()

    thread = threading.Thread(target=run)
    thread.start()
    return thread, errors


@pytest.mark.usefixtures("erase_trail_after")
def test_concurrent_writers_make_chains_that_verify_with_nothing_lost_or_out_of_order() -> None:
    """On PostgreSQL each chain's advisory lock makes writers to it wait their turn: no
    errors, no retries. On SQLite (the shared in-memory test database) a writer that finds the
    database locked gets an error and writes nothing; it tries again. Either way every chain
    holds, every entry is there, and each writer's entries are in its chain in its order."""
    start = threading.Barrier(len(WRITERS))
    retries: list[int] = []

    def writer(n: int) -> Callable[[], None]:
        def write() -> None:
            tried_again = 0
            start.wait(timeout=WAIT)
            for i in range(EACH):
                for _attempt in range(200):
                    try:
                        with transaction.atomic():
                            audit_record(
                                actor=None,
                                action=AuditAction.LIST_SEARCHED,
                                partnership_id=WRITERS[n],
                                detail={"writer": n, "i": i},
                            )
                            time.sleep(0.002)  # hold the chain's head a moment
                        break
                    except OperationalError:
                        if connection.vendor == "postgresql":
                            raise
                        tried_again += 1
                        time.sleep(0.005)
                else:
                    raise AssertionError("gave up")
            retries.append(tried_again)

        return write

    started = [in_thread(writer(n)) for n in range(len(WRITERS))]
    for thread, _ in started:
        thread.join(timeout=120)
    assert not [e for _, errors in started for e in errors]
    assert AuditEntry.objects.count() == len(WRITERS) * EACH
    result = verify_chain()
    assert result.ok, [c.message for c in result.chains]
    expected = {
        (INSTALLATION_CHAIN if p is None else p): WRITERS.count(p) * EACH for p in set(WRITERS)
    }
    assert {c.chain: c.entries for c in result.chains} == expected
    for chain in expected:
        entries = list(AuditEntry.objects.filter(chain=chain).order_by("chain_sequence"))
        assert [e.chain_sequence for e in entries] == list(range(1, len(entries) + 1))
        assert [e.at for e in entries] == sorted(e.at for e in entries)
        for n in (n for n, p in enumerate(WRITERS) if (p or INSTALLATION_CHAIN) == chain):
            ours = [e.detail["i"] for e in entries if e.detail["writer"] == n]
            assert ours == list(range(EACH)), f"writer {n}"  # all there, in order
    if connection.vendor == "postgresql":
        assert sum(retries) == 0


@pytest.mark.usefixtures("erase_trail_after")
def test_bulk_and_single_writers_at_once_make_chains_that_verify() -> None:
    """append_many takes the same per-chain locks as audit_record."""
    drafts = [
        AuditDraft(actor=None, action=AuditAction.EXPORT, partnership_id=p, detail={"i": i})
        for i in range(300)
        for p in (101, 102)
    ]

    def singles() -> None:
        for _ in range(20):
            _retrying(lambda: audit_record(actor=None, action="export", partnership_id=101))

    bulk, bulk_errors = in_thread(lambda: _retrying(lambda: append_many(drafts, batch_size=50)))
    single, single_errors = in_thread(singles)
    bulk.join(timeout=120)
    single.join(timeout=120)
    assert not bulk_errors + single_errors
    assert AuditEntry.objects.filter(chain=101).count() == 320
    result = verify_chain()
    assert result.ok, [c.message for c in result.chains]
    in_chain = AuditEntry.objects.filter(chain=102).order_by("chain_sequence")
    assert [e.detail["i"] for e in in_chain] == list(range(300))  # in the order given


def _retrying(write: Callable[[], object]) -> None:
    """SQLite's second writer gets an error and writes nothing: try again (PostgreSQL waits)."""
    for _attempt in range(400):
        try:
            with transaction.atomic():
                write()
            return
        except OperationalError:
            if connection.vendor == "postgresql":
                raise
            time.sleep(0.005)
    raise AssertionError("gave up")


@contextmanager
def chain_held_open(partnership_id: int) -> Iterator[None]:
    """Another connection appends to ``partnership_id``'s chain and keeps its transaction (and
    so that chain's lock) open until the body ends."""
    holding, release = threading.Event(), threading.Event()

    def hold() -> None:
        with transaction.atomic():
            audit_record(actor=None, action=AuditAction.EXPORT, partnership_id=partnership_id)
            holding.set()
            assert release.wait(timeout=WAIT), "never released"

    thread, errors = in_thread(hold)
    try:
        assert holding.wait(timeout=WAIT), errors
        yield
    finally:
        release.set()
        thread.join(timeout=WAIT)
    assert not errors


def append_within(timeout_ms: int, partnership_id: int | None) -> None:
    """Append one entry, giving up on any lock after ``timeout_ms`` (PostgreSQL's
    ``lock_timeout``; SQLite's busy timeout): raises ``OperationalError`` if it would wait."""
    with transaction.atomic():
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                cursor.execute(f"SET LOCAL lock_timeout = '{int(timeout_ms)}ms'")
            else:
                cursor.execute(f"PRAGMA busy_timeout = {int(timeout_ms)}")
        audit_record(actor=None, action=AuditAction.LIST_SEARCHED, partnership_id=partnership_id)


@pytest.mark.usefixtures("erase_trail_after")
def test_a_writer_to_one_partnership_does_not_wait_for_another_partnerships_open_transaction() -> (
    None
):
    """PostgreSQL: with partnership 201's chain held open by another transaction, appends to
    partnership 202's chain and to the installation's go through at once (a lock_timeout turns
    any wait into an error), while an append to 201's own chain does wait: the lock is real.
    SQLite has no locks of its own to share or not: the database takes one writer at a time,
    so there every other writer waits (documented in ADR 0006)."""
    with chain_held_open(201):
        if connection.vendor == "postgresql":
            append_within(5000, 202)
            append_within(5000, None)
            with pytest.raises(OperationalError, match="lock timeout"):
                append_within(200, 201)
        else:
            with pytest.raises(OperationalError, match="locked"):
                append_within(200, 202)
    expected = {201: 1, 202: 1, INSTALLATION_CHAIN: 1}
    if connection.vendor != "postgresql":
        expected = {201: 1}
    result = verify_chain()
    assert result.ok and {c.chain: c.entries for c in result.chains} == expected
    append_within(5000, 201)  # and once it is closed, 201's chain takes the next entry
    assert AuditEntry.objects.filter(chain=201).count() == 2
