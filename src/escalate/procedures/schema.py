"""Procedure definitions: the data model, loading from YAML and validation.

A definition file describes one local procedure: its stages, who acts, the due rule of each
stage and obligation, forms, copies, panels and the immediate-risk route. Everything a
partnership might read differently lives here as data, never as code.

A broken file is rejected with :class:`DefinitionError`, whose problems each name the file,
the line, the place in the document (``stages[2].due.working_days``) and what is wrong.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

Slug = Annotated[str, Field(pattern=r"^[a-z0-9]+(-[a-z0-9]+)*$", max_length=80)]
Text = Annotated[str, Field(min_length=1, max_length=4000)]


class Unit(StrEnum):
    WORKING_DAYS = "working_days"
    CALENDAR_DAYS = "calendar_days"
    HOURS = "hours"


class Anchor(StrEnum):
    OUTSET = "outset"
    ENTRY = "entry"
    EVENT = "event"


class Protects(StrEnum):
    CHILDREN = "children"
    ADULTS = "adults"
    BOTH = "both"


class Level(StrEnum):
    """The levels of people in the directory; a stage names the levels that act at it."""

    PRACTITIONER = "practitioner"
    LINE_MANAGER = "line-manager"
    SECOND_TIER_MANAGER = "second-tier-manager"
    SENIOR_MANAGER = "senior-manager"
    ASSISTANT_DIRECTOR = "assistant-director"
    BOARD_REPRESENTATIVE = "board-representative"
    BOARD_CHAIR = "board-chair"
    PANEL = "panel"


class AgencyType(StrEnum):
    LOCAL_AUTHORITY_ADULTS = "local-authority-adults"
    LOCAL_AUTHORITY_CHILDREN = "local-authority-children"
    PRIMARY_HEALTH = "primary-health"
    SECONDARY_HEALTH = "secondary-health"
    POLICE = "police"
    PROBATION = "probation"
    HOUSING = "housing"
    SCHOOL_OR_EARLY_YEARS = "school-or-early-years"
    VOLUNTARY_SECTOR = "voluntary-sector"
    OTHER = "other"


AGENCY_TYPE_NAMES: Mapping[AgencyType, str] = {
    AgencyType.LOCAL_AUTHORITY_ADULTS: "Local authority (adults)",
    AgencyType.LOCAL_AUTHORITY_CHILDREN: "Local authority (children)",
    AgencyType.PRIMARY_HEALTH: "Primary health",
    AgencyType.SECONDARY_HEALTH: "Secondary health",
    AgencyType.POLICE: "Police",
    AgencyType.PROBATION: "Probation",
    AgencyType.HOUSING: "Housing",
    AgencyType.SCHOOL_OR_EARLY_YEARS: "School or early years",
    AgencyType.VOLUNTARY_SECTOR: "Voluntary sector",
    AgencyType.OTHER: "Other",
}


class Recipient(StrEnum):
    """Who a copy, form or confirmation goes to."""

    RAISER = "raiser"
    RECEIVER = "receiver"
    ALL_PARTIES = "all-parties"
    LINE_MANAGERS = "line-managers"
    SENIOR_MANAGERS = "senior-managers"
    BUSINESS_MANAGER = "business-manager"
    STAGE_4_REPRESENTATIVE = "stage-4-representative"
    BOARD_CHAIR = "board-chair"
    STRATEGIC_SAFEGUARDING_TEAM = "strategic-safeguarding-team"


class TopOutcome(StrEnum):
    BINDING_DECISION = "binding-decision"
    #: Recommendations to named agencies, each with its own due date and the agency's response.
    RECOMMENDATIONS = "recommendations"
    #: A sub-committee's feedback to the parties (Sunderland).
    FEEDBACK = "feedback"


class Division(StrEnum):
    """The UK bank-holiday divisions GOV.UK publishes."""

    ENGLAND_AND_WALES = "england-and-wales"
    SCOTLAND = "scotland"
    NORTHERN_IRELAND = "northern-ireland"


#: Events every procedure has without declaring them: the lifecycle records them itself.
BUILT_IN_EVENTS: Mapping[str, str] = {
    "resolved": "resolution reached at this stage",
    "escalated": "escalated to the next stage",
}


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)


class DueRule(_Model):
    """When something is due: an amount of time after an anchor.

    In a file: ``{after: outset, working_days: 2}``, ``{after: entry, working_days: 5}``,
    ``{after: event, event: resolved, working_days: 2}``. Exactly one of ``working_days``,
    ``calendar_days`` and ``hours``. ``0`` working days means the same working day.
    """

    after: Anchor
    event: Slug | None = None
    working_days: Annotated[int, Field(ge=0, le=3650)] | None = None
    calendar_days: Annotated[int, Field(ge=0, le=3650)] | None = None
    hours: Annotated[int, Field(ge=0, le=24 * 3650)] | None = None

    @model_validator(mode="after")
    def _one_amount_and_event_matches_anchor(self) -> DueRule:
        given = [u for u in Unit if getattr(self, u.value) is not None]
        if len(given) != 1:
            raise ValueError(
                "give exactly one of working_days, calendar_days or hours"
                + (f" (got {', '.join(given)})" if given else "")
            )
        if self.after is Anchor.EVENT and self.event is None:
            raise ValueError("a rule 'after: event' must name the event")
        if self.after is not Anchor.EVENT and self.event is not None:
            raise ValueError(f"'event' only goes with 'after: event', not 'after: {self.after}'")
        return self

    @property
    def unit(self) -> Unit:
        return next(u for u in Unit if getattr(self, u.value) is not None)

    @property
    def amount(self) -> int:
        return int(getattr(self, self.unit.value))


class Obligation(_Model):
    """A dated duty inside a stage: raise the matter, confirm in writing, copy the board."""

    id: Slug
    what: Text
    who: Text | None = None
    due: DueRule | None = None
    form: Slug | None = None
    recipients: tuple[Recipient, ...] = ()
    #: The action that does this duty, so it is marked done without a separate entry.
    met_by: Literal["written-confirmation"] | None = None
    #: Done only once the matter is resolved ("send the monitoring form once resolved"). A duty
    #: whose due rule counts from the built-in 'resolved' event, or that the written
    #: confirmation does, is tied to the resolution without saying so.
    once_resolved: bool = False

    @property
    def tied_to_resolution(self) -> bool:
        """Whether the duty cannot be done before the escalation is resolved."""
        due = self.due
        return (
            self.once_resolved
            or self.met_by == "written-confirmation"
            or (due is not None and due.after is Anchor.EVENT and due.event == "resolved")
        )


class PanelKind(StrEnum):
    """The kinds of body that sit on an escalation at the top of a procedure."""

    RESOLUTION_PANEL = "resolution-panel"
    MEDIATION = "mediation"
    SUB_COMMITTEE = "sub-committee"
    EXECUTIVE = "executive"


PANEL_KIND_NAMES: Mapping[PanelKind, str] = {
    PanelKind.RESOLUTION_PANEL: "Resolution panel",
    PanelKind.MEDIATION: "Mediation",
    PanelKind.SUB_COMMITTEE: "Sub-committee",
    PanelKind.EXECUTIVE: "Executive",
}


class StatutoryMembers(_Model):
    """At least ``at_least`` members from different statutory agencies: which agency types are
    statutory is the procedure's reading, not the code's."""

    at_least: Annotated[int, Field(ge=1, le=100)]
    agency_types: tuple[AgencyType, ...] = Field(min_length=1)


class AgencyRequirement(_Model):
    """At least one member representing an agency of one of these types ("a representative of
    health": primary or secondary health)."""

    name: Text
    agency_types: tuple[AgencyType, ...] = Field(min_length=1)


class Panel(_Model):
    """A panel, mediation, sub-committee or executive that sits at a stage, with the rule its
    membership must meet (checked by ``escalate.procedures.panels``). ``alternatives``: other
    bodies the same stage may convene instead (mediation, or the executive itself), each with
    its own rule; they have no alternatives of their own.

    ``must_include`` says the rule in the procedure's words; ``min_members``,
    ``statutory_members``, ``must_represent``, ``includes_parties`` (every agency in dispute
    represented), ``exclude_involved`` (nobody involved in the case present) and
    ``chair_required`` are what is checked."""

    name: Text
    kind: PanelKind = PanelKind.RESOLUTION_PANEL
    convened: Literal["always", "when-needed"] = "when-needed"
    min_members: Annotated[int, Field(ge=1, le=100)] | None = None
    must_include: tuple[Text, ...] = ()
    statutory_members: StatutoryMembers | None = None
    must_represent: tuple[AgencyRequirement, ...] = ()
    includes_parties: bool = False
    exclude_involved: bool = False
    chair_required: bool = True
    hears: Text | None = None
    alternatives: tuple[Panel, ...] = ()

    @model_validator(mode="after")
    def _alternatives_are_flat_and_distinct(self) -> Panel:
        if any(alt.alternatives for alt in self.alternatives):
            raise ValueError("an alternative panel cannot have alternatives of its own")
        kinds = [self.kind, *(alt.kind for alt in self.alternatives)]
        for k, kind in enumerate(kinds):
            if kind in kinds[:k]:
                raise ValueError(f"the kind '{kind}' is convened twice at this stage")
        return self

    @property
    def options(self) -> tuple[Panel, ...]:
        """This panel and its alternatives: every body the stage may convene."""
        return (self, *self.alternatives)

    def option(self, kind: PanelKind | str) -> Panel | None:
        return next((p for p in self.options if p.kind == kind), None)


class Stage(_Model):
    number: Annotated[int, Field(ge=1, le=20)]
    name: Text
    who: Text
    levels: tuple[Level, ...] = Field(min_length=1)
    who_by_agency: dict[AgencyType, Text] = Field(default_factory=dict)
    may_join_by_agency: dict[AgencyType, Text] = Field(default_factory=dict)
    due: DueRule | None = None
    no_timescale_text: Text | None = None
    protective_timescale: bool = False
    obligations: tuple[Obligation, ...] = ()
    forms: tuple[Slug, ...] = ()
    panel: Panel | None = None
    notes: tuple[Text, ...] = ()


class Event(_Model):
    """Something recorded as it happens. ``stages`` are the stages at which it may be recorded
    (a chair notified at the top stage is not offered at stage 1)."""

    id: Slug
    name: Text
    stages: tuple[Annotated[int, Field(ge=1)], ...] = Field(min_length=1)


class FieldType(StrEnum):
    """What a form field holds, and so how it is asked and checked."""

    TEXT = "text"
    LONG_TEXT = "long-text"
    DATE = "date"
    CHOICE = "choice"
    YES_NO = "yes-no"
    NUMBER = "number"
    PERSON = "person"
    AGENCY = "agency"
    SIGNATURE = "signature"


class FieldSource(StrEnum):
    """Where a field's value comes from on the record, so that nobody types it twice. The
    value is filled in when the form is started; whoever completes it may change it."""

    REFERENCE = "reference"  # the escalation's reference, ESC-XXXX-XXXX
    SUBJECT_NAME = "subject-name"  # the child's or adult's name, where the partnership keeps it
    SUBJECT_REFERENCE = "subject-reference"  # the case reference with its kind (PID, NHS number)
    SUBJECT = "subject"  # the name where kept, else the case reference
    PARTIES = "parties"  # every agency party, with its part
    RAISING_AGENCY = "raising-agency"
    RECEIVING_AGENCY = "receiving-agency"
    RAISER = "raiser"  # the practitioner who raised it: name and job title
    RECEIVER = "receiver"  # the receiving practitioner named on the record
    CATEGORY = "category"  # what the disagreement is about
    CONFLICT_SOURCE = "conflict-source"  # where it arose: a referral, a meeting, a plan...
    SUMMARY = "summary"  # the issue in dispute
    RISK = "risk"
    AIM = "aim"
    VIEWS = "views"  # each agency's latest view
    SUMMARY_WITH_VIEWS = "summary-with-views"  # the issue, then each agency's view
    CURRENT_STAGE = "current-stage"
    STAGE_REACHED = "stage-reached"  # where it was resolved or decided; blank while open
    WORKING_DAYS_TAKEN = "working-days-taken"  # from the outset to the end (or today)
    OUTSET_DATE = "outset-date"
    RAISED_DATE = "raised-date"
    CLOSED_DATE = "closed-date"
    OUTCOME = "outcome"  # the agreed outcome or the top stage's decision
    STAGES_COMPLETED = "stages-completed"  # the date each stage was completed
    CONTACT_METHOD = "contact-method"  # the latest contact recorded at the form's stage...
    CONTACT_BETWEEN = "contact-between"
    CONTACT_SUMMARY = "contact-summary"
    CONTACT_AGREED = "contact-agreed"
    DECISION_MAKERS = "decision-makers"


#: What kind of value each source gives: the field types that can hold it are in
#: :data:`SOURCE_FITS`.
SOURCE_KIND: Mapping[FieldSource, str] = {
    **{s: "text" for s in FieldSource},
    FieldSource.RAISING_AGENCY: "agency",
    FieldSource.RECEIVING_AGENCY: "agency",
    FieldSource.RAISER: "person",
    FieldSource.RECEIVER: "person",
    FieldSource.CURRENT_STAGE: "number",
    FieldSource.STAGE_REACHED: "number",
    FieldSource.WORKING_DAYS_TAKEN: "number",
    FieldSource.OUTSET_DATE: "date",
    FieldSource.RAISED_DATE: "date",
    FieldSource.CLOSED_DATE: "date",
}
#: Which field types can hold a source of each kind.
SOURCE_FITS: Mapping[str, frozenset[FieldType]] = {
    "text": frozenset({FieldType.TEXT, FieldType.LONG_TEXT}),
    "agency": frozenset({FieldType.TEXT, FieldType.LONG_TEXT, FieldType.AGENCY}),
    "person": frozenset({FieldType.TEXT, FieldType.LONG_TEXT, FieldType.PERSON}),
    "number": frozenset({FieldType.TEXT, FieldType.LONG_TEXT, FieldType.NUMBER, FieldType.CHOICE}),
    "date": frozenset({FieldType.TEXT, FieldType.LONG_TEXT, FieldType.DATE}),
}


class SignerKind(StrEnum):
    """Who may sign a form (and so complete it)."""

    RAISER = "raiser"  # the practitioner who raised the concern
    RECEIVER = "receiver"  # the receiving practitioner named on the record
    STAGE_HOLDER = "stage-holder"  # whoever's level holds the form's stage (in a party agency)
    LEVEL = "level"  # someone of a party agency at this level or above
    BUSINESS_UNIT = "business-unit"  # the board's business unit
    PANEL_CHAIR = "panel-chair"  # the chair of the panel or sub-committee sitting on it


class Side(StrEnum):
    ANY = "any"
    RAISING = "raising"
    RECEIVING = "receiving"


class Signer(_Model):
    """One kind of person who may sign. In a file: ``raiser``, or
    ``{who: stage-holder, side: raising}``, or ``{who: level, level: senior-manager}``."""

    who: SignerKind
    side: Side = Side.ANY
    level: Level | None = None

    @model_validator(mode="before")
    @classmethod
    def _from_word(cls, data: Any) -> Any:
        return {"who": data} if isinstance(data, str) else data

    @model_validator(mode="after")
    def _level_and_side_fit(self) -> Signer:
        if self.who is SignerKind.LEVEL and self.level is None:
            raise ValueError("a signer 'who: level' must name the level")
        if self.who is not SignerKind.LEVEL and self.level is not None:
            raise ValueError(f"'level' only goes with 'who: level', not 'who: {self.who}'")
        if self.level in (Level.BOARD_CHAIR, Level.PANEL):
            raise ValueError(
                f"level '{self.level}' is not a level of the parties; use 'panel-chair' or "
                "'business-unit'"
            )
        sided = (SignerKind.STAGE_HOLDER, SignerKind.LEVEL)
        if self.side is not Side.ANY and self.who not in sided:
            raise ValueError(f"'side' only goes with 'stage-holder' or 'level', not '{self.who}'")
        return self


class Option(_Model):
    """One answer of a choice field. In a file: ``"3"``, or ``{value: "3", label: Stage 3}``."""

    value: Annotated[str, Field(min_length=1, max_length=80)]
    label: Text

    @model_validator(mode="before")
    @classmethod
    def _from_word(cls, data: Any) -> Any:
        if isinstance(data, str | int):
            return {"value": str(data), "label": str(data)}
        return data


class FormField(_Model):
    """One question of a form: its type, whether it must be answered, at which of the form's
    stages it is completed (all of them unless ``stages`` says), and where on the record its
    value comes from (``source``)."""

    id: Slug
    label: Text
    type: FieldType = FieldType.TEXT
    hint: Text | None = None
    #: How messages name it ("Enter the adult's name"); the label, lower-cased, by default.
    error_name: Text | None = None
    required: bool = True
    stages: tuple[Annotated[int, Field(ge=1)], ...] = ()
    source: FieldSource | None = None
    options: tuple[Option, ...] = ()
    #: Signature fields: who may sign this one (else the form's ``signers``).
    signers: tuple[Signer, ...] = ()


class Form(_Model):
    """A form the procedure asks for: completed on screen by whoever it names (its signers),
    signed, and sent to its ``send_to`` recipients. Each stage it is used at needs a signature
    field signed at that stage."""

    id: Slug
    title: Text
    used_at: tuple[Annotated[int, Field(ge=1)], ...] = Field(min_length=1)
    completed_by: Text | None = None
    send_to: tuple[Recipient, ...] = ()
    #: Who may sign its signature fields that do not name their own signers.
    signers: tuple[Signer, ...] = ()
    notes: tuple[Text, ...] = ()
    fields: tuple[FormField, ...] = Field(min_length=1)

    def field(self, field_id: str) -> FormField:
        return next(f for f in self.fields if f.id == field_id)

    def stages_of(self, form_field: FormField) -> tuple[int, ...]:
        """The stages at which a field is completed."""
        return form_field.stages or self.used_at

    def signers_of(self, form_field: FormField) -> tuple[Signer, ...]:
        return form_field.signers or self.signers


def _form_checks(proc: Procedure) -> Iterator[tuple[Path_, str]]:  # noqa: C901 - a flat list
    """What a form's field types alone cannot say: its fields' stages, sources and signers."""
    for k, form in enumerate(proc.forms):
        at = ("forms", k)
        ids = [f.id for f in form.fields]
        used = ", ".join(str(n) for n in form.used_at)
        signed_at: set[int] = set()
        for j, fld in enumerate(form.fields):
            place = (*at, "fields", j)
            if fld.id in ids[:j]:
                yield (*place, "id"), f"field id '{fld.id}' repeats"
            for n in fld.stages:
                if n not in form.used_at:
                    yield (
                        (*place, "stages"),
                        f"field completed at stage {n}, but the form is used only at stages {used}",
                    )
            if fld.source is not None:
                kind = SOURCE_KIND[fld.source]
                if fld.type not in SOURCE_FITS[kind]:
                    yield (
                        (*place, "source"),
                        f"source '{fld.source}' gives a {kind}, which a '{fld.type}' field "
                        "cannot hold",
                    )
            if fld.type is FieldType.CHOICE and not fld.options:
                yield place, "a 'choice' field needs its 'options'"
            if fld.type is not FieldType.CHOICE and fld.options:
                yield (*place, "options"), "only a 'choice' field has 'options'"
            values = [o.value for o in fld.options]
            for m, value in enumerate(values):
                if value in values[:m]:
                    yield (*place, "options", m), f"option '{value}' repeats"
            if fld.type is FieldType.SIGNATURE:
                if fld.source is not None:
                    yield (*place, "source"), "a signature is given by signing, not from a source"
                if not form.signers_of(fld):
                    yield place, "say who may sign: give 'signers' here or on the form"
                signed_at.update(form.stages_of(fld))
            elif fld.signers:
                yield (*place, "signers"), "only a 'signature' field has 'signers'"
        for n in form.used_at:
            if n not in signed_at:
                yield (
                    (*at, "used_at"),
                    f"nothing is signed at stage {n}: add a 'signature' field for that stage",
                )
        if len(set(form.used_at)) != len(form.used_at):
            yield (*at, "used_at"), "a stage is listed twice"


class Category(_Model):
    id: Slug
    name: Text


class OverallBound(_Model):
    due: DueRule
    meaning: Text
    until_stage: Annotated[int, Field(ge=1)] | None = None
    outer_principle: Text | None = None


class ImmediateRisk(_Model):
    route: Text
    contacts: tuple[Text, ...] = ()
    may_start_at_any_stage: bool = True


class TopStage(_Model):
    produces: TopOutcome
    text: Text
    #: Who records the top stage's outcome. ``business-unit``: the board's business unit records
    #: what the chair or panel decided, never the parties' own representatives (the outcome binds
    #: them or is addressed to them). ``stage-holders``: whoever's level holds the top stage.
    recorded_by: Literal["business-unit", "stage-holders"] = "business-unit"


class Procedure(_Model):
    """One local procedure, one version."""

    id: Slug
    version: Annotated[str, Field(min_length=1, max_length=20)]
    effective_from: dt.date
    title: Text
    board: Text
    protects: Protects
    calendar: Division = Division.ENGLAND_AND_WALES
    source: Text
    before_stage_1: Text | None = None
    principles: tuple[Text, ...] = ()
    categories: tuple[Category, ...] = Field(min_length=1)
    events: tuple[Event, ...] = ()
    forms: tuple[Form, ...] = ()
    overall: OverallBound | None = None
    immediate_risk: ImmediateRisk
    top_stage: TopStage
    stages: tuple[Stage, ...] = Field(min_length=2)

    # -- lookups used everywhere else -------------------------------------------------
    def stage(self, number: int) -> Stage:
        if not 1 <= number <= len(self.stages):
            raise KeyError(f"{self.id} has no stage {number} (it has 1 to {len(self.stages)})")
        return self.stages[number - 1]

    @property
    def top(self) -> int:
        return len(self.stages)

    def event_ids(self) -> frozenset[str]:
        return frozenset(BUILT_IN_EVENTS) | {e.id for e in self.events}

    def events_at(self, stage: int) -> tuple[Event, ...]:
        """The declared events that may be recorded at a stage."""
        return tuple(e for e in self.events if stage in e.stages)

    def event_name(self, event_id: str) -> str:
        for e in self.events:
            if e.id == event_id:
                return e.name
        return BUILT_IN_EVENTS[event_id]

    def form(self, form_id: str) -> Form:
        return next(f for f in self.forms if f.id == form_id)

    @property
    def key(self) -> str:
        return f"{self.id}@{self.version}"


# ---------------------------------------------------------------------------------------
# Errors


@dataclass(frozen=True)
class Problem:
    file: str
    line: int | None
    place: str
    message: str

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        return f"{where}: {self.place or '(top)'}: {self.message}"


class DefinitionError(Exception):
    """A definition file cannot be used. ``problems`` says where and why."""

    def __init__(self, problems: Iterable[Problem]) -> None:
        self.problems = tuple(problems)
        super().__init__("\n".join(str(p) for p in self.problems))


# ---------------------------------------------------------------------------------------
# Loading

Path_ = tuple[str | int, ...]


def _place(path: Path_) -> str:
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else part)
    return out


