"""GOV.UK Design System markup for Django forms and pages: ``{% load govuk %}``.

Fields
    ``{% govuk_field form.name %}`` renders one bound field as a GOV.UK form group, chosen by
    its widget: text-like inputs, textarea, select, radios, checkboxes, a single checkbox and
    the GOV.UK date input (``escalate.web.govuk_forms.GovukDateField``). Each shows its label
    (or legend), hint (the field's ``help_text``), first error message, and links them with
    ``aria-describedby``. A ``GovukTextField`` (and any limited text field shown as a textarea)
    is wrapped in the GOV.UK character count; no control gets a ``maxlength`` attribute, so
    the browser never cuts what is typed and the form's own message is shown. Options, all
    optional::

        label="..."            replace the field's label (text; escaped)
        hint="..."             replace the field's help_text (text; escaped)
        label_size="l"         s, m, l or xl: govuk-label--l, or govuk-fieldset__legend--l
        legend_size="l"        the same, named for fieldsets (radios, checkboxes, dates)
        is_page_heading=True   the label or legend is the page's <h1> (one question a page)
        width="10"             input width: 2, 3, 4, 5, 10, 20, 30 (govuk-input--width-N) or
                               full, three-quarters, two-thirds, one-half, one-third,
                               one-quarter (govuk-!-width-...)
        classes="..."          extra classes on the control (also taken from widget attrs)
        inline=True            radios side by side (two short options only)
        small=True             small radios or checkboxes
        hints={value: "..."}   a hint under each radio or checkbox option, by option value
        autocomplete="..."     the input's autocomplete attribute
        spellcheck=False       the input's spellcheck attribute
        rows=5                 a textarea's rows
        legend="..."           put a single checkbox (BooleanField) in a fieldset with this legend

Error summary
    ``{% govuk_error_summary form %}`` (or ``{% include "includes/error_summary.html" %}``
    with ``form`` in the context) lists every error, each linking to its field.

Page title
    ``{% capture as name %}...{% endcapture %}`` renders its contents into a variable; base.html
    uses it to make "<title> - Escalate" and to choose the active navigation item.

Values are always auto-escaped: nothing from a form's data is marked safe.
"""

from __future__ import annotations

from typing import Any

from django import forms, template
from django.forms.boundfield import BoundField
from django.template.base import Parser, Token
from django.template.context import Context
from django.template.loader import render_to_string
from django.utils.safestring import mark_safe

from escalate.web.govuk_forms import DATE_PARTS, GovukDateWidget, GovukTextField

register = template.Library()

SIZES = {"s", "m", "l", "xl"}
FIXED_WIDTHS = {"2", "3", "4", "5", "10", "20", "30"}
FLUID_WIDTHS = {"full", "three-quarters", "two-thirds", "one-half", "one-third", "one-quarter"}
#: Widget attributes the templates write themselves, or that GOV.UK forms leave out
#: (no browser validation: the server validates and shows an error summary; and no
#: ``maxlength``, which would cut what is typed or pasted without a word).
RESERVED_ATTRS = {
    "class",
    "id",
    "name",
    "type",
    "value",
    "required",
    "cols",
    "rows",
    "checked",
    "maxlength",
}

TEMPLATES = {
    "input": "includes/fields/input.html",
    "textarea": "includes/fields/textarea.html",
    "select": "includes/fields/select.html",
    "radios": "includes/fields/radios.html",
    "checkboxes": "includes/fields/checkboxes.html",
    "checkbox": "includes/fields/checkbox.html",
    "date": "includes/fields/date_input.html",
    "hidden": "includes/fields/hidden.html",
}


def field_kind(bound_field: BoundField) -> str:
    """Which GOV.UK component renders this field's widget."""
    widget = bound_field.field.widget
    if isinstance(widget, GovukDateWidget):
        return "date"
    if widget.is_hidden:
        return "hidden"
    # CheckboxSelectMultiple is a RadioSelect subclass: test it first.
    if isinstance(widget, forms.CheckboxSelectMultiple):
        return "checkboxes"
    if isinstance(widget, forms.RadioSelect):
        return "radios"
    if isinstance(widget, forms.CheckboxInput):
        return "checkbox"
    if isinstance(widget, forms.Select):
        return "select"
    if isinstance(widget, forms.Textarea):
        return "textarea"
    if isinstance(widget, forms.widgets.Input):
        return "input"
    raise template.TemplateSyntaxError(
        f"govuk_field cannot render {type(widget).__name__} (field {bound_field.name!r})"
    )


