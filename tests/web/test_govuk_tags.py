"""The govuk template tags and includes: GOV.UK markup for each widget, labels and legends tied
to their controls, hints and errors tied with aria-describedby, and values always escaped."""

from __future__ import annotations

import datetime
import re
from types import SimpleNamespace
from typing import Any

import pytest
from django import forms
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import ValidationError
from django.template import TemplateSyntaxError, engines
from django.test import RequestFactory

from escalate.web.govuk_forms import GovukDateField, GovukForm, GovukTextField
from escalate.web.templatetags.govuk import error_list

INJECTION = "<script>alert(1)</script>"
ESCAPED = "&lt;script&gt;alert(1)&lt;/script&gt;"


class ExampleForm(GovukForm):
    name = forms.CharField(label="Full name", help_text="As on your <b>badge</b>", max_length=40)
    email = forms.EmailField(label="Email address", required=False)
    count = forms.IntegerField(label="Number of children", required=False)
    summary = forms.CharField(label="Summary", widget=forms.Textarea, required=False)
    agency = forms.ChoiceField(
        label="Agency",
        choices=[("", "Choose an agency"), ("police", "Police"), ("health", "Health")],
        required=False,
    )
    outcome = forms.ChoiceField(
        label="What was the outcome?",
        choices=[("resolved", "Resolved"), ("escalate", "Escalate"), (INJECTION, INJECTION)],
        widget=forms.RadioSelect,
        required=False,
    )
    reasons = forms.MultipleChoiceField(
        label="Reasons",
        choices=[("risk", "Risk"), ("delay", "Delay"), ("other", "Other")],
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )
    confirm = forms.BooleanField(label="I have told my manager", required=False)
    raised_on = GovukDateField(
        label="When was it raised?", error_name="the date it was raised", required=False
    )
    reference = forms.CharField(
        widget=forms.TextInput(attrs={"class": "govuk-input--width-10", "autocomplete": "off"}),
        required=False,
    )


def render(source: str, context: dict[str, Any] | None = None, request: Any = None) -> str:
    template = engines["django"].from_string("{% load govuk %}" + source)
    return template.render(context or {}, request)


def field_html(form: forms.Form, name: str, options: str = "") -> str:
    return render(f"{{% govuk_field form.{name} {options} %}}", {"form": form})


def squash(html: str) -> str:
    return re.sub(r"\s+", " ", html)


# --- text inputs -------------------------------------------------------------------------


def test_text_input_has_label_hint_and_classes() -> None:
    html = squash(field_html(ExampleForm(), "name"))

    assert '<div class="govuk-form-group">' in html
    assert '<label class="govuk-label" for="id_name">Full name</label>' in html
    assert (
        '<div id="id_name-hint" class="govuk-hint">As on your &lt;b&gt;badge&lt;/b&gt;</div>'
        in html
    )
    assert 'class="govuk-input" id="id_name" name="name" type="text"' in html
    assert 'aria-describedby="id_name-hint"' in html
    # GOV.UK forms validate on the server: no required, and no maxlength to cut what is typed.
    assert "maxlength" not in html
    assert "required" not in html


def test_text_input_error_and_escaped_value() -> None:
    form = ExampleForm(data={"name": INJECTION + "x" * 40})
    assert not form.is_valid()
    html = squash(field_html(form, "name"))

    assert "govuk-form-group govuk-form-group--error" in html
    assert 'class="govuk-input govuk-input--error"' in html
    assert (
        '<p id="id_name-error" class="govuk-error-message">'
        '<span class="govuk-visually-hidden">Error:</span> '
        "Full name must be 40 characters or fewer</p>"
    ) in html
    assert 'aria-describedby="id_name-hint id_name-error"' in html
    assert f'value="{ESCAPED}' in html
    assert INJECTION not in html


