"""System administrators may see and remove links in the admin, never add or change them."""

from __future__ import annotations

import pytest
from django.urls import reverse

from escalate.accounts.models import User
from escalate.sso.models import OidcIdentity
from tests import support

pytestmark = pytest.mark.django_db


def test_an_administrator_sees_and_removes_links_but_cannot_make_them() -> None:
    admin = User.objects.create_superuser("root", "root@example.org", "not-used-here-1")
    owner = User.objects.create_user("alice", "alice@example.org", "not-used-here-1")
    identity = OidcIdentity.objects.create(
        user=owner, issuer="https://login.microsoftonline.com/t/v2.0", subject="s"
    )
    client = support.signed_in(admin)

    listing = client.get(reverse("admin:sso_oidcidentity_changelist"))
    assert listing.status_code == 200
    assert "alice" in listing.content.decode()
    assert client.get(reverse("admin:sso_oidcidentity_add")).status_code == 403
    change = client.post(
        reverse("admin:sso_oidcidentity_change", args=[identity.pk]), {"subject": "other"}
    )
    assert change.status_code == 403
    deleted = client.post(
        reverse("admin:sso_oidcidentity_delete", args=[identity.pk]), {"post": "yes"}
    )
    assert deleted.status_code == 302
    assert not OidcIdentity.objects.exists()
