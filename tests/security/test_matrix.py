"""The permission matrix: every role x every route (x each escalation a route can show) x GET
and an empty POST, each cell asserting one exact status.

The expected statuses are written out here as rules, from each route's class in
``escalate.web.routes.ROUTES`` and what each role is; they never ask the code under test
(``escalate.cases.access``) what it allows. One test per cell: the test ids name the role, the
route, the fill-in and the method, and ``test_matrix_size`` prints the number of cells.

A cell that fails with an unexpected 2xx (or a redirect somewhere other than a sign-in page) is a
leak: someone reached what they may not. See docs/security.md for how to add a route.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING

import pytest
from django.db import transaction
from django.test import override_settings

from escalate.web.routes import ROUTES, Access, Route, iter_routes
from tests.security.world import (
    LEVEL_ROLES,
    ROLES,
    SCENARIO_WORDS,
    SCENARIOS,
    SecurityWorld,
    build_world,
    url_for,
    variants,
)

if TYPE_CHECKING:
    from django.test.client import _MonkeyPatchedWSGIResponse as TestResponse

pytestmark = [
    pytest.mark.django_db,
    # WhiteNoise warns on each new test client that STATIC_ROOT is not built (tests use finders).
    pytest.mark.filterwarnings("ignore:No directory at:UserWarning"),
]

SIGN_IN = "/account/sign-in/"
ADMIN_LOGIN = "/admin/login/"
ADMIN_INDEX = "/admin/"
HOME = "/"
FIRST_RAISE_STEP = "/raise/immediate-risk/"
#: Raise pages that, with nothing answered yet, send you to the question to answer first.
RAISE_NOT_YET = {
    "start-stage": FIRST_RAISE_STEP,
    "due": FIRST_RAISE_STEP,  # asked only when someone is at immediate risk
    "check": FIRST_RAISE_STEP,
    "confirm-identified": "/raise/identified/",  # the old-date question needs a date
}
VERIFY = "/account/sign-in/code/"
IDP = "https://idp.example.test"
IDP_AUTHORIZE = f"{IDP}/authorize"
#: Single sign-on configured (with a provider that is never called), so its routes are live.
SSO_SETTINGS = {
    "OIDC_OP_ISSUER": IDP,
    "OIDC_OP_AUTHORIZATION_ENDPOINT": IDP_AUTHORIZE,
    "OIDC_OP_TOKEN_ENDPOINT": f"{IDP}/token",
    "OIDC_OP_JWKS_ENDPOINT": f"{IDP}/jwks",
    "OIDC_RP_CLIENT_ID": "escalate-tests",
    "OIDC_RP_CLIENT_SECRET": "not-a-secret",
}
METHODS = ("GET", "POST")


@dataclass(frozen=True)
class Expect:
    status: int
    location: str | None = None  # for a redirect: where it must go (a prefix of Location)

    def __str__(self) -> str:
        return f"{self.status} -> {self.location}" if self.location else str(self.status)


def both(status: int, location: str | None = None) -> dict[str, Expect]:
    return {"GET": Expect(status, location), "POST": Expect(status, location)}


def get_post(get: int | Expect, post: int | Expect) -> dict[str, Expect]:
    return {
        "GET": get if isinstance(get, Expect) else Expect(get),
        "POST": post if isinstance(post, Expect) else Expect(post),
    }


# -- who is who -------------------------------------------------------------------------------

PERSONS = {*LEVEL_ROLES, "business-unit", "panel-member"}
SIGNED = {*PERSONS, "system-admin"}  # past the second factor

#: The "own" escalation is at stage 3 of North East Lincolnshire, held by a senior manager; a
#: manager holds the stages of the levels below theirs.
HOLD_STAGE_3 = {"senior-manager", "assistant-director", "board-representative"}

#: What someone who has given only their password may open (the rest sends them to the code).
#: Written out here, not imported from the middleware's SIGN_IN_VIEWS, so that a page added
#: there by mistake shows up as a leak instead of moving the expectation with it.
SIGN_IN_PAGES = {
    "accounts:sign-in",
    "accounts:verify",
    "accounts:recovery-code",
    "accounts:set-up",
    "accounts:set-up-qr",
    "accounts:sign-out",
    "accounts:timed-out",
    "accounts:password-reset",
    "accounts:password-reset-done",
    "accounts:password-reset-confirm",
    "accounts:password-reset-complete",
}


def sees(role: str, scenario: str) -> bool:
    """A party's people see their escalations; the business unit sees its partnership's; a
    panel member sees what is referred to its own partnership's panel."""
    if role == "business-unit":
        return scenario in ("own", "same", "panel")
    if role == "panel-member":
        return scenario == "panel"
    return role in LEVEL_ROLES and scenario == "own"


