"""The forms and panels of the scale data set (``generate_scale_data``): each escalation has the
forms its procedure asks for at the stages it reached, completed as the documents' services
accept them, and each decision at a top stage that convenes a panel was made by a panel that
meets the procedure's rule, with its outcome, recommendations and responses. The sample taken
through the real services in ``test_scale.py`` stores the same rows, field by field."""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter
from collections.abc import Iterator
from typing import Any

import pytest
from django.db import transaction
from pytest_django.plugin import DjangoDbBlocker

from escalate.cases import rules
from escalate.cases.models import EntryKind, Escalation, Status
from escalate.demo import scale, scale_papers
from escalate.directory.models import PanelSeat, Person
from escalate.documents import selectors as form_selectors
from escalate.documents import signers
from escalate.documents.models import FormVersion, VersionStatus
from escalate.documents.services import missing_signatures
from escalate.panels import selectors as panel_selectors
from escalate.panels.models import Answer, Panel, Recommendation, RecommendationResponse
from escalate.procedures import forms as core
from escalate.procedures.schema import FieldType, TopOutcome

pytestmark = pytest.mark.django_db

TODAY = dt.date(2026, 3, 3)
SEED = 5
N = 300


@pytest.fixture(scope="module")
def generated(
    django_db_setup: None, django_db_blocker: DjangoDbBlocker
) -> Iterator[scale.ScaleResult]:
    """As tests/demo/test_scale.py: made once, in a transaction rolled back after the module."""
    with django_db_blocker.unblock(), transaction.atomic():
        yield scale.generate(escalations=N, partnerships=5, seed=SEED, today=TODAY)
        transaction.set_rollback(True)


def _escalations() -> list[Escalation]:
    """Every generated escalation, loaded as the forms' pages load it."""
    return list(
        Escalation.objects.filter(partnership__slug__startswith=f"scale-{SEED}-")
        .select_related(
            "partnership",
            "raising_agency",
            "receiving_agency",
            "raising_person",
            "receiving_person",
        )
        .prefetch_related(
            "entries", "parties__agency", "stages", "form_records__versions__signatures"
        )
        .order_by("reference")
    )


def test_every_stage_reached_has_its_forms(generated: scale.ScaleResult) -> None:
    """A version of each of the procedure's forms at each of its stages the escalation was at,
    numbered in order, each left behind signed (and sent, where the form is sent), only the
    latest ever a draft."""
    drafts = versions = 0
    for e in _escalations():
        procedure = rules.procedure_of(e)
        reached = {s.number for s in e.stages.all()}
        wanted = {(f.id, n) for f in procedure.forms for n in f.used_at if n in reached}
        records = list(e.form_records.all())
        found = {(r.form_id, v.stage) for r in records for v in r.versions.all()}
        assert found == wanted, e.reference
        for r in records:
            form = procedure.form(r.form_id)
            kept = sorted(r.versions.all(), key=lambda v: v.number)
            assert [v.number for v in kept] == list(range(1, len(kept) + 1))
            assert [v.stage for v in kept] == sorted({v.stage for v in kept})
            finished = VersionStatus.SUBMITTED if form.send_to else VersionStatus.SIGNED
            assert all(v.status == finished for v in kept[:-1]), e.reference
            if kept[-1].is_draft:
                assert kept[-1].stage == e.current_stage
            drafts += kept[-1].is_draft
            versions += len(kept)
    assert generated.counts["formversion"] == versions
    assert generated.counts["draft"] == drafts
    assert 0 < drafts < versions / 5


