"""Signing in with an organisation account, end to end against the local OpenID provider."""

from __future__ import annotations

import logging
import time
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from django.contrib.auth import BACKEND_SESSION_KEY
from django.test import Client
from django.urls import reverse
from django_otp import DEVICE_ID_SESSION_KEY
from pytest_django.fixtures import Settings

from escalate.accounts.models import User
from escalate.audit.models import AuditAction, AuditEntry
from escalate.sso import views
from escalate.sso.conf import BACKEND_PATH
from escalate.sso.models import OidcIdentity
from tests.sso.conftest import make_user, round_trip, session_user_id
from tests.sso.provider import REMOVE, Issue, OpenIdProvider

pytestmark = pytest.mark.django_db

SUBJECT = "linked-subject"
OTHER_ISSUER = "https://login.microsoftonline.com/another-tenant/v2.0"


@pytest.fixture
def linked(sso: OpenIdProvider) -> User:
    """A user whose organisation account (the provider's issuer, SUBJECT) is linked."""
    user = make_user("alice", "alice@council.example")
    OidcIdentity.objects.create(user=user, issuer=sso.issuer, subject=SUBJECT)
    return user


def assert_signed_in_first_factor_only(client: Any, user: Any) -> None:
    assert session_user_id(client) == str(user.pk)
    assert client.session[BACKEND_SESSION_KEY] == BACKEND_PATH
    assert DEVICE_ID_SESSION_KEY not in client.session
    # The next page knows who this is, and that they have not passed the second factor: the
    # accounts app's middleware sends them to it instead of the page.
    response = client.get(reverse("cases:home"))
    seen = response.wsgi_request.user
    assert seen.is_authenticated and seen.pk == user.pk
    is_verified = getattr(seen, "is_verified", None)
    if is_verified is not None:  # django-otp's middleware is installed
        assert is_verified() is False
        assert response.status_code == 302
        assert urlsplit(response["Location"]).path != reverse("cases:home")


def assert_refused(response: Any, client: Any, message: str, status: int = 403) -> None:
    assert response.status_code == status
    assert message in response.content.decode()
    assert session_user_id(client) is None


# -- a linked account signs in ---------------------------------------------------------------


def test_linked_account_signs_in_but_not_past_the_second_factor(
    client: Client, sso: OpenIdProvider, linked: User
) -> None:
    response = round_trip(client, sso, Issue(subject=SUBJECT))

    assert response.status_code == 302
    assert response["Location"] == reverse("cases:home")
    assert_signed_in_first_factor_only(client, linked)
    assert OidcIdentity.objects.get(user=linked).last_used_at is not None
    [entry] = AuditEntry.objects.filter(action=AuditAction.SIGN_IN)
    assert (entry.actor_id, entry.detail) == (linked.pk, {"method": "single-sign-on"})


def test_sign_in_uses_pkce_and_the_client_secret(
    client: Client, sso: OpenIdProvider, linked: User
) -> None:
    round_trip(client, sso, Issue(subject=SUBJECT))

    (token_request,) = sso.token_requests
    assert token_request["client_secret"] == sso.client_secret
    assert len(token_request["code_verifier"]) >= 43


def test_the_authorization_request_asks_only_for_openid_with_nonce_and_pkce(
    client: Client, sso: OpenIdProvider
) -> None:
    started = client.get(reverse("sso:start"))
    query = {k: v[0] for k, v in parse_qs(urlsplit(started["Location"]).query).items()}

    assert query["scope"] == "openid"
    assert query["nonce"] and query["state"] and query["code_challenge"]
    assert query["code_challenge_method"] == "S256"
    assert query["redirect_uri"] == "http://testserver/sso/callback/"


def test_a_safe_next_page_is_where_signing_in_lands(
    client: Client, sso: OpenIdProvider, linked: User
) -> None:
    response = round_trip(client, sso, Issue(subject=SUBJECT), start_query="?next=/escalations/")
    assert response["Location"] == "/escalations/"


def test_an_unsafe_next_page_is_ignored(client: Client, sso: OpenIdProvider, linked: User) -> None:
    response = round_trip(
        client, sso, Issue(subject=SUBJECT), start_query="?next=https://evil.example/"
    )
    assert response["Location"] == reverse("cases:home")


def test_an_existing_session_is_not_carried_into_the_sso_sign_in(
    client: Client, sso: OpenIdProvider, linked: User
) -> None:
    # A session that (somehow) claims a verified device does not keep it through SSO.
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = "otp_totp.totpdevice/1"
    session.save()

    round_trip(client, sso, Issue(subject=SUBJECT))

    assert_signed_in_first_factor_only(client, linked)