def may(role: str, scenario: str) -> set[str]:
    """What each role may do to the escalation a scenario means for it, written out."""
    if role in LEVEL_ROLES and scenario == "own":
        # The raising agency, at stage 3 (open, not the top stage, protective timescale).
        allowed = {"record", "withdraw"}
        if role in HOLD_STAGE_3:
            allowed |= {"resolve", "escalate", "bring-forward"}
        return allowed
    if role == "business-unit" and scenario == "own":
        # Its agency receives it, at stage 3: the business unit still holds no stage of the
        # parties (it oversees; it is never a party), so it records and nothing more.
        return {"record"}
    if role == "business-unit" and scenario == "same":
        # Not a party; the business unit records, and acts only at the top stage.
        return {"record"}
    if role == "business-unit" and scenario == "panel":
        # The receiving agency at the top stage (the chair's, with a protective timescale): the
        # business unit records the chair's work and decision; only the raiser withdraws.
        return {"record", "resolve", "decide", "bring-forward"}
    return set()  # a panel member reads and never acts


# The escalation pages and what each action needs.
READ_ONLY = {"cases:detail", "cases:raised"}
NEEDS = {
    "cases:contact": "record",
    "cases:event": "record",
    "cases:duty": "record",
    "cases:view": "record",
    "cases:correct": "record",
    "cases:escalate": "escalate",
    "cases:resolve": "resolve",
    "cases:confirm": "confirm",
    "cases:bring-forward": "bring-forward",
    "cases:withdraw": "withdraw",
    "cases:decide": "decide",
}

# -- the rules --------------------------------------------------------------------------------


def expected(key: str, access: Access, role: str, variant: str) -> dict[str, Expect]:
    """The exact status of GET and of an empty POST, for one role on one route."""
    if role == "password-only" and key not in SIGN_IN_PAGES:
        return both(302, VERIFY)  # every page but the sign-in steps asks for the code first
    app = "admin" if key.startswith("admin") else key.split(":", 1)[0]
    rules = {
        "admin": _admin,
        "accounts": _accounts,
        "sso": _sso,
        "cases": _cases,
        "audit": _audit,
        "directory": _directory,
        "notifications": _notifications,
        "attachments": _attachments,
        "documents": _documents,
        "panels": _panels,
        "insights": _insights,
    }
    if app not in rules:
        raise AssertionError(f"no rules for {key!r}: add them to tests/security/test_matrix.py")
    return rules[app](key, access, role, variant)


def _cases(key: str, access: Access, role: str, variant: str) -> dict[str, Expect]:
    if role == "anonymous":
        return both(302, SIGN_IN)  # every page of the record asks you to sign in first
    person = role in PERSONS
    if key == "cases:home":
        return get_post(200, 405)  # anyone signed in (a system administrator sees no cases)
    if key in ("cases:list", "cases:procedure"):
        return get_post(200 if person else 404, 405)
    # The business unit oversees and never raises a concern of its own.
    raiser = person and role != "business-unit"
    if key == "cases:raise-start":
        return get_post(Expect(302, FIRST_RAISE_STEP) if raiser else Expect(404), 405)
    if key == "cases:raise":
        if not raiser or variant == "no-such-step":
            return both(404)
        if variant in RAISE_NOT_YET:
            return both(302, RAISE_NOT_YET[variant])  # nothing answered yet: ask it first
        return both(200)  # the question; an empty answer shows its error
    if key == "cases:subject-access":
        return both(200 if role == "business-unit" else 404)
    if access is Access.PARTY:
        return _case_page(key, role, variant)
    raise AssertionError(f"no rule for {key!r}: add one to tests/security/test_matrix.py")


