"""Forms parse and check what people type; the services decide what it means.

Every form accepts only its declared fields. Text is length-limited and stripped; errors use
the GOV.UK pattern ("Enter ...", "Select ...").
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any, cast

from django import forms

from escalate.cases.models import ContactMethod, ReferenceKind, Source, SubjectKind
from escalate.cases.nhs import format_nhs_number, is_valid_nhs_number
from escalate.procedures.lifecycle import LATER_DUE_NEEDS_REASON, LifecycleError
from escalate.procedures.schema import Procedure
from escalate.web.govuk_forms import GovukDateField, GovukTextField

SHORT = 200
LONG = 5000


def _text(
    label: str,
    *,
    required: bool = True,
    max_length: int = LONG,
    help_text: str = "",
    error: str | None = None,
    name: str | None = None,
    rows: int = 5,
) -> GovukTextField:
    """Free text: its limit shown with the GOV.UK character count and checked by the form
    (never cut by the browser). ``name`` names it in the message for a value over the limit
    ("The issue must be 5,000 characters or fewer") when the label is a question."""
    return GovukTextField(
        label=label,
        required=required,
        max_length=max_length,
        error_name=name,
        help_text=help_text,
        widget=forms.Textarea(attrs={"rows": rows}) if max_length > SHORT else forms.TextInput(),
        error_messages={
            "required": error or f"Enter {label[0].lower()}{label[1:]}".rstrip("?"),
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


def _date(label: str, name: str, help_text: str = "For example, 27 3 2026") -> GovukDateField:
    """A GOV.UK date input; ``name`` names the date in its messages, as the GOV.UK date input
    pattern does: "Enter the date of the contact", "The date of the contact must be a real
    date"."""
    return GovukDateField(label=label, error_name=name, help_text=help_text)


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
        name="What you have done to make them safe",
        help_text="For example, who you called and when",
    )
    start_stage = forms.TypedChoiceField(
        label="Which stage should this start at?",
        coerce=int,
        choices=[],
        widget=forms.RadioSelect,
        error_messages={"required": "Select the stage to start at"},
    )
    reason = _text(
        "Why start at this stage?",
        error="Enter why this should start at this stage",
        name="Why it should start at this stage",
    )

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
        name="Who made the decision",
        required=False,
        max_length=SHORT,
        help_text=(
            "Their name, then a comma and their job title, if you know them, for example "
            '"Sam Smith, social worker". When the name is that of one person in the '
            "agency's directory, the escalation is linked to them."
        ),
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
        "Give details (optional)",
        required=False,
        name="The details",
        help_text="For example, the meeting and its date",
    )


class DisagreementForm(forms.Form):
    issue = _text(
        "What is the issue?",
        error="Enter what the issue is",
        name="The issue",
        help_text="The decision or action you disagree with, and why",
    )
    risk = _text(
        "What is the risk to the child or adult?",
        error="Enter the risk to the child or adult",
        name="The risk",
    )
    aim = _text(
        "What do you want to achieve?",
        error="Enter what you want to achieve",
        name="What you want to achieve",
    )