def test_text_input_options_and_widget_attrs() -> None:
    html = squash(
        field_html(
            ExampleForm(),
            "name",
            'label="What is your name?" hint="" label_size="l" is_page_heading=True width="20"',
        )
    )
    assert (
        '<h1 class="govuk-label-wrapper"><label class="govuk-label govuk-label--l" '
        'for="id_name">What is your name?</label></h1>'
    ) in html
    assert "govuk-hint" not in html
    assert 'class="govuk-input govuk-input--width-20"' in html

    reference = squash(field_html(ExampleForm(), "reference"))
    assert 'class="govuk-input govuk-input--width-10"' in reference
    assert 'autocomplete="off"' in reference
    assert ">Reference</label>" in reference


def test_email_and_number_inputs() -> None:
    email = squash(field_html(ExampleForm(), "email"))
    assert 'type="email"' in email
    assert 'autocomplete="email"' in email
    assert 'spellcheck="false"' in email

    number = squash(field_html(ExampleForm(), "count"))
    assert 'type="text"' in number
    assert 'inputmode="numeric"' in number


def test_unknown_width_is_a_template_error() -> None:
    with pytest.raises(TemplateSyntaxError):
        field_html(ExampleForm(), "name", 'width="huge"')


def test_tag_needs_a_bound_field() -> None:
    with pytest.raises(TemplateSyntaxError):
        render('{% govuk_field "name" %}')


# --- textarea and select ------------------------------------------------------------------


def test_textarea_escapes_its_value() -> None:
    form = ExampleForm(data={"name": "A", "summary": INJECTION})
    html = squash(field_html(form, "summary"))

    assert '<label class="govuk-label" for="id_summary">Summary</label>' in html
    assert 'class="govuk-textarea" id="id_summary" name="summary" rows="5"' in html
    assert f"> {ESCAPED}</textarea>" in html
    assert INJECTION not in html


def test_select_marks_the_chosen_option() -> None:
    form = ExampleForm(data={"name": "A", "agency": "health"})
    html = squash(field_html(form, "agency"))

    assert '<label class="govuk-label" for="id_agency">Agency</label>' in html
    assert 'class="govuk-select" id="id_agency" name="agency"' in html
    assert '<option value="health" selected>Health</option>' in html
    assert '<option value="police">Police</option>' in html


def test_select_error_class() -> None:
    form = ExampleForm(data={"name": "A", "agency": "fire"})
    assert not form.is_valid()
    html = squash(field_html(form, "agency"))
    assert "govuk-select govuk-select--error" in html
    assert "Select agency</p>" in html


# --- radios and checkboxes ----------------------------------------------------------------


def test_radios_in_a_fieldset_with_legend() -> None:
    form = ExampleForm(data={"name": "A", "outcome": "escalate"})
    html = squash(field_html(form, "outcome"))

    assert '<fieldset class="govuk-fieldset">' in html
    assert '<legend class="govuk-fieldset__legend">What was the outcome?</legend>' in html
    assert '<div class="govuk-radios" data-module="govuk-radios">' in html
    # The first option has the field's id, so the error summary can link to it.
    assert 'id="id_outcome" name="outcome" type="radio" value="resolved">' in html
    assert 'id="id_outcome-2" name="outcome" type="radio" value="escalate" checked>' in html
    assert (
        '<label class="govuk-label govuk-radios__label" for="id_outcome-2">Escalate</label>' in html
    )
    assert f'value="{ESCAPED}"' in html
    assert f">{ESCAPED}</label>" in html
    assert INJECTION not in html


def test_radios_as_the_page_heading_with_item_hints() -> None:
    form = ExampleForm()
    html = squash(
        render(
            '{% govuk_field form.outcome legend_size="l" is_page_heading=True inline=True '
            "hints=hints %}",
            {"form": form, "hints": {"resolved": "Both agencies agree"}},
        )
    )
    assert (
        '<legend class="govuk-fieldset__legend govuk-fieldset__legend--l">'
        '<h1 class="govuk-fieldset__heading">What was the outcome?</h1></legend>'
    ) in html
    assert "govuk-radios govuk-radios--inline" in html
    assert 'aria-describedby="id_outcome-item-hint"' in html
    assert (
        '<div id="id_outcome-item-hint" class="govuk-hint govuk-radios__hint">'
        "Both agencies agree</div>"
    ) in html