def _case_page(key: str, role: str, variant: str) -> dict[str, Expect]:
    """One escalation's page or action."""
    if key in READ_ONLY:
        return get_post(200 if sees(role, variant) else 404, 405)
    allowed = sees(role, variant) and NEEDS[key] in may(role, variant)
    if key == "cases:decide":  # leads to the outcome page, where the panel rule is checked
        return both(302, "/escalations/") if allowed else both(404)
    if allowed:
        return both(200)  # the form; an empty POST shows its errors and changes nothing
    return both(404)


def _attachments(key: str, access: Access, role: str, variant: str) -> dict[str, Expect]:
    """Written representations: read (listed, downloaded) by whoever sees the escalation;
    added only by a person of a party agency who may record on it. The business unit is such a
    person only where its own agency (``c``) is a party ("own" and "panel" for it), never as
    the overseer of an escalation between others ("same" for it)."""
    if role == "anonymous":
        return both(302, SIGN_IN)
    seen = sees(role, variant)
    if key in ("attachments:list", "attachments:download"):
        return get_post(200 if seen else 404, 405)  # GET only
    if key == "attachments:upload":
        overseer = role == "business-unit" and variant == "same"
        adds = seen and "record" in may(role, variant) and not overseer
        return both(200 if adds else 404)  # the form; an empty POST shows "Select a file"
    raise AssertionError(f"no rule for {key!r}: add one to tests/security/test_matrix.py")


def _documents(key: str, access: Access, role: str, variant: str) -> dict[str, Expect]:
    """The procedure's forms: read (the form, a version, its PDF) by whoever sees the
    escalation; completed and signed only by the people the procedure names, at a stage where
    the form is used. North East Lincolnshire's form is completed by whoever holds the stage:
    at stage 3 of the "own" escalation, where a draft was started, the senior levels of the
    raising agency; never the business unit (it holds no stage of the parties) nor a panel
    member. The draft is not signed, so there is nothing to send or to start again."""
    if role == "anonymous":
        return both(302, SIGN_IN)
    seen = sees(role, variant)
    # The business unit's "same" is the "own" escalation (it works for c).
    has_draft = (role in LEVEL_ROLES and variant == "own") or (
        role == "business-unit" and variant == "same"
    )
    if key == "documents:form":
        return get_post(200 if seen else 404, 405)  # GET only; "not started" if need be
    if key in ("documents:version", "documents:pdf"):
        return get_post(200 if seen and has_draft else 404, 405)  # GET only; version 1
    completes = role in HOLD_STAGE_3 and variant == "own"
    if key in ("documents:edit", "documents:sign"):
        return both(200 if completes else 404)  # an empty POST shows its error
    if key in ("documents:submit", "documents:new-version"):
        return both(404)  # only once signed
    raise AssertionError(f"no rule for {key!r}: add one to tests/security/test_matrix.py")


def _panels(key: str, access: Access, role: str, variant: str) -> dict[str, Expect]:
    """Panels and the top stage's outcome: read by whoever sees the escalation (its panel
    members too); a panel convened and its members chosen by the business unit alone, at the
    stage that convenes one ("panel", where a panel is convened); the outcome recorded by
    whoever may decide; a response only to the escalation's own recommendation (the world's
    is another escalation's)."""
    if role == "anonymous":
        return both(302, SIGN_IN)
    seen = sees(role, variant)
    if key == "panels:page":
        return get_post(200 if seen else 404, 405)  # GET only
    if key in ("panels:convene", "panels:members"):
        bu_at_panel = role == "business-unit" and variant == "panel"
        return both(200 if bu_at_panel else 404)  # the form; an empty POST shows its errors
    if key == "panels:outcome":
        return both(200 if seen and "decide" in may(role, variant) else 404)
    if key == "panels:respond":
        return both(404)
    raise AssertionError(f"no rule for {key!r}: add one to tests/security/test_matrix.py")


def _directory(key: str, access: Access, role: str, variant: str) -> dict[str, Expect]:
    if key == "directory:import":
        if role == "anonymous":
            return both(302, SIGN_IN)
        return both(200 if role == "business-unit" else 404)
    raise AssertionError(f"no rule for {key!r}: add one to tests/security/test_matrix.py")


