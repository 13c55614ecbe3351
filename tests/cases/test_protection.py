"""Data protection: retention, subject access export, recording a reference only."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.core.management import call_command

from escalate.audit.models import AuditEntry
from escalate.cases import protection, services
from escalate.cases.models import Entry, Escalation
from escalate.procedures.schema import Level
from tests.cases.conftest import World, make_world, raise_one
from tests.support import signed_in

pytestmark = pytest.mark.django_db
D = dt.date


def _closed(world: World, on: dt.date) -> Escalation:
    esc = raise_one(world, on=on, outset_on=on)
    return services.escalation_withdraw(
        user=world.user("a", Level.PRACTITIONER),
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
