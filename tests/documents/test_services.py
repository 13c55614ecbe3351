"""The forms' services: drafts, signing (and who may), versions, sending through the outbox,
each change and refusal in the audit trail."""

from __future__ import annotations

import pytest

from escalate.audit.models import AuditEntry
from escalate.cases.models import Escalation
from escalate.cases.rules import procedure_of
from escalate.documents import services
from escalate.documents.models import FormVersion, Signature, VersionStatus
from escalate.notifications import messages
from escalate.notifications.models import Channel, Kind, Notification
from escalate.procedures import forms as core
from escalate.procedures.schema import Form, Level
from tests.cases.conftest import World
from tests.documents.conftest import (
    MONITORING_ANSWERS,
    NOW,
    actor,
    bu,
    draft,
    escalate_to,
    resolve,
    world_at,
)

pytestmark = pytest.mark.django_db

FORM = "monitoring-form"


def _audits(service: str) -> list[AuditEntry]:
    return [
        e for e in AuditEntry.objects.order_by("pk") if (e.detail or {}).get("service") == service
    ]


def test_a_signer_starts_a_draft_that_may_leave_questions_unanswered() -> None:
    world, esc = world_at("north-somerset-sab", 3)
    version = draft(
        world,
        esc,
        FORM,
        {"adult": "  Ann  ", "unknown": "x"},
        actor(world, "a", Level.SENIOR_MANAGER),
    )
    assert (version.number, version.stage, version.status) == (1, 3, VersionStatus.DRAFT)
    assert version.values == {"adult": "Ann"}  # stripped; unknown keys dropped
    assert version.created_by_name == "a senior-manager"
    (entry,) = _audits("form_save_draft")
    assert entry.result == "success"
    assert entry.object_ref == esc.reference
    assert entry.detail["form"] == FORM
    assert "Ann" not in str(entry.detail)  # references only, never what was typed


def test_someone_the_procedure_does_not_name_may_not_complete_it() -> None:
    world, esc = world_at("north-somerset-sab", 3)
    with pytest.raises(services.FormError) as caught:
        draft(world, esc, FORM, {"adult": "Ann"}, actor(world, "a", Level.PRACTITIONER))
    form = esc_form(esc)
    assert caught.value.message == core.who_may_sign(form, 3)
    assert "a senior manager or above of the raising agency" in caught.value.message
    assert not FormVersion.objects.exists()
    (entry,) = _audits("form_save_draft")
    assert entry.result == "refused"


def esc_form(esc: Escalation) -> Form:
    return procedure_of(esc).form(FORM)


def test_a_wrong_answer_is_refused_even_in_a_draft() -> None:
    world, esc = world_at("north-somerset-sab", 3)
    with pytest.raises(services.FormIncompleteError) as caught:
        draft(world, esc, FORM, {"days-taken": "five"}, actor(world, "a", Level.SENIOR_MANAGER))
    assert caught.value.errors == {
        "days-taken": "The time taken to reach resolution must be a whole number, like 5"
    }


def test_a_form_is_not_completed_at_a_stage_it_is_not_used_at() -> None:
    world, esc = world_at("north-somerset-sab", 2)
    with pytest.raises(services.FormError) as caught:
        draft(world, esc, FORM, {}, actor(world, "a", Level.BOARD_REPRESENTATIVE))
    assert caught.value.message == services.NOT_AT_THIS_STAGE.format(used="3 or 4", stage=2)


def test_a_save_from_a_page_opened_before_someone_else_s_is_refused() -> None:
    world, esc = world_at("north-somerset-sab", 3)
    sm = actor(world, "a", Level.SENIOR_MANAGER)
    first = draft(world, esc, FORM, {"adult": "Ann"}, sm)
    draft(
        world,
        esc,
        FORM,
        {"adult": "Ann B"},
        actor(world, "b", Level.SENIOR_MANAGER),
        revision=first.revision,
    )
    with pytest.raises(services.FormChangedError):
        draft(world, esc, FORM, {"adult": "Mine"}, sm, revision=first.revision)
    assert FormVersion.objects.get().values == {"adult": "Ann B"}
    assert _audits("form_save_draft")[-1].result == "failed"


def _complete_and_sign_both(world: World, esc: Escalation) -> tuple[Signature, Signature]:
    draft(world, esc, FORM, MONITORING_ANSWERS, actor(world, "a", Level.SENIOR_MANAGER))
    first = services.form_sign(
        actor=actor(world, "a", Level.SENIOR_MANAGER),
        escalation=esc,
        form_id=FORM,
        number=1,
        field_id=None,
        now=NOW,
    )
    second = services.form_sign(
        actor=actor(world, "b", Level.SENIOR_MANAGER),
        escalation=esc,
        form_id=FORM,
        number=1,
        field_id=None,
        now=NOW,
    )
    return first, second