def _audit(key: str, access: Access, role: str, variant: str) -> dict[str, Expect]:
    if role == "anonymous":
        return both(302, SIGN_IN)
    if key == "audit:escalation-trail":
        # Only the business unit of the escalation's own partnership reads its trail.
        bu_own_partnership = role == "business-unit" and variant != "other"
        return get_post(200 if bu_own_partnership else 404, 405)
    if key == "audit:views-of-our-cases":
        return get_post(200 if role in PERSONS else 404, 405)
    raise AssertionError(f"no rule for {key!r}: add one to tests/security/test_matrix.py")


def _notifications(key: str, access: Access, role: str, variant: str) -> dict[str, Expect]:
    """A person's own notifications and preferences; the calendar feed, reached by its secret
    alone; the business unit's outbox of its own partnership."""
    if key == "notifications:feed":
        return get_post(404, 405)  # no such secret, whoever asks; GET only
    if role == "anonymous":
        return both(302, SIGN_IN)
    person = role in PERSONS
    if key == "notifications:list":
        return get_post(200 if person else 404, 405)
    if key == "notifications:open":
        return both(404)  # someone else's item: no such thing for you
    if key == "notifications:read-all":
        return get_post(405, Expect(302, "/notifications/") if person else Expect(404))
    if key == "notifications:preferences":
        return both(200 if person else 404)  # the form; an empty POST shows its error
    if key == "notifications:feed-reset":
        return get_post(405, 200 if person else 404)  # POST only: the new address, once
    if key == "notifications:outbox":
        return get_post(200 if role == "business-unit" else 404, 405)
    if key == "notifications:outbox-retry":
        return get_post(405, 404)  # another partnership's row: 404 to its business unit too
    raise AssertionError(f"no rule for {key!r}: add one to tests/security/test_matrix.py")


def _insights(key: str, access: Access, role: str, variant: str) -> dict[str, Expect]:
    """The board's view: the business unit alone, and only its own partnership's figures (the
    URL names no partnership: another partnership's business unit sees its own)."""
    if role == "anonymous":
        return both(302, SIGN_IN)
    if key in ("insights:dashboard", "insights:escalations"):
        return get_post(200 if role == "business-unit" else 404, 405)  # GET only
    if key in ("insights:annual-reports", "insights:annual-report", "insights:annual-report-pdf"):
        return get_post(200 if role == "business-unit" else 404, 405)  # GET only
    if key == "insights:annual-report-narrative":
        return both(200 if role == "business-unit" else 404)  # an empty POST shows its error
    if key.startswith("insights:export-"):
        return get_post(200 if role == "business-unit" else 404, 405)  # GET only; a download
    raise AssertionError(f"no rule for {key!r}: add one to tests/security/test_matrix.py")


ACCOUNTS_PUBLIC = {
    "accounts:timed-out": get_post(200, 405),
    "accounts:password-reset": both(200),  # the same answer whether or not you are signed in
    "accounts:password-reset-done": get_post(200, 405),
    "accounts:password-reset-confirm": both(200),  # "this link does not work" for a bad token
    "accounts:password-reset-complete": get_post(200, 405),
    "accounts:sign-out": get_post(405, Expect(302, SIGN_IN)),  # POST only
}
ACCOUNTS_SIGNED_IN = {
    "accounts:account": get_post(200, 405),
    "accounts:recovery-codes": get_post(Expect(302, "/account/"), 405),  # none waiting
    "accounts:new-recovery-codes": get_post(200, Expect(302, "/account/recovery-codes/")),
    "accounts:sign-out-everywhere": get_post(200, Expect(302, SIGN_IN)),
    "accounts:session": get_post(200, Expect(302, HOME)),  # "stay signed in"
    "accounts:password-change": both(200),
}
#: require_GET sits outside login_required on these: a POST is refused before anything else.
GET_ONLY_FIRST = {"accounts:account", "accounts:recovery-codes"}