# -- refused: not linked -------------------------------------------------------------------------


def test_a_known_users_email_with_an_unlinked_subject_is_refused(
    client: Client, sso: OpenIdProvider, linked: User
) -> None:
    response = round_trip(client, sso, Issue(subject="someone-else", email="alice@council.example"))

    assert_refused(response, client, views.NOT_LINKED)
    assert OidcIdentity.objects.count() == 1
    # Recorded as a failed sign-in by no one: not against alice, whose address it carried.
    [entry] = AuditEntry.objects.filter(action=AuditAction.SIGN_IN_FAILED)
    assert entry.actor_id is None and entry.object_ref == ""
    assert entry.detail == {"method": "single-sign-on", "reason": views.REASON_NOT_LINKED}
    assert "alice" not in str(entry.detail)


def test_an_unlinked_account_is_refused_and_no_user_is_created(
    client: Client, sso: OpenIdProvider
) -> None:
    make_user("bob", "bob@council.example")
    users_before = User.objects.count()

    response = round_trip(client, sso, Issue(subject="new-subject", email="new@council.example"))

    assert_refused(response, client, views.NOT_LINKED)
    assert "ask your business unit" in response.content.decode()
    assert User.objects.count() == users_before
    assert not OidcIdentity.objects.exists()


def test_the_same_subject_at_another_issuer_is_not_the_same_account(
    client: Client, sso: OpenIdProvider
) -> None:
    user = make_user("erin")
    OidcIdentity.objects.create(user=user, issuer=OTHER_ISSUER, subject=SUBJECT)

    response = round_trip(client, sso, Issue(subject=SUBJECT))

    assert_refused(response, client, views.NOT_LINKED)


def test_an_inactive_user_is_refused(client: Client, sso: OpenIdProvider, linked: User) -> None:
    linked.is_active = False
    linked.save()

    response = round_trip(client, sso, Issue(subject=SUBJECT))

    assert_refused(response, client, views.NOT_LINKED)


# -- refused: tampered ID tokens -----------------------------------------------------------------

CLIENT_ID = "escalate-test-client"
TAMPERED: dict[str, tuple[Issue, str]] = {
    "issuer": (Issue(subject=SUBJECT, claims={"iss": OTHER_ISSUER}), "InvalidIssuerError"),
    "issuer-missing": (Issue(subject=SUBJECT, claims={"iss": REMOVE}), "MissingRequired"),
    "audience": (Issue(subject=SUBJECT, claims={"aud": "another-client"}), "InvalidAudience"),
    "audience-missing": (Issue(subject=SUBJECT, claims={"aud": REMOVE}), "MissingRequired"),
    "authorized-party": (
        Issue(subject=SUBJECT, claims={"aud": [CLIENT_ID, "another-client"]}),
        "azp",
    ),
    "authorized-party-other": (
        Issue(subject=SUBJECT, claims={"azp": "another-client"}),
        "azp",
    ),
    "nonce": (Issue(subject=SUBJECT, claims={"nonce": "not-the-nonce-sent"}), "nonce does not"),
    "nonce-missing": (Issue(subject=SUBJECT, claims={"nonce": REMOVE}), "MissingRequired"),
    "expired": (
        Issue(subject=SUBJECT, claims={"exp": int(time.time()) - 600}),
        "ExpiredSignatureError",
    ),
    "expiry-missing": (Issue(subject=SUBJECT, claims={"exp": REMOVE}), "MissingRequired"),
    "signed-by-another-key": (
        Issue(subject=SUBJECT, sign_with_other_key=True),
        "InvalidSignatureError",
    ),
    "payload-altered-after-signing": (
        Issue(subject="attacker", alter_after_signing={"sub": SUBJECT}),
        "InvalidSignatureError",
    ),
    "signed-with-the-client-secret": (Issue(subject=SUBJECT, algorithm="HS256"), "unusable"),
    "unsigned": (Issue(subject=SUBJECT, algorithm="none"), "unusable"),
}


