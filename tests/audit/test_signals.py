"""The sign-in receivers (connected here for the test; see escalate.audit.signals)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.test import RequestFactory

from escalate.accounts.models import User
from escalate.audit.models import AuditAction, AuditEntry, AuditResult
from escalate.audit.signals import connect_auth_signals, disconnect_auth_signals
from escalate.procedures.schema import Level
from tests.cases.conftest import World

pytestmark = pytest.mark.django_db


@pytest.fixture
def receivers() -> Iterator[None]:
    already = any(r[0][0] == "escalate.audit.sign-in" for r in user_logged_in.receivers)
    connect_auth_signals()
    yield
    if not already:
        disconnect_auth_signals()


def request(ip: str = "203.0.113.7") -> object:
    return RequestFactory().post("/account/sign-in/", REMOTE_ADDR=ip)


@pytest.mark.usefixtures("receivers")
def test_sign_in_and_sign_out_are_recorded(world: World) -> None:
    user = world.user("a", Level.PRACTITIONER)
    user_logged_in.send(sender=User, request=request(), user=user)
    user_logged_out.send(sender=User, request=request(), user=user)
    signed_in, signed_out = AuditEntry.objects.order_by("-sequence")[:2][::-1]
    assert (signed_in.action, signed_in.actor_id, signed_in.ip) == (
        AuditAction.SIGN_IN,
        user.pk,
        "203.0.113.7",
    )
    assert signed_in.actor_agency_id == world.a.pk
    assert signed_out.action == AuditAction.SIGN_OUT


@pytest.mark.usefixtures("receivers")
def test_signing_out_when_not_signed_in_records_nothing(db: None) -> None:
    user_logged_out.send(sender=User, request=request(), user=None)
    assert not AuditEntry.objects.exists()


@pytest.mark.usefixtures("receivers")
def test_a_failed_sign_in_names_an_existing_account_only(world: World) -> None:
    user = world.user("b", Level.PRACTITIONER)
    user_login_failed.send(
        sender=__name__, credentials={"username": user.username}, request=request()
    )
    known = AuditEntry.objects.order_by("-sequence").first()
    assert known is not None
    assert (known.action, known.result, known.actor_id) == (
        AuditAction.SIGN_IN_FAILED,
        AuditResult.FAILED,
        user.pk,
    )
    user_login_failed.send(
        sender=__name__, credentials={"username": "correct horse battery"}, request=None
    )
    unknown = AuditEntry.objects.order_by("-sequence").first()
    assert unknown is not None
    assert (unknown.actor_id, unknown.actor_username, unknown.object_ref) == (None, "", "")
    assert "horse" not in repr(unknown.hash_payload())
