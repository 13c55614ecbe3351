"""Form pieces that follow the GOV.UK Design System: a date field and a form base class.

Render fields with the ``govuk`` template tag library (``{% govuk_field form.x %}``); see
``escalate/web/templatetags/govuk.py``. Error messages follow the GOV.UK patterns: say what
went wrong and how to fix it, using the question's own words ("Enter the date the concern was
raised", "Date the concern was raised must include a month").
"""

from __future__ import annotations

import datetime
from typing import Any, ClassVar

from django import forms
from django.core.exceptions import ValidationError
from django.forms.utils import pretty_name

DATE_PARTS: tuple[str, str, str] = ("day", "month", "year")


def _percent_safe(text: str) -> str:
    """ValidationError formats its message with ``%`` when it has params."""
    return text.replace("%", "%%")


def _lower_first(text: str) -> str:
    """'Date of birth' -> 'date of birth', but leave acronyms such as 'MASH' alone."""
    if len(text) > 1 and text[:2].isupper():
        return text
    return text[:1].lower() + text[1:]


def _join_parts(parts: list[str]) -> str:
    return " and ".join(parts) if len(parts) <= 2 else f"{parts[0]}, {parts[1]} and {parts[2]}"


class GovukDateWidget(forms.MultiWidget):
    """Three text inputs: day, month and year, named ``<name>_day``, ``<name>_month`` and
    ``<name>_year``. The ``govuk`` template tags render it as a GOV.UK date input."""

    template_name = "django/forms/widgets/multiwidget.html"
    use_fieldset = True

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        widgets: dict[str, forms.Widget | type[forms.Widget]] = {
            part: forms.TextInput(attrs={"inputmode": "numeric"}) for part in DATE_PARTS
        }
        super().__init__(widgets, attrs)

    def decompress(self, value: Any) -> list[Any]:
        if isinstance(value, datetime.date):
            return [value.day, value.month, value.year]
        return [None, None, None]

    def id_for_label(self, id_: str) -> str:
        # The error summary links to the day input, as the GOV.UK date input pattern says.
        return f"{id_}_day" if id_ else id_


class GovukDateField(forms.MultiValueField):
    """A date entered as day, month and year, cleaned to a ``datetime.date``.

    Errors carry ``params={"parts": [...]}`` naming the inputs to highlight, so the template
    puts the error style only on the parts that are wrong.

    Messages name the date by ``error_name`` if given, else by the label: a label asked as a
    question ("When did you first raise it?") needs ``error_name="the date you first raised
    it"``, giving "Enter the date you first raised it" and "The date you first raised it must
    include a month" (without one, such a label gives "the date", never the question).

    Given ``today`` (as an argument, or set on the field by the form that knows today), a later
    date is refused: "The date you first raised it must be today or in the past".
    """

    widget = GovukDateWidget
    default_error_messages: ClassVar[dict[str, Any]] = {
        "required": "Enter %(label)s",
        "incomplete": "%(Label)s must include a %(missing)s",
        "invalid": "%(Label)s must be a real date",
        "year_length": "Year must include 4 numbers",
        "future": "%(Label)s must be today or in the past",
    }

    def __init__(
        self,
        *,
        error_name: str | None = None,
        today: datetime.date | None = None,
        **kwargs: Any,
    ) -> None:
        self.error_name = error_name
        self.today = today
        fields = (
            forms.CharField(required=False),
            forms.CharField(required=False),
            forms.CharField(required=False),
        )
        kwargs.setdefault("require_all_fields", False)
        super().__init__(fields=fields, **kwargs)

    def _message(self, key: str, **extra: str) -> str:
        label = str(self.label or "")
        name = str(self.error_name or ("" if label.endswith("?") else label) or "the date")
        values = {"label": _lower_first(name), "Label": name[:1].upper() + name[1:], **extra}
        return _percent_safe(str(self.error_messages[key]) % values)

    def _error(self, key: str, parts: list[str], **extra: str) -> ValidationError:
        return ValidationError(self._message(key, **extra), code=key, params={"parts": parts})

    def clean(self, value: Any) -> datetime.date | None:
        if isinstance(value, datetime.date):
            raw = [str(value.day), str(value.month), str(value.year)]
        elif isinstance(value, list | tuple):
            raw = ["" if v is None else str(v).strip() for v in value]
        else:
            raw = ["", "", ""]
        raw = [*raw, "", "", ""][:3]

        if not any(raw):
            if self.required:
                raise self._error("required", list(DATE_PARTS))
            return None

        missing = [part for part, text in zip(DATE_PARTS, raw, strict=True) if not text]
        if missing:
            raise self._error("incomplete", missing, missing=_join_parts(missing))

        if not all(text.isdigit() for text in raw):
            bad = [part for part, text in zip(DATE_PARTS, raw, strict=True) if not text.isdigit()]
            raise self._error("invalid", bad)

        day, month, year = (int(text) for text in raw)
        if len(raw[2]) != 4:
            raise self._error("year_length", ["year"])
        if not 1 <= month <= 12:
            raise self._error("invalid", ["month"])
        try:
            result = datetime.date(year, month, day)
        except ValueError:
            raise self._error("invalid", ["day"]) from None
        if self.today is not None and result > self.today:
            raise self._error("future", list(DATE_PARTS))

        self.validate(result)
        self.run_validators(result)
        return result

    def validate(self, value: Any) -> None:
        # MultiValueField.validate is a no-op; keep it so, required is handled in clean().
        return None

    def compress(self, data_list: list[Any]) -> datetime.date | None:
        # Only used by MultiValueField.clean, which GovukDateField replaces.
        if not data_list or not all(data_list):
            return None
        day, month, year = (int(v) for v in data_list)
        return datetime.date(year, month, day)

    def has_changed(self, initial: Any, data: Any) -> bool:
        if self.disabled:
            return False
        try:
            cleaned = self.clean(data)
        except ValidationError:
            return True
        return bool(cleaned != initial)


