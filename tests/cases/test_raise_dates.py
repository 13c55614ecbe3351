"""Dates that make sense on the raise journey (issue 8): an old date is confirmed on its own
page, a future one is refused where it is typed, and every date field's messages name it."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django import forms as djforms
from django.test import Client
from django.urls import reverse

from escalate import timekeeping
from escalate.cases import forms, rules
from escalate.cases.models import Escalation
from escalate.procedures import words
from escalate.procedures.schema import Level
from escalate.web.govuk_forms import GovukDateField
from tests.cases.conftest import World
from tests.support import signed_in

pytestmark = pytest.mark.django_db

CONFIRM = "/raise/confirm-identified/"
IDENTIFIED = "/raise/identified/"
CHECK = "/raise/check/"


def today() -> dt.date:
    return timekeeping.today()


def ago(days: int) -> dt.date:
    return today() - dt.timedelta(days=days)


def date_fields(on: dt.date) -> dict[str, str]:
    return {
        "outset_on_day": str(on.day),
        "outset_on_month": str(on.month),
        "outset_on_year": str(on.year),
    }


def answered_up_to_the_date(world: World) -> Client:
    """A practitioner who has answered every question before 'When did you identify it?'."""
    client = signed_in(world.user("a", Level.PRACTITIONER))
    category = rules.partnership_procedure(world.partnership).categories[0].id
    steps: list[tuple[str, dict[str, str]]] = [
        ("immediate-risk", {"immediate_risk": "no"}),
        (
            "about",
            {
                "subject_kind": "adult",
                "subject_reference_kind": "pid",
                "subject_reference": "PID-9",
            },
        ),
        ("agency", {"receiving_agency": str(world.b.pk), "receiving_practitioner": ""}),
        ("category", {"category": category}),
        ("source", {"source": "referral", "source_detail": ""}),
        ("disagreement", {"issue": "Closed early", "risk": "Neglect", "aim": "Reopen"}),
    ]
    for step, data in steps:
        response = client.post(f"/raise/{step}/", data)
        assert response.status_code == 302, (step, response.content.decode()[:2000])
    return client


def answers(client: Client) -> dict[str, Any]:
    return dict(client.session.get("raise-answers", {}))


# -- the rule --------------------------------------------------------------------------------


def test_the_rule_uses_the_partnership_limit(world: World) -> None:
    on = dt.date(2026, 11, 30)
    assert world.partnership.outset_confirm_after_days == 365
    assert not rules.outset_needs_confirming(world.partnership, on - dt.timedelta(365), today=on)
    assert rules.outset_needs_confirming(world.partnership, on - dt.timedelta(366), today=on)
    world.partnership.outset_confirm_after_days = 30
    assert not rules.outset_needs_confirming(world.partnership, on - dt.timedelta(30), today=on)
    assert rules.outset_needs_confirming(world.partnership, on - dt.timedelta(31), today=on)


# -- the old date ----------------------------------------------------------------------------


def test_an_old_date_asks_for_confirmation_on_its_own_page(world: World) -> None:
    client = answered_up_to_the_date(world)
    old = ago(366)
    response = client.post(IDENTIFIED, date_fields(old))
    assert response.status_code == 302
    assert response["Location"] == CONFIRM
    page = client.get(CONFIRM)
    assert page.status_code == 200
    text = page.content.decode()
    assert f"You said you identified the concern on {words.long_date(old)}" in text
    assert "more than a year ago" in text
    assert 'name="outset_confirmed"' in text
    assert f'href="{IDENTIFIED}"' in text  # the back link goes to the date


def test_a_date_at_the_limit_goes_straight_on(world: World) -> None:
    client = answered_up_to_the_date(world)
    response = client.post(IDENTIFIED, date_fields(ago(365)))
    assert response["Location"] == CHECK
    assert client.get(CHECK).status_code == 200


def test_no_goes_back_to_the_date(world: World) -> None:
    client = answered_up_to_the_date(world)
    client.post(IDENTIFIED, date_fields(ago(400)))
    response = client.post(CONFIRM, {"outset_confirmed": "no"})
    assert response["Location"] == IDENTIFIED
    assert "outset_confirmed_on" not in answers(client)
    assert client.get(CHECK)["Location"] == CONFIRM


def test_yes_records_the_confirmation_and_the_concern_can_be_raised(world: World) -> None:
    client = answered_up_to_the_date(world)
    old = ago(400)
    client.post(IDENTIFIED, date_fields(old))
    response = client.post(CONFIRM, {"outset_confirmed": "yes"})
    assert response["Location"] == CHECK
    assert answers(client)["outset_confirmed_on"] == old.isoformat()
    assert client.get(CHECK).status_code == 200
    done = client.post(CHECK)
    assert done.status_code == 302
    assert Escalation.objects.get().outset_on == old


def test_no_answer_on_the_confirmation_page_is_an_error_at_the_field(world: World) -> None:
    client = answered_up_to_the_date(world)
    client.post(IDENTIFIED, date_fields(ago(400)))
    response = client.post(CONFIRM, {})
    assert response.status_code == 200
    text = response.content.decode()
    assert "govuk-error-summary" in text
    assert "Select yes if the date you identified the concern is right" in text
    assert "outset_confirmed_on" not in answers(client)


def test_changing_the_date_afterwards_asks_again(world: World) -> None:
    client = answered_up_to_the_date(world)
    client.post(IDENTIFIED, date_fields(ago(400)))
    client.post(CONFIRM, {"outset_confirmed": "yes"})
    response = client.post(f"{IDENTIFIED}?change=1", date_fields(ago(500)))
    assert response["Location"] == f"{CONFIRM}?change=1"
    assert client.get(CHECK)["Location"] == CONFIRM
    response = client.post(f"{CONFIRM}?change=1", {"outset_confirmed": "yes"})
    assert response["Location"] == CHECK
    # and a recent date needs no confirmation at all
    response = client.post(f"{IDENTIFIED}?change=1", date_fields(ago(3)))
    assert response["Location"] == CHECK


def test_check_answers_never_submits_an_unconfirmed_old_date(world: World) -> None:
    client = answered_up_to_the_date(world)
    client.post(IDENTIFIED, date_fields(ago(3)))
    session = client.session
    stored = dict(session["raise-answers"])
    stored["outset_on"] = ago(800).isoformat()  # a stale or altered session
    session["raise-answers"] = stored
    session.save()
    assert client.get(CHECK)["Location"] == CONFIRM
    response = client.post(CHECK)
    assert response["Location"] == CONFIRM
    assert not Escalation.objects.exists()


def test_the_partnership_sets_the_limit(world: World) -> None:
    world.partnership.outset_confirm_after_days = 30
    world.partnership.save()
    client = answered_up_to_the_date(world)
    assert client.post(IDENTIFIED, date_fields(ago(31)))["Location"] == CONFIRM
    text = client.get(CONFIRM).content.decode()
    assert "more than 30 days ago" in text
    assert client.post(IDENTIFIED, date_fields(ago(30)))["Location"] == CHECK


def test_the_confirmation_page_without_an_old_date_goes_to_the_date(world: World) -> None:
    client = answered_up_to_the_date(world)
    assert client.get(CONFIRM)["Location"] == IDENTIFIED
    client.post(IDENTIFIED, date_fields(ago(3)))
    assert client.get(CONFIRM)["Location"] == IDENTIFIED
    assert client.post(CONFIRM, {"outset_confirmed": "yes"})["Location"] == IDENTIFIED


# -- the future date and the messages ---------------------------------------------------------


def test_a_future_date_is_refused_where_it_is_typed(world: World) -> None:
    client = answered_up_to_the_date(world)
    response = client.post(IDENTIFIED, date_fields(today() + dt.timedelta(days=1)))
    assert response.status_code == 200
    text = response.content.decode()
    assert "The date you identified the concern must be today or in the past" in text
    assert "outset_on" not in answers(client)
    assert client.post(IDENTIFIED, date_fields(today()))["Location"] == CHECK


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        (("", "", ""), "Enter the date you identified the concern"),
        (("31", "2", "2026"), "The date you identified the concern must be a real date"),
        (("1", "ab", "2026"), "The date you identified the concern must be a real date"),
        (("1", "", "2026"), "The date you identified the concern must include a month"),
    ],
)
def test_the_date_page_messages_follow_the_pattern(
    world: World, typed: tuple[str, str, str], message: str
) -> None:
    client = signed_in(world.user("a", Level.PRACTITIONER))
    day, month, year = typed
    response = client.post(
        IDENTIFIED, {"outset_on_day": day, "outset_on_month": month, "outset_on_year": year}
    )
    assert response.status_code == 200
    text = response.content.decode()
    assert f'<a href="#id_outset_on_day">{message}</a>' in text  # the summary
    assert f'<span class="govuk-visually-hidden">Error:</span> {message}' in text  # the field


def _date_fields() -> list[tuple[str, str, GovukDateField]]:
    found = []
    for name in dir(forms):
        form = getattr(forms, name)
        if isinstance(form, type) and issubclass(form, djforms.Form):
            for field_name, field in form.base_fields.items():
                if isinstance(field, GovukDateField):
                    found.append((name, field_name, field))
    return found


def test_every_date_field_names_its_date_in_its_messages() -> None:
    fields = _date_fields()
    assert len(fields) >= 10
    for form_name, field_name, field in fields:
        message = field._message("required")
        assert message.startswith("Enter the "), (form_name, field_name, message)
        assert "?" not in message and message != "Enter the date", (form_name, message)
        assert field._message("invalid").endswith(" must be a real date")


def test_the_contact_date_is_named() -> None:
    form = forms.ContactForm(
        data={
            "version": "1",
            "occurred_on_day": "31",
            "occurred_on_month": "2",
            "occurred_on_year": "2026",
        }
    )
    assert not form.is_valid()
    assert form.errors["occurred_on"] == ["The date of the contact must be a real date"]


# -- the setting ---------------------------------------------------------------------------


def test_the_limit_is_in_the_directory_admin(world: World) -> None:
    from django.contrib.auth import get_user_model

    admin = get_user_model().objects.create_superuser(
        username="root", email="root@example.org", password="a-long-admin-password"
    )
    page = signed_in(admin).get(
        reverse("admin:directory_partnership_change", args=[world.partnership.pk])
    )
    assert page.status_code == 200
    assert 'name="outset_confirm_after_days"' in page.content.decode()
