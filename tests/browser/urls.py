"""A test-only URLconf: pages built from base.html and the govuk tags, with stand-ins for the
routes that base.html links to, so the browser tests check our markup and nothing else."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

from django import forms
from django.http import HttpRequest, HttpResponse
from django.template import engines
from django.urls import include, path

from escalate.web.govuk_forms import GovukDateField, GovukForm

INJECTION = "<script>alert(1)</script>"


class ConcernForm(GovukForm):
    full_name = forms.CharField(
        label="Your full name", max_length=10, help_text="As it appears on your work e-mail"
    )
    agency_type = forms.ChoiceField(
        label="Which agency are you raising this with?",
        choices=[
            ("police", "Police"),
            ("health", "Health"),
            ("social-care", "Children's social care"),
        ],
        widget=forms.RadioSelect,
        error_messages={"required": "Select which agency you are raising this with"},
    )
    raised_on = GovukDateField(
        label="When did you first raise the concern?",
        help_text="For example, 27 3 2025",
        error_name="the date you first raised the concern",
    )
    summary = forms.CharField(label="Summary of the disagreement", widget=forms.Textarea)
    agree = forms.BooleanField(label="I have discussed this with my line manager")


class QuestionForm(GovukForm):
    stage = forms.ChoiceField(
        label="Which stage is the escalation at?",
        choices=[("1", "Stage 1: practitioners"), ("2", "Stage 2: managers")],
        widget=forms.RadioSelect,
    )


SMOKE_PAGE = """{% extends "base.html" %}{% load govuk %}
{% block title %}Raise a concern{% endblock %}
{% block nav_active %}raise{% endblock %}
{% block before_content %}<a href="/" class="govuk-back-link">Back</a>{% endblock %}
{% block content %}
<div class="govuk-grid-row">
  <div class="govuk-grid-column-two-thirds">
    {% include "includes/error_summary.html" %}
    {% include "includes/notification_banner.html" with heading=banner_heading text=banner_text %}
    <h1 class="govuk-heading-l">Raise a concern</h1>
    <p class="govuk-body">Tell us about the professional disagreement.</p>
    <ol class="app-stage-ladder">
      <li class="app-stage-ladder__item app-stage-ladder__item--done">Practitioners
        <span class="app-stage-ladder__meta">Resolved in 5 working days</span></li>
      <li class="app-stage-ladder__item app-stage-ladder__item--current">Managers
        <span class="app-stage-ladder__meta">Due 14 March 2025</span></li>
      <li class="app-stage-ladder__item">Senior managers</li>
    </ol>
    <form method="post" novalidate>
      {% csrf_token %}
      {% govuk_field form.full_name width="20" %}
      {% govuk_field form.agency_type %}
      {% govuk_field form.raised_on %}
      {% govuk_field form.summary %}
      {% govuk_field form.agree %}
      <button type="submit" class="govuk-button" data-module="govuk-button">Continue</button>
    </form>
    <dl class="govuk-summary-list">
      {% include "includes/summary_row.html" with key="Reference" value="ESC-0042" %}
      {% include "includes/summary_row.html" with key="Concern" value=form.full_name.value %}
    </dl>
  </div>
</div>
{% endblock %}
"""

QUESTION_PAGE = """{% extends "base.html" %}{% load govuk %}
{% block title %}Which stage is the escalation at?{% endblock %}
{% block nav_active %}escalations{% endblock %}
{% block content %}
<div class="govuk-grid-row">
  <div class="govuk-grid-column-two-thirds">
    <form method="post" novalidate>
      {% csrf_token %}
      {% govuk_field form.stage legend_size="l" is_page_heading=True %}
      <button type="submit" class="govuk-button" data-module="govuk-button">Continue</button>
    </form>
  </div>
</div>
{% endblock %}
"""


def _render(request: HttpRequest, source: str, context: dict[str, Any]) -> HttpResponse:
    template = engines["django"].from_string(source)
    # Stand-ins for the signed-in user and their partnership, so the header shows both.
    context = {
        "user": SimpleNamespace(is_authenticated=True),
        "viewer_partnership": SimpleNamespace(name="Northshire Safeguarding Partnership"),
        "may_raise": True,  # a practitioner: the business unit is offered no "Raise a concern"
        **context,
    }
    return HttpResponse(template.render(context, request))


def smoke(request: HttpRequest) -> HttpResponse:
    form = ConcernForm(
        data={
            "full_name": INJECTION,
            "raised_on_day": "31",
            "raised_on_month": "2",
            "raised_on_year": "2025",
            "summary": "",
        }
    )
    form.is_valid()
    return _render(
        request,
        SMOKE_PAGE,
        {
            "form": form,
            "banner_heading": "You have 2 escalations due this week",
            "banner_text": INJECTION,
        },
    )


def question(request: HttpRequest) -> HttpResponse:
    return _render(request, QUESTION_PAGE, {"form": QuestionForm()})


def placeholder(request: HttpRequest, **kwargs: Any) -> HttpResponse:
    return HttpResponse("placeholder", content_type="text/plain")


cases_patterns = (
    [
        path("", placeholder, name="home"),
        path("escalations/", placeholder, name="list"),
        path("raise/", placeholder, name="raise-start"),
        path("procedure/", placeholder, name="procedure"),
    ],
    "cases",
)
accounts_patterns = ([path("sign-out/", placeholder, name="sign-out")], "accounts")

urlpatterns = [
    path("__smoke__/", smoke, name="smoke"),
    path("__smoke__/question/", question, name="smoke-question"),
    path("", include(cases_patterns)),
    path("account/", include(accounts_patterns)),
]