def test_radios_error_is_described_on_the_fieldset() -> None:
    class Required(GovukForm):
        outcome = forms.ChoiceField(
            label="Outcome", choices=[("a", "A"), ("b", "B")], widget=forms.RadioSelect
        )

    form = Required(data={})
    assert not form.is_valid()
    html = squash(field_html(form, "outcome"))
    assert '<fieldset class="govuk-fieldset" aria-describedby="id_outcome-error">' in html
    assert "Select outcome</p>" in html


def test_checkboxes_mark_each_chosen_option() -> None:
    form = ExampleForm(data={"name": "A", "reasons": ["risk", "other"]})
    html = squash(field_html(form, "reasons", "small=True"))

    assert '<legend class="govuk-fieldset__legend">Reasons</legend>' in html
    assert "govuk-checkboxes govuk-checkboxes--small" in html
    assert 'id="id_reasons" name="reasons" type="checkbox" value="risk" checked>' in html
    assert 'id="id_reasons-2" name="reasons" type="checkbox" value="delay">' in html
    assert 'id="id_reasons-3" name="reasons" type="checkbox" value="other" checked>' in html


def test_single_checkbox() -> None:
    form = ExampleForm(data={"name": "A", "confirm": "true"})
    assert form.is_valid(), form.errors
    assert form.cleaned_data["confirm"] is True
    html = squash(field_html(form, "confirm"))

    assert 'id="id_confirm" name="confirm" type="checkbox" value="true" checked>' in html
    assert (
        '<label class="govuk-label govuk-checkboxes__label" for="id_confirm">'
        "I have told my manager</label>"
    ) in html
    assert "<fieldset" not in html
    with_legend = squash(field_html(form, "confirm", 'legend="Confirmation"'))
    assert '<legend class="govuk-fieldset__legend">Confirmation</legend>' in with_legend


# --- date input ---------------------------------------------------------------------------


def test_date_input_redisplays_values_and_marks_only_the_wrong_part() -> None:
    form = ExampleForm(
        data={"name": "A", "raised_on_day": "31", "raised_on_month": "2", "raised_on_year": "2025"}
    )
    assert not form.is_valid()
    html = squash(field_html(form, "raised_on"))

    assert (
        '<fieldset class="govuk-fieldset" role="group" aria-describedby="id_raised_on-error">'
        in html
    )
    assert '<legend class="govuk-fieldset__legend">When was it raised?</legend>' in html
    assert "The date it was raised must be a real date</p>" in html
    assert (
        'class="govuk-input govuk-date-input__input govuk-input--width-2 govuk-input--error" '
        'id="id_raised_on_day" name="raised_on_day" type="text" inputmode="numeric" value="31"'
    ) in html
    assert (
        'class="govuk-input govuk-date-input__input govuk-input--width-2" '
        'id="id_raised_on_month" name="raised_on_month"'
    ) in html
    assert (
        'id="id_raised_on_year" name="raised_on_year" type="text" inputmode="numeric" value="2025"'
        in html
    )
    assert (
        '<label class="govuk-label govuk-date-input__label" for="id_raised_on_day">Day</label>'
        in html
    )


def test_date_input_escapes_values() -> None:
    form = ExampleForm(
        data={
            "name": "A",
            "raised_on_day": INJECTION,
            "raised_on_month": "1",
            "raised_on_year": "2025",
        }
    )
    assert not form.is_valid()
    html = field_html(form, "raised_on")
    assert f'value="{ESCAPED}"' in html
    assert INJECTION not in html


