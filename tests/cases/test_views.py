"""The journeys through the web pages, without a browser: raise, record, escalate, resolve."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.test import Client

from escalate import timekeeping
from escalate.audit.models import AuditAction, AuditEntry
from escalate.cases import services
from escalate.cases.actors import Actor
from escalate.cases.models import Escalation, Status
from escalate.procedures.schema import Level
from tests.cases.conftest import PROCEDURE_IDS, World, make_world, raise_one
from tests.support import date_fields, signed_in

pytestmark = pytest.mark.django_db
D = dt.date
SCRIPT = "<script>alert('x')</script>"


def raise_through_pages(client: Client, world: World, **extra: str) -> Escalation:
    steps = [
        ("immediate-risk", {"immediate_risk": "no"}),
        (
            "about",
            {
                "subject_kind": extra.get("kind", "adult"),
                "subject_reference_kind": "nhs-number",
                "subject_reference": "943 476 5919",
                "subject_name": extra.get("name", ""),
            },
        ),
        ("agency", {"receiving_agency": str(world.b.pk), "receiving_practitioner": "Dr Who"}),
        ("category", {"category": extra["category"]}),
        ("source", {"source": "referral", "source_detail": ""}),
        (
            "disagreement",
            {
                "issue": extra.get("issue", "Closed too early"),
                "risk": "Neglect",
                "aim": "Reopen the case",
            },
        ),
        ("identified", date_fields("outset_on", D(2026, 3, 2))),
    ]
    assert client.get("/raise/").status_code == 302
    for step, data in steps:
        page = client.get(f"/raise/{step}/")
        assert page.status_code == 200, step
        response = client.post(f"/raise/{step}/", data)
        assert response.status_code == 302, (step, response.content.decode()[:3000])
    if response["Location"] == "/raise/confirm-identified/":  # once 2 March 2026 is a year ago
        response = client.post(response["Location"], {"outset_confirmed": "yes"})
    assert response["Location"] == "/raise/check/"
    check = client.get("/raise/check/")
    assert b"Check your answers" in check.content
    done = client.post("/raise/check/")
    assert done.status_code == 302
    confirmation = client.get(done["Location"])
    assert b"Concern raised" in confirmation.content
    ref = re.search(rb"ESC-[0-9A-Z]{4}-[0-9A-Z]{4}", confirmation.content)
    assert ref is not None
    return Escalation.objects.get(reference=ref.group().decode())


def post_action(client: Client, esc: Escalation, action: str, data: dict[str, str]) -> None:
    esc.refresh_from_db()
    response = client.post(
        f"/escalations/{esc.reference}/{action}/", {"version": esc.version, **data}
    )
    assert response.status_code == 302, response.content.decode()[:3000]


@pytest.mark.parametrize("procedure_id", PROCEDURE_IDS)
def test_raise_escalate_resolve_and_confirm_through_the_pages(procedure_id: str) -> None:
    from escalate.cases.rules import registry

    world = make_world(procedure_id)
    proc = registry().get(procedure_id)
    kind = "child" if proc.protects.value == "children" else "adult"
    practitioner = signed_in(world.user("a", Level.PRACTITIONER))
    esc = raise_through_pages(practitioner, world, category=proc.categories[0].id, kind=kind)
    assert esc.subject_reference == "943 476 5919"
    receiver = signed_in(world.user("b", Level.PRACTITIONER))
    page = receiver.get(f"/escalations/{esc.reference}/")
    assert page.status_code == 200
    post_action(
        receiver,
        esc,
        "contact",
        {
            **date_fields("occurred_on", D(2026, 3, 2)),
            "method": "telephone",
            "contact_by": "B practitioner",
            "contact_with": "A practitioner",
            "summary": "Talked",
            "agreed": "Not agreed",
            "decision_makers": "",
        },
    )
    post_action(
        practitioner,
        esc,
        "escalate",
        {**date_fields("on", D(2026, 3, 3)), "reason": "No agreement"},
    )
    manager = signed_in(world.user("b", Level.SENIOR_MANAGER))
    post_action(
        manager, esc, "resolve", {**date_fields("on", D(2026, 3, 4)), "outcome": "Reopened"}
    )
    post_action(
        manager,
        esc,
        "confirm",
        {**date_fields("on", D(2026, 3, 5)), "confirmed_by": "Manager B to A"},
    )
    esc.refresh_from_db()
    assert esc.status == Status.RESOLVED
    assert esc.confirmed_on == D(2026, 3, 5)
    page = practitioner.get(f"/escalations/{esc.reference}/")
    assert b"Confirmed in writing" in page.content


def test_other_pages_render(world: World) -> None:
    esc = raise_one(world)
    client = signed_in(world.user("a", Level.PRACTITIONER))
    for url in [
        "/",
        "/escalations/",
        "/escalations/?view=overdue",
        "/escalations/?view=mine",
        "/escalations/?view=awaiting",
        "/procedure/",
        f"/escalations/{esc.reference}/",
        f"/escalations/{esc.reference}/contact/",
        f"/escalations/{esc.reference}/escalate/",
        "/escalations/?stage=9&status=nonsense&agency=x&overdue=on&reference=ESC",
    ]:
        assert client.get(url).status_code == 200, url


def test_another_agency_gets_404(world: World) -> None:
    esc = raise_one(world)
    outsider = signed_in(world.user("c", Level.BOARD_REPRESENTATIVE))
    assert outsider.get(f"/escalations/{esc.reference}/").status_code == 404
    assert outsider.get(f"/escalations/{esc.reference}/escalate/").status_code == 404
    assert outsider.get("/escalations/ESC-0000-0000/").status_code == 404


def test_signed_out_users_are_sent_to_sign_in() -> None:
    response = Client().get("/")
    assert response.status_code == 302
    assert response["Location"].startswith("/account/sign-in/")


@pytest.mark.parametrize(
    ("step", "data", "message"),
    [
        ("immediate-risk", {}, "Select yes if the person is at immediate risk"),
        (
            "about",
            {
                "subject_kind": "adult",
                "subject_reference_kind": "nhs-number",
                "subject_reference": "943 476 5918",
            },
            "Enter a valid NHS number",
        ),
        (
            "about",
            {
                "subject_kind": "adult",
                "subject_reference_kind": "pid",
                "subject_reference": "x" * 41,
            },
            "40 characters or fewer",
        ),
        ("disagreement", {"issue": "", "risk": "r", "aim": "a"}, "Enter what the issue is"),
        (
            "identified",
            {"outset_on_day": "31", "outset_on_month": "2", "outset_on_year": "2026"},
            "real date",
        ),
        (
            "identified",
            {"outset_on_day": "", "outset_on_month": "", "outset_on_year": ""},
            "Enter the date you identified the concern",
        ),
    ],
)
def test_bad_input_on_the_raise_pages(
    world: World, step: str, data: dict[str, str], message: str
) -> None:
    client = signed_in(world.user("a", Level.PRACTITIONER))
    response = client.post(f"/raise/{step}/", data)
    assert response.status_code == 200
    text = response.content.decode()
    assert "govuk-error-summary" in text
    assert message.lower() in text.lower()
    assert "raise-answers" not in client.session or step not in client.session.get(
        "raise-answers", {}
    )


def test_future_outset_is_refused_at_the_field(world: World) -> None:
    client = signed_in(world.user("a", Level.PRACTITIONER))
    future = timekeeping.today() + dt.timedelta(days=10)
    response = client.post("/raise/identified/", date_fields("outset_on", future))
    # refused on the page where it is typed, not at the end (check answers)
    assert response.status_code == 200
    assert "must be today or in the past" in response.content.decode()


def test_html_and_script_are_stored_as_text_and_shown_escaped(world: World) -> None:
    from escalate.cases.rules import registry

    proc = registry().get(world.partnership.procedure_id)
    client = signed_in(world.user("a", Level.PRACTITIONER))
    esc = raise_through_pages(
        client, world, category=proc.categories[0].id, issue=SCRIPT, name=SCRIPT
    )
    assert esc.issue == SCRIPT
    page = client.get(f"/escalations/{esc.reference}/").content.decode()
    assert SCRIPT not in page
    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;" in page


def test_bad_input_on_action_forms_changes_nothing(world: World) -> None:
    esc = raise_one(world)
    client = signed_in(world.user("a", Level.PRACTITIONER))
    url = f"/escalations/{esc.reference}/escalate/"
    cases = [
        {"version": esc.version, "reason": ""},
        {"version": esc.version, "reason": "x" * 5001, **date_fields("on", D(2026, 3, 3))},
        {
            "version": esc.version,
            "reason": "r",
            **date_fields("on", D(2026, 3, 1)),
        },  # before stage entry
        {"version": esc.version, "reason": "r", "on_day": "99", "on_month": "1", "on_year": "2026"},
        {"version": "abc", "reason": "r", **date_fields("on", D(2026, 3, 3))},
    ]
    for data in cases:
        response = client.post(url, data)
        assert response.status_code == 200, data
        assert "govuk-error-summary" in response.content.decode(), data
    esc.refresh_from_db()
    assert esc.current_stage == 1
    assert esc.version == 1
    assert esc.entries.count() == 1


def test_stale_form_tells_the_second_user(world: World) -> None:
    esc = raise_one(world)
    first = signed_in(world.user("a", Level.PRACTITIONER))
    second = signed_in(world.user("b", Level.PRACTITIONER))
    data = {"version": esc.version, "reason": "No", **date_fields("on", D(2026, 3, 3))}
    assert first.post(f"/escalations/{esc.reference}/escalate/", data).status_code == 302
    data["reason"] = "B's own reason"
    response = second.post(f"/escalations/{esc.reference}/escalate/", data)
    html = response.content.decode()
    assert response.status_code == 200
    assert "Someone else changed the stage or status" in html
    assert "B&#x27;s own reason" in html  # what they typed comes back
    esc.refresh_from_db()
    assert esc.current_stage == 2
    assert esc.stages.count() == 2


def test_extra_posted_fields_change_nothing(world: World) -> None:
    esc = raise_one(world)
    client = signed_in(world.user("a", Level.PRACTITIONER))
    client.post(
        f"/escalations/{esc.reference}/contact/",
        {
            "version": esc.version,
            **date_fields("occurred_on", D(2026, 3, 2)),
            "method": "email",
            "contact_by": "A",
            "contact_with": "B",
            "summary": "s",
            "agreed": "a",
            "status": "resolved",
            "current_stage": "5",
            "current_due_on": "2030-01-01",
        },
    )
    esc.refresh_from_db()
    assert esc.status == Status.OPEN
    assert esc.current_stage == 1
    assert esc.current_due_on == D(2026, 3, 4)


def test_sign_out_is_post_only(world: World) -> None:
    client = signed_in(world.user("a", Level.PRACTITIONER))
    assert client.get("/account/sign-out/").status_code == 405
    assert client.post("/account/sign-out/").status_code == 302
    assert client.get("/").status_code == 302


@pytest.mark.parametrize(
    ("action", "who"),
    [
        ("contact", ("a", Level.PRACTITIONER)),
        ("escalate", ("a", Level.PRACTITIONER)),
        ("resolve", ("a", Level.PRACTITIONER)),
        ("withdraw", ("a", Level.PRACTITIONER)),
        ("event", ("a", Level.PRACTITIONER)),
        ("duty", ("a", Level.PRACTITIONER)),
        ("entries/1/correct", ("a", Level.PRACTITIONER)),
    ],
)
@pytest.mark.parametrize("bad", ["empty", "script", "too-long", "no-such-date"])
def test_every_action_form_refuses_bad_input_and_changes_nothing(
    world: World, action: str, who: tuple[str, Level], bad: str
) -> None:
    esc = raise_one(world)
    client = signed_in(world.user(*who))
    url = f"/escalations/{esc.reference}/{action}/"
    form = client.get(url)
    assert form.status_code == 200
    names = set(re.findall(r'name="([a-z_]+)"', form.content.decode())) - {"csrfmiddlewaretoken"}
    data: dict[str, str] = {"version": str(esc.version)}
    for name in names - {"version"}:
        if bad == "script":
            data[name] = SCRIPT
        elif bad == "too-long":
            data[name] = "x" * 5001
        elif bad == "no-such-date" and name.endswith(("_day", "_month", "_year")):
            data[name] = {"day": "31", "month": "2", "year": "2026"}[name.rsplit("_", 1)[1]]
    response = client.post(url, data)
    if bad == "script" and response.status_code == 302:
        # a form of free text only (a correction) accepts it: stored as text, shown escaped
        esc.refresh_from_db()
        assert esc.entries.last().text == SCRIPT  # type: ignore[union-attr]
        assert SCRIPT not in client.get(f"/escalations/{esc.reference}/").content.decode()
        return
    assert response.status_code == 200
    page = response.content.decode()
    assert "govuk-error-summary" in page
    assert SCRIPT not in page  # anything echoed back is escaped
    esc.refresh_from_db()
    assert esc.version == 1
    assert esc.entries.count() == 1
    assert esc.current_stage == 1


@pytest.mark.parametrize(
    "step",
    ["immediate-risk", "about", "agency", "category", "source", "disagreement", "identified"],
)
@pytest.mark.parametrize("bad", ["empty", "script", "too-long"])
def test_every_raise_page_refuses_bad_input(world: World, step: str, bad: str) -> None:
    client = signed_in(world.user("a", Level.PRACTITIONER))
    form = client.get(f"/raise/{step}/").content.decode()
    names = set(re.findall(r'name="([a-z_]+)"', form)) - {"csrfmiddlewaretoken"}
    value = {"empty": "", "script": SCRIPT, "too-long": "x" * 5001}[bad]
    response = client.post(f"/raise/{step}/", dict.fromkeys(names, value))
    if response.status_code == 302:
        # only free-text optional answers can be accepted; they are kept as text, not markup
        assert bad == "script"
        assert step == "disagreement"
        return
    page = response.content.decode()
    assert "govuk-error-summary" in page
    assert SCRIPT not in page
    assert Escalation.objects.count() == 0


def test_the_page_names_the_stages_levels_in_words(world: World) -> None:
    """A viewer whose level does not hold the stage is told whose it is, in words (never the
    schema's hyphenated values)."""
    esc = raise_one(world, start_stage=3, immediate_risk=True, immediate_risk_reason="Risk")
    page = signed_in(world.user("a", Level.PRACTITIONER)).get(f"/escalations/{esc.reference}/")
    text = re.sub(r"\s+", " ", page.content.decode())
    assert "This stage is for senior manager level." in text


def test_the_page_offers_only_what_will_be_accepted(world: World) -> None:
    """No link that leads to a refusal: after withdrawal there is nothing more to record but a
    party's view, and a business unit that is not a party is not asked for its agency's view."""
    esc = raise_one(world)
    url = f"/escalations/{esc.reference}/"
    bu_page = signed_in(world.bu_user).get(url).content.decode()
    assert "Record a contact or meeting" in bu_page
    assert "Give your agency's view" not in bu_page

    raiser = world.user("a", Level.PRACTITIONER)
    page = signed_in(raiser).get(url).content.decode()
    assert "Record a contact or meeting" in page and "Give your agency's view" in page
    esc = services.escalation_withdraw(
        actor=Actor.of(raiser),
        today=timekeeping.today(),
        escalation=esc,
        version=esc.version,
        on=D(2026, 3, 3),
        reason="In error",
    )
    page = signed_in(raiser).get(url).content.decode()
    assert "Give your agency's view" in page
    for refused in ("Record a contact or meeting", "Record a duty done", "Record a meeting held"):
        assert refused not in page, refused
    assert "What you can do" not in signed_in(world.bu_user).get(url).content.decode()


def test_a_refused_confirmation_page_is_in_the_audit_trail(world: World) -> None:
    """The page after raising answers an outsider as every escalation page does: 404, with the
    refusal recorded against the reference."""
    esc = raise_one(world)
    outsider = signed_in(world.user("c", Level.BOARD_REPRESENTATIVE))
    assert outsider.get(f"/escalations/{esc.reference}/raised/").status_code == 404
    denied = AuditEntry.objects.filter(action=AuditAction.ACCESS_DENIED, object_ref=esc.reference)
    assert denied.count() == 1
    raiser = signed_in(world.user("a", Level.PRACTITIONER))
    assert raiser.get(f"/escalations/{esc.reference}/raised/").status_code == 200
