"""Schema values in plain words (escalate.procedures.words)."""

from __future__ import annotations

from escalate.procedures import words
from escalate.procedures.schema import Level, TopOutcome


def test_schema_values_read_as_words() -> None:
    assert words.plain(TopOutcome.BINDING_DECISION) == "binding decision"
    assert words.plain(TopOutcome.RECOMMENDATIONS) == "recommendations"
    assert words.levels([Level.PRACTITIONER, Level.LINE_MANAGER]) == "practitioner, line manager"
    assert words.levels([Level.BOARD_CHAIR]) == "board chair"
