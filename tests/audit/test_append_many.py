"""append_many: many entries chained and inserted at once, for generated data and tests."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.db import transaction

from escalate.accounts.models import User
from escalate.audit.chain import verify_chain
from escalate.audit.models import GENESIS_HASH, INSTALLATION_CHAIN, AuditAction, AuditEntry
from escalate.audit.services import AuditDraft, append_many, audit_record
from escalate.procedures.schema import Level
from tests.audit.support import insert_legacy
from tests.cases.conftest import World

pytestmark = pytest.mark.django_db

T0 = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)


def drafts(count: int, partnerships: tuple[int | None, ...] = (11, 12, None)) -> list[AuditDraft]:
    return [
        AuditDraft(
            actor=None,
            action=AuditAction.ESCALATION_VIEWED,
            object_type="escalation",
            object_ref=f"ESC-GEN0-{i:04d}",
            partnership_id=partnerships[i % len(partnerships)],
            ip=("192.0.2.7", "2001:db8::7", None)[i % 3],
            detail={"i": i, "page": "detail", "flags": [True, None]},
            at=T0 + dt.timedelta(seconds=i),
        )
        for i in range(count)
    ]


def test_entries_are_chained_in_the_order_given_and_verify(db: None) -> None:
    assert append_many(drafts(30), batch_size=7) == 30
    result = verify_chain()
    assert result.ok, [c.message for c in result.chains]
    assert {c.chain: c.entries for c in result.chains} == {11: 10, 12: 10, INSTALLATION_CHAIN: 10}
    in_chain = list(AuditEntry.objects.filter(chain=12).order_by("chain_sequence"))
    assert [e.detail["i"] for e in in_chain] == list(range(1, 30, 3))
    assert [e.at for e in in_chain] == [T0 + dt.timedelta(seconds=i) for i in range(1, 30, 3)]
    assert in_chain[0].prev_hash == GENESIS_HASH
    everything = list(AuditEntry.objects.order_by("sequence"))
    assert [e.detail["i"] for e in everything] == list(range(30))  # the trail's order too


def test_they_continue_the_chains_audit_record_wrote_and_audit_record_continues_them(
    db: None,
) -> None:
    insert_legacy(2)
    before = audit_record(actor=None, action=AuditAction.EXPORT, partnership_id=11)
    append_many(drafts(6))
    after = audit_record(actor=None, action=AuditAction.EXPORT, partnership_id=11)
    assert (before.chain_sequence, after.chain_sequence) == (1, 4)
    assert verify_chain().ok


def test_the_actor_is_snapshotted_and_chooses_the_chain_when_no_partnership_is_named(
    world: World, django_assert_max_num_queries: Any
) -> None:
    user = world.user("a", Level.PRACTITIONER)
    copies = [User.objects.get(pk=user.pk) for _ in range(20)]  # 20 instances, nothing loaded
    many = [AuditDraft(actor=copy, action=AuditAction.SIGN_IN, at=T0) for copy in copies]
    with django_assert_max_num_queries(10):  # a user's person and agency are read once per call
        append_many(many)
    entries = list(AuditEntry.objects.filter(action=AuditAction.SIGN_IN))
    assert {(e.actor_id, e.actor_username, e.actor_agency_id) for e in entries} == {
        (user.pk, user.username, world.a.pk)
    }
    assert {e.chain for e in entries} == {world.partnership.pk}
    assert verify_chain().ok


def test_a_time_defaults_to_now(db: None) -> None:
    append_many([AuditDraft(actor=None, action=AuditAction.EXPORT)])
    entry = AuditEntry.objects.get()
    assert abs(entry.at - dt.datetime.now(dt.UTC)) < dt.timedelta(minutes=1)


@pytest.mark.parametrize(
    ("bad", "error"),
    [
        (AuditDraft(actor=None, action="looked-around"), ValueError),
        (AuditDraft(actor=None, action="export", result="maybe"), ValueError),
        (AuditDraft(actor=None, action="export", detail={"x": 0.5}), TypeError),
        (AuditDraft(actor=None, action="export", object_ref="x" * 81), ValueError),
        (AuditDraft(actor=None, action="export", at=dt.datetime(2026, 1, 1)), ValueError),  # noqa: DTZ001
    ],
)
def test_a_bad_draft_is_refused_before_its_batch_is_written(
    db: None, bad: AuditDraft, error: type[Exception]
) -> None:
    good = drafts(5)
    with pytest.raises(error):
        append_many([*good, bad, *good], batch_size=5)
    assert AuditEntry.objects.count() == 5  # the first batch, not the one with the bad draft
    assert verify_chain().ok
    with pytest.raises(error), transaction.atomic():
        append_many([*good, bad], batch_size=5)
    assert AuditEntry.objects.count() == 5  # all or nothing inside the caller's transaction


def test_batch_size_is_positive(db: None) -> None:
    with pytest.raises(ValueError, match="at least 1"):
        append_many(drafts(1), batch_size=0)
    assert append_many([]) == 0


def test_the_address_is_the_drafts_never_the_current_requests(db: None) -> None:
    from django.test import RequestFactory

    from escalate.audit.services import AuditContextMiddleware

    def view(request: object) -> None:
        append_many(
            [
                AuditDraft(actor=None, action="export"),
                AuditDraft(actor=None, action="export", ip="192.0.2.9"),
            ]
        )
        audit_record(actor=None, action="export")

    AuditContextMiddleware(view)(RequestFactory().get("/", REMOTE_ADDR="203.0.113.5"))
    assert list(AuditEntry.objects.order_by("sequence").values_list("ip", flat=True)) == [
        None,
        "192.0.2.9",
        "203.0.113.5",  # audit_record, unlike append_many, takes the request's
    ]
