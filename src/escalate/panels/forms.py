"""Forms for the panel pages: they parse what is typed; the services decide what it means."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.forms.boundfield import BoundField

from escalate.cases.forms import LONG, VersionedForm
from escalate.cases.models import Party
from escalate.directory.models import PanelSeat
from escalate.panels.models import Answer, Panel
from escalate.panels.services import due_field, recommendation_field
from escalate.procedures import schema
from escalate.web.govuk_forms import GovukDateField, GovukTextField


def _text(
    label: str, error: str, *, required: bool = True, help_text: str = "", name: str = ""
) -> GovukTextField:
    return GovukTextField(
        label=label,
        required=required,
        max_length=LONG,
        error_name=name or None,
        help_text=help_text,
        widget=forms.Textarea(attrs={"rows": 5}),
        error_messages={"required": error},
    )


def _radios(label: str, error: str, choices: list[tuple[str, str]], **kw: Any) -> forms.ChoiceField:
    return forms.ChoiceField(
        label=label,
        choices=choices,
        widget=forms.RadioSelect,
        error_messages={"required": error, "invalid_choice": error},
        **kw,
    )


def seat_label(seat: PanelSeat) -> str:
    return f"{seat.person.name}, {seat.person.job_title}, for {seat.agency.name}"


class ConveneForm(forms.Form):
    kind = _radios("Which is being convened?", "Select which is being convened", [])
    sits_on = GovukDateField(
        label="When does it sit?",
        error_name="the date it sits",
        help_text="For example, 27 3 2026. You can change it when you choose its members",
    )

    def __init__(self, *args: Any, options: tuple[schema.Panel, ...], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["kind"].choices = [(p.kind.value, p.name) for p in options]  # type: ignore[attr-defined]


class MembersForm(VersionedForm):
    sits_on = GovukDateField(label="When does it sit?", error_name="the date it sits")
    members = forms.TypedMultipleChoiceField(
        label="Who sits on it?",
        coerce=int,
        choices=[],
        widget=forms.CheckboxSelectMultiple,
        help_text="Select everyone who sits, each for the agency shown",
        error_messages={
            "required": "Select who sits on it",
            "invalid_choice": "Select who sits on it from the list",
        },
    )
    chair = forms.TypedChoiceField(
        label="Who chairs it?",
        coerce=int,
        empty_value=None,  # no choice reaches the service, which says a chair is needed
        choices=[],
        widget=forms.RadioSelect,
        required=False,
        error_messages={"invalid_choice": "Select who chairs it from the list"},
    )

    def __init__(self, *args: Any, seats: list[PanelSeat], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        choices = [(s.pk, seat_label(s)) for s in seats]
        self.fields["members"].choices = choices  # type: ignore[attr-defined]
        self.fields["chair"].choices = choices  # type: ignore[attr-defined]


def _outcome_words(produces: schema.TopOutcome, body: str) -> tuple[str, str, str]:
    """The decision field's label, its message when empty, and its hint."""
    if produces is schema.TopOutcome.BINDING_DECISION:
        return (
            f"What did the {body} decide?",
            "Enter what was decided",
            "The decision is final and binding on all organisations involved",
        )
    if produces is schema.TopOutcome.RECOMMENDATIONS:
        return (
            "Summary of the recommendations",
            "Enter a summary of the recommendations",
            "Then enter below each agency's recommendation and the date it must respond by",
        )
    return (
        f"What is the {body}'s feedback?",
        "Enter the feedback",
        "Everyone party to this escalation will see it",
    )


class OutcomeForm(VersionedForm):
    """The top stage's outcome. For recommendations, a text and a due date for each agency
    party to the escalation (works without JavaScript: one pair of fields an agency)."""

    on = GovukDateField(label="When was it made?", error_name="the date it was made")

    def __init__(
        self,
        *args: Any,
        procedure: schema.Procedure,
        panels: list[Panel],
        parties: list[Party],
        today: dt.date,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["on"].today = today  # type: ignore[attr-defined]
        produces = procedure.top_stage.produces
        self.produces_words = produces.value.replace("-", " ")
        top = procedure.stage(procedure.top)
        body = top.panel.name if top.panel is not None else "top stage"
        label, error, hint = _outcome_words(produces, body)
        self.fields["decision"] = _text(label, error, help_text=hint, name="The outcome")
        self.panel_required = top.panel is not None and top.panel.convened == "always"
        if panels:
            choices = [(str(p.pk), f"{p.name}, sitting on {p.sits_on:%-d %B %Y}") for p in panels]
            if not self.panel_required:
                choices.append(("", "No panel sat"))
            self.fields["panel"] = _radios(
                "Which panel made it?",
                "Select the panel that made it",
                choices,
                required=self.panel_required,
            )
        self.agencies: list[tuple[str, str, str]] = []
        if produces is schema.TopOutcome.RECOMMENDATIONS:
            for party in parties:
                name = party.agency.name
                text_name, due_name = (
                    recommendation_field(party.agency_id),
                    due_field(party.agency_id),
                )
                self.fields[text_name] = _text(
                    f"Recommendation to {name} (optional)",
                    "",
                    required=False,
                    name=f"The recommendation to {name}",
                )
                self.fields[due_name] = GovukDateField(
                    label=f"When must {name} respond by?",
                    error_name=f"the date {name} must respond by",
                    required=False,
                )
                self.agencies.append((name, text_name, due_name))
        first = ["version", "panel", "decision", "on"]
        self.order_fields([f for f in first if f in self.fields])

    @property
    def has_panel(self) -> bool:
        return "panel" in self.fields

    @property
    def bound_agencies(self) -> list[tuple[str, BoundField, BoundField]]:
        """Each agency's name with its recommendation and due date fields, for the page."""
        return [(name, self[text], self[due]) for name, text, due in self.agencies]


class RespondForm(forms.Form):
    answer = _radios(
        "Does your agency accept the recommendation?",
        "Select whether your agency accepts the recommendation",
        list(Answer.choices),
    )
    text = _text(
        "What will your agency do?",
        "Enter what your agency will do",
        name="What your agency will do",
        help_text="Everyone party to this escalation will see it",
    )
    on = GovukDateField(label="Date of the response", error_name="the date of the response")

    def __init__(self, *args: Any, today: dt.date, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["on"].today = today  # type: ignore[attr-defined]
