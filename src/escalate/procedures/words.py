"""The procedure in plain words: due rules and dates as a practitioner reads them."""

from __future__ import annotations

import datetime as dt

from escalate.procedures.schema import Anchor, DueRule, Procedure, Unit

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
    return on.strftime("%a %d %b %Y") if on is not None else "-"
