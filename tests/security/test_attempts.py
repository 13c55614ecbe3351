"""Attempts that must fail, as an attacker or a curious insider would make them.

Here: guessing references, changing ids in forms and URLs, and acting at a stage your level
does not hold, each with a complete, valid-looking request (the permission matrix sends empty
ones). The rest of the list lives with the code it attacks:

- reusing a signed-out session: ``tests/accounts/test_sessions.py``
  (``test_a_signed_out_session_cannot_be_reused``);
- replaying a used TOTP code, in the same process and another:
  ``tests/accounts/test_sign_in.py`` (``test_a_used_code_*``);
- signing in past the lockout: ``tests/accounts/test_lockout.py``.
"""

from __future__ import annotations

import datetime as dt
import re
from urllib.parse import quote

import pytest
from django.test import Client
from django.utils.html import escape

from escalate.audit.models import AuditEntry
from escalate.cases.models import Entry, Escalation, Status, new_reference
from escalate.directory.models import Agency
from escalate.procedures.schema import Level
from tests.cases.conftest import World, make_world, raise_one
from tests.support import signed_in

pytestmark = pytest.mark.django_db
D = dt.date
PLAIN = Level.PRACTITIONER
#: What differs between two renderings of the same page: per-response tokens and nonces.
VOLATILE = re.compile(rb'(name="csrfmiddlewaretoken" value="[^"]*"|nonce="[^"]*")')


def _same_page(a: bytes, a_path: str, b: bytes, b_path: str) -> bool:
    """Equal but for tokens, nonces and the page's own path (which the footer's "Stay signed
    in" link and the time-out dialog carry back)."""

    def plain(content: bytes, path: str) -> bytes:
        content = VOLATILE.sub(b"", content)
        for form in (quote(path, safe="/"), quote(path, safe=""), escape(path), path):
            content = content.replace(form.encode(), b"PATH")
        return content

    return plain(a, a_path) == plain(b, b_path)


def _date(name: str, day: dt.date) -> dict[str, str]:
    return {
        f"{name}_day": str(day.day),
        f"{name}_month": str(day.month),
        f"{name}_year": str(day.year),
    }


@pytest.fixture
def two() -> tuple[World, World]:
    return make_world("north-east-lincolnshire", "mine"), make_world("sunderland-sab", "theirs")


def test_a_guessed_reference_answers_exactly_as_one_that_exists_elsewhere(
    two: tuple[World, World],
) -> None:
    """Nothing tells a real reference you may not see from one that does not exist: the same
    404 page, byte for byte (but for per-response tokens), and the same audit entry."""
    mine, theirs = two
    elsewhere = raise_one(theirs)
    same_partnership_not_mine = raise_one(mine, receiving_agency_id=mine.c.pk)
    client = signed_in(mine.user("b", PLAIN))  # b is party to neither
    forbidden_path = f"/escalations/{elsewhere.reference}/"
    forbidden = client.get(forbidden_path)
    assert forbidden.status_code == 404
    # The control: the comparison tells pages apart (an escalation this user may see is not
    # "the same page" as one they may not).
    visible_path = f"/escalations/{raise_one(mine).reference}/"
    visible = client.get(visible_path)
    assert visible.status_code == 200
    assert not _same_page(visible.content, visible_path, forbidden.content, forbidden_path)
    guesses = [new_reference() for _ in range(25)]
    guesses += [
        same_partnership_not_mine.reference,
        elsewhere.reference.lower(),
        "ESC-0000-0000",
        "ESC-%00",
        "ESC-" + "Z" * 300,
        "%27%20OR%201%3D1--",
        "1",
    ]
    assert not Escalation.objects.filter(reference__in=guesses[:25]).exists()
    for guess in guesses:
        for suffix in ("", "contact/", "escalate/", "raised/"):
            response = client.get(f"/escalations/{guess}/{suffix}")
            assert response.status_code == 404, (guess, suffix)
            if suffix == "":
                path = response.wsgi_request.path
                assert _same_page(response.content, path, forbidden.content, forbidden_path)
    refused = AuditEntry.objects.filter(
        action="access-denied", actor_id=client.session["_auth_user_id"]
    )
    assert refused.count() >= len(guesses)


def test_changing_the_agency_id_in_the_raise_form_to_another_partnerships_is_refused(
    two: tuple[World, World],
) -> None:
    mine, theirs = two
    client = signed_in(mine.user("a", PLAIN))
    client.post("/raise/immediate-risk/", {"immediate_risk": "no"})
    client.post(
        "/raise/about/",
        {"subject_kind": "adult", "subject_reference_kind": "pid", "subject_reference": "PID-1"},
    )
    for agency in (theirs.b, mine.a):  # another partnership's, and your own
        page = client.post("/raise/agency/", {"receiving_agency": agency.pk})
        assert page.status_code == 200  # the question again, with its error
        assert b"govuk-error-message" in page.content
    body = Agency.objects.create(
        partnership=mine.partnership,
        name="Board unit",
        agency_type="other",
        is_partnership_body=True,
    )
    page = client.post("/raise/agency/", {"receiving_agency": body.pk})
    assert b"govuk-error-message" in page.content
    assert Escalation.objects.count() == 0


def test_an_entry_number_from_another_escalation_corrects_nothing(
    two: tuple[World, World],
) -> None:
    """Correcting entry N of an escalation you may act on cannot reach entry N of another."""
    mine, _ = two
    own = raise_one(mine)
    other = raise_one(mine, receiving_agency_id=mine.c.pk)  # a's too, but another record
    client = signed_in(mine.user("a", PLAIN))
    entries_before = Entry.objects.filter(escalation=other).count()
    client.post(
        f"/escalations/{own.reference}/correct/1/",
        {"version": own.version, "text": "Corrected"},
    )
    assert Entry.objects.filter(escalation=other).count() == entries_before
    missing = client.get(f"/escalations/{own.reference}/correct/999/")
    assert missing.status_code == 404


