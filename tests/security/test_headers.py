"""Response headers, cookies, methods, CSRF and forms that take only their declared fields."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import pytest
from django.conf import settings
from django.test import Client, override_settings

from escalate import timekeeping
from escalate.cases.models import Escalation, Status
from escalate.procedures.schema import Level
from escalate.web.routes import ROUTES, Route, iter_routes
from tests.cases.conftest import World, make_world, raise_one
from tests.security.test_production_settings import production_values
from tests.security.world import SecurityWorld, build_world, url_for, variants
from tests.support import signed_in

if TYPE_CHECKING:
    from django.test.client import _MonkeyPatchedWSGIResponse as TestResponse

pytestmark = [
    pytest.mark.django_db,
    # WhiteNoise warns on each new test client that STATIC_ROOT is not built (tests use finders).
    pytest.mark.filterwarnings("ignore:No directory at:UserWarning"),
]

CLASSIFIED = [r for r in iter_routes() if r.key in ROUTES]
STATIC_FILE = "/static/build/app.css"
NONCE = re.compile(r"'nonce-([A-Za-z0-9_\-]+)'")


@pytest.fixture
def sworld(db: None) -> SecurityWorld:
    return build_world()


def every_page(world: SecurityWorld, role: str) -> Iterator[tuple[Route, str, TestResponse]]:
    """GET of every classified route (each fill-in), as ``role``."""
    for route in CLASSIFIED:
        for variant in variants(route):
            url = url_for(world, route, variant, role)
            yield route, url, world.client(role).get(url)


def directives(response: TestResponse) -> dict[str, str]:
    policy = response.get("Content-Security-Policy", "")
    out = {}
    for part in policy.split(";"):
        name, _, value = part.strip().partition(" ")
        out[name] = value
    return out


def assert_security_headers(response: TestResponse, where: str, *, page: bool = True) -> None:
    """The headers on every response; ``page`` adds those of a page a view made (static files
    and the method guard's bodiless 405s answer before the clickjacking middleware, and CSP's
    frame-ancestors covers them)."""
    csp = directives(response)
    assert csp.get("default-src") == "'self'", where
    assert csp.get("frame-ancestors") == "'none'", where
    assert csp.get("object-src") == "'none'", where
    assert csp.get("base-uri") == "'none'", where
    assert csp.get("style-src") == "'self'", where  # no 'unsafe-inline', no nonce for styles
    assert csp.get("form-action", "").startswith("'self'"), where
    script = csp.get("script-src", "")
    assert script.startswith("'self' 'nonce-"), (where, script)
    assert "unsafe" not in response.get("Content-Security-Policy", ""), where
    assert response.get("X-Content-Type-Options") == "nosniff", where
    assert response.get("Referrer-Policy") == "same-origin", where
    if page:
        assert response.get("X-Frame-Options") == "DENY", where
        assert response.get("Cross-Origin-Opener-Policy") == "same-origin", where


SCRIPT_TAG = re.compile(r"<script\b([^>]*)>", re.IGNORECASE)
STYLE_ATTR = re.compile(r"<[^>]+\sstyle\s*=", re.IGNORECASE)
STYLE_TAG = re.compile(r"<style\b", re.IGNORECASE)
INLINE_HANDLER = re.compile(r"<[^>]+\son[a-z]+\s*=", re.IGNORECASE)
POST_FORM = re.compile(r"<form\b[^>]*method=[\"']?post[\"']?[^>]*>(.*?)</form>", re.I | re.S)


def assert_no_inline_code(html: str, where: str) -> None:
    for attrs in SCRIPT_TAG.findall(html):
        assert "src=" in attrs, f"inline <script> on {where}"
    assert not STYLE_ATTR.search(html), f"style= attribute on {where}"
    assert not STYLE_TAG.search(html), f"<style> element on {where}"
    assert not INLINE_HANDLER.search(html), f"on...= event handler attribute on {where}"


def assert_forms_carry_csrf(html: str, where: str) -> None:
    for form in POST_FORM.findall(html):
        assert 'name="csrfmiddlewaretoken"' in form, f"a POST form without a CSRF token on {where}"


# -- headers on every page ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "role", ["anonymous", "password-only", "practitioner", "business-unit", "system-admin"]
)
def test_every_page_carries_the_security_headers(sworld: SecurityWorld, role: str) -> None:
    """Every route, whatever it answers: CSP with a nonce, no-store, nosniff, referrer policy."""
    seen = 0
    for route, url, response in every_page(sworld, role):
        where = f"{role} GET {url} ({route.key}) -> {response.status_code}"
        assert_security_headers(response, where)
        assert "no-store" in response.get("Cache-Control", ""), where
        seen += 1
    print(f"\n{role}: {seen} responses checked")


@pytest.mark.parametrize("role", ["anonymous", "practitioner", "business-unit", "system-admin"])
def test_no_page_has_inline_script_or_style_and_every_form_has_csrf(
    sworld: SecurityWorld, role: str
) -> None:
    problems = []
    for route, url, response in every_page(sworld, role):
        if response.status_code != 200 or "html" not in response.get("Content-Type", ""):
            continue
        html = response.content.decode()
        where = f"{role} GET {url} ({route.key})"
        try:
            assert_no_inline_code(html, where)
            assert_forms_carry_csrf(html, where)
        except AssertionError as exc:
            problems.append(str(exc))
    assert not problems, "\n".join(problems)


def test_the_nonce_is_fresh_for_every_response(sworld: SecurityWorld) -> None:
    client = sworld.client("practitioner")
    url = f"/escalations/{sworld.own.reference}/"
    nonces = set()
    for _ in range(3):
        response = client.get(url)
        assert response.status_code == 200
        found = NONCE.search(response["Content-Security-Policy"])
        assert found is not None
        nonces.add(found.group(1))
        # Any element that carries a nonce carries this response's.
        for value in re.findall(r'nonce="([^"]*)"', response.content.decode()):
            assert value == found.group(1)
    assert len(nonces) == 3


def test_case_pages_are_never_stored(sworld: SecurityWorld) -> None:
    client = sworld.client("senior-manager")
    ref = sworld.own.reference
    for url in [
        "/",
        "/escalations/",
        f"/escalations/{ref}/",
        f"/escalations/{ref}/raised/",
        f"/escalations/{ref}/contact/",
        f"/escalations/{ref}/escalate/",
        "/raise/immediate-risk/",
    ]:
        response = client.get(url)
        assert response.status_code == 200, url
        cache = response["Cache-Control"]
        for word in ("no-store", "no-cache", "private", "max-age=0"):
            assert word in cache, (url, cache)
        assert "Expires" in response, url


def test_static_files_carry_the_policy_and_nosniff(client: Client) -> None:
    response = client.get(STATIC_FILE)
    assert response.status_code == 200
    assert_security_headers(response, STATIC_FILE, page=False)


# -- methods ------------------------------------------------------------------------------------

REFUSED_METHODS = ["TRACE", "PUT", "DELETE", "PATCH", "OPTIONS", "CONNECT", "PROPFIND", "FOO"]


@pytest.mark.parametrize("method", REFUSED_METHODS)
@pytest.mark.parametrize("role", ["anonymous", "board-representative", "system-admin"])
def test_only_get_head_and_post_are_answered(sworld: SecurityWorld, role: str, method: str) -> None:
    client = sworld.client(role)
    ref = sworld.own.reference
    for url in [
        "/",
        f"/escalations/{ref}/",
        f"/escalations/{ref}/resolve/",
        "/raise/about/",
        "/account/sign-in/",
        "/account/sign-out/",
        "/admin/",
        "/admin/login/",
        "/admin/directory/person/",
        f"/audit/escalations/{ref}/",
        "/sso/start/",
        "/no-such-page/",
        STATIC_FILE,
    ]:
        response = client.generic(method, url)
        assert response.status_code == 405, (method, url, response.status_code)
        assert response["Allow"] == "GET, HEAD, POST"
        assert response.content == b""
        assert_security_headers(response, f"{method} {url}", page=False)


def test_head_is_answered_like_get(sworld: SecurityWorld) -> None:
    client = sworld.client("practitioner")
    url = f"/escalations/{sworld.own.reference}/"
    response = client.head(url)
    assert response.status_code == 200
    assert response.content == b""


def test_a_state_change_needs_post(sworld: SecurityWorld) -> None:
    """GET shows a form; only POST acts, and then only with a CSRF token."""
    esc = sworld.own
    client = sworld.client("senior-manager")
    before = esc.version
    data = {"version": str(before), "reason": "No", **date_parts("on", timekeeping.today())}
    response = client.get(f"/escalations/{esc.reference}/escalate/", data)
    assert response.status_code == 200
    esc.refresh_from_db()
    assert esc.version == before and esc.current_stage == 3


# -- CSRF ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("role", ["anonymous", "password-only", "business-unit", "system-admin"])
def test_every_post_without_a_csrf_token_is_refused(sworld: SecurityWorld, role: str) -> None:
    refused = 0
    for route in CLASSIFIED:
        for variant in variants(route):
            url = url_for(sworld, route, variant, role)
            client = sworld.client(role, enforce_csrf_checks=True)
            response = client.post(url, {"version": "1"})
            assert response.status_code == 403, (role, url, route.key, response.status_code)
            refused += 1
    print(f"\n{role}: {refused} POSTs without a CSRF token refused")


# -- cookies ------------------------------------------------------------------------------------


def sign_in_with_password(client: Client, user: Any, **extra: Any) -> TestResponse:
    response = client.get("/account/sign-in/", **extra)
    assert response.status_code == 200
    return client.post("/account/sign-in/", {"username": user.username, "password": "x"}, **extra)


def test_session_and_csrf_cookies_are_httponly_and_samesite(sworld: SecurityWorld) -> None:
    client = Client()
    page = client.get("/account/sign-in/")
    csrf = page.cookies[settings.CSRF_COOKIE_NAME]
    assert csrf["httponly"] is True
    assert csrf["samesite"] == "Lax"
    response = sign_in_with_password(client, sworld.one.user("a", Level.PRACTITIONER))
    assert response.status_code == 302
    session = response.cookies[settings.SESSION_COOKIE_NAME]
    assert session["httponly"] is True
    assert session["samesite"] == "Lax"


@pytest.fixture(scope="module")
def production() -> dict[str, Any]:
    """The production module's security settings, loaded in a subprocess with a good
    environment (this process keeps the test settings)."""
    values = production_values()
    return {k: v for k, v in values.items() if k not in ("DEBUG", "ALLOWED_HOSTS")}


def test_under_production_settings_cookies_are_secure(
    sworld: SecurityWorld, production: dict[str, Any]
) -> None:
    with override_settings(**production):
        client = Client()
        page = client.get("/account/sign-in/", secure=True)
        assert page.status_code == 200
        csrf = page.cookies[production["CSRF_COOKIE_NAME"]]
        assert csrf["secure"] is True
        assert csrf["httponly"] is True
        response = sign_in_with_password(
            client, sworld.one.user("a", Level.PRACTITIONER), secure=True
        )
        assert response.status_code == 302
        session = response.cookies[production["SESSION_COOKIE_NAME"]]
        assert session["secure"] is True
        assert session["httponly"] is True
        assert session["path"] == "/" and not session["domain"]  # what __Host- requires


def test_under_production_settings_https_is_enforced(production: dict[str, Any]) -> None:
    with override_settings(**production):
        client = Client()
        plain = client.get("/account/sign-in/")
        assert plain.status_code == 301
        assert plain["Location"].startswith("https://")
        secure = client.get("/account/sign-in/", secure=True)
        assert secure.status_code == 200
        hsts = secure["Strict-Transport-Security"]
        assert "max-age=63072000" in hsts
        assert "includeSubDomains" in hsts
        assert "preload" in hsts
        assert_security_headers(secure, "production sign-in")


# -- forms take only their declared fields --------------------------------------------------------


def date_parts(name: str, on: dt.date) -> dict[str, str]:
    return {
        f"{name}_day": str(on.day),
        f"{name}_month": str(on.month),
        f"{name}_year": str(on.year),
    }


def snapshot(esc: Escalation) -> dict[str, Any]:
    esc.refresh_from_db()
    fields = {f.attname: getattr(esc, f.attname) for f in Escalation._meta.concrete_fields}
    fields["parties"] = sorted(esc.parties.values_list("agency_id", "role"))
    return fields


#: What never changes from a form on the escalation page, posted or not.
#: (version, updated_at and the derived next_due_on change with every action.)
ALWAYS_CHANGES = {"version", "updated_at", "next_due_on"}
FAR_DATE = dt.date(2030, 1, 1)


def extras(world: World) -> dict[str, str]:
    """Fields no action form declares, with values that would matter if they were taken."""
    return {
        "status": Status.RESOLVED,
        "current_stage": "5",
        "start_stage": "4",
        "current_due_on": FAR_DATE.isoformat(),
        **date_parts("current_due_on", FAR_DATE),
        "next_due_on": FAR_DATE.isoformat(),
        "receiving_agency": str(world.c.pk),
        "receiving_agency_id": str(world.c.pk),
        "raising_agency": str(world.c.pk),
        "partnership": "999",
        "reference": "ESC-AAAA-AAAA",
        "outcome": "Changed by a posted field",
        "subject_reference": "CHANGED",
        "closed_on": FAR_DATE.isoformat(),
        "confirmed_on": FAR_DATE.isoformat(),
        "other_agencies": str(world.c.pk),
    }


def action_data(action: str, today: dt.date) -> dict[str, str]:
    on = date_parts("on", today)
    return {
        "contact": {
            **date_parts("occurred_on", today),
            "method": "telephone",
            "contact_by": "A",
            "contact_with": "B",
            "summary": "Talked",
            "agreed": "Nothing",
        },
        "escalate": {**on, "reason": "Not agreed"},
        "resolve": {**on, "outcome": "Agreed outcome"},
        "bring-forward": {**date_parts("due_on", today), "reason": "Urgent"},
        "withdraw": {**on, "reason": "No longer needed"},
        "event": {**on, "event": "matter-raised"},  # Redbridge's stage 1 event
        "duty": {**on, "obligation": "consult-line-manager"},
        "view": {"view": "Our view"},
        "entries/1/correct": {"text": "A correction"},
    }[action]


def declared_effect(action: str, before: dict[str, Any], today: dt.date) -> dict[str, Any]:
    """The fields each action's own form is meant to change, and to what."""
    closed = {"closed_on": today}
    return {
        "escalate": {"current_stage": before["current_stage"] + 1, "current_due_on": ...},
        "resolve": {"status": Status.RESOLVED, "outcome": "Agreed outcome", **closed},
        "withdraw": {"status": Status.WITHDRAWN, **closed},
        "bring-forward": {"current_due_on": today},
        "duty": {"current_due_on": ...},
        "event": {"current_due_on": ...},
    }.get(action, {})


