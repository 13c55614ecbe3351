"""The procedure in plain words: due rules and dates as a practitioner reads them."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum

from escalate.procedures.schema import (
    AGENCY_TYPE_NAMES,
    Anchor,
    DueRule,
    Level,
    Procedure,
    Recipient,
    Unit,
)

_UNIT_WORDS = {
    Unit.WORKING_DAYS: ("working day", "working days"),
    Unit.CALENDAR_DAYS: ("calendar day", "calendar days"),
    Unit.HOURS: ("hour", "hours"),
}


def amount(rule: DueRule) -> str:
    one, many = _UNIT_WORDS[rule.unit]
    return f"{rule.amount} {one if rule.amount == 1 else many}"


def due_rule(rule: DueRule | None, procedure: Procedure, *, none: str = "no timescale") -> str:
    """``{after: outset, working_days: 2}`` -> 'by working day 2 after the outset'."""
    if rule is None:
        return none
    if rule.after is Anchor.OUTSET:
        if rule.unit is Unit.WORKING_DAYS:
            if rule.amount == 0:
                return "the same working day the concern is identified"
            return f"by working day {rule.amount} after the concern was identified"
        return f"within {amount(rule)} of the concern being identified"
    what = (
        "entering this stage"
        if rule.after is Anchor.ENTRY
        else procedure.event_name(rule.event or "")
    )
    if rule.amount == 0:
        return f"the same working day as {what}"
    return f"within {amount(rule)} of {what}"


def day(on: dt.date | None) -> str:
    """Fri 19 Dec 2025; a dash for no date."""
    return f"{on:%a} {on.day} {on:%b %Y}" if on is not None else "-"


_MONTHS = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)


def long_date(on: dt.date) -> str:
    """30 November 2026: a date as messages and sentences write it (the GOV.UK style), in
    English whatever the process locale."""
    return f"{on.day} {_MONTHS[on.month - 1]} {on.year}"


def days_in_words(days: int) -> str:
    """A limit in days as people say it: 365 -> 'a year', 730 -> '2 years', 90 -> '90 days'."""
    if days > 0 and days % 365 == 0:
        years = days // 365
        return "a year" if years == 1 else f"{years} years"
    return "a day" if days == 1 else f"{days} days"


@dataclass(frozen=True)
class ObligationText:
    what: str
    who: str | None
    due: str
    recipients: tuple[str, ...]


@dataclass(frozen=True)
class StageText:
    number: int
    name: str
    who: str
    due: str
    protective: bool
    by_agency: tuple[tuple[str, str], ...]
    may_join: tuple[tuple[str, str], ...]
    obligations: tuple[ObligationText, ...]
    forms: tuple[str, ...]
    panel: str | None
    notes: tuple[str, ...]


def plain(value: StrEnum) -> str:
    """A schema value in words: "line-manager" is "line manager"."""
    return value.value.replace("-", " ")


def levels(values: Iterable[Level]) -> str:
    """The levels of a stage in words: "practitioner, line manager"."""
    return ", ".join(plain(v) for v in values)


def _recipient(r: Recipient) -> str:
    return plain(r).capitalize()


def outline(procedure: Procedure) -> tuple[StageText, ...]:
    """Each stage in words, for the procedure page and the escalation page."""
    out = []
    for s in procedure.stages:
        panel = None
        if s.panel is not None:
            bits = [s.panel.name]
            if s.panel.min_members:
                bits.append(f"at least {s.panel.min_members} members")
            if s.panel.must_include:
                bits.append("must include " + "; ".join(s.panel.must_include))
            if s.panel.exclude_involved:
                bits.append("nobody involved in the case may be present")
            if s.panel.alternatives:
                bits.append("or instead " + " or ".join(a.name for a in s.panel.alternatives))
            panel = ", ".join(bits)
        out.append(
            StageText(
                number=s.number,
                name=s.name,
                who=s.who,
                due=due_rule(s.due, procedure, none=s.no_timescale_text or "no timescale"),
                protective=s.protective_timescale,
                by_agency=tuple((AGENCY_TYPE_NAMES[a], w) for a, w in s.who_by_agency.items()),
                may_join=tuple((AGENCY_TYPE_NAMES[a], w) for a, w in s.may_join_by_agency.items()),
                obligations=tuple(
                    ObligationText(
                        o.what,
                        o.who,
                        due_rule(o.due, procedure),
                        tuple(_recipient(r) for r in o.recipients),
                    )
                    for o in s.obligations
                ),
                forms=tuple(procedure.form(f).title for f in s.forms),
                panel=panel,
                notes=s.notes,
            )
        )
    return tuple(out)
