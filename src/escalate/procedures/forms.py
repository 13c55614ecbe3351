"""The procedures' forms: what each field holds, where its value comes from, and whether what
someone typed will do. Pure: no Django, no database.

- :class:`RecordSnapshot` is an escalation's record as a form reads it (the web layer builds it).
- :func:`prefill` fills the fields whose definition names a ``source`` from a snapshot, so that
  nobody types twice what the record already says.
- :func:`check` says, per field, what is wrong with the values typed for a stage, in the GOV.UK
  style ("Enter the adult's name", "The date the sub-committee met must be a real date").
- :func:`fields_at`, :func:`signature_slots` and :func:`who_may_sign` say which fields are
  completed and signed at a stage and, in words, who may sign.

Values are strings throughout: dates as ``YYYY-MM-DD``, numbers as digits, yes/no as ``yes`` or
``no``, a choice as its option's value. A blank string is no answer.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from escalate.procedures.schema import (
    FieldSource,
    FieldType,
    Form,
    FormField,
    Side,
    Signer,
    SignerKind,
)
from escalate.procedures.words import long_date, plain

#: The longest answer each kind of field takes.
TEXT_LIMIT = 500
LONG_TEXT_LIMIT = 20_000
NUMBER_LIMIT = 100_000

ENTER = "Enter {name}"
SELECT = "Select {name}"
TOO_LONG = "{Name} must be {limit:,} characters or fewer"
NOT_A_DATE = "{Name} must be a real date"
NOT_A_NUMBER = "{Name} must be a whole number, like 5"
NUMBER_TOO_BIG = "{Name} must be {limit:,} or less"
CONTROL_CHARACTER = "{Name} must not contain a null character"


@dataclass(frozen=True)
class AgencyView:
    """One agency's latest view of the disagreement."""

    agency: str
    text: str


@dataclass(frozen=True)
class ContactNote:
    """One contact or meeting recorded on the timeline (the recording template's headings)."""

    stage: int
    on: dt.date
    method: str
    between: str
    summary: str
    agreed: str
    decision_makers: str


@dataclass(frozen=True)
class StageDates:
    number: int
    entered_on: dt.date
    left_on: dt.date | None


@dataclass(frozen=True)
class RecordSnapshot:
    """An escalation's record as its forms read it."""

    reference: str
    subject_kind: str  # "child" or "adult"
    subject_name: str
    subject_reference_kind: str  # in words: "PID (case system number)"
    subject_reference: str
    raising_agency: str
    receiving_agency: str
    other_agencies: tuple[str, ...]
    raiser: str  # "Name, job title", or ""
    receiver: str
    category: str
    conflict_source: str
    summary: str
    risk: str
    aim: str
    views: tuple[AgencyView, ...]
    current_stage: int
    #: The stage it was resolved or decided at; None while open or once withdrawn.
    closed_at_stage: int | None
    outset_on: dt.date
    raised_on: dt.date
    closed_on: dt.date | None
    working_days_taken: int
    outcome: str
    stages: tuple[StageDates, ...] = ()
    contacts: tuple[ContactNote, ...] = ()


# ---------------------------------------------------------------------------------------
# Which fields, at which stage


def fields_at(form: Form, stage: int) -> tuple[FormField, ...]:
    """The fields completed at a stage (signatures included)."""
    return tuple(f for f in form.fields if stage in form.stages_of(f))


def fields_shown(form: Form, stage: int) -> tuple[FormField, ...]:
    """The fields a version of the form at ``stage`` shows: those of that stage and before."""
    return tuple(f for f in form.fields if min(form.stages_of(f)) <= stage)


def signature_slots(form: Form, stage: int) -> tuple[FormField, ...]:
    """The signatures given at a stage."""
    return tuple(f for f in fields_at(form, stage) if f.type is FieldType.SIGNATURE)


def answerable(form: Form, stage: int) -> tuple[FormField, ...]:
    """The fields typed in at a stage (everything but signatures)."""
    return tuple(f for f in fields_at(form, stage) if f.type is not FieldType.SIGNATURE)


# ---------------------------------------------------------------------------------------
# Where values come from


def _views(snapshot: RecordSnapshot) -> str:
    return "\n\n".join(f"{v.agency}: {v.text}" for v in snapshot.views)


def _parties(snapshot: RecordSnapshot) -> str:
    lines = [
        f"Raising agency: {snapshot.raising_agency}",
        f"Receiving agency: {snapshot.receiving_agency}",
        *(f"Also involved: {name}" for name in snapshot.other_agencies),
    ]
    return "\n".join(lines)


def _stages_completed(snapshot: RecordSnapshot) -> str:
    return "\n".join(
        f"Stage {s.number}: {long_date(s.left_on)}"
        for s in snapshot.stages
        if s.left_on is not None
    )