@pytest.mark.parametrize(
    "action",
    [
        "contact",
        "escalate",
        "resolve",
        "bring-forward",
        "withdraw",
        "event",
        "duty",
        "view",
        "entries/1/correct",
    ],
)
def test_extra_posted_fields_change_nothing(db: None, action: str) -> None:
    # North East Lincolnshire records no event at stage 1; Redbridge records "matter raised".
    procedure = "redbridge-sab" if action == "event" else "north-east-lincolnshire"
    world = make_world(procedure, "extras")
    today = timekeeping.today()
    esc = raise_one(world, on=today, outset_on=today)
    client = signed_in(world.user("a", Level.PRACTITIONER))
    before = snapshot(esc)
    data = {**extras(world), **action_data(action, today), "version": str(esc.version)}
    response = client.post(f"/escalations/{esc.reference}/{action}/", data)
    assert response.status_code == 302, response.content.decode()[:2000]
    after = snapshot(esc)
    assert after["version"] == before["version"] + 1  # the action happened
    effect = declared_effect(action, before, today)
    for name, value in before.items():
        if name in ALWAYS_CHANGES:
            continue
        if name in effect:
            if effect[name] is not ...:
                assert after[name] == effect[name], name
            continue
        assert after[name] == value, f"{action} changed {name}: {value!r} -> {after[name]!r}"
    assert after["current_due_on"] != FAR_DATE
    assert after["next_due_on"] != FAR_DATE
    assert after["status"] in (Status.OPEN, effect.get("status"))


