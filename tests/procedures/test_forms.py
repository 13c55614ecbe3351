"""The procedures' forms as data: the schema, broken definitions refused with their messages,
the built-in forms, prefill from the record and the check of what was typed."""

from __future__ import annotations

import datetime as dt
import textwrap

import pytest
from hypothesis import given
from hypothesis import strategies as st

from escalate.procedures import forms as f
from escalate.procedures.registry import load_registry
from escalate.procedures.schema import (
    DefinitionError,
    FieldSource,
    FieldType,
    Level,
    Side,
    SignerKind,
    parse_definition,
)

BASE = textwrap.dedent(
    """\
    id: form-test
    version: "1"
    effective_from: 2026-01-01
    title: Form test
    board: Test Board
    protects: adults
    source: a test
    categories:
      - {id: thresholds, name: Thresholds}
    forms:
      - id: monitoring
        title: Monitoring form
        used_at: [1, 2]
        send_to: [business-manager]
        signers: [stage-holder]
        fields:
          - id: adult
            label: Adult's name
            source: subject
          - id: days
            label: Working days taken
            type: number
            source: working-days-taken
          - id: met-on
            label: Date of the meeting
            type: date
            stages: [2]
          - id: stage-resolved
            label: Stage at which resolution was reached
            type: choice
            required: false
            source: stage-reached
            options: ["1", {value: "2", label: Stage 2}]
          - id: sign
            label: Signature
            type: signature
    immediate_risk:
      route: Call the emergency services.
    top_stage:
      produces: recommendations
      text: The chair recommends.
    stages:
      - number: 1
        name: Practitioners
        who: Practitioner to practitioner
        levels: [practitioner]
        due: {after: outset, working_days: 2}
        forms: [monitoring]
      - number: 2
        name: Chair
        who: The chair
        levels: [board-chair]
        due: {after: entry, working_days: 5}
    """
)


def problems(text: str) -> list[str]:
    with pytest.raises(DefinitionError) as caught:
        parse_definition(text, "local/forms.yaml")
    return [str(p) for p in caught.value.problems]


def line_of(text: str, fragment: str) -> int:
    """The 1-based line of the first line holding ``fragment``."""
    return next(i for i, line in enumerate(text.splitlines(), 1) if fragment in line)


def test_the_base_definition_parses_with_typed_fields() -> None:
    proc = parse_definition(BASE, "local/forms.yaml")
    form = proc.form("monitoring")
    assert [fld.type for fld in form.fields] == [
        FieldType.TEXT,
        FieldType.NUMBER,
        FieldType.DATE,
        FieldType.CHOICE,
        FieldType.SIGNATURE,
    ]
    assert form.field("adult").source is FieldSource.SUBJECT
    assert [(o.value, o.label) for o in form.field("stage-resolved").options] == [
        ("1", "1"),
        ("2", "Stage 2"),
    ]
    assert form.stages_of(form.field("met-on")) == (2,)
    assert form.stages_of(form.field("adult")) == (1, 2)
    (signer,) = form.signers_of(form.field("sign"))
    assert signer.who is SignerKind.STAGE_HOLDER
    assert signer.side is Side.ANY


# -- broken definitions ---------------------------------------------------------------------


def test_an_unknown_source_is_refused_with_file_and_line() -> None:
    text = BASE.replace("source: subject", "source: favourite-colour")
    (found,) = problems(text)
    line = line_of(text, "favourite-colour")
    assert found.startswith(f"local/forms.yaml:{line}: forms[0].fields[0].source: Input should be")


def test_an_unknown_recipient_is_refused_with_file_and_line() -> None:
    text = BASE.replace("send_to: [business-manager]", "send_to: [the-press]")
    (found,) = problems(text)
    line = line_of(text, "the-press")
    assert found.startswith(f"local/forms.yaml:{line}: forms[0].send_to[0]: Input should be")


def test_a_field_at_a_stage_the_form_is_not_used_at_is_refused() -> None:
    text = BASE.replace("stages: [2]", "stages: [3]")
    (found,) = problems(text)
    line = line_of(text, "stages: [3]")
    assert found == (
        f"local/forms.yaml:{line}: forms[0].fields[2].stages: field completed at stage 3, "
        "but the form is used only at stages 1, 2"
    )


def test_a_form_used_at_a_missing_stage_is_refused() -> None:
    text = BASE.replace("used_at: [1, 2]", "used_at: [1, 2, 7]")
    (found,) = problems(text)
    assert found.endswith("forms[0].used_at: form used at stage 7, which is missing")


