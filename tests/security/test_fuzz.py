"""No page answers a server error for anything a user can type or send.

For every classified route, as someone who can reach its forms (a practitioner of the raising
agency, the business unit and a system administrator): open the page, read the names of every
field of its POST forms from the HTML, and send them back filled with hostile values: a NUL
byte (which PostgreSQL refuses in text), a 5,000-character string, markup, a number far past
any integer column, and a date that does not exist. Also a NUL byte and a long string in the
query string of every page. Any status of 500 or more fails, with the route and the payload.
Runs on SQLite and PostgreSQL (``make unit-postgres``).
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest

from escalate.web.routes import ROUTES
from tests.security.test_matrix import ROUTES_NOW, world  # noqa: F401 (fixture)
from tests.security.world import SecurityWorld, url_for

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.filterwarnings("ignore:No directory at:UserWarning"),
]

ROLES = ["practitioner", "business-unit", "system-admin"]
PAYLOADS = {
    "nul": "a\x00b",
    "long": "x" * 5000,
    "markup": '"><script>alert(1)</script>',
    "huge-number": "9" * 40,
    "no-such-date": "31",
}
FORM = re.compile(r"<form\b[^>]*>(.*?)</form>", re.S | re.I)
METHOD_POST = re.compile(r'method="post"', re.I)
FIELD = re.compile(r'<(?:input|select|textarea)\b[^>]*\bname="([^"]+)"', re.I)
KEEP = {"csrfmiddlewaretoken"}


def _fields(html: str) -> list[str]:
    names: list[str] = []
    for match in FORM.finditer(html):
        opening = html[match.start() : match.start() + 300]
        if not METHOD_POST.search(opening.split(">", 1)[0]):
            continue
        for name in FIELD.findall(match.group(1)):
            if name not in names and name not in KEEP:
                names.append(name)
    return names


def _cells() -> Iterator[object]:
    for key, route in ROUTES_NOW.items():
        variant = "own" if "<str:reference>" in route.pattern else "-"
        if key == "cases:raise":
            variant = "about"
        for role in ROLES:
            yield pytest.param(key, variant, role, id=f"{role}|{key}")


@pytest.mark.parametrize(("key", "variant", "role"), list(_cells()))
def test_no_input_is_a_server_error(
    world: SecurityWorld,  # noqa: F811 (the matrix's module-wide world)
    key: str,
    variant: str,
    role: str,
) -> None:
    route = ROUTES_NOW[key]
    assert key in ROUTES
    url = url_for(world, route, variant, role)
    client = world.client(role)
    client.raise_request_exception = False

    failures: list[str] = []

    def check(response: object, what: str) -> None:
        status = getattr(response, "status_code", 0)
        if status >= 500:
            failures.append(f"{what}: {status}")

    for name, value in (("nul", "a\x00b"), ("long", "x" * 5000)):
        check(client.get(url, {"q": value, "reference": value, "next": value}), f"GET ?{name}")
    page = client.get(url)
    check(page, "GET")
    # A download (the board's exports) is streamed: it has no page of fields to fill in.
    html = (
        page.content.decode(errors="replace")
        if page.status_code == 200 and not page.streaming
        else ""
    )
    names = _fields(html) or ["value"]
    for payload_name, value in PAYLOADS.items():
        data = {name: value for name in names}
        check(client.post(url, data), f"POST {payload_name} in {names}")
    assert not failures, f"{role} {url} ({key}): " + "; ".join(failures)


def test_every_admin_is_hardened() -> None:
    """Any admin registered later gets the checked form fields too (see web/admin_hardening)."""
    from django.contrib import admin

    from escalate.web.admin_hardening import AdminSignInForm, HardenedAdminMixin

    unhardened = [
        model._meta.label
        for model, model_admin in admin.site._registry.items()
        if not isinstance(model_admin, HardenedAdminMixin)
    ]
    assert unhardened == []
    assert admin.site.login_form is AdminSignInForm
