"""Definition files: the five built-in ones load, and each kind of mistake gets its message."""

import datetime as dt
import textwrap
from pathlib import Path

import pytest

from escalate.procedures.registry import BUILT_IN_DIR, load_registry
from escalate.procedures.schema import (
    Anchor,
    DefinitionError,
    Level,
    Unit,
    load_definition,
    parse_definition,
)

IDS = [
    "north-somerset-sab",
    "north-east-lincolnshire",
    "south-gloucestershire-cp",
    "redbridge-sab",
    "sunderland-sab",
]

MINIMAL = textwrap.dedent(
    """\
    id: test-procedure
    version: "1"
    effective_from: 2026-01-01
    title: Test procedure
    board: Test Safeguarding Board
    protects: adults
    source: a test
    categories:
      - {id: thresholds, name: Thresholds}
    events:
      - {id: meeting-held, name: meeting held, stages: [1, 2]}
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
        obligations:
          - id: confirm
            what: Confirm in writing
            due: {after: event, event: resolved, working_days: 2}
      - number: 2
        name: Chair
        who: The chair
        levels: [board-chair]
        due: {after: entry, working_days: 5}
    """
)


def problems(text: str) -> list[str]:
    with pytest.raises(DefinitionError) as caught:
        parse_definition(text, "local/test.yaml")
    return [str(p) for p in caught.value.problems]


def test_minimal_definition_parses() -> None:
    proc = parse_definition(MINIMAL, "local/test.yaml")
    assert proc.key == "test-procedure@1"
    first, second = proc.stage(1).due, proc.stage(2).due
    assert first is not None
    assert first.unit is Unit.WORKING_DAYS
    assert second is not None
    assert second.after is Anchor.ENTRY
    assert proc.stage(2).levels == (Level.BOARD_CHAIR,)
    assert proc.effective_from == dt.date(2026, 1, 1)


@pytest.mark.parametrize("procedure_id", IDS)
def test_each_built_in_procedure_loads(procedure_id: str) -> None:
    proc = load_definition(BUILT_IN_DIR / f"{procedure_id}.yaml")
    assert proc.id == procedure_id
    assert [s.number for s in proc.stages] == list(range(1, len(proc.stages) + 1))


def test_registry_holds_exactly_the_five() -> None:
    assert load_registry().ids() == sorted(IDS)


def test_unknown_key_is_named_with_its_line() -> None:
    text = MINIMAL.replace("    who: The chair\n", "    who: The chair\n    colour: blue\n")
    assert problems(text) == ["local/test.yaml:30: stages[1]: unknown key 'colour'"]


def test_missing_required_key() -> None:
    text = MINIMAL.replace("board: Test Safeguarding Board\n", "")
    assert problems(text) == ["local/test.yaml:1: (top): missing required key 'board'"]


def test_negative_days() -> None:
    text = MINIMAL.replace("working_days: 5}", "working_days: -5}")
    (found,) = problems(text)
    assert found.startswith("local/test.yaml:31: stages[1].due.working_days: ")
    assert "greater than or equal to 0" in found


def test_rule_pointing_at_an_event_that_does_not_exist() -> None:
    text = MINIMAL.replace("event: resolved", "event: panel-met")
    (found,) = problems(text)
    assert found.startswith("local/test.yaml:26: stages[0].obligations[0].due.event: ")
    assert "event 'panel-met' does not exist" in found


def test_stages_out_of_order() -> None:
    text = MINIMAL.replace("number: 1", "number: 9").replace("number: 2", "number: 1")
    found = problems(text)
    assert found[0].startswith("local/test.yaml:18: stages[0].number: stages out of order")
    assert len(found) == 2


def test_missing_stage() -> None:
    text = MINIMAL.replace("number: 2", "number: 3")
    (found,) = problems(text)
    assert found.startswith("local/test.yaml:27: stages[1].number: ")
    assert "stage 2 expected here, found 3" in found


def test_a_single_stage_is_not_a_procedure() -> None:
    text = MINIMAL.split("  - number: 2")[0]
    (found,) = problems(text)
    assert found.startswith("local/test.yaml:18: stages: ")
    assert "at least 2" in found