class OutsetForm(forms.Form):
    """The day the concern was identified: today or in the past (``today`` is given)."""

    outset_on = _date(
        "When did you identify the concern?",
        "the date you identified the concern",
        help_text="The procedure's timescales count from this day. For example, 27 3 2026",
    )

    def __init__(self, *args: Any, today: dt.date, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(GovukDateField, self.fields["outset_on"]).today = today


OUTSET_CONFIRMED_ERROR = "Select yes if the date you identified the concern is right"


class OutsetConfirmForm(forms.Form):
    """Asked when the concern was identified longer ago than the partnership's limit."""

    outset_confirmed = _radios(
        "Is this date right?",
        [("yes", "Yes"), ("no", "No, change the date")],
        OUTSET_CONFIRMED_ERROR,
    )


#: Checks an immediate-risk due date with the rules core; raises ``LifecycleError`` if refused.
DueCheck = Callable[[dt.date | None, str], None]


class ImmediateRiskDueForm(forms.Form):
    """By when the stage it starts at must act: the same working day unless a later date is
    given with a reason, never past the stage's ordinary timescale (the rules core decides)."""

    due_on = GovukDateField(
        label="By when must this stage act?",
        error_name="the date this stage must act by",
        help_text=(
            "Someone at immediate risk needs action the same working day: leave today's date "
            "unless there is a reason it can wait. For example, 27 3 2026"
        ),
    )
    due_reason = _text(
        "Why can it wait past today? (only if you give a later date)",
        required=False,
        help_text="For example, what has been done to keep the person safe until then",
    )

    def __init__(self, *args: Any, check: DueCheck, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.check = check

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if "due_on" not in data:
            return data
        try:
            self.check(data["due_on"], data.get("due_reason") or "")
        except LifecycleError as exc:
            field = "due_reason" if str(exc) == LATER_DUE_NEEDS_REASON else "due_on"
            self.add_error(field, str(exc))
        return data


# -- actions on an escalation ---------------------------------------------------------------


class VersionedForm(forms.Form):
    """Carries the version of the record the user saw, to detect concurrent changes."""

    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)


class ContactForm(VersionedForm):
    occurred_on = _date("When did the contact happen?", "the date of the contact")
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
    on = _date("When was it escalated?", "the date it was escalated")
    reason = _text(
        "Why is it being escalated?",
        name="Why it is being escalated",
        error="Enter why it is being escalated",
        help_text="What was not agreed at this stage",
    )


class ResolveForm(VersionedForm):
    on = _date("When was it resolved?", "the date it was resolved")
    outcome = _text(
        "What outcome was agreed?",
        error="Enter the outcome that was agreed",
        name="The outcome",
    )


class ConfirmForm(VersionedForm):
    on = _date(
        "When was the outcome confirmed in writing?",
        "the date the outcome was confirmed in writing",
    )
    confirmed_by = _text(
        "Who confirmed it, and to whom?",
        max_length=SHORT,
        error="Enter who confirmed the outcome and to whom",
    )


class BringForwardForm(VersionedForm):
    due_on = _date(
        "New due date", "the new due date", help_text="It must be earlier than the current due date"
    )
    reason = _text(
        "Why does it need to be earlier?",
        name="Why it needs to be earlier",
        error="Enter why the due date needs to be earlier",
        help_text="What about the child or adult makes this urgent",
    )


class WithdrawForm(VersionedForm):
    on = _date("When was it withdrawn?", "the date it was withdrawn")
    reason = _text(
        "Why is it being withdrawn?",
        error="Enter why it is being withdrawn",
        name="Why it is being withdrawn",
    )


class DecideForm(VersionedForm):
    on = _date("When was the decision made?", "the date the decision was made")
    decision = _text("What was decided?", error="Enter what was decided")


class EventForm(VersionedForm):
    event = _radios("What happened?", [], "Select what happened")
    on = _date("When did it happen?", "the date it happened")

    def __init__(self, *args: Any, choices: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["event"].choices = [(k, v[:1].upper() + v[1:]) for k, v in choices]  # type: ignore[attr-defined]


class DutyForm(VersionedForm):
    obligation = _radios("Which duty has been done?", [], "Select the duty that has been done")
    on = _date("When was it done?", "the date it was done")

    def __init__(self, *args: Any, choices: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["obligation"].choices = choices  # type: ignore[attr-defined]


class ViewForm(VersionedForm):
    view = _text(
        "What is your agency's view of the disagreement?",
        name="Your agency's view",
        error="Enter your agency's view of the disagreement",
        help_text="Everyone party to this escalation will see it, with your name and agency",
    )


class CorrectionForm(VersionedForm):
    text = _text(
        "What is the correction?",
        name="The correction",
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
    immediate_risk = forms.BooleanField(label="Only open at immediate risk", required=False)
    sort = forms.ChoiceField(label="Sort by", required=False, choices=[])


class RecordFilterForm(forms.Form):
    """The escalation page's record, filtered by stage (read from the query string; a value
    that is not one of the stages offered is ignored)."""

    stage = forms.TypedChoiceField(
        label="Show entries at", required=False, coerce=int, choices=[], empty_value=None
    )

    def __init__(self, *args: Any, stages: list[int], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["stage"].choices = [("", "Every stage")] + [  # type: ignore[attr-defined]
            (n, f"Stage {n}") for n in stages
        ]
