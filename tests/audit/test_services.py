"""audit_record and client_ip: what an entry holds, and what it refuses to hold."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import transaction
from django.test import RequestFactory, override_settings

from escalate.accounts.models import User
from escalate.audit import services
from escalate.audit.chain import verify_chain
from escalate.audit.models import (
    GENESIS_HASH,
    HASHED_FIELDS,
    INSTALLATION_CHAIN,
    LEGACY_HASHED_FIELDS,
    AuditAction,
    AuditEntry,
    AuditResult,
    ObjectType,
)
from escalate.audit.services import AuditContextMiddleware, audit_record, client_ip
from escalate.procedures.schema import Level
from tests.audit.support import insert_legacy
from tests.cases.conftest import World

pytestmark = pytest.mark.django_db


def test_first_entry_starts_the_chain_and_the_next_links_to_it(world: World) -> None:
    user = world.user("a", Level.PRACTITIONER)
    first = audit_record(
        actor=user,
        action=AuditAction.ESCALATION_VIEWED,
        object_type=ObjectType.ESCALATION,
        object_ref="ESC-AAAA-BBBB",
        partnership_id=world.partnership.pk,
        ip="192.0.2.10",
    )
    second = audit_record(
        actor=user, action=AuditAction.LIST_SEARCHED, partnership_id=world.partnership.pk
    )
    assert (first.chain, second.chain) == (world.partnership.pk, world.partnership.pk)
    assert (first.chain_sequence, second.chain_sequence) == (1, 2)
    assert first.sequence < second.sequence
    assert first.prev_hash == GENESIS_HASH  # no legacy chain in a new installation
    assert second.prev_hash == first.hash
    assert len(first.hash) == 64 and int(first.hash, 16) >= 0
    assert first.hash == first.compute_hash()


def test_each_entry_goes_in_its_partnerships_chain_else_its_actors_else_the_installations(
    world: World, other_world: World
) -> None:
    ours = world.user("a", Level.PRACTITIONER)
    theirs = other_world.user("a", Level.PRACTITIONER)
    about_theirs = audit_record(
        actor=ours, action=AuditAction.ACCESS_DENIED, partnership_id=other_world.partnership.pk
    )
    our_sign_in = audit_record(actor=ours, action=AuditAction.SIGN_IN, object_type="user")
    their_sign_in = audit_record(actor=theirs, action=AuditAction.SIGN_IN, object_type="user")
    no_one = audit_record(actor=None, action=AuditAction.SIGN_IN_FAILED)
    admin = User.objects.create_user(username="sysadmin", email="s@test.invalid", password="x")
    by_admin = audit_record(actor=admin, action=AuditAction.ADMIN_CHANGE)
    assert about_theirs.chain == other_world.partnership.pk  # the record's partnership first
    assert our_sign_in.chain == world.partnership.pk  # then the actor's
    assert their_sign_in.chain == other_world.partnership.pk
    assert (no_one.chain, by_admin.chain) == (INSTALLATION_CHAIN, INSTALLATION_CHAIN)
    assert [e.chain_sequence for e in (about_theirs, their_sign_in)] == [1, 2]
    assert [e.chain_sequence for e in (no_one, by_admin)] == [1, 2]
    assert their_sign_in.prev_hash == about_theirs.hash
    assert our_sign_in.prev_hash == GENESIS_HASH
    assert verify_chain().ok


def test_a_new_chain_starts_from_the_last_legacy_entry(world: World) -> None:
    legacy = insert_legacy(3)
    first = audit_record(actor=None, action=AuditAction.SIGN_IN_FAILED)
    other = audit_record(actor=None, action=AuditAction.LIST_SEARCHED, partnership_id=7)
    assert first.prev_hash == other.prev_hash == legacy[-1].hash
    assert (first.chain_sequence, other.chain_sequence) == (1, 1)
    assert first.sequence > legacy[-1].sequence
    result = verify_chain()
    assert result.ok, result.message
    assert [(c.name, c.entries) for c in result.chains] == [
        ("legacy", 3),
        ("installation", 1),
        ("partnership-7", 1),
    ]


# Hashes the previous release gave these two entries: legacy entries must keep verifying.
LEGACY_VECTORS = [
    (
        {
            "sequence": 41,
            "at": dt.datetime(2026, 11, 25, 9, 30, 15, 123456, tzinfo=dt.UTC),
            "actor_id": 7,
            "actor_username": "bu.north",
            "actor_agency_id": 3,
            "actor_partnership_id": 2,
            "action": "escalation-viewed",
            "object_type": "escalation",
            "object_ref": "ESC-ABCD-EFGH",
            "partnership_id": 2,
            "ip": "2001:db8::1",
            "result": "success",
            "detail": {"page": "panels", "stage": 2},
            "prev_hash": "ab" * 32,
        },
        "310650cc2a0e3edd9f2c08e763df73cf37c9e6d7b5a1076771e94bae9098120b",
    ),
    (
        {
            "sequence": 1,
            "at": dt.datetime(2026, 11, 25, tzinfo=dt.UTC),
            "actor_id": None,
            "actor_username": "",
            "actor_agency_id": None,
            "actor_partnership_id": None,
            "action": "sign-in-failed",
            "object_type": "",
            "object_ref": "",
            "partnership_id": None,
            "ip": None,
            "result": "failed",
            "detail": {},
            "prev_hash": GENESIS_HASH,
        },
        "6996b2f7408f9fa881471404757cb294832f5ac60d1937f46f72c40586155af8",
    ),
]


@pytest.mark.parametrize(("fields", "digest"), LEGACY_VECTORS)
def test_a_legacy_entry_hashes_as_it_always_did(fields: dict[str, object], digest: str) -> None:
    legacy = AuditEntry(**fields)  # chain and chain_sequence empty
    assert legacy.compute_hash() == digest
    assert set(legacy.hash_payload()) == set(LEGACY_HASHED_FIELDS)
    chained = AuditEntry(**fields, chain=2, chain_sequence=41)
    assert set(chained.hash_payload()) == set(HASHED_FIELDS)
    assert chained.compute_hash() != digest


def test_an_entry_snapshots_who_acted_and_from_where(world: World) -> None:
    user = world.user("b", Level.LINE_MANAGER)
    entry = audit_record(
        actor=user,
        action="escalation-changed",
        object_type="escalation",
        object_ref="ESC-AAAA-BBBB",
        partnership_id=world.partnership.pk,
        ip="2001:db8:0:0:0:0:0:1",
        detail={"service": "escalation_escalate", "stage": 2},
    )
    stored = AuditEntry.objects.get(sequence=entry.sequence)
    assert stored.actor_id == user.pk
    assert stored.actor_username == user.username
    assert stored.actor_agency_id == world.b.pk
    assert stored.actor_partnership_id == world.partnership.pk
    assert stored.action == AuditAction.ESCALATION_CHANGED
    assert stored.result == AuditResult.SUCCESS
    assert stored.ip == "2001:db8::1"
    assert stored.detail == {"service": "escalation_escalate", "stage": 2}
    assert stored.at.tzinfo is not None
    assert abs(stored.at - dt.datetime.now(dt.UTC)) < dt.timedelta(minutes=1)
    assert stored.compute_hash() == stored.hash  # the same after the database round trip


@pytest.mark.parametrize(
    "address",
    [
        "192.0.2.1",
        "::1",
        "2001:db8::1:0:0:1",
        "2001:db8:0:1:1:1:1:1",
        "::ffff:192.0.2.7",
        "fe80::1",
    ],
)
def test_every_address_form_hashes_the_same_after_the_database(db: None, address: str) -> None:
    entry = audit_record(actor=None, action=AuditAction.SIGN_IN_FAILED, ip=address)
    stored = AuditEntry.objects.get(sequence=entry.sequence)
    assert stored.compute_hash() == entry.hash
    assert verify_chain().ok


def test_no_one_acting_is_recorded_as_blank(db: None) -> None:
    from django.contrib.auth.models import AnonymousUser

    entry = audit_record(actor=AnonymousUser(), action=AuditAction.SIGN_IN_FAILED, result="failed")
    assert (entry.actor_id, entry.actor_username, entry.actor_agency_id) == (None, "", None)
    assert entry.result == AuditResult.FAILED


def test_a_user_outside_the_directory_has_no_agency(db: None) -> None:
    admin = User.objects.create_user(username="sysadmin", email="s@test.invalid", password="x")
    entry = audit_record(actor=admin, action=AuditAction.ADMIN_CHANGE, object_type="user")
    assert (entry.actor_id, entry.actor_username) == (admin.pk, "sysadmin")
    assert (entry.actor_agency_id, entry.actor_partnership_id) == (None, None)


def test_unknown_action_or_result_is_refused(db: None) -> None:
    with pytest.raises(ValueError, match="Unknown audit action"):
        audit_record(actor=None, action="looked-around")
    with pytest.raises(ValueError, match="Unknown audit result"):
        audit_record(actor=None, action=AuditAction.EXPORT, result="maybe")
    assert not AuditEntry.objects.exists()


@pytest.mark.parametrize(
    ("detail", "error"),
    [
        ({"ratio": 0.5}, TypeError),
        ({"when": dt.date(2026, 1, 1)}, TypeError),
        ({1: "x"}, TypeError),
        ({"nested": {"deeper": [1, 2.5]}}, TypeError),
        ({"text": "a\x00b"}, ValueError),
        (["not", "a", "dict"], TypeError),
    ],
)
def test_detail_must_be_plain_json_of_references(db: None, detail: object, error: type) -> None:
    with pytest.raises(error):
        audit_record(actor=None, action=AuditAction.EXPORT, detail=detail)  # type: ignore[arg-type]


def test_detail_keeps_strings_ints_bools_none_lists_and_dicts(db: None) -> None:
    detail = {"service": "x", "stage": 2, "ok": True, "none": None, "refs": ["A", "B"], "d": {}}
    entry = audit_record(actor=None, action=AuditAction.EXPORT, detail=detail)
    assert AuditEntry.objects.get(sequence=entry.sequence).detail == detail


def test_references_are_short(db: None) -> None:
    with pytest.raises(ValueError, match="object_ref is at most 80"):
        audit_record(actor=None, action=AuditAction.EXPORT, object_ref="x" * 81)


def test_the_entry_is_written_only_if_the_callers_transaction_commits(world: World) -> None:
    user = world.user("a", Level.PRACTITIONER)

    def change_that_fails() -> None:
        with transaction.atomic():
            audit_record(actor=user, action=AuditAction.ESCALATION_CHANGED, object_ref="ESC-1")
            raise RuntimeError("the change failed")

    with pytest.raises(RuntimeError):
        change_that_fails()
    assert not AuditEntry.objects.exists()
    entry = audit_record(actor=user, action=AuditAction.ESCALATION_CHANGED, object_ref="ESC-1")
    assert entry.chain_sequence == 1  # no gap in the chain left by the rolled-back entry
    assert verify_chain().ok


def test_every_field_but_the_hash_is_hashed() -> None:
    concrete = {f.name for f in AuditEntry._meta.concrete_fields}
    assert concrete - {"hash"} == set(HASHED_FIELDS)


def test_the_legacy_fields_are_frozen() -> None:
    """Entries written before chains hash exactly these: never change this list."""
    assert LEGACY_HASHED_FIELDS == (
        "sequence",
        "at",
        "actor_id",
        "actor_username",
        "actor_agency_id",
        "actor_partnership_id",
        "action",
        "object_type",
        "object_ref",
        "partnership_id",
        "ip",
        "result",
        "detail",
        "prev_hash",
    )
    assert set(HASHED_FIELDS) - set(LEGACY_HASHED_FIELDS) == {"chain", "chain_sequence"}


def test_changing_any_hashed_field_changes_the_hash(db: None) -> None:
    entry = audit_record(
        actor=None, action=AuditAction.EXPORT, object_ref="ESC-AAAA-BBBB", ip="192.0.2.1"
    )
    changes = {
        "sequence": 2,
        "at": entry.at + dt.timedelta(microseconds=1),
        "actor_id": 5,
        "actor_username": "someone",
        "actor_agency_id": 5,
        "actor_partnership_id": 5,
        "action": AuditAction.SIGN_IN,
        "object_type": "user",
        "object_ref": "ESC-AAAA-BBBC",
        "partnership_id": 5,
        "ip": "192.0.2.2",
        "result": AuditResult.REFUSED,
        "detail": {"x": 1},
        "prev_hash": "1" * 64,
        "chain": 5,
        "chain_sequence": 2,
    }
    assert set(changes) == set(HASHED_FIELDS)
    for name, value in changes.items():
        copy = AuditEntry(**{f: getattr(entry, f) for f in HASHED_FIELDS})
        setattr(copy, name, value)
        assert copy.compute_hash() != entry.hash, name


# -- the address -------------------------------------------------------------------------


def test_client_ip_is_remote_addr_and_ignores_forwarded_for_by_default() -> None:
    request = RequestFactory().get(
        "/", REMOTE_ADDR="203.0.113.9", HTTP_X_FORWARDED_FOR="198.51.100.1"
    )
    assert client_ip(request) == "203.0.113.9"


@override_settings(ESCALATE_TRUSTED_PROXY_COUNT=1)
def test_client_ip_behind_one_trusted_proxy_takes_the_last_forwarded_hop() -> None:
    request = RequestFactory().get(
        "/", REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR="6.6.6.6, 198.51.100.1"
    )
    assert client_ip(request) == "198.51.100.1"  # 6.6.6.6 was typed by the client


@override_settings(ESCALATE_TRUSTED_PROXY_COUNT=2)
def test_client_ip_behind_two_proxies_and_a_short_header_falls_back() -> None:
    rf = RequestFactory()
    two = rf.get("/", REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR="198.51.100.1, 10.0.0.1")
    assert client_ip(two) == "198.51.100.1"
    short = rf.get("/", REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR="198.51.100.1")
    assert client_ip(short) == "10.0.0.2"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("not an address", None),
        ("", None),
        ("192.0.2.1:443", "192.0.2.1"),
        ("[2001:db8::1]:443", "2001:db8::1"),
        ("fe80::1%eth0", "fe80::1"),
    ],
)
def test_client_ip_parses_or_gives_none(raw: str, expected: str | None) -> None:
    assert client_ip(RequestFactory().get("/", REMOTE_ADDR=raw)) == expected


def test_the_middleware_supplies_the_address_to_services(db: None) -> None:
    seen: list[AuditEntry] = []

    def view(request: object) -> None:
        seen.append(audit_record(actor=None, action=AuditAction.LIST_SEARCHED))
        seen.append(audit_record(actor=None, action=AuditAction.LIST_SEARCHED, ip="192.0.2.99"))

    AuditContextMiddleware(view)(RequestFactory().get("/", REMOTE_ADDR="203.0.113.5"))
    assert [e.ip for e in seen] == ["203.0.113.5", "192.0.2.99"]  # an explicit ip wins
    assert services.request_ip() is None  # and nothing lingers after the request
    assert audit_record(actor=None, action=AuditAction.LIST_SEARCHED).ip is None