def test_a_source_the_field_cannot_hold_is_refused() -> None:
    text = BASE.replace("source: working-days-taken", "source: outset-date")
    (found,) = problems(text)
    line = line_of(text, "source: outset-date")
    assert found == (
        f"local/forms.yaml:{line}: forms[0].fields[1].source: source 'outset-date' gives a "
        "date, which a 'number' field cannot hold"
    )


def test_a_choice_needs_options_and_only_a_choice_has_them() -> None:
    no_options = BASE.replace('options: ["1", {value: "2", label: Stage 2}]', "options: []")
    assert any("a 'choice' field needs its 'options'" in p for p in problems(no_options))
    extra = BASE.replace("type: number\n", 'type: number\n        options: ["1"]\n')
    assert any("only a 'choice' field has 'options'" in p for p in problems(extra))


def test_a_form_with_nothing_signed_at_a_stage_is_refused() -> None:
    text = BASE.replace("      - id: sign\n", "      - id: sign\n        stages: [1]\n")
    (found,) = problems(text)
    assert found.endswith(
        "forms[0].used_at: nothing is signed at stage 2: add a 'signature' field for that stage"
    )


def test_a_signature_needs_someone_who_may_sign() -> None:
    text = BASE.replace("    signers: [stage-holder]\n", "")
    (found,) = problems(text)
    assert found.endswith("say who may sign: give 'signers' here or on the form")


def test_an_unknown_signer_is_refused() -> None:
    text = BASE.replace("signers: [stage-holder]", "signers: [the-mayor]")
    (found,) = problems(text)
    line = line_of(text, "the-mayor")
    assert found.startswith(f"local/forms.yaml:{line}: forms[0].signers[0].who: Input should be")


def test_a_level_signer_needs_its_level() -> None:
    text = BASE.replace("signers: [stage-holder]", "signers: [{who: level}]")
    (found,) = problems(text)
    assert "a signer 'who: level' must name the level" in found


def test_repeated_field_ids_are_refused() -> None:
    text = BASE.replace("id: days", "id: adult")
    (found,) = problems(text)
    assert found.endswith("forms[0].fields[1].id: field id 'adult' repeats")


def test_a_signature_from_a_source_is_refused() -> None:
    text = BASE.replace("type: signature\n", "type: signature\n        source: raiser\n")
    found = problems(text)
    assert any("a signature is given by signing, not from a source" in p for p in found)


def test_an_unknown_field_type_is_refused() -> None:
    text = BASE.replace("type: number", "type: colour")
    (found,) = problems(text)
    assert "forms[0].fields[1].type: Input should be" in found


# -- the built-in forms ---------------------------------------------------------------------


def test_the_built_in_forms() -> None:
    registry = load_registry()
    ns = registry.get("north-somerset-sab").form("monitoring-form")
    assert ns.used_at == (3, 4)
    assert [s.label for s in f.signature_slots(ns, 3)] == [
        "Signature of initiating manager",
        "Signature of receiving manager",
    ]
    assert ns.field("summary").source is FieldSource.SUMMARY_WITH_VIEWS
    assert ns.field("days-taken").source is FieldSource.WORKING_DAYS_TAKEN
    assert ns.field("stage-resolved").source is FieldSource.STAGE_REACHED
    sg = registry.get("south-gloucestershire-cp").form("monitoring-form")
    assert sg.field("child").label == "Full name of child"
    nel = registry.get("north-east-lincolnshire").form("escalation-procedure-form")
    assert nel.used_at == (1, 2, 3, 4)
    assert {fld.source for fld in f.answerable(nel, 3)} >= {
        FieldSource.CONTACT_METHOD,
        FieldSource.CONTACT_BETWEEN,
        FieldSource.CONTACT_SUMMARY,
        FieldSource.CONTACT_AGREED,
        FieldSource.DECISION_MAKERS,
        FieldSource.CONFLICT_SOURCE,
    }
    sunderland = registry.get("sunderland-sab").form("resolving-professional-differences-proforma")
    assert sunderland.used_at == (2, 3, 4)
    (raiser,) = f.signature_slots(sunderland, 2)
    assert [s.who for s in sunderland.signers_of(raiser)] == [SignerKind.RAISER]
    (chair,) = f.signature_slots(sunderland, 4)
    assert [s.who for s in sunderland.signers_of(chair)] == [
        SignerKind.PANEL_CHAIR,
        SignerKind.BUSINESS_UNIT,
    ]
    assert [fld.id for fld in f.answerable(sunderland, 4)] == [
        "meeting-on",
        "feedback",
        "annual-report",
    ]
    assert not registry.get("redbridge-sab").forms


