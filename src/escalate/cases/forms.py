"""Forms parse and check what people type; the services decide what it means.

Every form accepts only its declared fields. Text is length-limited and stripped; errors use
the GOV.UK pattern ("Enter ...", "Select ...").
"""

from __future__ import annotations

from typing import Any

from django import forms

from escalate.cases.models import ContactMethod, ReferenceKind, Source, SubjectKind
from escalate.cases.nhs import format_nhs_number, is_valid_nhs_number
from escalate.procedures.schema import Procedure
from escalate.web.govuk_forms import GovukDateField

SHORT = 200
LONG = 5000


def _text(
    label: str,
    *,
    required: bool = True,
    max_length: int = LONG,
    help_text: str = "",
    error: str | None = None,
    rows: int = 5,
) -> forms.CharField:
    return forms.CharField(
        label=label,
        required=required,
        max_length=max_length,
        help_text=help_text,
        widget=forms.Textarea(attrs={"rows": rows}) if max_length > SHORT else forms.TextInput(),
        error_messages={
            "required": error or f"Enter {label[0].lower()}{label[1:]}".rstrip("?"),
            "max_length": f"{label.rstrip('?')} must be {max_length} characters or fewer",
        },
    )


def _radios(label: str, choices: Any, error: str, help_text: str = "") -> forms.ChoiceField:
    return forms.ChoiceField(
        label=label,
        choices=choices,
        widget=forms.RadioSelect,
        help_text=help_text,
        error_messages={"required": error, "invalid_choice": error},
    )


def _date(label: str, help_text: str = "For example, 27 3 2026") -> GovukDateField:
    return GovukDateField(label=label, help_text=help_text)


# -- raise a concern, one question a page --------------------------------------------------

YES_NO = [("yes", "Yes"), ("no", "No")]


class ImmediateRiskForm(forms.Form):
    immediate_risk = _radios(
        "Is the child or adult at immediate risk of significant harm?",
        YES_NO,
        "Select yes if the person is at immediate risk of significant harm",
    )


