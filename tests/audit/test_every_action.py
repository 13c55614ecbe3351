"""Every kind of audit entry is written by the application: each ``AuditAction`` is produced
once here, through the pages, services or commands a person or operator would use, and the
entry is checked to be there. An action added to the enum fails
``test_every_action_has_a_producer`` until it is written somewhere and listed below."""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Callable

import pytest
from django.core.management import call_command
from django.test import Client
from django.urls import reverse

from escalate import timekeeping
from escalate.accounts import mfa
from escalate.accounts.models import User
from escalate.audit.models import AuditAction, AuditEntry
from escalate.cases import services
from escalate.cases.actors import Actor
from escalate.cases.protection import retention_apply
from escalate.directory.services import directory_import_csv
from escalate.notifications import delivery
from escalate.procedures.schema import Level
from escalate.sso import services as sso_services
from tests.cases.conftest import World, make_world, raise_one
from tests.notifications import rows
from tests.support import signed_in, totp_code, totp_device

pytestmark = pytest.mark.django_db
PASSWORD = "x"  # what tests.cases.conftest gives everyone
NEW_PASSWORD = "a-long-new-password-2026"
ISSUER = "https://login.example.test"


def _user(world: World) -> User:
    return world.user("a", Level.PRACTITIONER)


def _password(client: Client, user: User, password: str = PASSWORD) -> None:
    client.post(reverse("accounts:sign-in"), {"username": user.username, "password": password})


def sign_in_through_the_pages(world: World) -> None:
    user = _user(world)
    device = totp_device(user)
    client = Client()
    _password(client, user)
    client.post(reverse("accounts:verify"), {"otp_token": totp_code(device)})


def wrong_password(world: World) -> None:
    _password(Client(), _user(world), "not-the-password")


def wrong_code(world: World) -> None:
    user = _user(world)
    device = totp_device(user)
    client = Client()
    _password(client, user)
    code = "000000" if totp_code(device) != "000000" else "111111"
    client.post(reverse("accounts:verify"), {"otp_token": code})


def sign_out(world: World) -> None:
    signed_in(_user(world)).post(reverse("accounts:sign-out"))


def ask_for_a_reset(world: World) -> None:
    Client().post(reverse("accounts:password-reset"), {"email": _user(world).email})