def test_signing_needs_a_complete_form() -> None:
    world, esc = world_at("north-somerset-sab", 3)
    draft(world, esc, FORM, {"adult": "Ann"}, actor(world, "a", Level.SENIOR_MANAGER))
    with pytest.raises(services.FormIncompleteError) as caught:
        services.form_sign(
            actor=actor(world, "a", Level.SENIOR_MANAGER),
            escalation=esc,
            form_id=FORM,
            number=1,
            field_id=None,
            now=NOW,
        )
    assert caught.value.message == services.INCOMPLETE
    assert set(caught.value.errors) == {"summary", "agreed-outcomes", "days-taken"}
    assert not Signature.objects.exists()


def test_each_manager_signs_their_own_signature_and_the_values_are_then_fixed() -> None:
    world, esc = world_at("north-somerset-sab", 3)
    first, second = _complete_and_sign_both(world, esc)
    assert (first.field_id, first.signed_as) == ("initiating-manager", "level")
    assert (first.name, first.role, first.agency) == (
        "a senior-manager",
        "senior-manager",
        world.a.name,
    )
    assert first.user == world.user("a", Level.SENIOR_MANAGER)
    assert first.signed_at == NOW
    assert second.field_id == "receiving-manager"
    version = FormVersion.objects.get()
    assert version.status == VersionStatus.SIGNED
    assert version.signed_at == NOW
    signed = _audits("form_sign")
    assert [e.detail["field"] for e in signed] == ["initiating-manager", "receiving-manager"]
    with pytest.raises(services.FormError) as caught:
        draft(
            world,
            esc,
            FORM,
            {"adult": "Changed"},
            actor(world, "a", Level.SENIOR_MANAGER),
            revision=1,
        )
    assert caught.value.message == services.SIGNED_ALREADY
    with pytest.raises(services.FormError) as caught:
        services.form_sign(
            actor=actor(world, "a", Level.BOARD_REPRESENTATIVE),
            escalation=esc,
            form_id=FORM,
            number=1,
            field_id=None,
            now=NOW,
        )
    assert caught.value.message == services.ALL_SIGNED


def test_signing_is_refused_to_anyone_the_procedure_does_not_name_with_who_may() -> None:
    world, esc = world_at("north-somerset-sab", 3)
    draft(world, esc, FORM, MONITORING_ANSWERS, actor(world, "a", Level.SENIOR_MANAGER))
    for who in (
        actor(world, "a", Level.LINE_MANAGER),
        actor(world, "c", Level.SENIOR_MANAGER),
        bu(world),
    ):
        with pytest.raises(services.FormError) as caught:
            services.form_sign(
                actor=who, escalation=esc, form_id=FORM, number=1, field_id=None, now=NOW
            )
        assert caught.value.message == (
            "Only the people the procedure names may sign this form at stage 3. "
            "Signature of initiating manager: a senior manager or above of the raising agency; "
            "Signature of receiving manager: a senior manager or above of the receiving agency."
        )
    assert not Signature.objects.exists()
    assert [e.result for e in _audits("form_sign")] == ["refused"] * 3