def test_two_amounts_in_one_rule() -> None:
    text = MINIMAL.replace("working_days: 5}", "working_days: 5, hours: 24}")
    (found,) = problems(text)
    assert found.startswith("local/test.yaml:31: stages[1].due: give exactly one of")


def test_event_key_without_event_anchor() -> None:
    text = MINIMAL.replace(
        "{after: entry, working_days: 5}", "{after: entry, event: x, working_days: 5}"
    )
    (found,) = problems(text)
    assert "'event' only goes with 'after: event'" in found


def test_duplicate_key() -> None:
    text = MINIMAL.replace("protects: adults\n", "protects: adults\nprotects: children\n")
    assert problems(text) == ["local/test.yaml:7: (top): key 'protects' appears twice"]


def test_unknown_level_and_enum_values() -> None:
    text = MINIMAL.replace("levels: [practitioner]", "levels: [janitor]")
    (found,) = problems(text)
    assert found.startswith("local/test.yaml:21: stages[0].levels[0]: Input should be")


def test_stage_without_timescale_must_say_why() -> None:
    text = MINIMAL.replace("    due: {after: entry, working_days: 5}\n", "")
    (found,) = problems(text)
    assert found.startswith("local/test.yaml:27: stages[1]: a stage with no 'due' rule")


def test_undeclared_form() -> None:
    text = MINIMAL.replace(
        "    levels: [board-chair]\n", "    levels: [board-chair]\n    forms: [x]\n"
    )
    (found,) = problems(text)
    assert "form 'x' is not declared" in found


def test_declaring_a_built_in_event_is_refused() -> None:
    text = MINIMAL.replace(
        "{id: meeting-held, name: meeting held, stages: [1, 2]}",
        "{id: resolved, name: x, stages: [1]}",
    )
    (found,) = problems(text)
    assert found.startswith("local/test.yaml:11: events[0].id: 'resolved' is built in")


def test_not_yaml() -> None:
    (found,) = problems("id: [unclosed\n")
    assert found.startswith("local/test.yaml:2: (top): not valid YAML")


def test_not_a_mapping() -> None:
    assert problems("- just\n- a list\n") == [
        "local/test.yaml:1: (top): the file must hold a mapping of keys"
    ]


def test_unreadable_file(tmp_path: Path) -> None:
    with pytest.raises(DefinitionError, match="cannot read"):
        load_definition(tmp_path / "missing.yaml")


def test_a_partnership_adds_its_own_procedure_by_writing_a_file(tmp_path: Path) -> None:
    (tmp_path / "test-procedure.yaml").write_text(MINIMAL, encoding="utf-8")
    registry = load_registry([tmp_path])
    assert "test-procedure" in registry.ids()
    assert registry.in_force("test-procedure", dt.date(2026, 3, 1)).version == "1"


def test_same_id_and_version_twice_is_refused(tmp_path: Path) -> None:
    (tmp_path / "a.yaml").write_text(MINIMAL, encoding="utf-8")
    (tmp_path / "b.yaml").write_text(MINIMAL, encoding="utf-8")
    with pytest.raises(DefinitionError, match="also defined in"):
        load_registry([tmp_path])


def test_versions_in_force_by_date(tmp_path: Path) -> None:
    (tmp_path / "v1.yaml").write_text(MINIMAL, encoding="utf-8")
    v2 = MINIMAL.replace('version: "1"', 'version: "2"').replace("2026-01-01", "2026-06-01")
    (tmp_path / "v2.yaml").write_text(v2, encoding="utf-8")
    registry = load_registry([tmp_path])
    assert registry.in_force("test-procedure", dt.date(2026, 5, 31)).version == "1"
    assert registry.in_force("test-procedure", dt.date(2026, 6, 1)).version == "2"
    assert registry.get("test-procedure").version == "2"
    assert registry.get("test-procedure", "1").version == "1"


def test_bad_file_in_a_partnership_directory_names_that_file(tmp_path: Path) -> None:
    (tmp_path / "broken.yaml").write_text(MINIMAL.replace("number: 2", "number: 4"), "utf-8")
    with pytest.raises(DefinitionError) as caught:
        load_registry([tmp_path])
    assert str(caught.value).startswith(f"{tmp_path / 'broken.yaml'}:27: stages[1].number:")
