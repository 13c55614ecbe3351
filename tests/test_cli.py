"""The ``escalate`` command: plan (JSON and table), procedures list/show/check, bad arguments,
extra definition directories. Expected dates are counted by hand (see
tests/procedures/test_clock_tables.py for the calendars and the counting convention)."""

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from escalate.cli import main
from escalate.procedures.registry import BUILT_IN_DIR, DIRS_ENV, load_registry

REGISTRY = load_registry()
ESCALATE = Path(sys.executable).with_name("escalate")  # .venv/bin/escalate
REDBRIDGE_YAML = BUILT_IN_DIR / "redbridge-sab.yaml"
IDS = [
    "north-east-lincolnshire",
    "north-somerset-sab",
    "redbridge-sab",
    "south-gloucestershire-cp",
    "sunderland-sab",
]


@pytest.fixture(autouse=True)
def _no_extra_dirs(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(DIRS_ENV, raising=False)


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    status = main(list(argv))
    out, err = capsys.readouterr()
    return status, out, err


def fails(capsys: pytest.CaptureFixture[str], *argv: str) -> str:
    """Run, expect exit status 2 and nothing on stdout; return stderr."""
    with pytest.raises(SystemExit) as exc:
        main(list(argv))
    out, err = capsys.readouterr()
    assert exc.value.code == 2
    assert out == ""
    return err


def plan_json(capsys: pytest.CaptureFixture[str], *argv: str) -> dict[str, Any]:
    status, out, err = run(capsys, "plan", "--json", *argv)
    assert (status, err) == (0, "")
    result = json.loads(out)  # exactly one JSON object: json.loads refuses trailing data
    assert isinstance(result, dict)
    return result


# -- plan --json ----------------------------------------------------------------------------

# (entered, entered_is_planned, due, obligation dues) per stage, counted by hand.
Stage = tuple[str | None, bool, str | None, list[str | None]]

PLAN_CASES = [
    pytest.param(
        "redbridge-sab",
        ["--raised", "2025-12-19", "--calendar", "scotland"],
        "scotland",
        None,
        [
            # O+5 from Fri 19 Dec: 22, 23(O+2), 24, 29, 30 -> Tue 30 Dec
            ("2025-12-19", False, "2025-12-30", ["2025-12-23", None, None]),
            # planned Tue 30 Dec; E+5: 31, 5 (1, 2 Jan BH in Scotland), 6, 7, 8 -> Thu 8 Jan
            ("2025-12-30", True, "2026-01-08", [None, None]),
            # planned Thu 8 Jan; copy the Business Manager that day; E+5: 9, 12, 13, 14, 15
            ("2026-01-08", True, "2026-01-15", ["2026-01-08", None, None]),
            # planned Thu 15 Jan; refer that day; E+5: 16, 19, 20, 21, 22
            ("2026-01-15", True, "2026-01-22", ["2026-01-15", "2026-01-22"]),
        ],
        id="redbridge-scotland",
    ),
    pytest.param(
        "redbridge-sab",
        ["--raised", "2025-12-19", "--calendar", "england-and-wales"],
        "england-and-wales",
        None,
        [
            ("2025-12-19", False, "2025-12-30", ["2025-12-23", None, None]),
            # E+5 from Tue 30 Dec: 31, 2 (1 BH), 5, 6, 7 -> Wed 7 Jan
            ("2025-12-30", True, "2026-01-07", [None, None]),
            # 8, 9, 12, 13, 14
            ("2026-01-07", True, "2026-01-14", ["2026-01-07", None, None]),
            # 15, 16, 19, 20, 21
            ("2026-01-14", True, "2026-01-21", ["2026-01-14", "2026-01-21"]),
        ],
        id="redbridge-england-and-wales",
    ),
    pytest.param(
        "north-somerset-sab",
        ["--raised", "2026-03-16", "--calendar", "northern-ireland"],
        "northern-ireland",
        # Mon 16 Mar: 18 (17 St Patrick's), 19, 20, 23, 24 -> O+5 Tue 24 Mar
        "2026-03-24",
        [
            ("2026-03-16", False, "2026-03-18", ["2026-03-18", None, "2026-03-18", None, None]),
            ("2026-03-18", True, "2026-03-19", [None, None, None]),
            ("2026-03-19", True, "2026-03-20", [None, None, None]),
            ("2026-03-20", True, None, [None, None, None, None, None]),
            # stage 4 has no due date, so stage 5 cannot be planned
            (None, False, None, [None]),
        ],
        id="north-somerset-northern-ireland",
    ),
    pytest.param(
        "north-somerset-sab",
        ["--raised", "2026-03-16"],  # the procedure's own calendar: England and Wales
        "england-and-wales",
        # 17, 18, 19, 20, 23
        "2026-03-23",
        [
            ("2026-03-16", False, "2026-03-17", ["2026-03-17", None, "2026-03-17", None, None]),
            ("2026-03-17", True, "2026-03-18", [None, None, None]),
            ("2026-03-18", True, "2026-03-19", [None, None, None]),
            ("2026-03-19", True, None, [None, None, None, None, None]),
            (None, False, None, [None]),
        ],
        id="north-somerset-default-calendar",
    ),
    pytest.param(
        "south-gloucestershire-cp",
        ["--raised", "2026-04-02", "--calendar", "scotland"],
        "scotland",
        # Thu 2 Apr: 6 (3 Good Friday; no Easter Monday in Scotland), 7, 8, 9, 10
        "2026-04-10",
        [
            (
                "2026-04-02",
                False,
                "2026-04-06",
                ["2026-04-06", None, "2026-04-06", None, None, None],
            ),
            ("2026-04-06", True, "2026-04-07", [None, None, None]),
            ("2026-04-07", True, "2026-04-08", [None, None, None, None]),
            ("2026-04-08", True, None, [None, None, None, None, None]),
        ],
        id="south-gloucestershire-scotland",
    ),
    pytest.param(
        "sunderland-sab",
        ["--raised", "2026-05-21", "--calendar", "northern-ireland"],
        "northern-ireland",
        None,
        [
            # Thu 21 May: 22, 26 (25 BH), 27 -> O+3 Wed 27 May
            ("2026-05-21", False, "2026-05-27", ["2026-05-27", None]),
            ("2026-05-27", True, None, [None, None, None, None]),
            # stage 2 has no due date: 3 not planned; O+10: 28, 29, 1, 2, 3, 4, 5 Jun
            (None, False, "2026-06-05", ["2026-06-05", None, None]),
            # planned Fri 5 Jun; +30: six weeks is Fri 17 Jul, 13 Jul Boyne -> Mon 20 Jul
            ("2026-06-05", True, "2026-07-20", [None, "2026-07-20", None, None]),
        ],
        id="sunderland-northern-ireland",
    ),
    pytest.param(
        "redbridge-sab",
        ["--raised", "2025-12-24", "--entered", "2=2025-12-31", "--calendar", "scotland"],
        "scotland",
        None,
        [
            # Wed 24 Dec: 29, 30(O+2), 31, 5 (1, 2 Jan BH), 6(O+5)
            ("2025-12-24", False, "2026-01-06", ["2025-12-30", None, None]),
            # actual entry Wed 31 Dec: 5, 6, 7, 8, 9 -> Fri 9 Jan
            ("2025-12-31", False, "2026-01-09", [None, None]),
            ("2026-01-09", True, "2026-01-16", ["2026-01-09", None, None]),
            ("2026-01-16", True, "2026-01-23", ["2026-01-16", "2026-01-23"]),
        ],
        id="redbridge-entered-2-scotland",
    ),
]


@pytest.mark.parametrize(("procedure_id", "args", "calendar", "overall", "stages"), PLAN_CASES)
def test_plan_json(
    capsys: pytest.CaptureFixture[str],
    procedure_id: str,
    args: list[str],
    calendar: str,
    overall: str | None,
    stages: list[Stage],
) -> None:
    got = plan_json(capsys, "--procedure", procedure_id, *args)
    assert list(got) == ["procedure", "calendar", "raised", "overall_due", "stages"]
    raised = args[args.index("--raised") + 1]
    assert (got["procedure"], got["calendar"], got["raised"], got["overall_due"]) == (
        procedure_id,
        calendar,
        raised,
        overall,
    )
    procedure = REGISTRY.get(procedure_id)
    assert [s["number"] for s in got["stages"]] == list(range(1, procedure.top + 1))
    for s, definition in zip(got["stages"], procedure.stages, strict=True):
        assert list(s) == ["number", "name", "entered", "entered_is_planned", "due", "obligations"]
        assert s["name"] == definition.name
        assert [list(o) for o in s["obligations"]] == [["what", "due"]] * len(s["obligations"])
        assert [o["what"] for o in s["obligations"]] == [o.what for o in definition.obligations]
    got_stages = [
        (s["entered"], s["entered_is_planned"], s["due"], [o["due"] for o in s["obligations"]])
        for s in got["stages"]
    ]
    assert got_stages == stages


def test_plan_json_entered_makes_stage_2_actual(capsys: pytest.CaptureFixture[str]) -> None:
    args = ["--procedure", "redbridge-sab", "--raised", "2025-12-19"]
    planned = plan_json(capsys, *args)["stages"][1]
    assert (planned["entered"], planned["entered_is_planned"]) == ("2025-12-30", True)
    # Entered Mon 22 Dec (E&W): E+5 -> 23, 24, 29, 30, 31 -> Wed 31 Dec
    actual = plan_json(capsys, *args, "--entered", "2=2025-12-22")["stages"][1]
    assert (actual["entered"], actual["entered_is_planned"], actual["due"]) == (
        "2025-12-22",
        False,
        "2025-12-31",
    )


def test_plan_json_several_entries(capsys: pytest.CaptureFixture[str]) -> None:
    # Sunderland, Fri 19 Dec 2025, stage 4 entered Fri 9 Jan 2026: +30, six weeks -> Fri 20 Feb
    got = plan_json(
        capsys,
        "--procedure", "sunderland-sab", "--raised", "2025-12-19",
        "--entered", "2=2025-12-24", "--entered", "3=2026-01-05", "--entered", "4=2026-01-09",
    )  # fmt: skip
    assert [(s["entered"], s["entered_is_planned"], s["due"]) for s in got["stages"]] == [
        ("2025-12-19", False, "2025-12-24"),
        ("2025-12-24", False, None),
        ("2026-01-05", False, "2026-01-07"),
        ("2026-01-09", False, "2026-02-20"),
    ]


# -- plan, table ------------------------------------------------------------------------------


def test_plan_table(capsys: pytest.CaptureFixture[str]) -> None:
    status, out, err = run(capsys, "plan", "--procedure", "north-somerset-sab", "--raised",
                           "2025-12-19")  # fmt: skip
    assert (status, err) == (0, "")
    assert "Concern identified (day 0): Fri 19 Dec 2025" in out
    # O+5: 22, 23, 24, 29 (25, 26 BH), 30
    assert "escalated to stage 4 by Tue 30 Dec 2025" in out
    for stage in REGISTRY.get("north-somerset-sab").stages:
        assert stage.name in out
    lines = out.splitlines()

    def line_of(number: int) -> str:
        return next(line for line in lines if line.startswith(f"{number} "))

    assert " ".join(line_of(1).split()[:10]) == "1 Fri 19 Dec 2025 Mon 22 Dec 2025 Identifying"
    assert "Mon 22 Dec 2025 (planned)" in line_of(2)
    assert "Tue 23 Dec 2025" in line_of(2)
    assert "Tue 23 Dec 2025 (planned)" in line_of(3)
    assert "Wed 24 Dec 2025" in line_of(3)
    assert "Wed 24 Dec 2025 (planned)" in line_of(4)
    assert "no timescale" in line_of(4)
    assert "Mon 22 Dec 2025" in " ".join(out.split())  # obligations: line-manager contact O+1


def test_plan_table_scotland(capsys: pytest.CaptureFixture[str]) -> None:
    # NEL, Fri 19 Dec 2025, Scotland: O+22 is Mon 26 Jan 2026 (1, 2 Jan holidays)
    status, out, _ = run(capsys, "plan", "--procedure", "north-east-lincolnshire", "--raised",
                         "2025-12-19", "--calendar", "scotland")  # fmt: skip
    assert status == 0
    assert "calendar scotland" in out
    assert "Mon 26 Jan 2026" in out
    assert "Escalate to the NEL SCP or SAB Chair" in out


# -- plan: bad arguments ------------------------------------------------------------------

PLAN = ["plan", "--procedure", "redbridge-sab"]


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        pytest.param(
            ["plan", "--procedure", "nope", "--raised", "2025-12-19"],
            "unknown procedure 'nope'",
            id="unknown-procedure",
        ),
        pytest.param(
            [*PLAN, "--raised", "2025-02-30"],
            "--raised: '2025-02-30' is not a real date",
            id="impossible-date",
        ),
        pytest.param(
            [*PLAN, "--raised", "25/12/2025"],
            "--raised: '25/12/2025' is not a date in the form YYYY-MM-DD",
            id="malformed-date",
        ),
        pytest.param(
            [*PLAN, "--raised", "2025-12-19", "--entered", "9=2025-12-22"],
            "redbridge-sab has no stage 9 (its stages are 1 to 4)",
            id="stage-out-of-range",
        ),
        pytest.param(
            [*PLAN, "--raised", "2025-12-19", "--entered", "0=2025-12-22"],
            "redbridge-sab has no stage 0",
            id="stage-zero",
        ),
        pytest.param(
            [*PLAN, "--raised", "2025-12-19", "--entered", "2=2025-12-01"],
            "stage 2 entered on 2025-12-01, before the outset 2025-12-19",
            id="entry-before-outset",
        ),
        pytest.param(
            [*PLAN, "--raised", "2025-12-19", "--entered", "2=2025-12-29",
             "--entered", "3=2025-12-22"],
            "stage 3 entered on 2025-12-22, before stage 2 (2025-12-29)",
            id="entries-out-of-order",
        ),
        pytest.param(
            [*PLAN, "--raised", "2025-12-19", "--entered", "two"],
            "--entered: 'two' should be STAGE=YYYY-MM-DD",
            id="malformed-entered",
        ),
        pytest.param(
            [*PLAN, "--raised", "2025-12-19", "--entered", "2=22/12/2025"],
            "'22/12/2025' is not a date in the form YYYY-MM-DD",
            id="malformed-entered-date",
        ),
        pytest.param(
            [*PLAN, "--raised", "2025-12-19", "--entered", "2=2025-12-22",
             "--entered", "2=2025-12-23"],
            "stage 2 is given twice",
            id="entered-twice",
        ),
        pytest.param(
            [*PLAN, "--raised", "2025-12-19", "--calendar", "wales"],
            "invalid choice: 'wales'",
            id="unknown-calendar",
        ),
        pytest.param(
            PLAN,
            "the following arguments are required: --raised",
            id="missing-raised",
        ),
        pytest.param(
            ["plan", "--raised", "2025-12-19"],
            "the following arguments are required: --procedure",
            id="missing-procedure",
        ),
        pytest.param(
            ["procedures", "show", "nope"],
            "unknown procedure 'nope'",
            id="show-unknown-procedure",
        ),
    ],
)  # fmt: skip
def test_bad_arguments_exit_2(
    capsys: pytest.CaptureFixture[str], argv: list[str], message: str
) -> None:
    err = fails(capsys, *argv)
    assert message in err
    assert "error" in err