# -- prefill --------------------------------------------------------------------------------


def snapshot(**overrides: object) -> f.RecordSnapshot:
    values: dict[str, object] = {
        "reference": "ESC-AAAA-BBBB",
        "subject_kind": "adult",
        "subject_name": "",
        "subject_reference_kind": "PID (case system number)",
        "subject_reference": "PID-7",
        "raising_agency": "Council",
        "receiving_agency": "Health",
        "other_agencies": ("Police",),
        "raiser": "Sam Smith, social worker",
        "receiver": "",
        "category": "Thresholds",
        "conflict_source": "A referral",
        "summary": "The issue",
        "risk": "The risk",
        "aim": "The aim",
        "views": (f.AgencyView("Council", "Ours"), f.AgencyView("Health", "Theirs")),
        "current_stage": 2,
        "closed_at_stage": None,
        "outset_on": dt.date(2026, 3, 2),
        "raised_on": dt.date(2026, 3, 3),
        "closed_on": None,
        "working_days_taken": 4,
        "outcome": "",
        "contacts": (
            f.ContactNote(1, dt.date(2026, 3, 3), "Telephone", "A and B", "Talked", "X", "C"),
            f.ContactNote(2, dt.date(2026, 3, 4), "Meeting", "C and D", "Met", "Y", "E"),
            f.ContactNote(2, dt.date(2026, 3, 5), "E-mail", "E and F", "Wrote", "Z", "G"),
        ),
    }
    values.update(overrides)
    return f.RecordSnapshot(**values)  # type: ignore[arg-type]


def test_prefill_takes_each_source_from_the_record() -> None:
    form = parse_definition(BASE, "x.yaml").form("monitoring")
    # While the matter is open the stage it was resolved at is left blank (the monitoring
    # forms say so when it escalates unresolved).
    assert f.prefill(form, snapshot(), stage=2) == {
        "adult": "PID (case system number): PID-7",
        "days": "4",
    }
    named = f.prefill(form, snapshot(subject_name="Ann Example", closed_at_stage=1), stage=1)
    assert named["adult"] == "Ann Example"
    assert named["stage-resolved"] == "1"


def test_a_choice_is_prefilled_only_with_one_of_its_options() -> None:
    form = parse_definition(BASE, "x.yaml").form("monitoring")
    assert "stage-resolved" not in f.prefill(
        form, snapshot(current_stage=5, closed_at_stage=5), stage=2
    )


def test_summary_with_views_and_contacts_of_the_stage() -> None:
    s = snapshot()
    assert f.source_value(FieldSource.SUMMARY_WITH_VIEWS, s, stage=2) == (
        "The issue\n\nViews of the agencies:\n\nCouncil: Ours\n\nHealth: Theirs"
    )
    assert f.source_value(FieldSource.CONTACT_METHOD, s, stage=2) == "E-mail"  # the latest
    assert f.source_value(FieldSource.CONTACT_SUMMARY, s, stage=1) == "Talked"
    assert f.source_value(FieldSource.DECISION_MAKERS, s, stage=3) == ""
    assert f.source_value(FieldSource.PARTIES, s, stage=1) == (
        "Raising agency: Council\nReceiving agency: Health\nAlso involved: Police"
    )


def test_nel_rows_are_filled_from_the_contact_of_their_own_stage() -> None:
    nel = load_registry().get("north-east-lincolnshire").form("escalation-procedure-form")
    values = f.prefill(nel, snapshot(), stage=1)
    assert values["stage-1-contact-type"] == "Telephone"
    assert values["stage-1-summary"] == "Talked"
    assert "stage-2-summary" not in values  # stage 2's row is completed at stage 2
    assert f.prefill(nel, snapshot(), stage=2)["stage-2-contact-between"] == "E and F"


def test_a_new_version_keeps_what_was_typed_and_fills_the_rest() -> None:
    form = parse_definition(BASE, "x.yaml").form("monitoring")
    values = f.started(
        form, snapshot(closed_at_stage=2), stage=2, carried={"adult": "Typed", "days": ""}
    )
    assert values == {"adult": "Typed", "days": "4", "stage-resolved": "2"}


