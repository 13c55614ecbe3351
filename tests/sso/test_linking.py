"""Linking an organisation account to the signed-in user, and unlinking it."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth.models import AnonymousUser
from django.contrib.sessions.backends.db import SessionStore
from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.test import Client, RequestFactory
from django.urls import reverse

from escalate.audit.models import AuditAction, AuditEntry
from escalate.sso import services, views
from escalate.sso.models import OidcIdentity
from tests.sso.conftest import fully_signed_in, make_user, round_trip, session_user_id
from tests.sso.provider import Issue, OpenIdProvider

pytestmark = pytest.mark.django_db


def audited(action: str) -> list[AuditEntry]:
    return list(AuditEntry.objects.filter(action=action).order_by("sequence"))


def assert_no_subject_in_trail(*subjects: str) -> None:
    for entry in AuditEntry.objects.all():
        for subject in subjects:
            assert subject not in str(entry.detail) and subject not in entry.object_ref


def messages_on(response: Any) -> list[str]:
    return [str(m) for m in response.context["messages"]] if response.context else []


def test_linking_stores_the_issuer_and_subject_for_the_signed_in_user(sso: OpenIdProvider) -> None:
    user = make_user("alice")
    client = fully_signed_in(user)

    response = round_trip(client, sso, Issue(subject="alice-at-work"), link=True)

    assert response.status_code == 302
    assert response["Location"] == reverse("sso:identities")
    identity = OidcIdentity.objects.get()
    assert (identity.user, identity.issuer, identity.subject) == (user, sso.issuer, "alice-at-work")
    page = client.get(reverse("sso:identities"))
    assert views.LINKED in messages_on(page)
    assert sso.issuer in page.content.decode()
    # Linking signs no one else in and leaves the user's own session as it was.
    assert session_user_id(client) == str(user.pk)
    # The trail has the link: whose, which link, which provider; never the subject.
    [entry] = audited(AuditAction.SSO_LINKED)
    assert (entry.actor_id, entry.object_ref, entry.result) == (user.pk, str(user.pk), "success")
    assert entry.detail == {"identity": identity.pk, "issuer": sso.issuer}
    assert_no_subject_in_trail("alice-at-work")


def test_the_link_request_lets_the_person_choose_their_account(sso: OpenIdProvider) -> None:
    client = fully_signed_in(make_user("alice"))
    started = client.post(reverse("sso:link"))
    assert "prompt=select_account" in started["Location"]


def test_once_linked_the_account_signs_in(sso: OpenIdProvider) -> None:
    user = make_user("alice")
    round_trip(fully_signed_in(user), sso, Issue(subject="alice-at-work"), link=True)

    browser = Client()
    response = round_trip(browser, sso, Issue(subject="alice-at-work"))

    assert response.status_code == 302
    assert session_user_id(browser) == str(user.pk)


def test_an_account_linked_to_another_user_cannot_be_linked_again(sso: OpenIdProvider) -> None:
    owner = make_user("alice")
    OidcIdentity.objects.create(user=owner, issuer=sso.issuer, subject="shared-subject")
    client = fully_signed_in(make_user("mallory"))

    response = round_trip(client, sso, Issue(subject="shared-subject"), link=True)

    assert response.status_code == 302
    page = client.get(reverse("sso:identities"))
    assert services.IDENTITY_LINKED_TO_ANOTHER_USER in messages_on(page)
    assert list(OidcIdentity.objects.values_list("user__username", flat=True)) == ["alice"]
    [entry] = audited(AuditAction.SSO_LINKED)
    assert entry.result == "refused"
    assert entry.detail == {"issuer": sso.issuer, "reason": services.REASON_LINKED_TO_ANOTHER}
    assert_no_subject_in_trail("shared-subject")


def test_linking_the_same_account_twice_says_so(sso: OpenIdProvider) -> None:
    user = make_user("alice")
    client = fully_signed_in(user)
    round_trip(client, sso, Issue(subject="alice-at-work"), link=True)
    client.get(reverse("sso:identities"))  # shows and clears the first message

    round_trip(client, sso, Issue(subject="alice-at-work"), link=True)

    assert services.IDENTITY_ALREADY_LINKED in messages_on(client.get(reverse("sso:identities")))
    assert OidcIdentity.objects.count() == 1
    results = [(e.result, e.detail.get("reason")) for e in audited(AuditAction.SSO_LINKED)]
    assert results == [("success", None), ("refused", services.REASON_ALREADY_LINKED)]


def test_the_database_refuses_one_account_for_two_users() -> None:
    issuer = "https://login.microsoftonline.com/tenant/v2.0"
    OidcIdentity.objects.create(user=make_user("alice"), issuer=issuer, subject="s")
    with pytest.raises(IntegrityError), transaction.atomic():
        OidcIdentity.objects.create(user=make_user("bob"), issuer=issuer, subject="s")


def test_the_database_refuses_an_empty_issuer_or_subject() -> None:
    with pytest.raises(IntegrityError), transaction.atomic():
        OidcIdentity.objects.create(user=make_user("alice"), issuer="", subject="s")
    with pytest.raises(IntegrityError), transaction.atomic():
        OidcIdentity.objects.create(user=make_user("bob"), issuer="https://i", subject="")


def test_a_tampered_token_links_nothing(sso: OpenIdProvider) -> None:
    client = fully_signed_in(make_user("alice"))

    response = round_trip(
        client, sso, Issue(subject="alice-at-work", claims={"nonce": "forged"}), link=True
    )

    assert response.status_code == 403
    assert views.LINK_NOT_CONFIRMED in response.content.decode()
    assert not OidcIdentity.objects.exists()
    [entry] = audited(AuditAction.SSO_LINKED)
    assert entry.result == "refused"
    assert entry.detail == {"method": "single-sign-on", "reason": "nonce does not match"}


def test_linking_needs_a_signed_in_user(client: Client, sso: OpenIdProvider) -> None:
    response = client.post(reverse("sso:link"))
    assert response.status_code == 302
    assert not response["Location"].startswith(sso.issuer)
    assert "oidc_states" not in client.session


def test_linking_needs_the_second_factor(sso: OpenIdProvider) -> None:
    """Password only: the accounts app's middleware keeps them to the sign-in steps, and the
    views refuse on their own too."""
    user = make_user("alice")
    client = Client()
    client.force_login(user)  # the password step only

    started = client.post(reverse("sso:link"))
    assert started.status_code == 302
    assert not started["Location"].startswith(sso.issuer)

    request = RequestFactory().post(reverse("sso:link"))
    request.session = SessionStore()
    request.user = user
    # As django-otp's middleware sets it for a session that has not passed the second factor:
    user.is_verified = lambda: False  # type: ignore[attr-defined]
    with pytest.raises(PermissionDenied):
        views.LinkStartView.as_view()(request)


def test_a_link_round_trip_ends_with_the_session_that_started_it(sso: OpenIdProvider) -> None:
    client = fully_signed_in(make_user("alice"))
    client.post(reverse("sso:link"))
    client.logout()  # a new session: the round trip's state is gone with the old one

    assert client.get(reverse("sso:callback"), {"state": "x", "code": "y"}).status_code == 400
    assert not OidcIdentity.objects.exists()


def test_the_page_lists_only_your_own_accounts(sso: OpenIdProvider) -> None:
    alice, bob = make_user("alice"), make_user("bob")
    OidcIdentity.objects.create(user=alice, issuer=sso.issuer, subject="a")
    OidcIdentity.objects.create(user=bob, issuer="https://bobs-issuer.example/v2.0", subject="b")

    page = fully_signed_in(alice).get(reverse("sso:identities"))

    assert [i.subject for i in page.context["identities"]] == ["a"]
    assert "bobs-issuer" not in page.content.decode()


def test_the_page_may_post_its_link_form_on_to_the_provider(sso: OpenIdProvider) -> None:
    page = fully_signed_in(make_user("alice")).get(reverse("sso:identities"))
    policy = page["Content-Security-Policy"]
    form_action = next(d for d in policy.split(";") if d.strip().startswith("form-action"))
    assert "http://127.0.0.1:" in form_action and "'self'" in form_action


def test_unlinking_removes_your_own_link(sso: OpenIdProvider) -> None:
    user = make_user("alice")
    identity = OidcIdentity.objects.create(user=user, issuer=sso.issuer, subject="a")
    client = fully_signed_in(user)

    response = client.post(reverse("sso:unlink", args=[identity.pk]), follow=True)

    assert views.UNLINKED in messages_on(response)
    assert not OidcIdentity.objects.exists()
    [entry] = audited(AuditAction.SSO_UNLINKED)
    assert (entry.actor_id, entry.result) == (user.pk, "success")
    assert entry.detail == {"identity": identity.pk, "issuer": sso.issuer}


def test_you_cannot_unlink_someone_elses_account(sso: OpenIdProvider) -> None:
    other = OidcIdentity.objects.create(user=make_user("bob"), issuer=sso.issuer, subject="b")
    client = fully_signed_in(make_user("alice"))

    assert client.post(reverse("sso:unlink", args=[other.pk])).status_code == 404
    assert OidcIdentity.objects.filter(pk=other.pk).exists()
    [entry] = audited(AuditAction.SSO_UNLINKED)
    assert (entry.result, entry.detail) == ("refused", {"identity": other.pk})


def test_unlinking_is_post_only(sso: OpenIdProvider) -> None:
    user = make_user("alice")
    identity = OidcIdentity.objects.create(user=user, issuer=sso.issuer, subject="a")
    assert fully_signed_in(user).get(reverse("sso:unlink", args=[identity.pk])).status_code == 405
    assert OidcIdentity.objects.exists()


def test_an_anonymous_visitor_gets_the_sign_in_page_not_the_accounts(
    client: Client, sso: OpenIdProvider
) -> None:
    response = client.get(reverse("sso:identities"))
    assert response.status_code == 302
    assert isinstance(response.wsgi_request.user, AnonymousUser)