def _lines(node: yaml.Node, path: Path_, into: dict[Path_, int], problems: list[str]) -> None:
    """Record the line of every node, and find duplicate keys (PyYAML keeps the last)."""
    into[path] = node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        seen: set[str] = set()
        for key_node, value_node in node.value:
            key = str(key_node.value)
            if key in seen:
                problems.append(f"{key_node.start_mark.line + 1}\x00{_place(path)}\x00{key}")
            seen.add(key)
            _lines(value_node, (*path, key), into, problems)
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            _lines(item, (*path, i), into, problems)


def _line_for(lines: Mapping[Path_, int], path: Path_) -> int | None:
    for end in range(len(path), -1, -1):
        if path[:end] in lines:
            return lines[path[:end]]
    return None


def _data_loc(loc: tuple[str | int, ...]) -> Path_:
    """pydantic adds validator and union branch names to a location; keep only data keys."""
    return tuple(p for p in loc if isinstance(p, int) or not p.startswith("function-"))


def _pydantic_problems(
    error: ValidationError, file: str, lines: Mapping[Path_, int]
) -> Iterator[Problem]:
    errors = [(_data_loc(err["loc"]), err) for err in error.errors()]
    for loc, err in errors:
        kind = err["type"]
        inner = any(other[: len(loc)] == loc and len(other) > len(loc) for other, _ in errors)
        if "too_short" in kind and inner:
            continue  # a list looks short only because an item in it failed: say that instead
        if kind == "extra_forbidden":
            parent = loc[:-1]
            yield Problem(file, _line_for(lines, loc), _place(parent), f"unknown key '{loc[-1]}'")
        elif kind == "missing":
            parent = loc[:-1]
            message = f"missing required key '{loc[-1]}'"
            yield Problem(file, _line_for(lines, parent), _place(parent), message)
        else:
            message = str(err["msg"]).removeprefix("Value error, ")
            if "too_short" in kind and "at least" in message:
                message = message.replace("List should have", "needs")
            yield Problem(file, _line_for(lines, loc), _place(loc), message)