# -- check ----------------------------------------------------------------------------------


def test_check_gives_govuk_messages_per_field() -> None:
    form = parse_definition(BASE, "x.yaml").form("monitoring")
    assert f.check(form, {}, stage=2) == {
        "adult": "Enter adult's name",
        "days": "Enter working days taken",
        "met-on": "Enter date of the meeting",
    }
    assert f.check(form, {}, stage=1) == {
        "adult": "Enter adult's name",
        "days": "Enter working days taken",
    }
    bad = {"adult": "x" * 501, "days": "five", "met-on": "2026-02-30", "stage-resolved": "9"}
    assert f.check(form, bad, stage=2) == {
        "adult": "Adult's name must be 500 characters or fewer",
        "days": "Working days taken must be a whole number, like 5",
        "met-on": "Date of the meeting must be a real date",
        "stage-resolved": "Select stage at which resolution was reached",
    }


def test_a_draft_may_leave_questions_unanswered_but_not_answer_them_wrongly() -> None:
    form = parse_definition(BASE, "x.yaml").form("monitoring")
    assert f.check(form, {}, stage=2, draft=True) == {}
    assert f.check(form, {"days": "-1", "adult": "a\x00b"}, stage=2, draft=True) == {
        "days": "Working days taken must be a whole number, like 5",
        "adult": "Adult's name must not contain a null character",
    }


def test_error_names_from_the_definition() -> None:
    ns = load_registry().get("north-somerset-sab").form("monitoring-form")
    errors = f.check(ns, {}, stage=3)
    assert errors["adult"] == "Enter the adult's name"
    assert errors["days-taken"] == "Enter the time taken to reach resolution"
    assert "stage-resolved" not in errors  # optional
    sunderland = (
        load_registry().get("sunderland-sab").form("resolving-professional-differences-proforma")
    )
    assert f.check(sunderland, {}, stage=4)["annual-report"] == (
        "Select whether the case will be reported in the SSAB Annual Report"
    )


def test_display_values() -> None:
    form = parse_definition(BASE, "x.yaml").form("monitoring")
    assert f.display(form.field("met-on"), "2026-03-02") == "2 March 2026"
    assert f.display(form.field("stage-resolved"), "2") == "Stage 2"
    assert f.display(form.field("adult"), "") == ""


def test_who_may_sign_in_words() -> None:
    ns = load_registry().get("north-somerset-sab").form("monitoring-form")
    assert f.who_may_sign(ns, 3) == (
        "Only the people the procedure names may sign this form at stage 3. "
        "Signature of initiating manager: a senior manager or above of the raising agency; "
        "Signature of receiving manager: a senior manager or above of the receiving agency."
    )
    assert f.who_may_sign(ns, 5) == "This form is completed at stage 3 or 4, not at stage 5."


@given(
    st.dictionaries(
        st.sampled_from(["adult", "days", "met-on", "stage-resolved", "unknown"]),
        st.text(max_size=30),
    ),
    st.sampled_from([1, 2]),
)
def test_check_only_ever_speaks_of_the_stage_s_fields(values: dict[str, str], stage: int) -> None:
    form = parse_definition(BASE, "x.yaml").form("monitoring")
    asked = {fld.id for fld in f.answerable(form, stage)}
    errors = f.check(form, values, stage=stage)
    assert set(errors) <= asked
    assert set(f.check(form, values, stage=stage, draft=True)) <= set(errors)
    cleaned = f.clean(form, values, stage=stage)
    assert set(cleaned) <= asked
    assert all(v == v.strip() and v for v in cleaned.values())


@given(st.integers(min_value=0, max_value=f.NUMBER_LIMIT), st.dates())
def test_real_numbers_and_dates_always_pass(days: int, on: dt.date) -> None:
    form = parse_definition(BASE, "x.yaml").form("monitoring")
    values = {"adult": "A", "days": str(days), "met-on": on.isoformat()}
    assert f.check(form, values, stage=2) == {}


def test_level_signer_in_words() -> None:
    text = BASE.replace(
        "signers: [stage-holder]", "signers: [{who: level, level: senior-manager, side: raising}]"
    )
    form = parse_definition(text, "x.yaml").form("monitoring")
    (signer,) = form.signers
    assert signer.level is Level.SENIOR_MANAGER
    assert f.signer_words(signer) == "a senior manager or above of the raising agency"