def change_password(world: World) -> None:
    data = {"old_password": PASSWORD, "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD}
    signed_in(_user(world)).post(reverse("accounts:password-change"), data)


def administrator_allows_a_new_app(world: World) -> None:
    admin = User.objects.create_superuser(username="root", email="r@x.invalid", password="x")
    signed_in(admin).post(
        reverse("admin:accounts_user_changelist"),
        {"action": "reset_second_factor", "_selected_action": [_user(world).pk]},
    )


def set_up_an_app(world: World) -> None:
    user = _user(world)
    mfa.allow_set_up(user, actor=user, how="reset-link")
    client = Client()
    _password(client, user)
    client.get(reverse("accounts:set-up"))
    device = mfa.totp_device(user, confirmed=False)
    assert device is not None
    client.post(reverse("accounts:set-up"), {"otp_token": totp_code(device)})


def new_recovery_codes(world: World) -> None:
    signed_in(_user(world)).post(reverse("accounts:new-recovery-codes"))


def sign_out_everywhere(world: World) -> None:
    signed_in(_user(world)).post(reverse("accounts:sign-out-everywhere"))


def link_an_organisation_account(world: World) -> None:
    sso_services.identity_link(user=_user(world), issuer=ISSUER, subject="s-1")


def unlink_an_organisation_account(world: World) -> None:
    user = _user(world)
    identity = sso_services.identity_link(user=user, issuer=ISSUER, subject="s-2")
    sso_services.identity_unlink(user=user, identity_id=identity.pk)


def open_an_escalation(world: World) -> None:
    esc = raise_one(world)
    signed_in(_user(world)).get(reverse("cases:detail", args=[esc.reference]))


def raise_an_escalation(world: World) -> None:
    raise_one(world)


def record_a_contact(world: World) -> None:
    esc = raise_one(world)
    services.escalation_record_view(
        actor=Actor.of(world.user("b", Level.PRACTITIONER)),
        today=timekeeping.today(),
        escalation=esc,
        version=esc.version,
        view="V",
    )


def search_the_list(world: World) -> None:
    signed_in(_user(world)).get(reverse("cases:list"), {"reference": "ESC-0000-0000"})


def export_for_a_subject_access_request(world: World) -> None:
    raise_one(world)
    signed_in(world.bu_user).post(reverse("cases:subject-access"), {"reference": "PID-1"})


def change_the_directory_in_the_admin(world: World) -> None:
    admin = User.objects.create_superuser(username="root2", email="r2@x.invalid", password="x")
    signed_in(admin).post(reverse("admin:auth_group_add"), {"name": "Board officers"})


def import_the_directory(world: World) -> None:
    csv = "record,agency,agency_type\nagency,Northmoor Police,police\n"
    directory_import_csv(partnership=world.partnership, text=csv, actor=world.bu_user)


def open_someone_elses_escalation(world: World) -> None:
    esc = raise_one(world)
    outsider = make_world("north-east-lincolnshire", slug="elsewhere").user("a", Level.PRACTITIONER)
    signed_in(outsider).get(reverse("cases:detail", args=[esc.reference]))


def apply_retention(world: World) -> None:
    esc = raise_one(world)
    services.escalation_withdraw(
        actor=Actor.of(_user(world)),
        today=timekeeping.today(),
        escalation=esc,
        version=esc.version,
        on=dt.date(2026, 3, 3),
        reason="R",
    )
    retention_apply(today=dt.date(2040, 1, 1))


def read_an_escalations_trail(world: World) -> None:
    esc = raise_one(world)
    signed_in(world.bu_user).get(reverse("audit:escalation-trail", args=[esc.reference]))


def verify_the_chain(world: World) -> None:
    call_command("verify_audit_chain", stdout=io.StringIO())


def deliver_an_email(world: World) -> None:
    to = rows.recipient(world)
    to.email = "someone@example.org"
    to.save()
    rows.email_row(rows.an_escalation(world), to)
    delivery.deliver_due(now=rows.T0, worker="test")


def fail_to_deliver_an_email(world: World) -> None:
    to = rows.recipient(world)
    to.email = ""
    to.save()
    assert to.user is not None
    to.user.email = ""
    to.user.save()
    rows.email_row(rows.an_escalation(world), to)
    delivery.deliver_due(now=rows.T0, worker="test")


def send_a_failed_email_again(world: World) -> None:
    row = rows.email_row(rows.an_escalation(world), rows.recipient(world), status="failed")
    signed_in(world.bu_user).post(reverse("notifications:outbox-retry", args=[row.pk]))


def choose_a_daily_digest(world: World) -> None:
    user = _user(world)
    signed_in(user).post(reverse("notifications:preferences"), {"delivery": "digest"})


def reset_the_calendar_feed(world: World) -> None:
    signed_in(_user(world)).post(reverse("notifications:feed-reset"))


def view_the_boards_figures(world: World) -> None:
    signed_in(world.bu_user).get(reverse("insights:dashboard"))


def write_the_annual_reports_narrative(world: World) -> None:
    signed_in(world.bu_user).post(
        reverse("insights:annual-report-narrative", kwargs={"year": 2025}),
        {"narrative": "The year in words", "version": "0"},
    )


PRODUCERS: dict[AuditAction, Callable[[World], None]] = {
    AuditAction.SIGN_IN: sign_in_through_the_pages,
    AuditAction.SIGN_IN_FAILED: wrong_password,
    AuditAction.SIGN_OUT: sign_out,
    AuditAction.MFA_VERIFIED: sign_in_through_the_pages,
    AuditAction.MFA_FAILED: wrong_code,
    AuditAction.PASSWORD_RESET_REQUESTED: ask_for_a_reset,
    AuditAction.PASSWORD_CHANGED: change_password,
    AuditAction.MFA_SET_UP: set_up_an_app,
    AuditAction.MFA_SET_UP_ALLOWED: administrator_allows_a_new_app,
    AuditAction.RECOVERY_CODES_ISSUED: new_recovery_codes,
    AuditAction.SIGNED_OUT_EVERYWHERE: sign_out_everywhere,
    AuditAction.SSO_LINKED: link_an_organisation_account,
    AuditAction.SSO_UNLINKED: unlink_an_organisation_account,
    AuditAction.ESCALATION_VIEWED: open_an_escalation,
    AuditAction.ESCALATION_RAISED: raise_an_escalation,
    AuditAction.ESCALATION_CHANGED: record_a_contact,
    AuditAction.LIST_SEARCHED: search_the_list,
    AuditAction.EXPORT: export_for_a_subject_access_request,
    AuditAction.ADMIN_CHANGE: change_the_directory_in_the_admin,
    AuditAction.DIRECTORY_IMPORTED: import_the_directory,
    AuditAction.ACCESS_DENIED: open_someone_elses_escalation,
    AuditAction.RETENTION_APPLIED: apply_retention,
    AuditAction.AUDIT_VIEWED: read_an_escalations_trail,
    AuditAction.AUDIT_VERIFIED: verify_the_chain,
    AuditAction.NOTIFICATION_SENT: deliver_an_email,
    AuditAction.NOTIFICATION_FAILED: fail_to_deliver_an_email,
    AuditAction.NOTIFICATION_RETRIED: send_a_failed_email_again,
    AuditAction.NOTIFICATION_PREFERENCE_CHANGED: choose_a_daily_digest,
    AuditAction.CALENDAR_FEED_RESET: reset_the_calendar_feed,
    AuditAction.BOARD_VIEWED: view_the_boards_figures,
    AuditAction.ANNUAL_REPORT_CHANGED: write_the_annual_reports_narrative,
}


def test_every_action_has_a_producer() -> None:
    assert set(PRODUCERS) == set(AuditAction)


@pytest.mark.parametrize("action", list(PRODUCERS), ids=str)
def test_the_application_writes_each_action(action: AuditAction, settings: object) -> None:
    settings.ESCALATE_DEMO = False  # type: ignore[attr-defined]
    world = make_world("north-east-lincolnshire")
    before = AuditEntry.objects.filter(action=action).count()
    PRODUCERS[action](world)
    assert AuditEntry.objects.filter(action=action).count() > before, action