def _latest_contact(snapshot: RecordSnapshot, stage: int) -> ContactNote | None:
    found = [c for c in snapshot.contacts if c.stage == stage]
    return max(found, key=lambda c: c.on) if found else None


def _contact_value(source: FieldSource, contact: ContactNote | None) -> str:
    if contact is None:
        return ""
    return {
        FieldSource.CONTACT_METHOD: contact.method,
        FieldSource.CONTACT_BETWEEN: contact.between,
        FieldSource.CONTACT_SUMMARY: contact.summary,
        FieldSource.CONTACT_AGREED: contact.agreed,
        FieldSource.DECISION_MAKERS: contact.decision_makers,
    }[source]


_CONTACT_SOURCES = frozenset(
    {
        FieldSource.CONTACT_METHOD,
        FieldSource.CONTACT_BETWEEN,
        FieldSource.CONTACT_SUMMARY,
        FieldSource.CONTACT_AGREED,
        FieldSource.DECISION_MAKERS,
    }
)


def source_value(source: FieldSource, snapshot: RecordSnapshot, *, stage: int) -> str:  # noqa: C901
    """What the record says for one source (``stage``: the stage whose contact is read)."""
    s = snapshot
    if source in _CONTACT_SOURCES:
        return _contact_value(source, _latest_contact(s, stage))
    match source:
        case FieldSource.REFERENCE:
            return s.reference
        case FieldSource.SUBJECT_NAME:
            return s.subject_name
        case FieldSource.SUBJECT_REFERENCE:
            return f"{s.subject_reference_kind}: {s.subject_reference}"
        case FieldSource.SUBJECT:
            return s.subject_name or f"{s.subject_reference_kind}: {s.subject_reference}"
        case FieldSource.PARTIES:
            return _parties(s)
        case FieldSource.RAISING_AGENCY:
            return s.raising_agency
        case FieldSource.RECEIVING_AGENCY:
            return s.receiving_agency
        case FieldSource.RAISER:
            return s.raiser
        case FieldSource.RECEIVER:
            return s.receiver
        case FieldSource.CATEGORY:
            return s.category
        case FieldSource.CONFLICT_SOURCE:
            return s.conflict_source
        case FieldSource.SUMMARY:
            return s.summary
        case FieldSource.RISK:
            return s.risk
        case FieldSource.AIM:
            return s.aim
        case FieldSource.VIEWS:
            return _views(s)
        case FieldSource.SUMMARY_WITH_VIEWS:
            views = _views(s)
            return f"{s.summary}\n\nViews of the agencies:\n\n{views}" if views else s.summary
        case FieldSource.CURRENT_STAGE:
            return str(s.current_stage)
        case FieldSource.STAGE_REACHED:
            # Blank while the matter is open: the monitoring forms say to leave it blank when
            # the matter escalates unresolved.
            return str(s.closed_at_stage) if s.closed_at_stage else ""
        case FieldSource.WORKING_DAYS_TAKEN:
            return str(s.working_days_taken)
        case FieldSource.OUTSET_DATE:
            return s.outset_on.isoformat()
        case FieldSource.RAISED_DATE:
            return s.raised_on.isoformat()
        case FieldSource.CLOSED_DATE:
            return s.closed_on.isoformat() if s.closed_on else ""
        case FieldSource.OUTCOME:
            return s.outcome
        case FieldSource.STAGES_COMPLETED:
            return _stages_completed(s)
    return ""  # pragma: no cover - every source is matched above


def prefill(form: Form, snapshot: RecordSnapshot, *, stage: int) -> dict[str, str]:
    """The values the record gives for the fields completed at ``stage`` that name a source.
    A choice is filled only with one of its options; a value the field could not hold (too
    long) is still given, and :func:`check` says so at the field rather than cutting it."""
    values: dict[str, str] = {}
    for fld in answerable(form, stage):
        if fld.source is None:
            continue
        own = form.stages_of(fld)
        value = source_value(fld.source, snapshot, stage=own[0] if len(own) == 1 else stage)
        if fld.type is FieldType.CHOICE and value not in {o.value for o in fld.options}:
            continue
        if value:
            values[fld.id] = value
    return values


def started(
    form: Form, snapshot: RecordSnapshot, *, stage: int, carried: Mapping[str, str]
) -> dict[str, str]:
    """The values of a version started at ``stage``: those carried from the version before,
    with the record's values in the fields of this stage still empty."""
    values = {k: v for k, v in carried.items() if v}
    for key, value in prefill(form, snapshot, stage=stage).items():
        values.setdefault(key, value)
    return values


# ---------------------------------------------------------------------------------------
# Checking what was typed


def name_of(fld: FormField) -> str:
    """How messages name a field: its ``error_name``, else its label lower-cased."""
    name = fld.error_name or fld.label
    if len(name) > 1 and name[:2].isupper():
        return name
    return name[:1].lower() + name[1:]