def test_the_raise_journey_takes_only_its_questions(db: None) -> None:
    world = make_world("north-east-lincolnshire", "raise-extras")
    elsewhere = make_world("north-east-lincolnshire", "raise-elsewhere")
    client = signed_in(world.user("a", Level.PRACTITIONER))
    extra = {**extras(world), "raising_agency": str(elsewhere.a.pk), "immediate_risk": "no"}
    del extra["other_agencies"]  # the agency question's own (optional) field
    # A receiving agency of another partnership is not offered, and not taken.
    response = client.post("/raise/agency/", {"receiving_agency": str(elsewhere.b.pk)})
    assert response.status_code == 200
    assert "govuk-error-summary" in response.content.decode()
    today = timekeeping.today()
    steps = [
        ("immediate-risk", {"immediate_risk": "no"}),
        (
            "about",
            {
                "subject_kind": "adult",
                "subject_reference_kind": "pid",
                "subject_reference": "PID-9",
            },
        ),
        ("agency", {"receiving_agency": str(world.b.pk)}),
        ("category", {"category": "drift-or-delay"}),
        ("source", {"source": "referral"}),
        ("disagreement", {"issue": "I", "risk": "R", "aim": "A"}),
        ("identified", date_parts("outset_on", today)),
    ]
    for step, data in steps:
        response = client.post(f"/raise/{step}/", {**extra, **data})
        assert response.status_code == 302, (step, response.content.decode()[:2000])
    done = client.post("/raise/check/", extra)
    assert done.status_code == 302
    esc = Escalation.objects.get()
    assert esc.partnership_id == world.partnership.pk
    assert esc.raising_agency_id == world.a.pk
    assert esc.receiving_agency_id == world.b.pk
    assert esc.status == Status.OPEN
    assert esc.current_stage == 1 and esc.start_stage == 1
    assert esc.reference != "ESC-AAAA-AAAA"
    assert esc.outcome == "" and esc.closed_on is None and esc.confirmed_on is None
    assert esc.subject_reference == "PID-9"
    assert esc.current_due_on != FAR_DATE
    assert sorted(esc.parties.values_list("agency_id", flat=True)) == sorted(
        [world.a.pk, world.b.pk]
    )