def test_every_version_passes_the_checks_the_services_make(generated: scale.ScaleResult) -> None:
    """Its values check against the form's definition through the rules core (as a draft for
    a draft); it holds only the fields of its stage and before; every signature is one the
    signing rules let that person give, as that signer, and nothing is signed or sent without
    every signature its stage needs."""
    people = {p.user_id: p for p in Person.objects.select_related("agency")}
    signatures = Counter[str]()
    for e in _escalations():
        procedure = rules.procedure_of(e)
        case = signers.Case.of(e, procedure)
        for r in e.form_records.all():
            form = procedure.form(r.form_id)
            for v in r.versions.all():
                assert core.check(form, v.values, stage=v.stage, draft=v.is_draft) == {}
                shown = {f.id for f in core.fields_shown(form, v.stage)}
                assert set(v.values) <= shown - {f.id for f in core.signature_slots(form, 99)}
                assert not set(v.values) & {
                    f.id for f in form.fields if f.type is FieldType.SIGNATURE
                }
                slots = {s.id: s for s in core.signature_slots(form, v.stage)}
                for sig in v.signatures.all():
                    person = people[sig.user_id]
                    assert sig.signed_as == signers.signed_as(
                        form, slots[sig.field_id], person, case, v.stage
                    ), (e.reference, form.id, sig.field_id)
                    assert (sig.name, sig.role, sig.agency) == (
                        person.name,
                        person.job_title,
                        person.agency.name,
                    )
                    signatures[sig.signed_as] += 1
                if v.is_draft:
                    assert not v.signatures.all() and v.signed_at is None
                else:
                    assert missing_signatures(form, v) == []
                    assert v.signed_at == min(s.signed_at for s in v.signatures.all())
                if v.status == VersionStatus.SUBMITTED:
                    assert form.send_to and v.submitted_at is not None
    # Every kind of signer the procedures name has signed somewhere.
    assert set(signatures) == {
        "stage-holder",
        "level",
        "raiser",
        "panel-chair",
        "business-unit",
    }


def test_the_forms_say_what_the_record_says(generated: scale.ScaleResult) -> None:
    """Completed after the escalation ended, a form holds what the record says for every field
    that names a source (``forms.prefill`` over the page's own snapshot of the record), the
    author's own words where the record leaves a required answer blank."""
    checked = 0
    for e in _escalations():
        if e.status == Status.OPEN:
            continue
        procedure = rules.procedure_of(e)
        snapshot = form_selectors.record_snapshot(e, procedure, TODAY)
        for r in e.form_records.all():
            form = procedure.form(r.form_id)
            for v in r.versions.all():
                if v.stage != e.current_stage:
                    continue
                recorded = core.prefill(form, snapshot, stage=v.stage)
                assert {k: v.values.get(k) for k in recorded} == recorded, e.reference
                for fld in core.answerable(form, v.stage):
                    if fld.source is not None and fld.required and fld.id not in recorded:
                        assert v.values[fld.id] in {
                            text.format(stage=v.stage) for text in scale_papers.NOT_SETTLED.values()
                        }
                checked += 1
    assert checked > 50


def test_most_forms_say_how_effective_the_procedure_was(generated: scale.ScaleResult) -> None:
    said = []
    asked = 0
    for v in FormVersion.objects.exclude(status=VersionStatus.DRAFT).select_related("record"):
        esc = Escalation.objects.get(pk=v.record.escalation_id)
        form = rules.procedure_of(esc).form(v.record.form_id)
        if any(f.id == "effectiveness" for f in core.answerable(form, v.stage)):
            asked += 1
            if "effectiveness" in v.values:
                said.append(v.values["effectiveness"])
    assert asked > 30
    assert 0.7 * asked < len(said) < asked
    assert set(said) <= set(scale_papers.EFFECTIVENESS)
    assert len(set(said)) > 6


