"""Whether a panel's membership meets its procedure's rule: pure, no database.

A procedure's definition says, for each body that sits at a stage (``schema.Panel``: a
resolution panel, mediation, a sub-committee, the executive), who must sit on it: a minimum
number of members, a number of statutory members from different statutory agencies, agencies
that must be represented ("a representative of health"), the agencies in dispute, and that
nobody involved in the case may be present. :func:`check` reads that rule and a proposed
membership and returns every breach, each with its named message and the form field it
belongs to; an empty list means the panel may sit.

Members are described by what the rule needs and nothing more (:class:`Member`): the person
(an id and a name for the message), the agency they represent and its type, their role, and
whether the record shows them involved in the case.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum

from escalate.procedures.schema import AgencyType, Panel

#: No member chosen.
NO_MEMBERS = "Choose the members of {panel}"
#: Fewer members than the procedure asks for.
TOO_FEW_MEMBERS = "{Panel} needs at least {needed} members: {chosen} chosen"
#: Too few statutory members, each agency counted once.
TOO_FEW_STATUTORY = (
    "{Panel} needs at least {needed} statutory members, each from a different statutory "
    "agency: {chosen} chosen"
)
#: An agency (or kind of agency) the procedure names is not represented.
AGENCY_MISSING = "{Panel} must include {requirement}"
#: An agency in dispute is not represented, where the procedure says they sit.
PARTY_MISSING = "{Panel} must include the agencies in dispute: {agencies} not represented"
#: Someone involved in the case, where the procedure excludes them.
INVOLVED = "{person} is involved in this case, and nobody involved in the case may sit on {panel}"
#: The same person chosen twice.
CHOSEN_TWICE = "{person} is chosen more than once"
#: No chair, where the panel needs one.
NO_CHAIR = "Choose who chairs {panel}"
#: More than one chair.
TWO_CHAIRS = "Choose one chair for {panel}"
#: The chair is not among the members.
CHAIR_NOT_MEMBER = "The chair must be one of the members of {panel}"

#: The form fields a breach belongs to.
MEMBERS_FIELD = "members"
CHAIR_FIELD = "chair"


class Role(StrEnum):
    CHAIR = "chair"
    MEMBER = "member"


class Breach(StrEnum):
    """Every kind of breach, named as the tests and the pages refer to it."""

    NO_MEMBERS = "no-members"
    TOO_FEW_MEMBERS = "too-few-members"
    TOO_FEW_STATUTORY = "too-few-statutory"
    AGENCY_MISSING = "agency-missing"
    PARTY_MISSING = "party-missing"
    INVOLVED = "involved"
    CHOSEN_TWICE = "chosen-twice"
    NO_CHAIR = "no-chair"
    TWO_CHAIRS = "two-chairs"
    CHAIR_NOT_MEMBER = "chair-not-member"


@dataclass(frozen=True)
class Member:
    """One proposed member: who, for which agency, in which role, and whether involved."""

    person: int
    name: str
    agency: int
    agency_type: AgencyType
    role: Role = Role.MEMBER
    involved: bool = False


@dataclass(frozen=True)
class Party:
    """An agency party to the escalation (for ``includes_parties``)."""

    agency: int
    name: str


@dataclass(frozen=True)
class Problem:
    breach: Breach
    message: str
    field: str


def _lower_first(text: str) -> str:
    """A name such as "Resolution panel" reads "resolution panel" in a sentence; a name
    with other capitals ("SSAB Quality Assurance sub-committee", "Children's Partnership
    Executive") is kept."""
    first, _, rest = text.partition(" ")
    if first[1:] != first[1:].lower() or any(w[:1].isupper() for w in rest.split()):
        return text
    return text[:1].lower() + text[1:]


def panel_words(panel: Panel) -> str:
    """The panel's name as it reads inside a sentence ("the SSAB Quality Assurance
    sub-committee", "the resolution panel")."""
    name = _lower_first(panel.name)
    return name if name.casefold().startswith("the ") else f"the {name}"


def check(  # noqa: C901 - one flat list of rules, each a few lines
    panel: Panel,
    members: Sequence[Member],
    *,
    parties: Iterable[Party] = (),
    chair: int | None = None,
) -> list[Problem]:
    """Every way ``members`` breaks ``panel``'s rule, in a stable order (members first, then
    the chair). ``chair``: the person chosen to chair, when the chair is chosen apart from the
    members (else the members' roles say who chairs)."""
    words = panel_words(panel)
    capital = words[:1].upper() + words[1:]
    found: list[Problem] = []

    def breach(kind: Breach, template: str, field: str = MEMBERS_FIELD, **values: object) -> None:
        found.append(Problem(kind, template.format(panel=words, Panel=capital, **values), field))

    people = [m.person for m in members]
    if not members:
        breach(Breach.NO_MEMBERS, NO_MEMBERS)
    for m in _first_of_each(members):
        if people.count(m.person) > 1:
            breach(Breach.CHOSEN_TWICE, CHOSEN_TWICE, person=m.name)
    for m in _first_of_each(members):
        if panel.exclude_involved and m.involved:
            breach(Breach.INVOLVED, INVOLVED, person=m.name)
    distinct = len(set(people))
    if members and panel.min_members is not None and distinct < panel.min_members:
        breach(Breach.TOO_FEW_MEMBERS, TOO_FEW_MEMBERS, needed=panel.min_members, chosen=distinct)
    statutory = panel.statutory_members
    if members and statutory is not None:
        agencies = {m.agency for m in members if m.agency_type in statutory.agency_types}
        if len(agencies) < statutory.at_least:
            breach(
                Breach.TOO_FEW_STATUTORY,
                TOO_FEW_STATUTORY,
                needed=statutory.at_least,
                chosen=len(agencies),
            )
    if members:
        types = {m.agency_type for m in members}
        for requirement in panel.must_represent:
            if not types & set(requirement.agency_types):
                breach(Breach.AGENCY_MISSING, AGENCY_MISSING, requirement=requirement.name)
    if members and panel.includes_parties:
        represented = {m.agency for m in members}
        missing = [p.name for p in _first_of_each_party(parties) if p.agency not in represented]
        if missing:
            breach(Breach.PARTY_MISSING, PARTY_MISSING, agencies=_and(missing))
    chairs = {m.person for m in members if m.role is Role.CHAIR}
    if chair is not None:
        if members and chair not in people:
            breach(Breach.CHAIR_NOT_MEMBER, CHAIR_NOT_MEMBER, CHAIR_FIELD)
        chairs |= {chair}
    if len(chairs) > 1:
        breach(Breach.TWO_CHAIRS, TWO_CHAIRS, CHAIR_FIELD)
    elif not chairs and panel.chair_required:
        breach(Breach.NO_CHAIR, NO_CHAIR, CHAIR_FIELD)
    return found


def admissible(panel: Panel, member: Member) -> list[Problem]:
    """What makes one person unable to sit on this panel whoever else sits (someone involved,
    where the procedure excludes them): for saying so beside their name before they are
    chosen."""
    return [p for p in check(panel, [member], chair=member.person) if p.breach is Breach.INVOLVED]


def _first_of_each(members: Sequence[Member]) -> list[Member]:
    seen: set[int] = set()
    out = []
    for m in members:
        if m.person not in seen:
            seen.add(m.person)
            out.append(m)
    return out


def _first_of_each_party(parties: Iterable[Party]) -> list[Party]:
    seen: set[int] = set()
    out = []
    for p in parties:
        if p.agency not in seen:
            seen.add(p.agency)
            out.append(p)
    return out


def _and(names: Sequence[str]) -> str:
    if len(names) == 1:
        return names[0]
    return ", ".join(names[:-1]) + " and " + names[-1]


def rule_in_words(panel: Panel) -> list[str]:
    """The rule the membership is checked against, one sentence each, for the pages."""
    lines: list[str] = []
    if panel.min_members is not None:
        lines.append(f"At least {panel.min_members} members.")
    if panel.statutory_members is not None:
        lines.append(
            f"At least {panel.statutory_members.at_least} statutory members, each from a "
            "different statutory agency."
        )
    for requirement in panel.must_represent:
        lines.append(f"It must include {requirement.name}.")
    if panel.includes_parties:
        lines.append("It must include the agencies in dispute.")
    if panel.exclude_involved:
        lines.append("Nobody involved in the case may sit on it.")
    if panel.chair_required:
        lines.append("One member chairs it.")
    return lines