def test_date_input_shows_an_initial_date() -> None:
    form = ExampleForm(initial={"raised_on": datetime.date(2025, 3, 7)})
    html = squash(field_html(form, "raised_on"))
    assert 'name="raised_on_day" type="text" inputmode="numeric" value="7"' in html
    assert 'name="raised_on_month" type="text" inputmode="numeric" value="3"' in html
    assert 'name="raised_on_year" type="text" inputmode="numeric" value="2025"' in html


@pytest.mark.parametrize(
    ("day", "month", "year", "message", "parts"),
    [
        ("", "", "", "Enter the date it was raised", ["day", "month", "year"]),
        ("1", "", "2025", "The date it was raised must include a month", ["month"]),
        ("", "", "2025", "The date it was raised must include a day and month", ["day", "month"]),
        ("1", "2", "", "The date it was raised must include a year", ["year"]),
        ("31", "2", "2025", "The date it was raised must be a real date", ["day"]),
        ("1", "13", "2025", "The date it was raised must be a real date", ["month"]),
        ("x", "1", "2025", "The date it was raised must be a real date", ["day"]),
        ("1", "1", "25", "Year must include 4 numbers", ["year"]),
    ],
)
def test_date_field_errors(day: str, month: str, year: str, message: str, parts: list[str]) -> None:
    field = GovukDateField(label="When was it raised?", error_name="the date it was raised")
    with pytest.raises(ValidationError) as raised:
        field.clean([day, month, year])
    assert raised.value.messages == [message]
    assert raised.value.error_list[0].params == {"parts": parts}


def test_date_field_cleans_to_a_date() -> None:
    field = GovukDateField(label="Date raised")
    assert field.clean([" 7 ", "03", "2025"]) == datetime.date(2025, 3, 7)
    assert GovukDateField(required=False).clean(["", "", ""]) is None
    with pytest.raises(ValidationError, match="Date raised must include a year"):
        field.clean(["7", "3", ""])


# --- GovukForm ----------------------------------------------------------------------------


def test_govuk_form_messages() -> None:
    class Messages(GovukForm):
        full_name = forms.CharField()
        agency = forms.ChoiceField(choices=[("a", "A")])
        MASH_team = forms.CharField(label="MASH team")
        kept = forms.CharField(error_messages={"required": "Enter your own words"})

    form = Messages(data={"full_name": "   "})
    assert not form.is_valid()
    assert form.errors["full_name"] == ["Enter full name"]  # stripped, then required
    assert form.errors["agency"] == ["Select agency"]
    assert form.errors["MASH_team"] == ["Enter MASH team"]
    assert form.errors["kept"] == ["Enter your own words"]
    assert form.use_required_attribute is False


# --- error summary ------------------------------------------------------------------------


class SummaryForm(GovukForm):
    name = forms.CharField(label="Name")
    raised_on = GovukDateField(label="Date raised")
    outcome = forms.ChoiceField(label="Outcome", choices=[("a", "A")], widget=forms.RadioSelect)

    def clean(self) -> dict[str, Any]:
        raise ValidationError(f"Something is wrong {INJECTION}")


def test_error_summary_links_each_error_to_its_field() -> None:
    form = SummaryForm(data={"raised_on_day": "1"})
    assert not form.is_valid()
    assert error_list(form) == [
        {"text": f"Something is wrong {INJECTION}", "href": ""},
        {"text": "Enter name", "href": "#id_name"},
        {"text": "Date raised must include a month and year", "href": "#id_raised_on_day"},
        {"text": "Select outcome", "href": "#id_outcome"},
    ]
    for html in (
        render("{% govuk_error_summary form %}", {"form": form}),
        render('{% include "includes/error_summary.html" %}', {"form": form}),
    ):
        flat = squash(html)
        assert '<div class="govuk-error-summary" data-module="govuk-error-summary">' in flat
        assert '<div role="alert">' in flat
        assert '<h2 class="govuk-error-summary__title">There is a problem</h2>' in flat
        assert (
            '<li><a href="#id_raised_on_day">Date raised must include a month and year</a></li>'
            in flat
        )
        assert f"<li>Something is wrong {ESCAPED}</li>" in flat
        assert INJECTION not in flat