def _due_rules(proc: Procedure) -> Iterator[tuple[Path_, DueRule]]:
    for i, stage in enumerate(proc.stages):
        if stage.due is not None:
            yield ("stages", i, "due"), stage.due
        for j, ob in enumerate(stage.obligations):
            if ob.due is not None:
                yield ("stages", i, "obligations", j, "due"), ob.due
    if proc.overall is not None:
        yield ("overall", "due"), proc.overall.due


def _cross_checks(proc: Procedure) -> Iterator[tuple[Path_, str]]:  # noqa: C901 - a flat list
    """What the field types alone cannot say: order, references, uniqueness."""
    for i, stage in enumerate(proc.stages):
        if stage.number != i + 1:
            yield (
                ("stages", i, "number"),
                f"stages out of order or missing: stage {i + 1} expected here, found "
                f"{stage.number}; number the stages 1, 2, 3 ... in order",
            )
        if stage.due is None and stage.no_timescale_text is None:
            yield (
                ("stages", i),
                "a stage with no 'due' rule must say why in 'no_timescale_text'",
            )
        for form_id in stage.forms:
            if form_id not in {f.id for f in proc.forms}:
                yield ("stages", i, "forms"), f"form '{form_id}' is not declared under 'forms'"
        seen: set[str] = set()
        for j, ob in enumerate(stage.obligations):
            if ob.id in seen:
                yield ("stages", i, "obligations", j, "id"), f"obligation id '{ob.id}' repeats"
            seen.add(ob.id)
            if ob.form is not None and ob.form not in {f.id for f in proc.forms}:
                yield (
                    ("stages", i, "obligations", j, "form"),
                    f"form '{ob.form}' is not declared under 'forms'",
                )
    known = proc.event_ids()
    for path, rule in _due_rules(proc):
        if rule.after is Anchor.EVENT and rule.event not in known:
            yield (
                (*path, "event"),
                f"event '{rule.event}' does not exist; declare it under 'events' "
                f"(known: {', '.join(sorted(known))})",
            )
    if proc.overall is not None:
        if proc.overall.due.after is not Anchor.OUTSET:
            yield ("overall", "due", "after"), "the overall bound must count from the outset"
        until = proc.overall.until_stage
        if until is not None and until > len(proc.stages):
            yield ("overall", "until_stage"), f"there is no stage {until}"
    at_stages: list[tuple[Path_, str, tuple[int, ...]]] = [
        *((("events", k, "stages"), "event recorded", e.stages) for k, e in enumerate(proc.events)),
        *((("forms", k, "used_at"), "form used", f.used_at) for k, f in enumerate(proc.forms)),
    ]
    for path, what, numbers in at_stages:
        for stage_number in numbers:
            if stage_number > len(proc.stages):
                yield path, f"{what} at stage {stage_number}, which is missing"
    for group, items in (("events", proc.events), ("forms", proc.forms)):
        ids = [item.id for item in items]
        for k, item_id in enumerate(ids):
            if item_id in ids[:k]:
                yield (group, k, "id"), f"id '{item_id}' repeats"
            if group == "events" and item_id in BUILT_IN_EVENTS:
                yield (group, k, "id"), f"'{item_id}' is built in; do not declare it"
    cat_ids = [c.id for c in proc.categories]
    for k, cat_id in enumerate(cat_ids):
        if cat_id in cat_ids[:k]:
            yield ("categories", k, "id"), f"id '{cat_id}' repeats"
    yield from _form_checks(proc)