def _accounts(key: str, access: Access, role: str, variant: str) -> dict[str, Expect]:
    if key in ACCOUNTS_PUBLIC:
        return ACCOUNTS_PUBLIC[key]
    if key == "accounts:sign-in":
        return both(200) if role == "anonymous" else both(302, HOME)
    if key == "accounts:set-up-qr":
        return get_post(404, 405)  # only while an app is being set up
    if key in ("accounts:verify", "accounts:recovery-code", "accounts:set-up"):
        if role == "anonymous":
            return both(302, SIGN_IN)
        if role == "password-only":
            return both(200)
        return both(302, HOME)  # already past the second factor
    if key in ACCOUNTS_SIGNED_IN:
        if role == "anonymous":
            return get_post(Expect(302, SIGN_IN), 405 if key in GET_ONLY_FIRST else 302)
        return ACCOUNTS_SIGNED_IN[key]
    raise AssertionError(f"no rule for {key!r}: add one to tests/security/test_matrix.py")


def _sso(key: str, access: Access, role: str, variant: str) -> dict[str, Expect]:
    """Single sign-on, configured for these tests with a provider at IDP."""
    anonymous = role == "anonymous"
    if key == "sso:start":
        return get_post(Expect(302, IDP_AUTHORIZE) if anonymous else Expect(302, HOME), 405)
    if key == "sso:callback":
        return get_post(400, 405)  # no state of ours: refused, whoever asks
    if anonymous:
        return both(302, SIGN_IN)
    if key == "sso:identities":
        return get_post(200, 405)
    if key == "sso:link":
        return get_post(405, Expect(302, IDP_AUTHORIZE))
    if key == "sso:unlink":
        return get_post(405, 404)  # someone else's linked account: no such thing for you
    raise AssertionError(f"no rule for {key!r}: add one to tests/security/test_matrix.py")


def _admin(key: str, access: Access, role: str, variant: str) -> dict[str, Expect]:  # noqa: C901
    """Django's admin: system administrators only; everyone else goes to its sign-in page."""
    staff = role == "system-admin"
    if key == "admin:login":
        if staff:
            return get_post(Expect(302, ADMIN_INDEX), 200)
        return both(200)  # the form (a signed-in person is told they are not authorised)
    if not staff:
        if key == "admin:logout":
            return both(302, ADMIN_INDEX)
        return both(302, ADMIN_LOGIN)
    if key == "admin:logout":
        return get_post(405, Expect(302, SIGN_IN))  # POST only; then LOGOUT_REDIRECT_URL
    if key in ("admin:password_change_done", "admin:jsi18n"):
        return get_post(200, 405)
    if key == "admin:autocomplete":
        return get_post(403, 405)  # no field named: refused
    if key in ("admin:view_on_site", "admin/(?P<url>.*)$"):
        return both(404)  # people have no page of their own; no such admin page
    if key in ("admin:otp_totp_totpdevice_config", "admin:otp_totp_totpdevice_qrcode"):
        return both(403)  # the secret key is never shown
    if key.startswith("admin/"):
        return both(302, ADMIN_INDEX)  # admin/<app>/<model>/<id>/ -> its change page
    if key in READ_ONLY_ADMIN_ADD:
        return both(403)  # nobody adds these by hand
    if key in READ_ONLY_ADMIN_CHANGE:
        return get_post(200, 403)  # shown, never changed
    if key in READ_ONLY_FIELDS_ADMIN_CHANGE:
        # Every field is read-only: "saving" changes nothing and goes back to the list.
        return get_post(200, Expect(302, f"/admin/axes/{key.split('_')[1]}/"))
    # index, app_list, password change, and each model's list, add, history, delete and change:
    # an empty POST saves and deletes nothing (a form with errors, or the confirmation page).
    return both(200)


#: Admin pages that refuse to add (records made by the service itself).
READ_ONLY_ADMIN_ADD = {
    "admin:axes_accessattempt_add",
    "admin:axes_accesslog_add",
    "admin:axes_accessfailurelog_add",
    "admin:sso_oidcidentity_add",
}
READ_ONLY_ADMIN_CHANGE = {"admin:sso_oidcidentity_change"}
READ_ONLY_FIELDS_ADMIN_CHANGE = {
    "admin:axes_accessattempt_change",
    "admin:axes_accesslog_change",
    "admin:axes_accessfailurelog_change",
}


# -- the cells --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Cell:
    role: str
    key: str
    variant: str
    method: str

    @property
    def id(self) -> str:
        return f"{self.role}|{self.key}|{self.variant}|{self.method}"