# -- procedures -------------------------------------------------------------------------------


def test_procedures_lists_the_five(capsys: pytest.CaptureFixture[str]) -> None:
    status, out, _ = run(capsys, "procedures")
    assert status == 0
    rows = out.splitlines()
    assert rows[0].split()[:4] == ["id", "version", "protects", "stages"]
    assert [r.split()[0] for r in rows[1:]] == IDS
    assert rows[3].split()[:4] == ["redbridge-sab", "1", "adults", "4"]


def test_procedures_show_redbridge(capsys: pytest.CaptureFixture[str]) -> None:
    status, out, _ = run(capsys, "procedures", "show", "redbridge-sab")
    assert status == 0
    text = " ".join(out.split())  # undo the wrapping
    for phrase in [
        "Stage 1: Professional to professional",
        "Stage 2: Line manager to line manager",
        "Stage 3: Senior manager to senior manager",
        "Stage 4: Referral to the RSAB Independent Chair",
        "Due: by working day 5 after the concern was identified",
        "Due: within 5 working days of entering this stage",
        "by working day 2 after the concern was identified",
        "within 3 working days of matter raised with the relevant professional in the other agency",
        "within 2 working days of resolution reached at this stage",
        "Copy the RSAB Business Manager into the disagreement: the same working day as entering "
        "this stage",
    ]:
        assert phrase in text
    assert text.index("Stage 1:") < text.index("Stage 2:") < text.index("Stage 3:")
    assert text.index("Stage 3:") < text.index("Stage 4:")
    assert "Overall:" not in text  # Redbridge has no overall bound


