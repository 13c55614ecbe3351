"""GovukDateField's messages follow the GOV.UK date input pattern and name the date."""

from __future__ import annotations

import datetime

import pytest
from django.core.exceptions import ValidationError

from escalate.web.govuk_forms import GovukDateField

D = datetime.date
TODAY = D(2026, 11, 30)


def _errors(field: GovukDateField, day: str, month: str, year: str) -> tuple[list[str], object]:
    with pytest.raises(ValidationError) as caught:
        field.clean([day, month, year])
    return caught.value.messages, caught.value.error_list[0].params


@pytest.mark.parametrize(
    ("typed", "message", "parts"),
    [
        (("", "", ""), "Enter the date you identified the concern", ["day", "month", "year"]),
        (("3", "", "2026"), "The date you identified the concern must include a month", ["month"]),
        (("31", "2", "2026"), "The date you identified the concern must be a real date", ["day"]),
        (
            ("x", "y", "2026"),
            "The date you identified the concern must be a real date",
            ["day", "month"],
        ),
        (
            ("1", "12", "2026"),
            "The date you identified the concern must be today or in the past",
            ["day", "month", "year"],
        ),
    ],
)
def test_messages_name_the_date(
    typed: tuple[str, str, str], message: str, parts: list[str]
) -> None:
    field = GovukDateField(
        label="When did you identify the concern?",
        error_name="the date you identified the concern",
        today=TODAY,
    )
    messages, params = _errors(field, *typed)
    assert messages == [message]
    assert params == {"parts": parts}


def test_today_and_the_past_are_accepted_when_the_future_is_refused() -> None:
    field = GovukDateField(label="Date of the contact", today=TODAY)
    assert field.clean(["30", "11", "2026"]) == TODAY
    assert field.clean(["29", "11", "2026"]) == D(2026, 11, 29)


def test_the_future_is_accepted_when_no_today_is_given() -> None:
    assert GovukDateField(label="New due date").clean(["1", "1", "2030"]) == D(2030, 1, 1)


def test_today_can_be_given_after_the_field_is_made() -> None:
    """A form is given today when it is made: it sets the field's ``today``."""
    field = GovukDateField(label="Date of the contact")
    field.today = TODAY
    assert _errors(field, "1", "12", "2026")[0] == [
        "Date of the contact must be today or in the past"
    ]


def test_a_question_label_is_not_pasted_into_a_sentence() -> None:
    """Without an error name, a label asked as a question gives 'the date', never
    'Enter when did it happen?'."""
    field = GovukDateField(label="When did it happen?")
    assert _errors(field, "", "", "")[0] == ["Enter the date"]
    assert _errors(field, "31", "2", "2026")[0] == ["The date must be a real date"]