def test_a_version_or_reference_posted_in_the_body_moves_nothing(
    two: tuple[World, World],
) -> None:
    """The form's own hidden fields are the only ones read: a reference, an id or an agency
    posted alongside is ignored, and the URL's escalation is the one that changes."""
    mine, theirs = two
    own = raise_one(mine)
    elsewhere = raise_one(theirs)
    client = signed_in(mine.user("a", PLAIN))
    response = client.post(
        f"/escalations/{own.reference}/contact/",
        {
            "version": own.version,
            **_date("occurred_on", D(2026, 3, 2)),
            "method": "email",
            "contact_by": "A",
            "contact_with": "B",
            "summary": "s",
            "agreed": "a",
            "reference": elsewhere.reference,
            "escalation": elsewhere.pk,
            "escalation_id": elsewhere.pk,
            "receiving_agency": theirs.b.pk,
            "partnership": theirs.partnership.pk,
        },
    )
    assert response.status_code == 302
    elsewhere.refresh_from_db()
    assert elsewhere.version == 1
    own.refresh_from_db()
    assert own.version == 2 and own.receiving_agency_id == mine.b.pk


@pytest.mark.parametrize(
    ("level", "allowed"),
    [
        (Level.PRACTITIONER, False),
        (Level.LINE_MANAGER, False),
        (Level.SECOND_TIER_MANAGER, False),
        (Level.SENIOR_MANAGER, True),
    ],
)
def test_escalating_at_a_stage_your_level_does_not_hold_is_refused(
    two: tuple[World, World], level: Level, allowed: bool
) -> None:
    """North East Lincolnshire's stage 3 is held by senior managers: a complete, valid POST
    from a lower level answers 404 and changes nothing; a senior manager's goes through."""
    mine, _ = two
    esc = raise_one(
        mine,
        immediate_risk=True,
        start_stage=3,
        immediate_risk_reason="Tonight",
        route_taken="Police",
    )
    client = signed_in(mine.user("a", level))
    response = client.post(
        f"/escalations/{esc.reference}/escalate/",
        {"version": esc.version, **_date("on", D(2026, 3, 3)), "reason": "Not agreed"},
    )
    esc.refresh_from_db()
    if allowed:
        assert response.status_code == 302
        assert (esc.current_stage, esc.status) == (4, Status.OPEN)
    else:
        assert response.status_code == 404
        assert (esc.current_stage, esc.version) == (3, 1)


def test_a_signed_out_sessions_cookie_opens_nothing(two: tuple[World, World]) -> None:
    """The cookie copied before signing out is no use afterwards, in another browser too."""
    mine, _ = two
    esc = raise_one(mine)
    client = signed_in(mine.user("a", PLAIN))
    cookie = client.cookies["sessionid"].value
    assert client.get(f"/escalations/{esc.reference}/").status_code == 200
    client.post("/account/sign-out/")
    thief = Client()
    thief.cookies["sessionid"] = cookie
    response = thief.get(f"/escalations/{esc.reference}/")
    assert response.status_code == 302
    assert response["Location"].startswith("/account/sign-in/")


NUL = "\x00"


def test_a_nul_byte_anywhere_is_a_clear_refusal_not_a_server_error(
    two: tuple[World, World],
) -> None:
    """PostgreSQL refuses NUL in text, so one reaching a query would be a server error. In the
    path, a query string or a form, it gets a 404, a field error or the page as if unset."""
    mine, _ = two
    esc = raise_one(mine)
    anonymous = Client(raise_request_exception=False)
    person = signed_in(mine.user("a", PLAIN))
    person.raise_request_exception = False
    unit = signed_in(mine.bu_user)
    unit.raise_request_exception = False
    attempts: list[tuple[Client, str, str, dict[str, str]]] = [
        (person, "GET", f"/escalations/ESC-{NUL}/", {}),
        (person, "GET", f"/escalations/{esc.reference}{NUL}/", {}),
        (person, "POST", f"/escalations/ESC-{NUL}/contact/", {"version": "1"}),
        (unit, "GET", f"/audit/escalations/ESC-{NUL}/", {}),
        (person, "GET", "/escalations/", {"reference": NUL, "status": NUL, "stage": NUL}),
        (person, "GET", "/escalations/", {"view": NUL, "sort": NUL, "page": NUL}),
        (person, "POST", "/raise/about/", {"subject_reference": NUL, "subject_kind": NUL}),
        (person, "POST", "/raise/agency/", {"receiving_agency": NUL}),
        (
            person,
            "POST",
            f"/escalations/{esc.reference}/contact/",
            {"version": NUL, "summary": NUL},
        ),
        (unit, "POST", "/exports/subject-access/", {"reference": NUL}),
        (anonymous, "POST", "/account/sign-in/", {"username": NUL, "password": NUL}),
        (anonymous, "POST", "/account/sign-in/", {"username": f"a{NUL}", "password": "x"}),
        (anonymous, "POST", "/account/password-reset/", {"email": f"a{NUL}@example.org"}),
        (anonymous, "GET", "/account/sign-in/", {"next": f"/{NUL}"}),
    ]
    for client, method, url, data in attempts:
        response = client.get(url, data) if method == "GET" else client.post(url, data)
        assert response.status_code < 500, (method, url, data, response.status_code)
    esc.refresh_from_db()
    assert esc.version == 1