def test_every_decision_has_its_outcome_and_panel(generated: scale.ScaleResult) -> None:
    """A decision at the top stage has the outcome the procedure's top stage produces; where
    that stage convenes a panel, the panel that made it: convened there, sitting between the
    day the escalation reached the stage and the decision, its members the directory's seat
    holders and meeting the procedure's rule (``panels.selectors.composition_problems``, the
    check ``outcome_record`` makes). Nothing else has an outcome or a panel."""
    decided = with_panel = 0
    kinds = Counter[str]()
    for e in _escalations():
        procedure = rules.procedure_of(e)
        panels = list(Panel.objects.filter(escalation=e).prefetch_related("members"))
        outcome = getattr(e, "top_outcome", None)
        if e.status != Status.DECIDED:
            assert outcome is None and not panels, e.reference
            continue
        decided += 1
        assert outcome is not None
        assert outcome.produces == procedure.top_stage.produces
        assert outcome.decided_on == e.closed_on
        entry = next(x for x in e.entries.all() if x.sequence == outcome.entry_sequence)
        assert entry.kind == EntryKind.DECIDED
        if procedure.stage(procedure.top).panel is None:
            assert not panels and outcome.panel_id is None
            continue
        with_panel += 1
        [panel] = panels
        assert outcome.panel_id == panel.pk and panel.stage == procedure.top
        assert panel_selectors.definition_of(e, panel) is not None
        involved = panel_selectors.involved_ids(e)
        assert panel_selectors.composition_problems(e, panel, involved) == []
        reached = next(s.entered_on for s in e.stages.all() if s.number == procedure.top)
        assert reached <= panel.sits_on <= outcome.decided_on
        assert sum(m.role == "chair" for m in panel.members.all()) == 1
        for m in panel.members.all():
            seat = PanelSeat.objects.filter(
                partnership=e.partnership, kind=panel.kind, person=m.person, agency=m.agency
            )
            assert seat.exists()
        kinds[panel.kind] += 1
    assert decided == generated.counts["decided"] == generated.counts["outcome"]
    assert with_panel == generated.counts["panel"] > 0
    assert set(kinds) >= {"resolution-panel", "sub-committee"}


def test_recommendations_go_to_every_party_and_some_are_answered(
    generated: scale.ScaleResult,
) -> None:
    answered = unanswered = 0
    for e in _escalations():
        recommendations = list(Recommendation.objects.filter(escalation=e))
        produces = rules.procedure_of(e).top_stage.produces
        if e.status != Status.DECIDED or produces is not TopOutcome.RECOMMENDATIONS:
            assert not recommendations
            continue
        assert {r.agency_id for r in recommendations} == {p.agency_id for p in e.parties.all()}
        decided_on = e.closed_on
        assert decided_on is not None
        for r in recommendations:
            assert r.due_on >= decided_on and r.text in scale_papers.RECOMMENDATIONS
            responses = list(RecommendationResponse.objects.filter(recommendation=r))
            answered += bool(responses)
            unanswered += not responses
            for response in responses:
                assert response.answer in Answer.values
                assert decided_on <= response.responded_on <= TODAY
                assert response.text in scale_papers.RESPONSES
                author = Person.objects.get(user=response.recorded_by)
                assert author.agency_id == r.agency_id or author.is_business_unit
    assert answered > unanswered > 0


def _invented() -> list[str]:
    pools: list[Any] = [
        scale_papers.EFFECTIVENESS,
        scale_papers.COMMENTS,
        *scale_papers.FIELD_TEXTS.values(),
        scale_papers.GENERIC_TEXTS,
        scale_papers.NOT_SETTLED.values(),
        scale_papers.RECOMMENDATIONS,
        scale_papers.RESPONSES,
    ]
    return [text for pool in pools for text in pool]


def test_the_invented_texts_name_nobody() -> None:
    """No invented text holds a name, a number, a date or an address."""
    names = {
        *scale.STAFF_FIRST,
        *scale.STAFF_SURNAMES,
        *scale.SUBJECT_FIRST,
        *scale.SUBJECT_SURNAMES,
        *scale.PLACES,
    }
    for text in _invented():
        words = set(re.findall(r"[A-Za-z]+", text))
        assert not words & names, text
        assert not re.search(r"\d|@|\{(?!stage\})", text), text


def test_the_typed_answers_are_invented_ones(generated: scale.ScaleResult) -> None:
    """Every free-text answer nobody's record gave is one of the invented texts."""
    invented = {text.format(stage=n) for text in _invented() for n in range(1, 9)}
    typed = 0
    for e in _escalations():
        procedure = rules.procedure_of(e)
        for r in e.form_records.all():
            form = procedure.form(r.form_id)
            for v in r.versions.all():
                for key, value in v.values.items():
                    fld = form.field(key)
                    if fld.source is None and fld.type in (FieldType.TEXT, FieldType.LONG_TEXT):
                        assert value in invented, (e.reference, key)
                        typed += 1
    assert typed > 100