def test_procedures_check_good_file(capsys: pytest.CaptureFixture[str]) -> None:
    status, out, err = run(capsys, "procedures", "check", str(REDBRIDGE_YAML))
    assert (status, err) == (0, "")
    assert out == f"{REDBRIDGE_YAML}: ok (redbridge-sab, version 1, 4 stages)\n"


def test_procedures_check_all_built_in(capsys: pytest.CaptureFixture[str]) -> None:
    files = sorted(str(p) for p in BUILT_IN_DIR.glob("*.yaml"))
    status, out, _ = run(capsys, "procedures", "check", *files)
    assert status == 0
    assert len(out.splitlines()) == 5


def _with_line_after_id(text: str, extra: str) -> tuple[str, int]:
    """The text with ``extra`` inserted after the ``id:`` line, and the new line's number."""
    lines = text.splitlines(keepends=True)
    at = next(i for i, line in enumerate(lines) if line.startswith("id: ")) + 1
    return "".join([*lines[:at], extra + "\n", *lines[at:]]), at + 1


def test_procedures_check_broken_file(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    text, line = _with_line_after_id(REDBRIDGE_YAML.read_text(encoding="utf-8"), "colour: blue")
    broken = tmp_path / "broken.yaml"
    broken.write_text(text, encoding="utf-8")
    status, out, err = run(capsys, "procedures", "check", str(REDBRIDGE_YAML), str(broken))
    assert status == 1
    assert "redbridge-sab.yaml: ok" in out  # the good file is still reported
    assert f"{broken}:{line}:" in err
    assert "unknown key 'colour'" in err


# -- extra definition directories ---------------------------------------------------------------


def _copy_as(directory: Path, new_id: str) -> Path:
    text = REDBRIDGE_YAML.read_text(encoding="utf-8")
    assert "\nid: redbridge-sab\n" in text
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"{new_id}.yaml"
    path.write_text(text.replace("\nid: redbridge-sab\n", f"\nid: {new_id}\n"), encoding="utf-8")
    return path


def _available(capsys: pytest.CaptureFixture[str], *before: str) -> list[str]:
    status, out, _ = run(capsys, *before, "procedures")
    assert status == 0
    return [r.split()[0] for r in out.splitlines()[1:]]


def test_definitions_dir_adds_a_procedure(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    _copy_as(tmp_path, "local-copy")
    assert "local-copy" not in _available(capsys)
    assert _available(capsys, "--definitions", str(tmp_path)) == sorted([*IDS, "local-copy"])


def test_definitions_dir_plan(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    _copy_as(tmp_path, "local-copy")
    status, out, _ = run(capsys, "--definitions", str(tmp_path), "plan", "--json",
                         "--procedure", "local-copy", "--raised", "2025-12-19")  # fmt: skip
    assert status == 0
    got = json.loads(out)
    # the same rules as Redbridge: O+5 Tue 30 Dec 2025 (E&W)
    assert (got["procedure"], got["stages"][0]["due"]) == ("local-copy", "2025-12-30")


def test_environment_variable_adds_procedures(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _copy_as(tmp_path / "a", "copy-a")
    _copy_as(tmp_path / "b", "copy-b")
    monkeypatch.setenv(DIRS_ENV, os.pathsep.join([str(tmp_path / "a"), str(tmp_path / "b")]))
    assert _available(capsys) == sorted([*IDS, "copy-a", "copy-b"])
    got = plan_json(capsys, "--procedure", "copy-b", "--raised", "2025-12-19")
    assert (got["procedure"], got["stages"][0]["due"]) == ("copy-b", "2025-12-30")


def test_a_broken_extra_definition_exits_2(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    text, line = _with_line_after_id(REDBRIDGE_YAML.read_text(encoding="utf-8"), "colour: blue")
    (tmp_path / "broken.yaml").write_text(text.replace("redbridge-sab", "broken"), "utf-8")
    err = fails(capsys, "--definitions", str(tmp_path), "procedures")
    assert "a procedure definition is invalid" in err
    assert f"broken.yaml:{line}:" in err
    assert "unknown key 'colour'" in err


def test_a_missing_extra_directory_exits_2(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    err = fails(capsys, "--definitions", str(tmp_path / "nowhere"), "procedures")
    assert "not a directory" in err


# -- the installed command --------------------------------------------------------------------


def _escalate(*argv: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != DIRS_ENV}
    return subprocess.run(  # noqa: S603 - our own console script, fixed arguments
        [str(ESCALATE), *argv], capture_output=True, text=True, env=env, check=False, timeout=120
    )


def test_installed_command_plans() -> None:
    done = _escalate("plan", "--procedure", "north-somerset-sab", "--raised", "2025-12-19",
                     "--json")  # fmt: skip
    assert (done.returncode, done.stderr) == (0, "")
    got = json.loads(done.stdout)
    # O+1 Mon 22 Dec, O+5 Tue 30 Dec 2025
    assert (got["stages"][0]["due"], got["overall_due"]) == ("2025-12-22", "2025-12-30")


def test_installed_command_exits_2_on_bad_input() -> None:
    done = _escalate("plan", "--procedure", "north-somerset-sab", "--raised", "2025-02-30")
    assert done.returncode == 2
    assert done.stdout == ""
    assert "escalate: error: --raised: '2025-02-30' is not a real date" in done.stderr
