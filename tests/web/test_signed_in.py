"""Who is signed in, read in one query: the account, its person, agency and partnership, the
second factor and the unread count; and the second factor's rules unchanged by it."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.conf import settings
from django.contrib.auth.middleware import AuthenticationMiddleware
from django.contrib.sessions.middleware import SessionMiddleware
from django.db import connection
from django.http import HttpRequest, HttpResponse
from django.test import Client, RequestFactory
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

from escalate.accounts.models import User
from escalate.directory.models import Agency, Partnership, Person
from escalate.notifications.models import Channel, Kind, Notification
from escalate.web.context import site
from escalate.web.signed_in import SecondFactorMiddleware, SignedInBackend, load_user
from tests.support import signed_in, totp_device

pytestmark = pytest.mark.django_db


@pytest.fixture
def person() -> Person:
    partnership = Partnership.objects.create(
        slug="sunderland",
        name="Sunderland partnership",
        short_name="SSP",
        procedure_id="sunderland-sab",
        procedure_version=1,
    )
    agency = Agency.objects.create(
        partnership=partnership, name="City council", agency_type="local-authority-adults"
    )
    user = User.objects.create_user(username="sam", email="sam@test.invalid", password="x")
    return Person.objects.create(
        agency=agency, name="Sam", job_title="Social worker", level="practitioner", user=user
    )


def _through_middleware(client: Client, view: Any) -> HttpResponse:
    """Run one request with the client's session cookie through the session, authentication
    and second-factor middleware (as settings order them) into ``view``."""
    request = RequestFactory().get("/")
    request.COOKIES[settings.SESSION_COOKIE_NAME] = client.cookies[
        settings.SESSION_COOKIE_NAME
    ].value
    handler = SessionMiddleware(AuthenticationMiddleware(SecondFactorMiddleware(view)))
    response = handler(request)
    assert isinstance(response, HttpResponse)
    return response


def test_a_page_learns_everything_about_its_viewer_from_the_session_and_one_query(
    person: Person,
) -> None:
    client = signed_in(person.user)
    seen: dict[str, Any] = {}

    def view(request: HttpRequest) -> HttpResponse:
        user: Any = request.user
        seen["verified"] = user.is_verified()
        seen["partnership"] = user.person.agency.partnership.slug
        seen["context"] = site(request)
        return HttpResponse("ok")

    with CaptureQueriesContext(connection) as queries:
        _through_middleware(client, view)
    assert seen["verified"] is True
    assert seen["partnership"] == "sunderland"
    assert seen["context"]["viewer_partnership"].slug == "sunderland"
    assert seen["context"]["unread_notifications"] == 0
    tables = [q["sql"] for q in queries.captured_queries]
    assert len(tables) == 2, tables  # the session, then the user with all the rest
    assert "django_session" in tables[0]
    assert all(t in tables[1] for t in ("accounts_user", "directory_person", "directory_agency"))


def test_the_unread_count_comes_with_the_user(person: Person) -> None:
    now = timezone.now()
    base = {
        "channel": Channel.APP,
        "recipient": person,
        "partnership": person.agency.partnership,
        "kind": Kind.values[0],
        "reference": "ESC-AAAA-AAAA",
        "next_attempt_at": now,
    }
    Notification.objects.create(key="one", sent_at=now, **base)
    Notification.objects.create(key="two", sent_at=now, **base)
    Notification.objects.create(key="read", sent_at=now, read_at=now, **base)
    Notification.objects.create(key="later", sent_at=now + dt.timedelta(hours=1), **base)
    user = load_user(_account(person).pk)
    assert user is not None
    with CaptureQueriesContext(connection) as queries:
        context = site(_request_for(user))
    assert context["unread_notifications"] == 2
    assert queries.captured_queries == []


def _request_for(user: Any) -> HttpRequest:
    request = RequestFactory().get("/")
    user.is_verified = lambda: True
    request.user = user
    return request


# -- the second factor: the same rules as django-otp's own middleware ----------------------


def _home_status(client: Client) -> tuple[int, str]:
    response = client.get(reverse("cases:home"))
    return response.status_code, response.headers.get("Location", "")


def test_a_session_stays_verified_while_its_device_exists(person: Person) -> None:
    client = signed_in(person.user)
    assert _home_status(client)[0] == 200


def test_a_deleted_device_no_longer_verifies_the_session(person: Person) -> None:
    client = signed_in(person.user)
    TOTPDevice.objects.filter(user=person.user).delete()
    status, location = _home_status(client)
    assert status == 302
    assert "/sign-in/" in location or "verify" in location
    assert DEVICE_ID_SESSION_KEY not in client.session


def test_an_unconfirmed_device_does_not_verify(person: Person) -> None:
    client = signed_in(person.user)
    TOTPDevice.objects.filter(user=person.user).update(confirmed=False)
    assert _home_status(client)[0] == 302


def test_another_users_device_does_not_verify(person: Person) -> None:
    other = User.objects.create_user(username="eve", email="eve@test.invalid", password="x")
    client = signed_in(person.user)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = totp_device(other).persistent_id
    session.save()
    assert _home_status(client)[0] == 302


@pytest.mark.parametrize(
    "persistent_id",
    ["nonsense", "otp_totp.totpdevice/x", "no_app.nomodel/1", "accounts.user/1", ""],
)
def test_a_session_naming_no_device_is_not_verified(person: Person, persistent_id: str) -> None:
    client = signed_in(person.user)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = persistent_id
    session.save()
    assert _home_status(client)[0] == 302


def test_a_recovery_code_device_verifies_and_is_loaded_only_when_read(person: Person) -> None:
    device = StaticDevice.objects.create(user=person.user, name="Recovery codes", confirmed=True)
    client = signed_in(person.user)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()
    seen: dict[str, Any] = {}

    def view(request: HttpRequest) -> HttpResponse:
        user: Any = request.user
        seen["verified"] = user.is_verified()
        with CaptureQueriesContext(connection) as reading:
            seen["device"] = user.otp_device.pk
        seen["queries"] = len(reading.captured_queries)
        return HttpResponse("ok")

    _through_middleware(client, view)
    assert seen == {"verified": True, "device": device.pk, "queries": 1}


def test_the_backend_refuses_inactive_and_unknown_accounts(person: Person) -> None:
    backend = SignedInBackend()
    account = _account(person)
    assert backend.get_user(account.pk) is not None
    assert backend.get_user(10_000_000) is None
    assert backend.get_user("not a number") is None
    User.objects.filter(pk=account.pk).update(is_active=False)
    assert backend.get_user(account.pk) is None


def _account(person: Person) -> User:
    assert person.user is not None
    return person.user
