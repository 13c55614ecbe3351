"""Data protection: retention, subject access export, recording a reference only."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest
from django.core.management import call_command

from escalate import timekeeping
from escalate.audit.models import AuditEntry
from escalate.cases import protection, services
from escalate.cases.actors import Actor
from escalate.cases.models import Entry, Escalation
from escalate.procedures.schema import Level
from tests.cases.conftest import World, make_world, raise_one
from tests.support import signed_in

pytestmark = pytest.mark.django_db
D = dt.date


def _closed(world: World, on: dt.date) -> Escalation:
    esc = raise_one(world, on=on, outset_on=on)
    return services.escalation_withdraw(
        actor=Actor.of(world.user("a", Level.PRACTITIONER)),
        today=timekeeping.today(),
        escalation=esc,
        version=esc.version,
        on=on,
        reason="Resolved elsewhere",
    )


def test_retention_removes_only_closed_escalations_past_the_period(world: World) -> None:
    old = _closed(world, D(2019, 3, 1))
    recent = _closed(world, D(2021, 3, 1))
    still_open = raise_one(world, on=D(2019, 3, 1), outset_on=D(2019, 3, 1))
    result = protection.retention_apply(today=D(2026, 3, 2))
    assert result.removed == [old.reference]
    assert not Escalation.objects.filter(pk=old.pk).exists()
    assert not Entry.objects.filter(escalation_id=old.pk).exists()
    assert Escalation.objects.filter(pk__in=[recent.pk, still_open.pk]).count() == 2
    (entry,) = AuditEntry.objects.filter(action="retention-applied")
    assert entry.object_ref == old.reference


def test_retention_dry_run_and_per_partnership_period(world: World) -> None:
    short = make_world("redbridge-sab")
    short.partnership.retention_years = 1
    short.partnership.save()
    a = _closed(world, D(2024, 3, 1))
    b = _closed(short, D(2024, 3, 1))
    assert protection.retention_apply(today=D(2026, 3, 2), dry_run=True).removed == [b.reference]
    assert Escalation.objects.count() == 2
    call_command("apply_retention", "--today", "2026-03-02")
    assert list(Escalation.objects.values_list("reference", flat=True)) == [a.reference]


def test_subject_access_export_holds_everything_about_one_reference(world: World) -> None:
    mine = raise_one(world, subject_reference_kind="nhs-number", subject_reference="943 476 5919")
    raise_one(world, subject_reference="PID-OTHER")
    other = make_world("sunderland-sab")
    raise_one(other, subject_reference_kind="nhs-number", subject_reference="943 476 5919")
    data = json.loads(protection.subject_access_export(user=world.bu_user, reference="9434765919"))
    assert [e["reference"] for e in data["escalations"]] == [mine.reference]
    assert data["escalations"][0]["entries"][0]["kind"] == "raised"
    assert AuditEntry.objects.filter(action="export").count() == 1
    with pytest.raises(PermissionError):
        protection.subject_access_export(user=world.user("a", Level.PRACTITIONER), reference="x")


def test_subject_access_page_posts_the_reference_and_names_no_one(world: World) -> None:
    raise_one(world, subject_reference="PID-77")
    client = signed_in(world.bu_user)
    assert client.get("/exports/subject-access/").status_code == 200
    response = client.post("/exports/subject-access/", {"reference": "PID-77"})
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert "PID" not in response["Content-Disposition"]
    assert (
        signed_in(world.user("a", Level.PRACTITIONER)).get("/exports/subject-access/").status_code
        == 404
    )


def test_a_partnership_can_record_only_a_case_reference(world: World) -> None:
    world.partnership.record_subject_names = False
    world.partnership.save()
    client = signed_in(world.user("a", Level.PRACTITIONER))
    assert 'name="subject_name"' not in client.get("/raise/about/").content.decode()
    with pytest.raises(services.ActionError) as caught:
        raise_one(world, subject_name="Sam Example")
    assert caught.value.message == services.NAMES_NOT_RECORDED


def _export(world: World, reference: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(
        protection.subject_access_export(user=world.bu_user, reference=reference)
    )
    return data


def test_subject_access_export_holds_each_agencys_view_from_the_record(world: World) -> None:
    """A view given with *Give your agency's view* is an entry of the record; the export shows
    it under the agency that gave it (there is no separate, never-written view column)."""
    esc = raise_one(world, subject_reference="PID77", other_agency_ids=(world.c.pk,))
    esc = services.escalation_record_view(
        actor=Actor.of(world.user("b", Level.PRACTITIONER)),
        today=timekeeping.today(),
        escalation=esc,
        version=esc.version,
        view="We stand by the decision: the threshold was not met.",
    )
    services.escalation_record_view(
        actor=Actor.of(world.user("b", Level.LINE_MANAGER)),
        today=timekeeping.today(),
        escalation=esc,
        version=esc.version,
        view="Having read the file again, we will reconsider.",
    )
    (exported,) = _export(world, "PID77")["escalations"]
    parties = {p["agency"]: p for p in exported["parties"]}
    # the view sits under the agency that gave it (before: an empty, never-written column)
    assert "threshold was not met" in json.dumps(parties[world.b.name])
    views = [v["text"] for v in parties[world.b.name]["views"]]
    assert views == [
        "We stand by the decision: the threshold was not met.",
        "Having read the file again, we will reconsider.",
    ]
    assert parties[world.b.name]["views"][0]["by"] == "b practitioner"
    assert parties[world.a.name]["views"] == []
    assert parties[world.c.name]["views"] == []
    assert all("view" not in p for p in exported["parties"])


@pytest.mark.parametrize(
    ("kind", "stored", "typed"),
    [
        ("pid", "PID-IR-1", "PID-IR-1"),
        ("pid", "PID-IR-1", "pid-ir-1"),
        ("pid", "PID-IR-1", " pid ir 1 "),
        ("pid", "PID-IR-1", "PIDIR1"),
        ("pid", "PIDIR1", "PID-IR-1"),
        ("pid", "pid ir 1", "PID\u2013IR\u20131"),  # an en dash, as word processors write
        ("nhs-number", "943 476 5919", "943-476-5919"),
        ("nhs-number", "943 476 5919", "9434765919"),
        ("nhs-number", "943 476 5919", " 943 476 5919 "),
        ("other", "Case 12-AB/7", "case12ab/7"),
        ("other", "Case 12-AB/7", "CASE 12 - ab/7"),
    ],
)
def test_subject_access_finds_a_reference_however_it_is_typed(
    world: World, kind: str, stored: str, typed: str
) -> None:
    wanted = raise_one(world, subject_reference_kind=kind, subject_reference=stored)
    raise_one(world, subject_reference_kind=kind, subject_reference=stored + "2")
    raise_one(world, subject_reference_kind="pid", subject_reference="PID-IR-12")
    data = _export(world, typed)
    assert [e["reference"] for e in data["escalations"]] == [wanted.reference]
    assert data["escalations"][0]["subject_reference"] == stored  # kept as typed at raise


def test_subject_access_page_finds_a_hyphenated_pid(world: World) -> None:
    wanted = raise_one(world, subject_reference="PID-IR-1")
    response = signed_in(world.bu_user).post("/exports/subject-access/", {"reference": "pid-ir-1"})
    assert response.status_code == 200
    data = json.loads(response.content)
    assert [e["reference"] for e in data["escalations"]] == [wanted.reference]


FULL_WIDTH = "\uff50\uff49\uff44\uff0d\uff49\uff52\uff0d\uff11"  # pid-ir-1 in full-width forms


def test_the_migration_fills_keys_with_the_same_rule_as_the_raise_service() -> None:
    """Migration 0004 fills the key of escalations raised before it with a frozen copy of the
    rule; the copy and the rule agree."""
    import importlib

    from escalate.cases.references import reference_key

    migration = importlib.import_module("escalate.cases.migrations.0004_remove_party_view")
    samples = [
        "PID-IR-1",
        " pid ir 1 ",
        "943 476 5919",
        "Case 12-AB/7",
        FULL_WIDTH,
        "x\u2212y",
    ]
    for text in samples:
        assert migration._reference_key(text) == reference_key(text)
    assert reference_key(FULL_WIDTH) == "PIDIR1"