def field_id(bound_field: BoundField) -> str:
    """The id of the field's first control: what its label and the error summary point at."""
    auto_id = bound_field.auto_id or f"id_{bound_field.html_name}"
    if isinstance(bound_field.field.widget, GovukDateWidget):
        return f"{auto_id}_day"
    return auto_id


def _base_id(bound_field: BoundField) -> str:
    return bound_field.auto_id or f"id_{bound_field.html_name}"


def _size(options: dict[str, Any]) -> str | None:
    size = options.get("legend_size") or options.get("label_size")
    if size is None:
        return None
    if str(size) not in SIZES:
        raise template.TemplateSyntaxError(f"govuk_field size must be one of {sorted(SIZES)}")
    return str(size)


def _width_class(width: Any) -> str:
    if width is None or width == "":
        return ""
    width = str(width)
    if width in FIXED_WIDTHS:
        return f"govuk-input--width-{width}"
    if width in FLUID_WIDTHS:
        return f"govuk-!-width-{width}"
    raise template.TemplateSyntaxError(f"govuk_field width {width!r} is not a GOV.UK width")


def _extra_attrs(attrs: dict[str, Any]) -> list[tuple[str, str | None]]:
    """Widget attributes to pass through, as (name, value) pairs; value None for a boolean
    attribute that is present. The template escapes every name and value."""
    result: list[tuple[str, str | None]] = []
    for name, value in attrs.items():
        if name in RESERVED_ATTRS or value is False or value is None:
            continue
        result.append((str(name), None if value is True else str(value)))
    return result


def _first_error(bound_field: BoundField) -> tuple[str, list[str] | None]:
    """The first error message and, for a date, which of its parts are wrong."""
    errors = bound_field.errors
    if not errors:
        return "", None
    parts: list[str] | None = None
    data = getattr(errors, "data", None) or []
    first = data[0] if data else None
    params = getattr(first, "params", None)
    if isinstance(params, dict) and isinstance(params.get("parts"), list | tuple):
        parts = [str(p) for p in params["parts"]]
    return str(errors[0]), parts


def _choice_items(
    bound_field: BoundField, control_id: str, hints: dict[Any, Any] | None
) -> list[dict[str, Any]]:
    """Options of a choice widget: value, label, checked, id, hint (GOV.UK ids: the first
    option has the field's id, so the error summary can link to it; others get -2, -3...)."""
    widget = bound_field.field.widget
    value = bound_field.value()
    context = widget.get_context(bound_field.html_name, value, {"id": control_id})
    items: list[dict[str, Any]] = []
    index = 0
    for _group, options, _i in context["widget"]["optgroups"]:
        for option in options:
            index += 1
            item_id = control_id if index == 1 else f"{control_id}-{index}"
            option_value = "" if option["value"] is None else str(option["value"])
            hint = ""
            if hints:
                hint = hints.get(option_value, hints.get(option["value"], "")) or ""
            items.append(
                {
                    "id": item_id,
                    "value": option_value,
                    "label": option["label"],
                    "checked": bool(option["selected"]),
                    "hint": hint,
                    "hint_id": f"{item_id}-item-hint" if hint else "",
                }
            )
    return items


def _date_items(
    bound_field: BoundField, error_parts: list[str] | None, has_error: bool
) -> list[dict[str, Any]]:
    widget = bound_field.field.widget
    assert isinstance(widget, GovukDateWidget)  # noqa: S101 - guarded by field_kind
    value = bound_field.value()
    values = value if isinstance(value, list | tuple) else widget.decompress(value)
    values = list(values) + [None] * (3 - len(values))
    base_id = _base_id(bound_field)
    items = []
    for index, part in enumerate(DATE_PARTS):
        raw = values[index]
        errored = has_error and (error_parts is None or part in error_parts)
        width = "4" if part == "year" else "2"
        classes = f"govuk-input--width-{width}" + (" govuk-input--error" if errored else "")
        items.append(
            {
                "part": part,
                "id": f"{base_id}_{part}",
                "name": f"{bound_field.html_name}_{part}",
                "label": part.capitalize(),
                "value": "" if raw is None else str(raw),
                "classes": classes,
            }
        )
    return items