ROUTES_NOW = {r.key: r for r in iter_routes() if r.key in ROUTES}
CELLS = [
    Cell(role, key, variant, method)
    for key, route in ROUTES_NOW.items()
    for variant in variants(route)
    for role in ROLES
    for method in METHODS
]

#: Cells where the code does something else than the rules say, each with why. They are
#: strict xfails: the day the code is fixed they fail, and the entry must go.
KNOWN: dict[tuple[str, str, str], str] = {}


def _params() -> Iterator[object]:
    for cell in CELLS:
        reason = KNOWN.get((cell.role, cell.key, cell.method))
        marks = [pytest.mark.xfail(reason=reason, strict=True)] if reason else []
        yield pytest.param(cell, id=cell.id, marks=marks)


@pytest.fixture(scope="module")
def world(django_db_setup: None, django_db_blocker: object) -> Iterator[SecurityWorld]:
    """Built once for the module, inside a transaction rolled back at its end; each cell runs
    in its own savepoint (pytest-django's ``db``), so a POST cannot leak into the next cell."""
    blocker = django_db_blocker.unblock()  # type: ignore[attr-defined]
    with blocker, transaction.atomic(), override_settings(**SSO_SETTINGS):
        yield build_world()
        transaction.set_rollback(True)


def _describe(cell: Cell, url: str) -> str:
    what = SCENARIO_WORDS.get(cell.variant, cell.variant)
    return f"{cell.role} {cell.method} {url} ({cell.key}, {what})"


def _actual(response: TestResponse) -> Expect:
    return Expect(response.status_code, response.get("Location"))


def _matches(want: Expect, got: Expect) -> bool:
    if want.status != got.status:
        return False
    return want.location is None or (got.location or "").startswith(want.location)


@pytest.mark.parametrize("cell", list(_params()))
def test_cell(world: SecurityWorld, cell: Cell) -> None:
    route = ROUTES_NOW[cell.key]
    url = url_for(world, route, cell.variant, cell.role)
    want = expected(cell.key, ROUTES[cell.key], cell.role, cell.variant)[cell.method]
    client = world.client(cell.role)
    response = client.get(url) if cell.method == "GET" else client.post(url, {})
    got = _actual(response)
    if _matches(want, got):
        return
    leak = 200 <= got.status < 300 and not 200 <= want.status < 300
    redirected = 300 <= got.status < 400 and got.location not in (None, want.location)
    label = "LEAK" if leak else "WRONG REDIRECT" if redirected else "MISMATCH"
    pytest.fail(f"{label}: {_describe(cell, url)}: expected {want}, got {got}")


def test_matrix_size() -> None:
    """The matrix covers every classified route, every role and both methods."""
    fill_ins = sum(len(variants(r)) for r in ROUTES_NOW.values())
    assert len(CELLS) == fill_ins * len(ROLES) * len(METHODS)
    assert {c.role for c in CELLS} == set(ROLES)
    assert {c.key for c in CELLS} == set(ROUTES_NOW)
    scenario_routes = [k for k, r in ROUTES_NOW.items() if variants(r) == SCENARIOS]
    print(
        f"\npermission matrix: {len(CELLS)} cells = {len(ROLES)} roles x {fill_ins} URLs "
        f"({len(ROUTES_NOW)} routes; {len(scenario_routes)} escalation routes x "
        f"{len(SCENARIOS)} escalations) x {len(METHODS)} methods; "
        f"{sum(1 for c in CELLS if (c.role, c.key, c.method) in KNOWN)} known deviations"
    )


def test_every_route_has_rules() -> None:
    """A newly classified route needs its expectations here before the matrix can pass."""
    missing = []
    for key in ROUTES_NOW:
        for role in ROLES:
            for variant in variants(ROUTES_NOW[key]):
                try:
                    expected(key, ROUTES[key], role, variant)
                except AssertionError as exc:
                    missing.append(str(exc))
    assert not missing, "\n".join(sorted(set(missing)))


def test_routes_walked_match_classification() -> None:
    # The matrix tests what resolves and is classified; test_routes.py fails for the rest.
    walked: list[Route] = list(iter_routes())
    assert set(ROUTES_NOW) <= {r.key for r in walked}