#: libyaml's parser where PyYAML was built with it (its wheels are): ten times faster than the
#: pure-Python one, which made loading the five definitions half a second.
_Loader: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def parse_definition(text: str, file: str) -> Procedure:
    """Parse and validate one definition. Raises :class:`DefinitionError`."""
    loader = _Loader(text)
    try:
        # One parse: the node tree gives line numbers and duplicate keys, and the data is
        # constructed from the same tree.
        node = loader.get_single_node()
        data: Any = loader.construct_document(node) if node is not None else None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else None
        problem = getattr(exc, "problem", None) or str(exc)
        raise DefinitionError([Problem(file, line, "", f"not valid YAML: {problem}")]) from exc
    finally:
        loader.dispose()
    if node is None or not isinstance(data, dict):
        raise DefinitionError([Problem(file, 1, "", "the file must hold a mapping of keys")])
    lines: dict[Path_, int] = {}
    dupes: list[str] = []
    _lines(node, (), lines, dupes)
    if dupes:
        problems = []
        for d in dupes:
            line, place, key = d.split("\x00")
            problems.append(Problem(file, int(line), place, f"key '{key}' appears twice"))
        raise DefinitionError(problems)
    try:
        proc = Procedure.model_validate(data)
    except ValidationError as exc:
        raise DefinitionError(_pydantic_problems(exc, file, lines)) from exc
    cross = [Problem(file, _line_for(lines, p), _place(p), m) for p, m in _cross_checks(proc)]
    if cross:
        raise DefinitionError(cross)
    return proc


def load_definition(path: Path) -> Procedure:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise DefinitionError([Problem(str(path), None, "", f"cannot read: {exc}")]) from exc
    return parse_definition(text, str(path))