@pytest.mark.parametrize("case", list(TAMPERED))
def test_a_tampered_id_token_is_refused(
    client: Client, sso: OpenIdProvider, linked: User, caplog: pytest.LogCaptureFixture, case: str
) -> None:
    issue, reason = TAMPERED[case]
    if case == "issuer":
        # Were the issuer not checked, this account (same subject, other issuer) would match.
        OidcIdentity.objects.create(user=make_user("mallory"), issuer=OTHER_ISSUER, subject=SUBJECT)

    with caplog.at_level(logging.WARNING, logger="escalate.sso.views"):
        response = round_trip(client, sso, issue)

    assert_refused(response, client, views.NOT_CONFIRMED)
    assert reason in caplog.text
    assert OidcIdentity.objects.filter(last_used_at__isnull=False).count() == 0
    # A failed sign-in in the trail, by no one known, with our reason and no claim.
    [entry] = AuditEntry.objects.filter(action=AuditAction.SIGN_IN_FAILED)
    assert (entry.actor_id, entry.result) == (None, "failed")
    assert entry.detail["method"] == "single-sign-on"
    assert reason in entry.detail["reason"]
    assert SUBJECT not in str(entry.detail)
    assert not AuditEntry.objects.filter(action=AuditAction.SIGN_IN).exists()


def test_the_same_token_checks_let_an_untampered_token_through(
    client: Client, sso: OpenIdProvider, linked: User
) -> None:
    # The control for the cases above: the provider's own token, unchanged, is accepted.
    response = round_trip(client, sso, Issue(subject=SUBJECT, claims={"azp": CLIENT_ID}))
    assert response.status_code == 302
    assert session_user_id(client) == str(linked.pk)


def test_a_token_within_the_clock_leeway_is_accepted(
    client: Client, sso: OpenIdProvider, linked: User
) -> None:
    response = round_trip(client, sso, Issue(subject=SUBJECT, claims={"exp": int(time.time()) - 5}))
    assert response.status_code == 302
    assert session_user_id(client) == str(linked.pk)


# -- refused: the round trip itself ----------------------------------------------------------


def _callback_url(client: Any, sso: OpenIdProvider, issue: Issue) -> str:
    started = client.get(reverse("sso:start"))
    sso.sign_in_as(issue)
    at_provider = requests.get(started["Location"], allow_redirects=False, timeout=5)
    back = urlsplit(at_provider.headers["Location"])
    return f"{back.path}?{back.query}"


def test_a_callback_cannot_be_replayed(client: Client, sso: OpenIdProvider, linked: User) -> None:
    callback = _callback_url(client, sso, Issue(subject=SUBJECT))
    assert client.get(callback).status_code == 302
    client.logout()

    assert_refused(client.get(callback), client, views.NOT_CONFIRMED, status=400)


def test_a_callback_from_another_browser_is_refused(
    client: Client, sso: OpenIdProvider, linked: User
) -> None:
    callback = _callback_url(client, sso, Issue(subject=SUBJECT))
    other = Client()
    assert_refused(other.get(callback), other, views.NOT_CONFIRMED, status=400)
    assert sso.token_requests == []  # the code was never even exchanged


def test_a_stale_round_trip_is_refused(client: Client, sso: OpenIdProvider, linked: User) -> None:
    callback = _callback_url(client, sso, Issue(subject=SUBJECT))
    session = client.session
    for entry in session["oidc_states"].values():
        entry["added_on"] = time.time() - views.STATE_MAX_AGE_SECONDS - 1
    session.save()

    assert_refused(client.get(callback), client, views.NOT_CONFIRMED, status=400)


def test_an_error_from_the_provider_is_refused(client: Client, sso: OpenIdProvider) -> None:
    started = client.get(reverse("sso:start"))
    state = parse_qs(urlsplit(started["Location"]).query)["state"][0]

    response = client.get(reverse("sso:callback"), {"state": state, "error": "access_denied"})

    assert_refused(response, client, views.NOT_FINISHED)
    assert client.session["oidc_states"] == {}


def test_an_unreachable_provider_is_a_refusal_not_an_error(
    client: Client, sso: OpenIdProvider, linked: User, settings: Settings
) -> None:
    callback = _callback_url(client, sso, Issue(subject=SUBJECT))
    settings.OIDC_OP_TOKEN_ENDPOINT = "http://127.0.0.1:9/token"  # discard port: nothing there

    assert_refused(client.get(callback), client, views.NOT_CONFIRMED)


def test_a_signed_in_person_starting_again_goes_home(
    client: Client, sso: OpenIdProvider, linked: User
) -> None:
    round_trip(client, sso, Issue(subject=SUBJECT))
    response = client.get(reverse("sso:start"))
    assert response.status_code == 302
    assert not response["Location"].startswith(sso.issuer)
