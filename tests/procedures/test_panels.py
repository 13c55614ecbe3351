"""The panels' composition rules (``escalate.procedures.panels``): a membership built to meet a
rule passes; each kind of breach is refused with its own message; the five definitions say
what their seeds say."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from escalate.procedures import panels as pn
from escalate.procedures.panels import Breach, Member, Party, Role
from escalate.procedures.schema import (
    AgencyRequirement,
    AgencyType,
    Panel,
    PanelKind,
    Procedure,
    StatutoryMembers,
    load_definition,
)

DEFINITIONS = Path(__file__).resolve().parents[2] / "src/escalate/procedures/definitions"
TYPES = list(AgencyType)


def _definition(name: str) -> Procedure:
    return load_definition(DEFINITIONS / f"{name}.yaml")


def _top_panel(name: str) -> Panel:
    procedure = _definition(name)
    panel = procedure.stage(procedure.top).panel
    assert panel is not None
    return panel


# -- generated rules and the membership that meets them ----------------------------------------

type_sets = st.lists(st.sampled_from(TYPES), min_size=1, max_size=4, unique=True).map(tuple)


@st.composite
def rules(draw: st.DrawFn) -> Panel:
    statutory = draw(
        st.none() | st.builds(StatutoryMembers, at_least=st.integers(1, 3), agency_types=type_sets)
    )
    represent = draw(
        st.lists(
            st.builds(
                AgencyRequirement,
                name=st.sampled_from(["a representative of health", "the police"]),
                agency_types=type_sets,
            ),
            max_size=2,
        )
    )
    return Panel(
        name="Resolution panel",
        min_members=draw(st.none() | st.integers(1, 6)),
        statutory_members=statutory,
        must_represent=tuple(represent),
        includes_parties=draw(st.booleans()),
        exclude_involved=draw(st.booleans()),
        chair_required=draw(st.booleans()),
    )


@st.composite
def parties(draw: st.DrawFn) -> list[Party]:
    count = draw(st.integers(1, 3))
    return [Party(agency=900 + i, name=f"Agency {i}") for i in range(count)]


def meeting(rule: Panel, in_dispute: list[Party], party_type: AgencyType) -> list[Member]:
    """A membership built to meet ``rule``: the parties, each requirement, the statutory
    members from different agencies, then others up to the minimum; one chair."""
    members: list[Member] = []
    next_id = iter(range(1, 1000))

    def add(agency: int, agency_type: AgencyType) -> None:
        n = next(next_id)
        members.append(Member(person=n, name=f"Person {n}", agency=agency, agency_type=agency_type))

    if rule.includes_parties:
        for party in in_dispute:
            add(party.agency, party_type)
    for requirement in rule.must_represent:
        add(next(next_id) + 5000, requirement.agency_types[0])
    if rule.statutory_members is not None:
        for _ in range(rule.statutory_members.at_least):
            add(next(next_id) + 5000, rule.statutory_members.agency_types[0])
    while len(members) < max(rule.min_members or 1, 1):
        add(next(next_id) + 5000, AgencyType.OTHER)
    members[0] = replace(members[0], role=Role.CHAIR)
    return members


def kinds(problems: list[pn.Problem]) -> set[Breach]:
    return {p.breach for p in problems}


@given(rules(), parties(), st.sampled_from(TYPES))
def test_a_membership_that_meets_the_rule_passes(
    rule: Panel, in_dispute: list[Party], party_type: AgencyType
) -> None:
    members = meeting(rule, in_dispute, party_type)
    assert pn.check(rule, members, parties=in_dispute) == []
    # choosing the chair apart from the members says the same
    assert pn.check(rule, members, parties=in_dispute, chair=members[0].person) == []


@given(rules(), parties())
def test_nobody_chosen_is_refused(rule: Panel, in_dispute: list[Party]) -> None:
    problems = pn.check(rule, [], parties=in_dispute)
    assert problems[0] == pn.Problem(
        Breach.NO_MEMBERS, "Choose the members of the resolution panel", "members"
    )
    assert (Breach.NO_CHAIR in kinds(problems)) is rule.chair_required


@given(rules(), parties(), st.sampled_from(TYPES), st.data())
def test_someone_chosen_twice_is_refused(
    rule: Panel, in_dispute: list[Party], party_type: AgencyType, data: st.DataObject
) -> None:
    members = meeting(rule, in_dispute, party_type)
    twice = data.draw(st.sampled_from(members))
    problems = pn.check(rule, [*members, replace(twice, role=Role.MEMBER)], parties=in_dispute)
    assert [p.message for p in problems] == [f"{twice.name} is chosen more than once"]


@given(rules(), parties(), st.sampled_from(TYPES), st.data())
def test_someone_involved_is_refused_only_where_the_procedure_excludes_them(
    rule: Panel, in_dispute: list[Party], party_type: AgencyType, data: st.DataObject
) -> None:
    members = meeting(rule, in_dispute, party_type)
    k = data.draw(st.integers(0, len(members) - 1))
    members[k] = replace(members[k], involved=True)
    problems = pn.check(rule, members, parties=in_dispute)
    if rule.exclude_involved:
        assert [(p.breach, p.field) for p in problems] == [(Breach.INVOLVED, "members")]
        assert problems[0].message == (
            f"{members[k].name} is involved in this case, and nobody involved in the case may "
            "sit on the resolution panel"
        )
        assert pn.admissible(rule, members[k]) == problems
    else:
        assert problems == []
        assert pn.admissible(rule, members[k]) == []


@given(rules(), parties(), st.sampled_from(TYPES))
def test_too_few_members_is_refused(
    rule: Panel, in_dispute: list[Party], party_type: AgencyType
) -> None:
    rule = rule.model_copy(update={"min_members": 7})
    members = meeting(rule, in_dispute, party_type)[:6]
    problems = pn.check(rule, members, parties=in_dispute)
    assert (
        pn.Problem(
            Breach.TOO_FEW_MEMBERS,
            "The resolution panel needs at least 7 members: 6 chosen",
            "members",
        )
        in problems
    )


@given(st.integers(1, 4), type_sets, st.integers(0, 3))
def test_too_few_statutory_agencies_is_refused(
    at_least: int, statutory_types: tuple[AgencyType, ...], have: int
) -> None:
    """Statutory members count once per agency: two from the same council are one."""
    rule = Panel(
        name="NSSAB mediation panel",
        statutory_members=StatutoryMembers(at_least=at_least, agency_types=statutory_types),
        chair_required=False,
    )
    kind = statutory_types[0]
    others = [t for t in TYPES if t not in statutory_types]
    members = [Member(n, f"P{n}", agency=100 + n, agency_type=kind) for n in range(have)]
    members += [Member(50 + n, f"Q{n}", agency=100, agency_type=kind) for n in range(have and 2)]
    members += [Member(70 + n, f"R{n}", 300 + n, agency_type=t) for n, t in enumerate(others)]
    problems = pn.check(rule, members)
    if have >= at_least:
        assert problems == []
    else:
        assert problems == [
            pn.Problem(
                Breach.TOO_FEW_STATUTORY,
                f"The NSSAB mediation panel needs at least {at_least} statutory members, each "
                f"from a different statutory agency: {have} chosen",
                "members",
            )
        ]


@given(rules(), parties(), st.sampled_from(TYPES), st.data())
def test_a_missing_agency_is_refused(
    rule: Panel, in_dispute: list[Party], party_type: AgencyType, data: st.DataObject
) -> None:
    requirement = AgencyRequirement(
        name="a representative of the police", agency_types=(AgencyType.POLICE,)
    )
    rule = rule.model_copy(update={"must_represent": (*rule.must_represent, requirement)})
    members = [
        m for m in meeting(rule, in_dispute, party_type) if m.agency_type is not AgencyType.POLICE
    ]
    members.append(Member(4242, "Someone else", 4242, AgencyType.OTHER))
    problems = pn.check(rule, members, parties=in_dispute)
    assert (
        pn.Problem(
            Breach.AGENCY_MISSING,
            "The resolution panel must include a representative of the police",
            "members",
        )
        in problems
    )


@given(rules(), parties(), st.sampled_from(TYPES), st.data())
def test_an_agency_in_dispute_left_out_is_refused(
    rule: Panel, in_dispute: list[Party], party_type: AgencyType, data: st.DataObject
) -> None:
    rule = rule.model_copy(update={"includes_parties": True})
    left_out = data.draw(st.sampled_from(in_dispute))
    members = [m for m in meeting(rule, in_dispute, party_type) if m.agency != left_out.agency]
    members.append(Member(4242, "Someone else", 4242, AgencyType.OTHER))
    problems = pn.check(rule, members, parties=in_dispute)
    assert (
        pn.Problem(
            Breach.PARTY_MISSING,
            "The resolution panel must include the agencies in dispute: "
            f"{left_out.name} not represented",
            "members",
        )
        in problems
    )


@given(rules(), parties(), st.sampled_from(TYPES))
def test_the_chair_rules(rule: Panel, in_dispute: list[Party], party_type: AgencyType) -> None:
    members = meeting(rule, in_dispute, party_type)
    no_chair = [replace(m, role=Role.MEMBER) for m in members]
    problems = pn.check(rule, no_chair, parties=in_dispute)
    if rule.chair_required:
        assert problems == [
            pn.Problem(Breach.NO_CHAIR, "Choose who chairs the resolution panel", "chair")
        ]
    else:
        assert problems == []
    two = [replace(m, role=Role.CHAIR) for m in members[:2]] + members[2:]
    if len(members) >= 2:
        assert pn.check(rule, two, parties=in_dispute) == [
            pn.Problem(Breach.TWO_CHAIRS, "Choose one chair for the resolution panel", "chair")
        ]
    outsider = pn.check(rule, no_chair, parties=in_dispute, chair=99999)
    assert outsider == [
        pn.Problem(
            Breach.CHAIR_NOT_MEMBER,
            "The chair must be one of the members of the resolution panel",
            "chair",
        )
    ]


# -- the five definitions ----------------------------------------------------------------------


def _m(n: int, agency: int, kind: AgencyType, *, chair: bool = False, **kw: bool) -> Member:
    role = Role.CHAIR if chair else Role.MEMBER
    return Member(n, f"Member {n}", agency, kind, role=role, **kw)


def test_north_somerset_needs_three_statutory_members() -> None:
    panel = _top_panel("north-somerset-sab")
    assert panel.kind is PanelKind.RESOLUTION_PANEL
    council, health, police, charity = 1, 2, 3, 4
    ok = [
        _m(1, council, AgencyType.LOCAL_AUTHORITY_ADULTS, chair=True),
        _m(2, health, AgencyType.SECONDARY_HEALTH),
        _m(3, police, AgencyType.POLICE),
        _m(4, charity, AgencyType.VOLUNTARY_SECTOR),
    ]
    assert pn.check(panel, ok) == []
    # two from the council and a charity: three members, one statutory agency short
    short = [ok[0], _m(5, council, AgencyType.LOCAL_AUTHORITY_ADULTS), ok[1], ok[3]]
    assert [p.message for p in pn.check(panel, short)] == [
        "The NSSAB mediation panel needs at least 3 statutory members, each from a different "
        "statutory agency: 2 chosen"
    ]
    assert [p.breach for p in pn.check(panel, ok[:2])] == [
        Breach.TOO_FEW_MEMBERS,
        Breach.TOO_FEW_STATUTORY,
    ]


def test_south_gloucestershire_needs_the_three_executive_agencies_and_those_in_dispute() -> None:
    panel = _top_panel("south-gloucestershire-cp")
    assert [p.kind for p in panel.options] == [
        PanelKind.RESOLUTION_PANEL,
        PanelKind.MEDIATION,
        PanelKind.EXECUTIVE,
    ]
    school = Party(10, "Hillside School")
    council = Party(11, "South Gloucestershire Council")
    executive = [
        _m(1, 11, AgencyType.LOCAL_AUTHORITY_CHILDREN, chair=True),
        _m(2, 12, AgencyType.PRIMARY_HEALTH),
        _m(3, 13, AgencyType.POLICE),
    ]
    assert pn.check(panel, executive, parties=[council]) == []
    assert [p.message for p in pn.check(panel, executive, parties=[council, school])] == [
        "The SGCP Resolution Panel must include the agencies in dispute: Hillside School not "
        "represented"
    ]
    with_school = [*executive, _m(4, 10, AgencyType.SCHOOL_OR_EARLY_YEARS)]
    assert pn.check(panel, with_school, parties=[council, school]) == []
    no_health = [executive[0], executive[2], with_school[3]]
    assert [p.message for p in pn.check(panel, no_health, parties=[council, school])] == [
        "The SGCP Resolution Panel must include a representative of health"
    ]
    mediation = panel.option(PanelKind.MEDIATION)
    assert mediation is not None
    assert pn.check(mediation, [executive[0]], parties=[council, school]) == []


def test_sunderland_lets_nobody_involved_sit() -> None:
    panel = _top_panel("sunderland-sab")
    assert (panel.kind, panel.exclude_involved) == (PanelKind.SUB_COMMITTEE, True)
    members = [_m(1, 1, AgencyType.POLICE, chair=True), _m(2, 2, AgencyType.OTHER, involved=True)]
    assert [p.message for p in pn.check(panel, members)] == [
        "Member 2 is involved in this case, and nobody involved in the case may sit on the SSAB "
        "Quality Assurance sub-committee"
    ]


def test_north_east_lincolnshire_and_redbridge_as_their_texts_say() -> None:
    nel = _top_panel("north-east-lincolnshire")
    assert (nel.kind, nel.convened, nel.min_members, nel.must_represent) == (
        PanelKind.RESOLUTION_PANEL,
        "when-needed",
        None,
        (),
    )
    assert pn.check(nel, [_m(1, 1, AgencyType.OTHER, chair=True)]) == []
    redbridge = _definition("redbridge-sab")
    assert all(s.panel is None for s in redbridge.stages)  # the Independent Chair alone


def test_rule_in_words() -> None:
    assert pn.rule_in_words(_top_panel("north-somerset-sab")) == [
        "At least 3 members.",
        "At least 3 statutory members, each from a different statutory agency.",
        "One member chairs it.",
    ]
    assert "Nobody involved in the case may sit on it." in pn.rule_in_words(
        _top_panel("sunderland-sab")
    )


def test_alternatives_are_flat_and_of_different_kinds() -> None:
    mediation = Panel(name="Mediation", kind=PanelKind.MEDIATION)
    with pytest.raises(ValidationError, match="cannot have alternatives"):
        Panel.model_validate(
            {
                "name": "P",
                "alternatives": [
                    {"name": "E", "kind": "executive", "alternatives": [{"name": "M"}]}
                ],
            }
        )
    with pytest.raises(ValidationError, match="convened twice"):
        Panel(name="P", kind=PanelKind.MEDIATION, alternatives=(mediation,))


def test_a_broken_panel_in_a_file_is_refused_with_its_line() -> None:
    from tests.procedures.test_schema import MINIMAL, problems

    text = MINIMAL.replace(
        "    levels: [board-chair]\n",
        "    levels: [board-chair]\n"
        "    panel:\n"
        "      name: Panel\n"
        "      kind: tribunal\n"
        "      must_represent:\n"
        "        - {name: health, agency_types: [hospital]}\n",
    )
    found = problems(text)
    assert any("local/test.yaml:" in p and "stages[1].panel.kind" in p for p in found), found
    assert any("stages[1].panel.must_represent[0].agency_types[0]" in p for p in found), found


def test_the_procedure_in_words_names_what_may_sit_instead() -> None:
    from escalate.procedures import words

    stage_4 = words.outline(_definition("south-gloucestershire-cp"))[3]
    assert stage_4.panel is not None
    assert stage_4.panel.endswith(
        "or instead Mediation offered by the Children's Partnership Executive or Children's "
        "Partnership Executive"
    )