def _capital(text: str) -> str:
    return text[:1].upper() + text[1:]


def limit_of(fld: FormField) -> int:
    return LONG_TEXT_LIMIT if fld.type is FieldType.LONG_TEXT else TEXT_LIMIT


def parse_date(value: str) -> dt.date | None:
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        return None


def _problem(fld: FormField, value: str) -> str | None:
    """What is wrong with a non-blank value, if anything."""
    name = name_of(fld)
    match fld.type:
        case FieldType.DATE:
            if len(value) != 10 or parse_date(value) is None:
                return NOT_A_DATE.format(Name=_capital(name))
        case FieldType.NUMBER:
            if not (value.isascii() and value.isdigit()):
                return NOT_A_NUMBER.format(Name=_capital(name))
            if int(value) > NUMBER_LIMIT:
                return NUMBER_TOO_BIG.format(Name=_capital(name), limit=NUMBER_LIMIT)
        case FieldType.CHOICE:
            if value not in {o.value for o in fld.options}:
                return SELECT.format(name=name)
        case FieldType.YES_NO:
            if value not in ("yes", "no"):
                return SELECT.format(name=name)
        case FieldType.SIGNATURE:
            return None
        case _:
            if len(value) > limit_of(fld):
                return TOO_LONG.format(Name=_capital(name), limit=limit_of(fld))
    return None


def _missing(fld: FormField) -> str:
    name = name_of(fld)
    asks = fld.type in (FieldType.CHOICE, FieldType.AGENCY, FieldType.YES_NO)
    return (SELECT if asks else ENTER).format(name=name)


def check(
    form: Form, values: Mapping[str, str], *, stage: int, draft: bool = False
) -> dict[str, str]:
    """What is wrong with the values typed for a stage, by field id (empty: nothing). A draft
    may leave questions unanswered; whatever is answered must still be a real answer."""
    errors: dict[str, str] = {}
    for fld in answerable(form, stage):
        value = values.get(fld.id, "").strip()
        if not value:
            if fld.required and not draft:
                errors[fld.id] = _missing(fld)
            continue
        problem = (
            CONTROL_CHARACTER.format(Name=_capital(name_of(fld)))
            if "\x00" in value
            else _problem(fld, value)
        )
        if problem is not None:
            errors[fld.id] = problem
    return errors


def clean(form: Form, values: Mapping[str, str], *, stage: int) -> dict[str, str]:
    """Only the answerable fields of a stage, stripped; blanks dropped."""
    wanted = {f.id for f in answerable(form, stage)}
    return {k: v.strip() for k, v in values.items() if k in wanted and v.strip()}


def display(fld: FormField, value: str) -> str:
    """A stored value as the form shows it: a date in words, a choice by its label."""
    if not value:
        return ""
    match fld.type:
        case FieldType.DATE:
            on = parse_date(value)
            return long_date(on) if on is not None else value
        case FieldType.CHOICE:
            return next((o.label for o in fld.options if o.value == value), value)
        case FieldType.YES_NO:
            return {"yes": "Yes", "no": "No"}.get(value, value)
    return value


# ---------------------------------------------------------------------------------------
# Who signs


def signer_words(signer: Signer) -> str:
    """One kind of signer in words: "a senior manager or above of the raising agency"."""
    side = {
        Side.ANY: "an agency party to the escalation",
        Side.RAISING: "the raising agency",
        Side.RECEIVING: "the receiving agency",
    }[signer.side]
    match signer.who:
        case SignerKind.RAISER:
            return "the practitioner who raised the concern"
        case SignerKind.RECEIVER:
            return "the receiving practitioner named on the record"
        case SignerKind.STAGE_HOLDER:
            return f"whoever holds the stage for {side}"
        case SignerKind.LEVEL:
            level = plain(signer.level) if signer.level is not None else "manager"
            return f"a {level} or above of {side}"
        case SignerKind.BUSINESS_UNIT:
            return "the board's business unit"
        case SignerKind.PANEL_CHAIR:
            return "the chair of the panel or sub-committee"
    return plain(signer.who)  # pragma: no cover


def _either(words: Iterable[str]) -> str:
    found = list(dict.fromkeys(words))
    if len(found) <= 1:
        return "".join(found)
    return ", ".join(found[:-1]) + " or " + found[-1]


def who_may_sign(form: Form, stage: int) -> str:
    """Who may sign a form at a stage, as a sentence: the refusal's message."""
    slots = signature_slots(form, stage)
    if not slots:
        used = _either(str(n) for n in form.used_at)
        return f"This form is completed at stage {used}, not at stage {stage}."
    parts = [
        f"{_capital(slot.label)}: {_either(signer_words(s) for s in form.signers_of(slot))}"
        for slot in slots
    ]
    return f"Only the people the procedure names may sign this form at stage {stage}. " + (
        "; ".join(parts) + "."
    )