def _without_question(label: str) -> str:
    """'Name (optional)' -> 'Name'; 'What is the issue?' -> 'What is the issue'."""
    text = label.strip().removesuffix("(optional)").strip()
    return text.rstrip("?").strip()


class GovukTextField(forms.CharField):
    """Free text with a limit, rendered by ``{% govuk_field %}`` as a GOV.UK character count:
    "You can enter up to 5,000 characters" without JavaScript, a live count with it.

    The limit is checked by the form, never by the browser: no ``maxlength`` attribute, which
    would silently cut what is typed or pasted. A longer value is refused at the field with
    "<Name> must be 5,000 characters or fewer", the name being ``error_name`` if given (a label
    asked as a question, "What is the issue?", needs ``error_name="The issue"``), else the label
    without its question mark or "(optional)". A message given in ``error_messages`` is kept.
    """

    def __init__(self, *, max_length: int, error_name: str | None = None, **kwargs: Any) -> None:
        super().__init__(max_length=max_length, **kwargs)
        name = error_name or _without_question(str(self.label or "")) or "The text"
        self.error_messages.setdefault(
            "max_length",
            _percent_safe(
                f"{name[:1].upper()}{name[1:]} must be {max_length:,} characters or fewer"
            ),
        )

    def widget_attrs(self, widget: forms.Widget) -> dict[str, Any]:
        attrs = super().widget_attrs(widget)
        attrs.pop("maxlength", None)
        return attrs


class GovukFormMixin:
    """GOV.UK conventions for any Django form.

    - Error messages in the GOV.UK style, made from each field's label: "Enter <label>" for
      text, "Select <label>" for choices, and plain words for lengths, numbers and e-mail.
      A message given explicitly on the field is kept.
    - No browser validation (``required`` attributes): GOV.UK forms validate on the server
      and show an error summary; pair with ``<form novalidate>``.
    - Leading and trailing whitespace stripped from every text field (Django's default,
      enforced here).
    - No colon after labels.
    """

    use_required_attribute = False
    label_suffix = ""
    fields: dict[str, forms.Field]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name, field in self.fields.items():
            if field.label is None:
                field.label = pretty_name(name)
            _apply_govuk_messages(field, str(field.label))


def _django_default_message(field: forms.Field, key: str) -> str | None:
    for klass in type(field).__mro__:
        defaults = getattr(klass, "default_error_messages", None) or {}
        if key in defaults:
            return str(defaults[key])
    return None


def _set_default_message(field: forms.Field, key: str, message: str) -> None:
    """Replace Django's stock message for ``key``; keep one the field was given explicitly."""
    current = field.error_messages.get(key)
    if current is None or str(current) == _django_default_message(field, key):
        field.error_messages[key] = message


def _apply_govuk_messages(field: forms.Field, label: str) -> None:
    if isinstance(field, GovukDateField):
        return  # its messages are built from the label when it is cleaned
    lowered = _lower_first(label)
    safe_label = _percent_safe(label)
    choice = isinstance(field, forms.ChoiceField | forms.ModelChoiceField | forms.BooleanField)
    _set_default_message(field, "required", f"{'Select' if choice else 'Enter'} {lowered}")

    if isinstance(field, forms.CharField):
        field.strip = True
        # Field.run_validators puts error_messages[code] over the validators' own messages.
        _set_default_message(
            field, "max_length", f"{safe_label} must be %(limit_value)d characters or fewer"
        )
        _set_default_message(
            field, "min_length", f"{safe_label} must be %(limit_value)d characters or more"
        )
    if isinstance(field, forms.EmailField):
        _set_default_message(
            field, "invalid", "Enter an email address in the correct format, like name@example.com"
        )
    if isinstance(field, forms.IntegerField):
        _set_default_message(field, "invalid", f"{safe_label} must be a whole number")
        _set_default_message(field, "max_value", f"{safe_label} must be %(limit_value)s or less")
        _set_default_message(field, "min_value", f"{safe_label} must be %(limit_value)s or more")
    if isinstance(field, forms.ChoiceField | forms.ModelChoiceField):
        # An option not offered: only tampered or stale data gets here.
        _set_default_message(field, "invalid_choice", f"Select {_percent_safe(lowered)}")


class GovukForm(GovukFormMixin, forms.Form):
    """A ``forms.Form`` with the GOV.UK conventions of :class:`GovukFormMixin`."""
