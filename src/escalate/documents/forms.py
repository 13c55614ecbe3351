"""Django forms built from a procedure's form definition: they parse what is typed (a GOV.UK
date input into ``YYYY-MM-DD``); the rules core (``escalate.procedures.forms.check``) and the
services decide whether it will do."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from django import forms

from escalate.procedures import forms as core
from escalate.procedures.schema import FieldType, Form, FormField
from escalate.web.govuk_forms import GovukDateField, GovukForm, GovukTextField

YES_NO = [("yes", "Yes"), ("no", "No")]
STALE = "This page is out of date: open the form again"


def _capital(text: str) -> str:
    return text[:1].upper() + text[1:]


def field_for(fld: FormField, agencies: Sequence[str], current: str = "") -> forms.Field:
    """The Django field that asks one question of the form. Every field is optional here: a
    draft may leave questions unanswered, and the core says what signing needs."""
    common: dict[str, Any] = {"label": fld.label, "required": False, "help_text": fld.hint or ""}
    name = _capital(core.name_of(fld))
    select = {"invalid_choice": f"Select {core.name_of(fld)}"}
    match fld.type:
        case FieldType.LONG_TEXT:
            return GovukTextField(
                max_length=core.LONG_TEXT_LIMIT,
                error_name=name,
                widget=forms.Textarea(attrs={"rows": 6}),
                **common,
            )
        case FieldType.DATE:
            common["help_text"] = fld.hint or "For example, 27 3 2026"
            return GovukDateField(error_name=core.name_of(fld), **common)
        case FieldType.NUMBER:
            return forms.CharField(
                widget=forms.TextInput(
                    attrs={
                        "inputmode": "numeric",
                        "spellcheck": "false",
                        "class": "govuk-input--width-5",
                    }
                ),
                **common,
            )
        case FieldType.CHOICE:
            options = [(o.value, o.label) for o in fld.options]
            return forms.ChoiceField(
                choices=options, widget=forms.RadioSelect, error_messages=select, **common
            )
        case FieldType.YES_NO:
            return forms.ChoiceField(
                choices=YES_NO, widget=forms.RadioSelect, error_messages=select, **common
            )
        case FieldType.AGENCY:
            names = list(dict.fromkeys([*agencies, *([current] if current else [])]))
            choices = [("", "Select an agency"), *((n, n) for n in names)]
            return forms.ChoiceField(choices=choices, error_messages=select, **common)
    return GovukTextField(max_length=core.TEXT_LIMIT, error_name=name, **common)


class FormFieldsForm(GovukForm):
    """The questions of a form completed at one stage, and the draft's revision."""

    form_revision = forms.IntegerField(
        widget=forms.HiddenInput, min_value=0, error_messages={"required": STALE, "invalid": STALE}
    )

    def __init__(
        self,
        *args: Any,
        form: Form,
        stage: int,
        agencies: Sequence[str],
        values: dict[str, str] | None = None,
        **kwargs: Any,
    ) -> None:
        initial = dict(kwargs.pop("initial", None) or {})
        values = values or {}
        self.questions = core.answerable(form, stage)
        for fld in self.questions:
            value = values.get(fld.id, "")
            initial.setdefault(fld.id, _initial(fld, value))
        super().__init__(*args, initial=initial, **kwargs)
        for fld in self.questions:
            self.fields[fld.id] = field_for(fld, agencies, values.get(fld.id, ""))
        # The questions first, the revision last (hidden).
        self.order_fields([f.id for f in self.questions])

    def values(self) -> dict[str, str]:
        """What was typed, as the core keeps it: strings, dates as ``YYYY-MM-DD``."""
        out: dict[str, str] = {}
        for fld in self.questions:
            value = self.cleaned_data.get(fld.id)
            if isinstance(value, dt.date):
                out[fld.id] = value.isoformat()
            elif value is not None:
                out[fld.id] = str(value)
        return out


def _initial(fld: FormField, value: str) -> Any:
    if fld.type is FieldType.DATE:
        return core.parse_date(value) if value else None
    return value


class SignForm(GovukForm):
    number = forms.IntegerField(
        widget=forms.HiddenInput, error_messages={"required": STALE, "invalid": STALE}
    )
    field_id = forms.ChoiceField(
        label="Which signature are you giving?",
        choices=[],
        required=False,
        widget=forms.RadioSelect,
    )

    def __init__(self, *args: Any, slots: Sequence[FormField] = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if len(slots) > 1:
            self.fields["field_id"].choices = [(s.id, s.label) for s in slots]  # type: ignore[attr-defined]
            self.fields["field_id"].required = True
            self.fields["field_id"].error_messages["required"] = (
                "Select which signature you are giving"
            )
        else:
            del self.fields["field_id"]


class SubmitForm(GovukForm):
    number = forms.IntegerField(
        widget=forms.HiddenInput, error_messages={"required": STALE, "invalid": STALE}
    )


class NewVersionForm(GovukForm):
    number = forms.IntegerField(
        widget=forms.HiddenInput, error_messages={"required": STALE, "invalid": STALE}
    )
    reason = GovukTextField(
        label="Why does the form need correcting?",
        max_length=5000,
        required=False,
        error_name="Why the form needs correcting",
        widget=forms.Textarea(attrs={"rows": 4}),
    )

    def __init__(self, *args: Any, correction: bool = True, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not correction:
            self.fields["reason"].label = "Anything to note about this version (optional)"
