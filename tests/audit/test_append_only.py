"""Append-only, twice: the database's triggers and the application's guards."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import IntegrityError, connection, transaction
from django.test import override_settings

from escalate.accounts.models import User
from escalate.audit.chain import verify_chain
from escalate.audit.db import EXPECTED_TRIGGERS, TABLE, installed_triggers, missing_triggers
from escalate.audit.models import APPEND_ONLY, AppendOnlyError, AuditAction, AuditEntry
from escalate.audit.services import audit_record
from escalate.cases.models import Escalation
from escalate.directory.models import Person
from escalate.procedures.schema import Level
from tests.cases.conftest import World, raise_one

pytestmark = pytest.mark.django_db


@pytest.fixture
def entries(db: None) -> list[AuditEntry]:
    return [
        audit_record(actor=None, action=AuditAction.SIGN_IN_FAILED, object_ref=str(i))
        for i in range(3)
    ]


def raw(sql: str) -> None:
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(sql)


# -- the database ------------------------------------------------------------------------


def test_the_triggers_are_installed(db: None) -> None:
    assert installed_triggers(connection) >= EXPECTED_TRIGGERS[connection.vendor]
    assert not missing_triggers(connection)


@pytest.mark.usefixtures("entries")
@pytest.mark.parametrize(
    "sql",
    [
        f"UPDATE {TABLE} SET object_ref = 'changed' WHERE chain_sequence = 2",  # noqa: S608
        f"UPDATE {TABLE} SET result = 'refused'",  # noqa: S608
        f"DELETE FROM {TABLE} WHERE chain_sequence = 3",  # noqa: S608
        f"DELETE FROM {TABLE}",  # noqa: S608
    ],
)
def test_the_database_refuses_update_and_delete(sql: str) -> None:
    with pytest.raises(IntegrityError, match="audit entries are append-only"):
        raw(sql)
    assert AuditEntry.objects.count() == 3
    assert verify_chain().ok


@pytest.mark.usefixtures("entries")
def test_postgresql_refuses_truncate_of_entries() -> None:
    if connection.vendor != "postgresql":
        pytest.skip("TRUNCATE is PostgreSQL's (SQLite's DELETE FROM is refused above)")
    with pytest.raises(IntegrityError, match="audit entries are append-only: TRUNCATE"):
        raw(f"TRUNCATE {TABLE}")
    assert AuditEntry.objects.count() == 3


def test_postgresql_truncate_of_an_empty_table_removes_nothing_and_is_allowed(db: None) -> None:
    if connection.vendor != "postgresql":
        pytest.skip("TRUNCATE is PostgreSQL's")
    raw(f"TRUNCATE {TABLE}")  # what the test runner's flush does between tests
    assert not AuditEntry.objects.exists()


def test_the_database_allows_insert(db: None) -> None:
    audit_record(actor=None, action=AuditAction.SIGN_IN_FAILED)
    assert AuditEntry.objects.count() == 1


# -- the application ---------------------------------------------------------------------


def test_saving_an_existing_entry_is_refused(entries: list[AuditEntry]) -> None:
    entry = AuditEntry.objects.get(chain_sequence=2)
    entry.object_ref = "changed"
    with pytest.raises(AppendOnlyError, match="append-only"):
        entry.save()
    with pytest.raises(AppendOnlyError):
        entry.save(update_fields=["object_ref"])
    fresh = AuditEntry(**{f.attname: getattr(entry, f.attname) for f in entry._meta.fields})
    with pytest.raises(AppendOnlyError):
        fresh.save(force_update=True)
    assert AuditEntry.objects.get(chain_sequence=2).object_ref == "1"


def test_deleting_an_entry_is_refused(entries: list[AuditEntry]) -> None:
    with pytest.raises(AppendOnlyError) as caught:
        entries[0].delete()
    assert str(caught.value) == APPEND_ONLY


@pytest.mark.parametrize(
    "call",
    [
        lambda qs: qs.update(object_ref="changed"),
        lambda qs: qs.delete(),
        lambda qs: qs.filter(sequence=1).delete(),
        lambda qs: qs.bulk_update(list(qs), ["object_ref"]),
        lambda qs: qs.update_or_create(sequence=1, defaults={"object_ref": "x"}),
        lambda qs: qs.bulk_create([AuditEntry(sequence=99)]),
    ],
    ids=["update", "delete", "filtered-delete", "bulk_update", "update_or_create", "bulk_create"],
)
def test_bulk_writes_through_the_orm_are_refused(entries: list[AuditEntry], call: object) -> None:
    with pytest.raises(AppendOnlyError):
        call(AuditEntry.objects.all())  # type: ignore[operator]
    assert AuditEntry.objects.count() == 3
    assert verify_chain().ok


def test_the_manager_itself_refuses_too(entries: list[AuditEntry]) -> None:
    with pytest.raises(AppendOnlyError):
        AuditEntry.objects.update(object_ref="x")
    with pytest.raises(AppendOnlyError):
        AuditEntry.objects.filter(sequence=1).delete()


# -- the trail outlives what it describes ------------------------------------------------


def test_entries_survive_deleting_the_user_they_describe(world: World) -> None:
    user = world.user("a", Level.PRACTITIONER)
    user_id, username = user.pk, user.username
    audit_record(
        actor=user, action=AuditAction.SIGN_IN, object_type="user", object_ref=str(user_id)
    )
    audit_record(
        actor=user, action=AuditAction.SIGN_OUT, object_type="user", object_ref=str(user_id)
    )
    Person.objects.filter(user=user).delete()
    User.objects.filter(pk=user_id).delete()
    kept = list(AuditEntry.objects.filter(actor_id=user_id))
    assert [e.action for e in kept] == ["sign-in", "sign-out"]
    assert {e.actor_username for e in kept} == {username}
    assert verify_chain().ok


def test_entries_survive_deleting_the_escalation_they_describe(world: World) -> None:
    esc = raise_one(world)
    before = AuditEntry.objects.count()
    audit_record(
        actor=world.user("a", Level.PRACTITIONER),
        action=AuditAction.ESCALATION_VIEWED,
        object_type="escalation",
        object_ref=esc.reference,
        partnership_id=world.partnership.pk,
    )
    Escalation.objects.filter(pk=esc.pk).delete()
    assert AuditEntry.objects.filter(object_ref=esc.reference).count() >= 1
    assert AuditEntry.objects.count() == before + 1
    assert verify_chain().ok


# -- flush (the test runner's, and an operator's) ----------------------------------------


@override_settings(ESCALATE_AUDIT_FLUSHABLE=False)
def test_flush_refuses_to_erase_the_trail(entries: list[AuditEntry]) -> None:
    with pytest.raises(CommandError, match="couldn't be flushed"):
        call_command("flush", interactive=False, verbosity=0)
    assert AuditEntry.objects.count() == 3


@override_settings(ESCALATE_AUDIT_FLUSHABLE=True)
def test_flush_erases_the_trail_only_when_the_test_settings_allow(
    entries: list[AuditEntry],
) -> None:
    call_command("flush", interactive=False, verbosity=0)
    assert not AuditEntry.objects.exists()
    assert not missing_triggers(connection)  # and the triggers are back