def test_error_summary_is_empty_without_errors() -> None:
    assert render("{% govuk_error_summary form %}", {"form": SummaryForm()}).strip() == ""
    assert render('{% include "includes/error_summary.html" %}', {}).strip() == ""


# --- banners and summary rows -------------------------------------------------------------


def test_notification_banner_variants() -> None:
    important = squash(
        render(
            '{% include "includes/notification_banner.html" with heading=heading text=text %}',
            {"heading": INJECTION, "text": "More"},
        )
    )
    assert 'class="govuk-notification-banner" role="region"' in important
    assert ">Important</h2>" in important
    assert f'<p class="govuk-notification-banner__heading">{ESCAPED}</p>' in important
    assert INJECTION not in important

    success = squash(
        render(
            '{% include "includes/notification_banner.html" with success=True heading="Done" '
            'title_id="done-title" %}'
        )
    )
    assert (
        'class="govuk-notification-banner govuk-notification-banner--success" role="alert"'
        in success
    )
    assert 'aria-labelledby="done-title"' in success
    assert 'id="done-title">Success</h2>' in success


def test_summary_row() -> None:
    html = squash(
        render(
            '{% include "includes/summary_row.html" with key="Concern" value=value '
            'action_url="/change/" %}',
            {"value": f"Line one\n{INJECTION}"},
        )
    )
    assert '<dt class="govuk-summary-list__key">Concern</dt>' in html
    assert f"Line one<br>{ESCAPED}" in html
    assert (
        '<a class="govuk-link" href="/change/">Change'
        '<span class="govuk-visually-hidden"> concern</span></a>'
    ) in html
    empty = squash(render('{% include "includes/summary_row.html" with key="Notes" value="" %}'))
    assert "Not recorded" in empty


# --- base.html ----------------------------------------------------------------------------

PAGE = """{% extends "base.html" %}
{% block title %}Raise a concern{% endblock %}
{% block nav_active %}raise{% endblock %}
{% block content %}<h1 class="govuk-heading-l">Hello</h1>{% endblock %}"""


def render_page(source: str = PAGE, **context: Any) -> str:
    request = RequestFactory().get("/raise/")
    request.user = AnonymousUser()
    template = engines["django"].from_string(source)
    return template.render(context, request)


@pytest.mark.urls("tests.browser.urls")
def test_base_page_title_navigation_and_landmarks() -> None:
    html = squash(render_page(may_raise=True))  # as for a practitioner (never the business unit)

    assert '<html lang="en-GB" class="govuk-template">' in html
    assert "<title>Raise a concern - Escalate</title>" in html
    assert '<body class="govuk-template__body">' in html
    assert '<a href="#main-content" class="govuk-skip-link" data-module="govuk-skip-link">' in html
    assert '<main class="govuk-main-wrapper" id="main-content">' in html
    assert '<script type="module" src="/static/build/init.mjs"></script>' in html
    assert '<link rel="stylesheet" href="/static/build/app.css">' in html
    assert (
        '<li class="govuk-service-navigation__item govuk-service-navigation__item--active">'
        '<a class="govuk-service-navigation__link" href="/raise/" aria-current="page">'
        '<strong class="govuk-service-navigation__active-fallback">Raise a concern</strong>'
    ) in html
    assert 'href="/escalations/">Escalations</a>' in html
    assert "Sign out" not in html  # not signed in
    assert "govuk-header__logo" not in html and "crown" not in html.lower()
    assert "fictional data" in html  # demo mode in the test settings
    assert re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html) is None