def _control_value(bound_field: BoundField) -> str:
    widget = bound_field.field.widget
    if isinstance(widget, forms.PasswordInput) and not widget.render_value:
        return ""
    formatted = widget.format_value(bound_field.value())
    return "" if formatted is None else str(formatted)


def _control_attrs(bound_field: BoundField, options: dict[str, Any]) -> tuple[dict[str, Any], str]:
    """The control's attributes (from the widget and the tag's options) and input type."""
    widget = bound_field.field.widget
    attrs = dict(widget.attrs)
    for name in ("autocomplete", "spellcheck", "inputmode"):
        if name in options:
            attrs[name] = options[name]
    if isinstance(widget, forms.EmailInput):
        attrs.setdefault("autocomplete", "email")
        attrs.setdefault("spellcheck", "false")
    if isinstance(attrs.get("spellcheck"), bool):
        attrs["spellcheck"] = "true" if attrs["spellcheck"] else "false"
    input_type = getattr(widget, "input_type", "text")
    if isinstance(widget, forms.NumberInput):
        # GOV.UK: ask for numbers with type="text" and inputmode="numeric", not type="number".
        input_type = "text"
        attrs.setdefault("inputmode", "numeric")
        for name in ("min", "max", "step"):
            attrs.pop(name, None)
    if bound_field.field.disabled:
        attrs["disabled"] = True
    return attrs, input_type


def _kind_context(
    kind: str, bound_field: BoundField, options: dict[str, Any], error: str, parts: Any
) -> dict[str, Any]:
    """What one kind of control needs beyond the common context."""
    widget = bound_field.field.widget
    base_id = _base_id(bound_field)
    if kind in {"input", "hidden"}:
        return {"value": _control_value(bound_field)}
    if kind == "textarea":
        # Django's Textarea defaults to rows="10"; GOV.UK's textarea to 5.
        rows = widget.attrs.get("rows")
        return {
            "value": _control_value(bound_field),
            "rows": options.get("rows") or (rows if str(rows) != "10" else None) or 5,
        }
    if kind in {"select", "radios", "checkboxes"}:
        return {
            "items": _choice_items(bound_field, base_id, options.get("hints")),
            "multiple": bool(getattr(widget, "allow_multiple_selected", False)),
        }
    if kind == "checkbox":
        check_test = getattr(widget, "check_test", bool)
        # A single checkbox's legend is optional: only with legend= given.
        return {
            "checked": bool(check_test(bound_field.value())),
            "legend": options.get("legend", ""),
        }
    if kind == "date":
        return {"items": _date_items(bound_field, parts, bool(error))}
    return {}


def character_limit(bound_field: BoundField, kind: str) -> int | None:
    """The limit a GOV.UK character count shows for this field, or None for no count: every
    :class:`GovukTextField`, and any text field with a limit shown as a textarea."""
    field = bound_field.field
    limit = getattr(field, "max_length", None)
    if not isinstance(field, forms.CharField) or not limit or kind not in {"input", "textarea"}:
        return None
    if isinstance(field, GovukTextField) or kind == "textarea":
        return int(limit)
    return None