class StartStageForm(forms.Form):
    route_taken = _text(
        "What have you done to make them safe today?",
        help_text="For example, who you called and when",
    )
    start_stage = forms.TypedChoiceField(
        label="Which stage should this start at?",
        coerce=int,
        choices=[],
        widget=forms.RadioSelect,
        error_messages={"required": "Select the stage to start at"},
    )
    reason = _text("Why start at this stage?", error="Enter why this should start at this stage")

    def __init__(self, *args: Any, procedure: Procedure, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["start_stage"].choices = [  # type: ignore[attr-defined]
            (s.number, f"Stage {s.number}: {s.name}") for s in procedure.stages[:-1]
        ]


class SubjectForm(forms.Form):
    subject_kind = _radios(
        "Is the concern about a child or an adult?",
        SubjectKind.choices,
        "Select whether the concern is about a child or an adult",
    )
    subject_reference_kind = _radios(
        "Which case reference will you give?",
        ReferenceKind.choices,
        "Select the kind of case reference",
    )
    subject_reference = _text(
        "Case reference",
        max_length=40,
        help_text="An NHS number is 10 digits, for example 943 476 5919",
    )
    subject_name = _text(
        "Name (optional)",
        required=False,
        max_length=SHORT,
        help_text="Leave this blank to record only the case reference",
    )

    def __init__(
        self, *args: Any, procedure: Procedure, record_names: bool = True, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        if not record_names:
            del self.fields["subject_name"]
        if procedure.protects.value != "both":
            only = "child" if procedure.protects.value == "children" else "adult"
            self.fields["subject_kind"].choices = [  # type: ignore[attr-defined]
                (k, v) for k, v in SubjectKind.choices if k == only
            ]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        kind, ref = data.get("subject_reference_kind"), data.get("subject_reference")
        if kind == ReferenceKind.NHS_NUMBER and ref:
            if not is_valid_nhs_number(ref):
                self.add_error(
                    "subject_reference",
                    "Enter a valid NHS number: 10 digits, the last a check digit",
                )
            else:
                data["subject_reference"] = format_nhs_number(ref)
        return data


class ReceivingForm(forms.Form):
    receiving_agency = forms.TypedChoiceField(
        label="Which agency do you disagree with?",
        coerce=int,
        choices=[],
        error_messages={
            "required": "Select the agency you disagree with",
            "invalid_choice": "Select the agency you disagree with",
        },
    )
    receiving_practitioner = _text(
        "Who made the decision you disagree with? (optional)",
        required=False,
        max_length=SHORT,
        help_text="Their name and job title, if you know them",
    )
    other_agencies = forms.TypedMultipleChoiceField(
        label="Are any other agencies involved? (optional)",
        coerce=int,
        choices=[],
        required=False,
        widget=forms.CheckboxSelectMultiple,
        error_messages={"invalid_choice": "Select agencies from the list"},
    )

    def __init__(self, *args: Any, agencies: list[tuple[int, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["receiving_agency"].choices = [("", "Choose an agency"), *agencies]  # type: ignore[attr-defined]
        self.fields["other_agencies"].choices = agencies  # type: ignore[attr-defined]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        receiving = data.get("receiving_agency")
        data["other_agencies"] = [a for a in data.get("other_agencies", []) if a != receiving]
        return data


class CategoryForm(forms.Form):
    category = _radios(
        "What is the disagreement about?", [], "Select what the disagreement is about"
    )

    def __init__(self, *args: Any, procedure: Procedure, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["category"].choices = [(c.id, c.name) for c in procedure.categories]  # type: ignore[attr-defined]


class SourceForm(forms.Form):
    source = _radios(
        "Where did the disagreement arise?", Source.choices, "Select where the disagreement arose"
    )
    source_detail = _text(
        "Give details (optional)", required=False, help_text="For example, the meeting and its date"
    )


class DisagreementForm(forms.Form):
    issue = _text(
        "What is the issue?",
        error="Enter what the issue is",
        help_text="The decision or action you disagree with, and why",
    )
    risk = _text(
        "What is the risk to the child or adult?", error="Enter the risk to the child or adult"
    )
    aim = _text("What do you want to achieve?", error="Enter what you want to achieve")


class OutsetForm(forms.Form):
    outset_on = _date(
        "When did you identify the concern?",
        help_text="The procedure's timescales count from this day. For example, 27 3 2026",
    )


# -- actions on an escalation ---------------------------------------------------------------


class VersionedForm(forms.Form):
    """Carries the version of the record the user saw, to detect concurrent changes."""

    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)


class ContactForm(VersionedForm):
    occurred_on = _date("When did the contact happen?")
    method = _radios(
        "How was the contact made?", ContactMethod.choices, "Select how the contact was made"
    )
    contact_by = _text(
        "Who made contact?",
        max_length=SHORT,
        error="Enter who made contact",
        help_text="Names, agency and status",
    )
    contact_with = _text(
        "Who was contacted?",
        max_length=SHORT,
        error="Enter who was contacted",
        help_text="Names, agency and status",
    )
    summary = _text("Summary of the discussion", error="Enter a summary of the discussion")
    agreed = _text(
        "What was agreed?",
        error="Enter what was agreed, or that nothing was",
        help_text="Actions and next steps agreed, with the decision made",
    )
    decision_makers = _text(
        "Decision makers (optional)",
        required=False,
        max_length=SHORT,
        help_text="Names and status of those who made the decision",
    )


class EscalateForm(VersionedForm):
    on = _date("When was it escalated?")
    reason = _text(
        "Why is it being escalated?",
        error="Enter why it is being escalated",
        help_text="What was not agreed at this stage",
    )


class ResolveForm(VersionedForm):
    on = _date("When was it resolved?")
    outcome = _text("What outcome was agreed?", error="Enter the outcome that was agreed")


class ConfirmForm(VersionedForm):
    on = _date("When was the outcome confirmed in writing?")
    confirmed_by = _text(
        "Who confirmed it, and to whom?",
        max_length=SHORT,
        error="Enter who confirmed the outcome and to whom",
    )


class BringForwardForm(VersionedForm):
    due_on = _date("New due date", help_text="It must be earlier than the current due date")
    reason = _text(
        "Why does it need to be earlier?",
        error="Enter why the due date needs to be earlier",
        help_text="What about the child or adult makes this urgent",
    )


class WithdrawForm(VersionedForm):
    on = _date("When was it withdrawn?")
    reason = _text("Why is it being withdrawn?", error="Enter why it is being withdrawn")


class DecideForm(VersionedForm):
    on = _date("When was the decision made?")
    decision = _text("What was decided?", error="Enter what was decided")


class EventForm(VersionedForm):
    event = _radios("What happened?", [], "Select what happened")
    on = _date("When did it happen?")

    def __init__(self, *args: Any, procedure: Procedure, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["event"].choices = [(e.id, e.name.capitalize()) for e in procedure.events]  # type: ignore[attr-defined]


class DutyForm(VersionedForm):
    obligation = _radios("Which duty has been done?", [], "Select the duty that has been done")
    on = _date("When was it done?")

    def __init__(self, *args: Any, choices: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["obligation"].choices = choices  # type: ignore[attr-defined]


class ViewForm(VersionedForm):
    view = _text(
        "What is your agency's view of the disagreement?",
        error="Enter your agency's view of the disagreement",
        help_text="Everyone party to this escalation will see it, with your name and agency",
    )


class CorrectionForm(VersionedForm):
    text = _text(
        "What is the correction?",
        error="Enter the correction",
        help_text="The original entry stays in the record; this is added beside it",
    )


class SubjectAccessForm(forms.Form):
    reference = _text(
        "Case reference or NHS number",
        max_length=40,
        error="Enter the case reference or NHS number",
        help_text="Every escalation in your partnership with this reference goes in the file",
    )


class FilterForm(forms.Form):
    """List filters, read from the query string. Bad values are ignored with a message."""

    reference = forms.CharField(label="Reference", required=False, max_length=20)
    stage = forms.TypedChoiceField(
        label="Stage", required=False, coerce=int, choices=[], empty_value=None
    )
    status = forms.ChoiceField(label="Status", required=False, choices=[])
    agency = forms.TypedChoiceField(
        label="Agency", required=False, coerce=int, choices=[], empty_value=None
    )
    category = forms.ChoiceField(label="Category", required=False, choices=[])
    overdue = forms.BooleanField(label="Only overdue", required=False)
