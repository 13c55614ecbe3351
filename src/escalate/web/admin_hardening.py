"""Django's admin, made to answer hostile form input with a form error, never a server error.

Three places in Django's admin and model forms turn a value that is not a key into an
exception rather than a validation error:

- a model choice (a foreign key's select) or multiple choice (a many-to-many) given a number
  past the database's integer range: the query raises ``OverflowError`` on SQLite and a data
  error on PostgreSQL;
- an autocomplete widget re-rendering a form with errors: it looks up the posted values as keys
  (``AutocompleteMixin.optgroups``) and raises ``ValueError`` for one that is not a number;
- the admin's sign-in form sets its username's ``max_length`` after the field is made, which
  adds no validator: a very long username reaches ``authenticate`` and django-axes' failure
  record, which PostgreSQL refuses (``AdminSignInForm`` checks the length first).

:func:`harden_every_admin` gives every registered admin :class:`HardenedAdminMixin`, whose form
fields and widgets check a posted key's shape first. ``WebConfig.ready()`` calls it and sets
the admin site's ``login_form``.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django import forms
from django.contrib.admin import AdminSite
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.admin.widgets import AutocompleteSelect, AutocompleteSelectMultiple
from django.contrib.auth.forms import UsernameField
from django.core.exceptions import ValidationError
from django.db.models import Field

#: The largest key any of our integer columns holds (a signed 64-bit integer).
LARGEST_KEY = 2**63 - 1
INTEGER_KEYS = {
    "AutoField",
    "BigAutoField",
    "SmallAutoField",
    "IntegerField",
    "BigIntegerField",
    "SmallIntegerField",
    "PositiveIntegerField",
    "PositiveBigIntegerField",
    "PositiveSmallIntegerField",
}


def _integer_keyed(field: Field[Any, Any] | None) -> bool:
    return field is not None and field.get_internal_type() in INTEGER_KEYS


def usable_key(value: object) -> bool:
    """Whether ``value`` could be an integer key: digits only, within range."""
    text = str(value).strip()
    return text.isascii() and text.isdigit() and int(text) <= LARGEST_KEY


def _key_field(queryset: Any, to_field_name: str | None) -> Field[Any, Any] | None:
    model = queryset.model
    if to_field_name:
        found: Field[Any, Any] = model._meta.get_field(to_field_name)
        return found
    pk: Field[Any, Any] | None = model._meta.pk
    return pk


class SafeModelChoiceField(forms.ModelChoiceField):  # type: ignore[type-arg]
    def to_python(self, value: Any) -> Any:
        key = _key_field(self.queryset, self.to_field_name)
        if value not in self.empty_values and _integer_keyed(key) and not usable_key(value):
            raise ValidationError(self.error_messages["invalid_choice"], code="invalid_choice")
        return super().to_python(value)


class SafeModelMultipleChoiceField(forms.ModelMultipleChoiceField):  # type: ignore[type-arg]
    def _check_values(self, value: Iterable[Any]) -> Any:
        values = list(value)
        if _integer_keyed(_key_field(self.queryset, self.to_field_name)):
            for pk in values:
                if not usable_key(pk):
                    raise ValidationError(
                        self.error_messages["invalid_pk_value"],
                        code="invalid_pk_value",
                        params={"pk": pk},
                    )
        return super()._check_values(values)  # type: ignore[misc]  # not in the stubs


def _keys_only(widget: Any, value: list[Any]) -> list[Any]:
    target = getattr(widget.field, "target_field", None)
    return [v for v in value if usable_key(v)] if _integer_keyed(target) else value


class SafeAutocompleteSelect(AutocompleteSelect):
    def optgroups(self, name: str, value: Any, attr: Any = None) -> Any:
        return super().optgroups(name, _keys_only(self, value), attr)


class SafeAutocompleteSelectMultiple(AutocompleteSelectMultiple):
    def optgroups(self, name: str, value: Any, attr: Any = None) -> Any:
        return super().optgroups(name, _keys_only(self, value), attr)


#: Django's class -> ours (exact classes only: a subclass of someone else's is left alone).
SWAPS: dict[type, type] = {
    forms.ModelChoiceField: SafeModelChoiceField,
    forms.ModelMultipleChoiceField: SafeModelMultipleChoiceField,
    AutocompleteSelect: SafeAutocompleteSelect,
    AutocompleteSelectMultiple: SafeAutocompleteSelectMultiple,
}


def harden(formfield: Any) -> Any:
    """Swap a form field (and its widget, inside the admin's related-field wrapper) for the
    checked subclass above; the instances keep all their state."""
    if formfield is None:
        return None
    if type(formfield) in SWAPS:
        formfield.__class__ = SWAPS[type(formfield)]
    widget = formfield.widget
    inner = getattr(widget, "widget", widget)
    if type(inner) in SWAPS:
        inner.__class__ = SWAPS[type(inner)]
    return formfield


class HardenedAdminMixin:
    def formfield_for_dbfield(self, db_field: Field[Any, Any], request: Any, **kwargs: Any) -> Any:
        return harden(super().formfield_for_dbfield(db_field, request, **kwargs))  # type: ignore[misc]


def mix_into_every_admin(site: AdminSite, mixin: type, *, inlines: bool = False) -> list[str]:
    """Re-register every model admin on ``site`` that lacks ``mixin`` as a subclass with it
    first in its bases (and, with ``inlines``, its inline admins too). Call it from an
    ``AppConfig.ready()`` of an app installed after ``django.contrib.admin``, which has then
    discovered every ``admin.py``. Returns the labels of the models it changed."""

    def mixed(cls: type) -> type:
        if issubclass(cls, mixin):
            return cls
        return type(f"{mixin.__name__}{cls.__name__}", (mixin, cls), {})

    changed = []
    for model, model_admin in list(site._registry.items()):
        if isinstance(model_admin, mixin):
            continue
        cls = type(model_admin)
        attrs = {"inlines": [mixed(inline) for inline in cls.inlines]} if inlines else {}
        site.unregister(model)
        site.register(model, type(f"{mixin.__name__}{cls.__name__}", (mixin, cls), attrs))
        changed.append(model._meta.label_lower)
    return changed


def harden_every_admin(site: AdminSite) -> list[str]:
    """Give every registered admin (and its inlines) :class:`HardenedAdminMixin`."""
    return mix_into_every_admin(site, HardenedAdminMixin, inlines=True)


class AdminSignInForm(AdminAuthenticationForm):
    """The admin's own sign-in form, with the username's length checked like ours."""

    username = UsernameField(max_length=150, widget=forms.TextInput(attrs={"autofocus": True}))