@pytest.mark.urls("tests.browser.urls")
def test_base_page_for_a_signed_in_user_with_errors() -> None:
    class Form(GovukForm):
        name = forms.CharField()

    form = Form(data={})
    form.is_valid()
    html = squash(
        render_page(
            form=form,
            user=SimpleNamespace(is_authenticated=True),
            viewer_partnership=SimpleNamespace(name=INJECTION),
        )
    )
    assert "<title>Error: Raise a concern - Escalate</title>" in html
    assert f'<span class="app-header__partnership">{ESCAPED}</span>' in html
    assert (
        '<form class="app-service-navigation__form" method="post" action="/account/sign-out/">'
        in html
    )
    assert 'name="csrfmiddlewaretoken"' in html
    assert INJECTION not in html


@pytest.mark.urls("tests.browser.urls")
def test_base_page_without_a_title_block() -> None:
    html = render_page('{% extends "base.html" %}')
    assert "<title>Escalate</title>" in html


def test_base_page_survives_missing_routes_and_context() -> None:
    """As 500.html is rendered: no request, no context processors, maybe no routes."""
    html = engines["django"].get_template("500.html").render({})
    assert "<title>Sorry, there is a problem with the service - Escalate</title>" in html


@pytest.mark.urls("tests.browser.urls")
@pytest.mark.parametrize("name", ["404.html", "403.html"])
def test_error_pages_render(name: str) -> None:
    request = RequestFactory().get("/missing/")
    request.user = AnonymousUser()
    html = engines["django"].get_template(name).render({}, request)
    assert '<h1 class="govuk-heading-l">' in html


def test_capture_tag() -> None:
    assert render(
        "{% capture as x %}  <b>{{ v }}</b>  {% endcapture %}[{{ x }}]", {"v": "<i>"}
    ) == ("[<b>&lt;i&gt;</b>]")
    with pytest.raises(TemplateSyntaxError):
        render("{% capture x %}{% endcapture %}")


# --- character count ---------------------------------------------------------------------


class CountForm(GovukForm):
    detail = GovukTextField(
        label="What happened?",
        error_name="What happened",
        max_length=1200,
        help_text="Say who was there",
        widget=forms.Textarea,
    )
    who = GovukTextField(label="Who was there? (optional)", max_length=200, required=False)
    notes = forms.CharField(label="Notes", max_length=300, widget=forms.Textarea, required=False)
    code = forms.CharField(label="Code", max_length=6, required=False)


def test_a_limited_text_field_is_a_govuk_character_count_without_maxlength() -> None:
    html = squash(field_html(CountForm(), "detail"))

    assert (
        '<div class="govuk-form-group govuk-character-count" '
        'data-module="govuk-character-count" data-maxlength="1200">'
    ) in html
    assert (
        '<textarea class="govuk-textarea govuk-js-character-count" id="id_detail" '
        'name="detail" rows="5" aria-describedby="id_detail-info id_detail-hint">'
    ) in html
    assert (
        '</textarea> <div id="id_detail-info" class="govuk-hint govuk-character-count__message">'
        " You can enter up to 1,200 characters </div> </div>"
    ) in html
    assert " maxlength" not in html

    who = squash(field_html(CountForm(), "who"))
    assert 'class="govuk-input govuk-js-character-count" id="id_who"' in who
    assert "You can enter up to 200 characters" in who
    notes = squash(field_html(CountForm(), "notes"))
    assert 'data-maxlength="300"' in notes  # any limited textarea
    code = squash(field_html(CountForm(), "code"))
    assert "govuk-character-count" not in code  # a short code is not free text
    assert "maxlength" not in code


def test_a_value_over_the_limit_is_refused_with_the_govuk_message_and_kept_whole() -> None:
    form = CountForm(data={"detail": "x" * 1201, "who": "y" * 201})
    assert not form.is_valid()
    assert form.errors["detail"] == ["What happened must be 1,200 characters or fewer"]
    assert form.errors["who"] == ["Who was there must be 200 characters or fewer"]
    html = squash(field_html(form, "detail"))
    assert 'aria-describedby="id_detail-info id_detail-hint id_detail-error"' in html
    assert "x" * 1201 in html
    assert CountForm(data={"detail": "x" * 1200}).is_valid()