def test_sending_needs_every_signature_then_writes_the_outbox() -> None:
    world, esc = world_at("north-somerset-sab", 3)
    draft(world, esc, FORM, MONITORING_ANSWERS, actor(world, "a", Level.SENIOR_MANAGER))
    sm = actor(world, "a", Level.SENIOR_MANAGER)
    with pytest.raises(services.FormError) as caught:
        services.form_submit(actor=sm, escalation=esc, form_id=FORM, number=1, now=NOW)
    assert caught.value.message == services.NOT_SIGNED_YET
    services.form_sign(actor=sm, escalation=esc, form_id=FORM, number=1, field_id=None, now=NOW)
    with pytest.raises(services.FormError) as caught:
        services.form_submit(actor=sm, escalation=esc, form_id=FORM, number=1, now=NOW)
    assert caught.value.message == services.STILL_TO_SIGN.format(
        missing="Signature of receiving manager"
    )
    services.form_sign(
        actor=actor(world, "b", Level.SENIOR_MANAGER),
        escalation=esc,
        form_id=FORM,
        number=1,
        field_id=None,
        now=NOW,
    )
    assert not Notification.objects.filter(kind=Kind.FORM).exists()
    version = services.form_submit(actor=sm, escalation=esc, form_id=FORM, number=1, now=NOW)
    assert version.status == VersionStatus.SUBMITTED
    assert version.submitted_by_name == "a senior-manager"
    rows = Notification.objects.filter(kind=Kind.FORM)
    told = {n.recipient for n in rows}
    # send_to: each party's stage 4 representative, and the business manager.
    assert told == {
        world.people[("a", Level.BOARD_REPRESENTATIVE)],
        world.people[("b", Level.SENIOR_MANAGER)],  # b's contact at every stage
        world.business_unit,
    }
    assert {n.channel for n in rows} == {Channel.APP, Channel.EMAIL}
    assert {n.key for n in rows} == {f"form:{esc.pk}:{FORM}:1"}
    assert {(n.stage, n.obligation) for n in rows} == {(3, FORM)}
    message = messages.render(rows.filter(channel=Channel.EMAIL).first())  # type: ignore[arg-type]
    assert message.subject == f"Escalate: {esc.reference}: a form has been sent to you"
    assert "Monitoring form" in message.body
    assert "PID" not in message.body and "A joint visit" not in message.body
    with pytest.raises(services.FormError) as caught:
        services.form_submit(actor=sm, escalation=esc, form_id=FORM, number=1, now=NOW)
    assert caught.value.message == services.ALREADY_SENT
    assert _audits("form_submit")[-2].detail["messages"] == rows.count()


def test_a_correction_is_a_new_version_that_keeps_the_old() -> None:
    world, esc = world_at("north-somerset-sab", 3)
    _complete_and_sign_both(world, esc)
    sm = actor(world, "a", Level.SENIOR_MANAGER)
    with pytest.raises(services.FormError) as caught:
        services.form_new_version(actor=sm, escalation=esc, form_id=FORM, reason=" ", now=NOW)
    assert (caught.value.message, caught.value.field) == (services.REASON_REQUIRED, "reason")
    v2 = services.form_new_version(
        actor=sm, escalation=esc, form_id=FORM, reason="Wrong days", now=NOW
    )
    assert (v2.number, v2.status, v2.reason) == (2, VersionStatus.DRAFT, "Wrong days")
    assert v2.values == MONITORING_ANSWERS
    draft(world, esc, FORM, {**MONITORING_ANSWERS, "days-taken": "6"}, sm)
    v1 = FormVersion.objects.get(number=1)
    assert v1.values["days-taken"] == "5"  # the signed version is never edited
    assert v1.signatures.count() == 2
    assert FormVersion.objects.get(number=2).values["days-taken"] == "6"
    with pytest.raises(services.FormError) as caught:
        services.form_new_version(actor=sm, escalation=esc, form_id=FORM, reason="again", now=NOW)
    assert caught.value.message == services.STILL_A_DRAFT
    with pytest.raises(services.FormError) as caught:
        services.form_sign(actor=sm, escalation=esc, form_id=FORM, number=1, field_id=None, now=NOW)
    assert caught.value.message == services.NOT_LATEST


def test_the_monitoring_form_goes_on_to_stage_4_as_a_new_version() -> None:
    world, esc = world_at("north-somerset-sab", 3)
    _complete_and_sign_both(world, esc)
    esc = escalate_to(world, esc, 4)
    rep = actor(world, "a", Level.BOARD_REPRESENTATIVE)
    v2 = services.form_new_version(actor=rep, escalation=esc, form_id=FORM, reason="", now=NOW)
    assert (v2.number, v2.stage) == (2, 4)