def build_field_context(bound_field: BoundField, **options: Any) -> dict[str, Any]:
    """Everything the field templates need. Public so tests and other tags can use it."""
    kind = field_kind(bound_field)
    widget = bound_field.field.widget
    base_id = _base_id(bound_field)
    error, error_parts = _first_error(bound_field)
    hint = options.get("hint", bound_field.help_text) or ""
    hint_id = f"{base_id}-hint" if hint else ""
    error_id = f"{base_id}-error" if error else ""
    limit = character_limit(bound_field, kind)
    # GOV.UK character count: the count's message first in aria-describedby, then hint, error.
    count_id = f"{base_id}-info" if limit else ""
    attrs, input_type = _control_attrs(bound_field, options)
    classes = " ".join(
        c
        for c in (
            str(widget.attrs.get("class", "")).strip(),
            str(options.get("classes", "")).strip(),
            _width_class(options.get("width")),
            "govuk-js-character-count" if limit else "",
        )
        if c
    )
    return {
        "field": bound_field,
        "kind": kind,
        "id": field_id(bound_field),
        "base_id": base_id,
        "name": bound_field.html_name,
        "label": options.get("label", bound_field.label),
        "size": _size(options),
        "is_page_heading": bool(options.get("is_page_heading", False)),
        "hint": hint,
        "hint_id": hint_id,
        "error": error,
        "error_id": error_id,
        "described_by": " ".join(i for i in (count_id, hint_id, error_id) if i),
        "count_limit": limit,
        "count_limit_text": f"{limit:,}" if limit else "",
        "count_id": count_id,
        "classes": classes,
        "attrs": _extra_attrs(attrs),
        "input_type": input_type,
        "inline": bool(options.get("inline", False)),
        "small": bool(options.get("small", False)),
        **_kind_context(kind, bound_field, options, error, error_parts),
    }


@register.simple_tag
def govuk_field(bound_field: BoundField, **options: Any) -> str:
    """Render one bound form field in GOV.UK Design System markup."""
    if not isinstance(bound_field, BoundField):
        raise template.TemplateSyntaxError(
            f"govuk_field needs a bound field such as form.name, not {bound_field!r}"
        )
    context = build_field_context(bound_field, **options)
    # render_to_string returns a SafeString (the templates escape every value), so the
    # simple_tag does not escape the markup again.
    return render_to_string(TEMPLATES[context["kind"]], context)


def error_list(form: forms.BaseForm) -> list[dict[str, str]]:
    """The form's errors for an error summary: non-field errors first (no link), then the
    first error of each field in the form's field order, linking to the field's first control."""
    if not form.is_bound or not form.errors:
        return []
    items: list[dict[str, str]] = [
        {"text": str(message), "href": ""} for message in form.non_field_errors()
    ]
    for name in form.fields:
        bound = form[name]
        if bound.errors:
            items.append({"text": str(bound.errors[0]), "href": f"#{field_id(bound)}"})
    return items


@register.filter(name="govuk_errors")
def govuk_errors(form: Any) -> list[dict[str, str]]:
    """``form|govuk_errors``: the error summary's list (text, href) for a form, or [].
    A list (already made, e.g. by :func:`error_list`) passes through unchanged."""
    if isinstance(form, list):
        return form
    if not isinstance(form, forms.BaseForm):
        return []
    return error_list(form)


@register.simple_tag
def govuk_error_summary(form: Any) -> str:
    """A GOV.UK error summary for ``form``, titled "There is a problem"; renders nothing
    when the form has no errors."""
    errors = govuk_errors(form)
    if not errors:
        return ""
    return render_to_string("includes/error_summary.html", {"form": errors})


@register.filter(name="govuk_field_id")
def govuk_field_id(bound_field: BoundField) -> str:
    """``form.x|govuk_field_id``: the id to link to for a field (the day input for a date)."""
    return field_id(bound_field)


class CaptureNode(template.Node):
    child_nodelists = ("nodelist",)

    def __init__(self, nodelist: template.NodeList, var_name: str) -> None:
        self.nodelist = nodelist
        self.var_name = var_name

    def render(self, context: Context) -> str:
        # The nodelist's output is already escaped, so marking it safe keeps it as it is.
        output = self.nodelist.render(context).strip()
        context[self.var_name] = mark_safe(output)  # noqa: S308
        return ""


@register.tag(name="capture")
def do_capture(parser: Parser, token: Token) -> CaptureNode:
    """``{% capture as name %}...{% endcapture %}``: render the contents (which may hold a
    ``{% block %}``) into the context variable ``name``, stripped, instead of the page."""
    bits = token.split_contents()
    if len(bits) != 3 or bits[1] != "as":
        raise template.TemplateSyntaxError("Use {% capture as name %}...{% endcapture %}")
    nodelist = parser.parse(("endcapture",))
    parser.delete_first_token()
    return CaptureNode(nodelist, bits[2])
