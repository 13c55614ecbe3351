"""Dates in the rules core's messages are written as people write them: "30 November 2026"."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from dataclasses import replace

import pytest

from escalate.procedures import lifecycle as lc
from escalate.procedures import words
from escalate.procedures.calendar import working_calendar
from escalate.procedures.registry import load_registry
from escalate.procedures.schema import Procedure

D = dt.date
REGISTRY = load_registry()
NEL = REGISTRY.get("north-east-lincolnshire")
REDBRIDGE = REGISTRY.get("redbridge-sab")
CAL = working_calendar()
OUTSET = D(2026, 3, 2)
ISO = re.compile(r"\d{4}-\d{2}-\d{2}")


def raised(procedure: Procedure = NEL) -> lc.EscalationState:
    return lc.raise_escalation(procedure, outset_on=OUTSET, raised_on=OUTSET, calendar=CAL).state


@pytest.mark.parametrize(
    ("on", "expected"),
    [
        (D(2026, 11, 30), "30 November 2026"),
        (D(2024, 3, 3), "3 March 2024"),
        (D(2025, 1, 1), "1 January 2025"),
        (D(2027, 12, 31), "31 December 2027"),
    ],
)
def test_long_date_writes_day_month_and_year_in_words(on: dt.date, expected: str) -> None:
    assert words.long_date(on) == expected


def _message(call: Callable[[], object]) -> str:
    with pytest.raises(lc.LifecycleError) as caught:
        call()
    return str(caught.value)


def test_every_dated_refusal_writes_its_date_in_words() -> None:
    resolved = lc.resolve(NEL, raised(), resolved_on=D(2026, 3, 3), outcome="Agreed").state
    confirmed = lc.confirm_in_writing(
        NEL, resolved, confirmed_on=D(2026, 3, 4), confirmed_by="Manager"
    ).state
    at_two = lc.escalate(NEL, raised(), escalated_on=D(2026, 3, 5), reason="x").state
    cases = {
        "before the outset": (
            lambda: lc.record_contact(
                NEL, raised(), occurred_on=D(2026, 3, 1), recorded_on=OUTSET, kind="x"
            ),
            "(2 March 2026)",
        ),
        "after recording": (
            lambda: lc.record_contact(
                NEL, raised(), occurred_on=D(2026, 3, 5), recorded_on=D(2026, 3, 4), kind="x"
            ),
            "(4 March 2026)",
        ),
        "before stage entry": (
            lambda: lc.resolve(NEL, at_two, resolved_on=D(2026, 3, 4), outcome="x"),
            "(5 March 2026)",
        ),
        "confirmed before the resolution": (
            lambda: lc.confirm_in_writing(
                NEL, resolved, confirmed_on=D(2026, 3, 2), confirmed_by="x"
            ),
            "(3 March 2026)",
        ),
        "already confirmed": (
            lambda: lc.confirm_in_writing(
                NEL, confirmed, confirmed_on=D(2026, 3, 5), confirmed_by="x"
            ),
            "on 4 March 2026.",
        ),
        "protective in the past": (
            lambda: lc.set_protective_due(
                REDBRIDGE,
                raised(REDBRIDGE),
                CAL,
                stage=1,
                due_on=D(2026, 3, 3),
                reason="x",
                today=D(2026, 3, 4),
            ),
            "(4 March 2026)",
        ),
        "protective not earlier": (
            lambda: lc.set_protective_due(
                REDBRIDGE,
                raised(REDBRIDGE),
                CAL,
                stage=1,
                due_on=D(2026, 3, 20),
                reason="x",
                today=OUTSET,
            ),
            "(9 March 2026)",
        ),
        "duty already met": (
            lambda: lc.meet_obligation(
                NEL,
                replace(raised(), met=((1, "consult-line-manager", D(2026, 3, 3)),)),
                obligation="consult-line-manager",
                met_on=D(2026, 3, 4),
            ),
            "on 3 March 2026.",
        ),
    }
    for name, (call, expected) in cases.items():
        text = _message(call)
        assert expected in text, (name, text)
        assert not ISO.search(text), (name, text)