def test_sunderland_proforma_raiser_then_senior_manager_then_the_chair() -> None:
    form_id = "resolving-professional-differences-proforma"
    world, esc = world_at("sunderland-sab", 2)
    raiser = actor(world, "a", Level.PRACTITIONER)
    answers = {
        "adult": "PID: PID-1",
        "raising-agency": world.a.name,
        "receiving-agency": world.b.name,
        "issues": "The issues",
        "follow-up": "A review",
    }
    draft(world, esc, form_id, answers, raiser)
    services.form_sign(
        actor=raiser, escalation=esc, form_id=form_id, number=1, field_id=None, now=NOW
    )
    # The line manager holds stage 2 but is not the raiser: the raiser alone signs it.
    with pytest.raises(services.FormError):
        draft(world, esc, form_id, answers, actor(world, "a", Level.LINE_MANAGER))
    esc = escalate_to(world, esc, 3)
    sm = actor(world, "b", Level.SENIOR_MANAGER)
    services.form_new_version(actor=sm, escalation=esc, form_id=form_id, reason="", now=NOW)
    stage_3 = {"review-on": "2026-03-05", "action-taken": "Reviewed", "outcome-for-adult": "Safe"}
    v2 = draft(world, esc, form_id, {**stage_3, "issues": "Overwritten?"}, sm)
    assert v2.values["issues"] == "The issues"  # the raiser's words are not the stage 3's to edit
    services.form_sign(actor=sm, escalation=esc, form_id=form_id, number=2, field_id=None, now=NOW)
    services.form_submit(actor=sm, escalation=esc, form_id=form_id, number=2, now=NOW)
    esc = escalate_to(world, esc, 4)
    chair = bu(world)  # the business unit signs for the sub-committee chair
    services.form_new_version(actor=chair, escalation=esc, form_id=form_id, reason="", now=NOW)
    with pytest.raises(services.FormError) as caught:
        services.form_sign(
            actor=chair, escalation=esc, form_id=form_id, number=3, field_id=None, now=NOW
        )
    assert isinstance(caught.value, services.FormIncompleteError)
    assert set(caught.value.errors) == {"meeting-on", "feedback", "annual-report"}
    draft(
        world,
        esc,
        form_id,
        {"meeting-on": "2026-04-01", "feedback": "Learn", "annual-report": "yes"},
        chair,
    )
    signature = services.form_sign(
        actor=chair, escalation=esc, form_id=form_id, number=3, field_id=None, now=NOW
    )
    assert (signature.field_id, signature.signed_as) == ("chair-signature", "business-unit")
    v3 = FormVersion.objects.get(number=3)
    assert v3.values["issues"] == "The issues" and v3.values["action-taken"] == "Reviewed"


def test_unknown_form() -> None:
    world, esc = world_at("north-somerset-sab", 3)
    with pytest.raises(services.FormError) as caught:
        draft(world, esc, "no-such-form", {}, actor(world, "a", Level.SENIOR_MANAGER))
    assert caught.value.message == services.UNKNOWN_FORM


def test_a_form_with_no_recipients_is_kept_once_signed() -> None:
    form_id = "escalation-procedure-form"
    world, esc = world_at("north-east-lincolnshire", 1, "nel-forms")
    practitioner = actor(world, "a", Level.PRACTITIONER)
    answers = {
        "case": "PID-1",
        "agency": world.a.name,
        "practitioner": "a practitioner",
        "conflict-source": "A referral",
        "conflict-nature": "Thresholds",
        "issue": "The issue",
        "stage-1-contact-type": "Telephone",
        "stage-1-contact-between": "a and b",
        "stage-1-summary": "Talked",
        "stage-1-outcome": "Agreed",
        "stage-1-decision-makers": "Both",
    }
    draft(world, esc, form_id, answers, practitioner)
    services.form_sign(
        actor=practitioner, escalation=esc, form_id=form_id, number=1, field_id=None, now=NOW
    )
    with pytest.raises(services.FormError) as caught:
        services.form_submit(actor=practitioner, escalation=esc, form_id=form_id, number=1, now=NOW)
    assert caught.value.message == services.SENT_TO_NO_ONE


def test_forms_after_resolution() -> None:
    world, esc = world_at("north-somerset-sab", 3)
    esc = resolve(world, esc)
    version = draft(world, esc, FORM, MONITORING_ANSWERS, actor(world, "a", Level.SENIOR_MANAGER))
    assert version.stage == 3


def test_the_chair_of_the_panel_sitting_at_the_stage_signs_for_the_sub_committee() -> None:
    from escalate.panels.models import Panel, PanelMember

    form_id = "resolving-professional-differences-proforma"
    world, esc = world_at("sunderland-sab", 4)
    chair = world.people[("c", Level.SENIOR_MANAGER)]
    answers = {"meeting-on": "2026-04-01", "feedback": "Learn", "annual-report": "no"}
    with pytest.raises(services.FormError):  # not (yet) the chair of anything
        draft(world, esc, form_id, answers, actor(world, "c", Level.SENIOR_MANAGER))
    panel = Panel.objects.create(
        escalation=esc,
        stage=4,
        kind="sub-committee",
        name="SSAB Quality Assurance sub-committee",
        sits_on=NOW.date(),
        convened_at=NOW,
    )
    PanelMember.objects.create(
        panel=panel, person=chair, name=chair.name, agency=world.c, role="chair"
    )
    draft(world, esc, form_id, answers, actor(world, "c", Level.SENIOR_MANAGER))
    signature = services.form_sign(
        actor=actor(world, "c", Level.SENIOR_MANAGER),
        escalation=esc,
        form_id=form_id,
        number=1,
        field_id=None,
        now=NOW,
    )
    assert (signature.field_id, signature.signed_as) == ("chair-signature", "panel-chair")
