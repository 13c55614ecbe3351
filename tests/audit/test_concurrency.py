"""Concurrent writers never fork the chain: each append sees the one before it."""

from __future__ import annotations

import threading
import time

import pytest
from django.db import OperationalError, connection, connections, transaction

from escalate.audit.chain import verify_chain
from escalate.audit.models import AuditAction, AuditEntry
from escalate.audit.services import audit_record

THREADS = 6
EACH = 8


@pytest.mark.usefixtures("erase_trail_after")
def test_concurrent_appends_make_one_valid_chain() -> None:
    """On PostgreSQL the advisory lock makes writers wait their turn: no errors, no retries.
    On SQLite (the shared in-memory test database) a writer that finds the table locked gets
    an error and writes nothing; it tries again. Either way the chain holds."""
    # other tests may have committed entries of their own (module-level data): count ours
    before = AuditEntry.objects.count()
    start = threading.Barrier(THREADS)
    retries: list[int] = []
    errors: list[BaseException] = []

    def writer(n: int) -> None:
        tried_again = 0
        try:
            start.wait()
            for i in range(EACH):
                for _attempt in range(200):
                    try:
                        with transaction.atomic():
                            audit_record(
                                actor=None,
                                action=AuditAction.LIST_SEARCHED,
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
        except BaseException as exc:  # reported by the main thread
            errors.append(exc)
        finally:
            retries.append(tried_again)
            connections.close_all()

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(THREADS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not errors, errors
    assert AuditEntry.objects.count() == before + THREADS * EACH
    result = verify_chain()
    assert result.ok, result.message
    assert result.entries == before + THREADS * EACH
    per_writer = {
        n: sorted(e.detail["i"] for e in AuditEntry.objects.all() if e.detail.get("writer") == n)
        for n in range(THREADS)
    }
    assert all(v == list(range(EACH)) for v in per_writer.values())
    if connection.vendor == "postgresql":
        assert sum(retries) == 0
