"""Every free-text field shows its limit with the GOV.UK character count, the browser never cuts
what is typed (no ``maxlength``), and a value over the limit is refused at the field with
nothing saved."""

from __future__ import annotations

import re

import pytest
from django.forms import CharField, Form

from escalate.cases import forms
from escalate.cases.models import Entry
from escalate.cases.raising import SESSION_KEY
from escalate.procedures.schema import Level
from tests.cases.conftest import World, raise_one
from tests.support import signed_in

pytestmark = pytest.mark.django_db

FREE_TEXT_FORMS: list[type[Form]] = [
    forms.SubjectForm,
    forms.ReceivingForm,
    forms.SourceForm,
    forms.DisagreementForm,
    forms.StartStageForm,
    forms.ContactForm,
    forms.EscalateForm,
    forms.ResolveForm,
    forms.ConfirmForm,
    forms.BringForwardForm,
    forms.WithdrawForm,
    forms.DecideForm,
    forms.ViewForm,
    forms.CorrectionForm,
]


def squash(html: bytes) -> str:
    return re.sub(r"\s+", " ", html.decode())


def count_block(html: str, name: str) -> str:
    """The form group holding the control named ``name``."""
    at = html.index(f'name="{name}"')
    start = html.rfind('<div class="govuk-form-group', 0, at)
    end = html.index("characters", at)
    return html[start : html.index("</div>", end) + len("</div>")]


def test_the_contact_form_shows_each_limit_and_sets_no_maxlength(world: World) -> None:
    esc = raise_one(world)
    client = signed_in(world.user("a", Level.PRACTITIONER))
    html = squash(client.get(f"/escalations/{esc.reference}/contact/").content)

    assert not re.search(r"\smaxlength=", html)  # data-maxlength is the count's, not a limit
    for name, limit in (("summary", "5,000"), ("agreed", "5,000"), ("contact_by", "200")):
        block = count_block(html, name)
        assert 'class="govuk-form-group govuk-character-count"' in block, name
        assert 'data-module="govuk-character-count"' in block
        assert f'data-maxlength="{limit.replace(",", "")}"' in block
        assert "govuk-js-character-count" in block
        assert (
            f'<div id="id_{name}-info" class="govuk-hint govuk-character-count__message">'
            f" You can enter up to {limit} characters </div>"
        ) in block
        assert re.search(rf'aria-describedby="id_{name}-info[^"]*"', block), name


@pytest.mark.parametrize("form_class", FREE_TEXT_FORMS, ids=lambda c: c.__name__)
def test_every_free_text_field_has_a_limit_the_browser_does_not_enforce(
    form_class: type[Form],
) -> None:
    fields = form_class.base_fields
    text = {n: f for n, f in fields.items() if isinstance(f, CharField)}
    assert text, form_class
    for name, field in text.items():
        assert field.max_length, (form_class.__name__, name)
        assert "maxlength" not in field.widget.attrs, (form_class.__name__, name)


def test_a_value_over_the_limit_is_refused_at_the_field_and_nothing_is_saved(
    world: World,
) -> None:
    esc = raise_one(world)
    client = signed_in(world.user("a", Level.PRACTITIONER))
    too_long = "x" * 5001
    response = client.post(
        f"/escalations/{esc.reference}/contact/",
        {
            "version": esc.version,
            "occurred_on_day": "3",
            "occurred_on_month": "3",
            "occurred_on_year": "2026",
            "method": "telephone",
            "contact_by": "Me",
            "contact_with": "Them",
            "summary": too_long,
            "agreed": "Nothing",
        },
    )
    assert response.status_code == 200
    html = squash(response.content)
    message = "Summary of the discussion must be 5,000 characters or fewer"
    assert f'<span class="govuk-visually-hidden">Error:</span> {message}</p>' in html
    assert f'href="#id_summary">{message}</a>' in html
    assert too_long in html  # everything typed comes back, uncut
    assert Entry.objects.filter(escalation=esc).count() == 1
    esc.refresh_from_db()
    assert esc.version == 1


def test_a_question_label_gives_a_plain_name_in_the_message(world: World) -> None:
    client = signed_in(world.user("a", Level.PRACTITIONER))
    response = client.post(
        "/raise/disagreement/", {"issue": "y" * 5001, "risk": "Neglect", "aim": "Reopen"}
    )
    assert response.status_code == 200
    assert "The issue must be 5,000 characters or fewer" in squash(response.content)
    assert "issue" not in client.session.get(SESSION_KEY, {})
