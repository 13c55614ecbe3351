"""The people, escalations and URLs the security tests use.

Two partnerships running the North East Lincolnshire procedure (``tests.cases.conftest``):

- ``own``: raised by agency ``a`` (the agency of every level role) against ``b``, started at
  stage 3 with immediate risk, so the levels differ in what they may do;
- ``same``: raised by ``b`` against ``c`` in the same partnership (``a`` is not a party; the
  business unit's person works for ``c``, so for the business unit the two swap over);
- ``other``: raised in the second partnership;
- ``panel``: raised by ``b`` against ``c`` straight at stage 5, the stage where the procedure
  convenes its resolution panel (``a`` is not a party; for the business unit it is a case its
  own agency receives).

A resolution panel is convened on ``panel`` (and on the second partnership's escalation at
that stage), and a further escalation of partnership one, started at stage 5, is decided with a
recommendation to ``b``.

The ``panel-member`` role sits on the partnership's panels and works for a fourth agency, ``d``,
party to nothing: it reads what is referred to the panel and nothing else. For it, ``other`` is
the second partnership's escalation at the panel stage, so the partnership boundary is what
stops it.
"""

from __future__ import annotations

import datetime as dt
import io
import re
from dataclasses import dataclass, field
from typing import Any

from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.contrib.auth.models import Group
from django.contrib.contenttypes.models import ContentType
from django.test import Client
from django.urls import reverse
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

from escalate.accounts.models import User
from escalate.attachments.services import representation_upload
from escalate.cases import services
from escalate.cases.actors import Actor
from escalate.cases.models import Escalation
from escalate.cases.raising import CONFIRM_IDENTIFIED, RAISE_STEPS
from escalate.directory.models import Agency, PanelSeat, Person, StageContact
from escalate.documents.services import form_save_draft
from escalate.notifications.models import Channel, Kind, Notification
from escalate.notifications.models import Status as SendStatus
from escalate.panels.models import Recommendation
from escalate.panels.services import NewRecommendation, outcome_record, panel_convene
from escalate.procedures.schema import Level
from escalate.sso.models import OidcIdentity
from escalate.web.routes import Route
from tests.attachments.samples import pdf_bytes
from tests.cases.conftest import World, make_world, new_escalation
from tests.panels.support import seat_on_every_panel
from tests.support import signed_in

LEVEL_ROLES = {
    "practitioner": Level.PRACTITIONER,
    "line-manager": Level.LINE_MANAGER,
    "second-tier-manager": Level.SECOND_TIER_MANAGER,
    "senior-manager": Level.SENIOR_MANAGER,
    "assistant-director": Level.ASSISTANT_DIRECTOR,
    "board-representative": Level.BOARD_REPRESENTATIVE,
}
#: "password-only" has given a password but not the second factor (a board representative of
#: agency a, the most senior level): the sign-in steps are all they may reach.
ROLES = [
    "anonymous",
    "password-only",
    *LEVEL_ROLES,
    "business-unit",
    "panel-member",
    "system-admin",
]
#: own agency's, another agency's, another partnership's, and one referred to the panel
SCENARIOS = ["own", "same", "other", "panel"]
SCENARIO_WORDS = {
    "own": "own agency's escalation",
    "same": "another agency's escalation in the same partnership",
    "other": "another partnership's escalation",
    "panel": "an escalation referred to the partnership's panel",
}
RAISE_VALUES = [*RAISE_STEPS, CONFIRM_IDENTIFIED, "check", "no-such-step"]
OWN_STAGE = 3  # the stage the "own" escalation starts at
#: The procedure's form: a draft of it is started on the "own" escalation (at stage 3).
FORM_ID = "escalation-procedure-form"
PANEL_STAGE = 5  # North East Lincolnshire's chair's stage, which may convene a panel
RAISED_ON = dt.date(2026, 3, 2)


@dataclass
class SecurityWorld:
    one: World
    two: World
    own: Escalation  # a -> b in partnership one, at stage 3
    same: Escalation  # b -> c in partnership one, at stage 1
    other: Escalation  # a -> b in partnership two, at stage 1
    panel: Escalation  # b -> c in partnership one, at stage 5 (the panel's)
    other_panel: Escalation  # a -> b in partnership two, at stage 5
    panel_member: User  # agency d of partnership one, on its panels
    admin: User
    group: Group
    identity: OidcIdentity  # someone else's linked organisation account
    totp: TOTPDevice
    static: StaticDevice
    axes: dict[str, Any]
    note: Notification  # someone else's item in the application (b's practitioner's)
    other_email: Notification  # a failed e-mail of the second partnership
    #: A written representation on each escalation, by reference (its id).
    representations: dict[str, int] = field(default_factory=dict)
    #: A panel convened on each escalation at the panel stage, by reference (its id); any
    #: other escalation's URL is given the "panel" one's, which is not theirs.
    panels: dict[str, int] = field(default_factory=dict)
    #: A recommendation on an escalation of partnership one that is decided (none of the
    #: scenarios): every scenario's URL names another escalation's recommendation.
    recommendation: int = 0

    def user(self, role: str) -> User | None:
        if role == "anonymous":
            return None
        if role == "password-only":
            return self.one.user("a", Level.BOARD_REPRESENTATIVE)
        if role == "system-admin":
            return self.admin
        if role == "business-unit":
            return self.one.bu_user
        if role == "panel-member":
            return self.panel_member
        return self.one.user("a", LEVEL_ROLES[role])

    def client(self, role: str, **kwargs: Any) -> Client:
        user = self.user(role)
        if user is None:
            return Client(**kwargs)
        if role == "password-only":
            client = Client()
            client.force_login(user)  # the password step only: no second factor
        else:
            client = signed_in(user)
        if kwargs.get("enforce_csrf_checks"):
            client.handler.enforce_csrf_checks = True
        return client

    def escalation(self, role: str, scenario: str) -> Escalation:
        """The escalation a scenario means for a role (the business unit works for ``c``)."""
        if scenario == "panel":
            return self.panel
        if scenario == "other":
            return self.other_panel if role == "panel-member" else self.other
        if role == "business-unit":
            return self.same if scenario == "own" else self.own
        return self.own if scenario == "own" else self.same


def build_world() -> SecurityWorld:
    one = make_world("north-east-lincolnshire", "sec-one")
    two = make_world("north-east-lincolnshire", "sec-two")
    own = services.escalation_raise(
        actor=Actor.of(one.user("a", Level.PRACTITIONER)),
        data=new_escalation(
            one,
            immediate_risk=True,
            start_stage=OWN_STAGE,
            immediate_risk_reason="Risk of harm tonight",
            route_taken="Called the police",
        ),
        today=RAISED_ON,
    )
    same = services.escalation_raise(
        actor=Actor.of(one.user("b", Level.PRACTITIONER)),
        data=new_escalation(one, receiving_agency_id=one.c.pk),
        today=RAISED_ON,
    )
    other = services.escalation_raise(
        actor=Actor.of(two.user("a", Level.PRACTITIONER)), data=new_escalation(two), today=RAISED_ON
    )
    panel = _at_panel_stage(one, raising="b", receiving=one.c)
    other_panel = _at_panel_stage(two, raising="a", receiving=two.b)
    d = Agency.objects.create(
        partnership=one.partnership, name="sec-one school", agency_type="school-or-early-years"
    )
    panel_member = User.objects.create_user(
        username="sec-one-panel", email="sec-one-panel@test.invalid", password="x"
    )
    seat_on_every_panel(
        Person.objects.create(
            agency=d,
            name="Panel member",
            job_title="Head teacher",
            level=Level.SENIOR_MANAGER.value,
            user=panel_member,
        )
    )
    admin = User.objects.create_superuser(
        username="sec-sysadmin", email="sysadmin@test.invalid", password="x"
    )
    assert not Person.objects.filter(user=admin).exists()
    group = Group.objects.create(name="Directory editors")
    someone = one.user("b", Level.PRACTITIONER)
    identity = OidcIdentity.objects.create(
        user=someone, issuer="https://idp.example.test", subject="b-practitioner"
    )
    totp = TOTPDevice.objects.create(user=someone, name="Phone", confirmed=True)
    static = StaticDevice.objects.create(user=someone, name="Recovery codes", confirmed=True)
    seen = {"user_agent": "test", "ip_address": "192.0.2.1", "username": "nobody"}
    more = {"http_accept": "*/*", "path_info": "/account/sign-in/"}
    axes: dict[str, Any] = {
        "accessattempt": AccessAttempt.objects.create(
            **seen, **more, get_data="", post_data="", failures_since_start=1
        ),
        "accesslog": AccessLog.objects.create(**seen, **more),
        "accessfailurelog": AccessFailureLog.objects.create(**seen, **more),
    }
    note = _notification(someone, own, Channel.APP, SendStatus.SENT)
    other_email = _notification(
        two.user("b", Level.PRACTITIONER), other, Channel.EMAIL, SendStatus.FAILED
    )
    world = SecurityWorld(
        one,
        two,
        own,
        same,
        other,
        panel,
        other_panel,
        panel_member,
        admin,
        group,
        identity,
        totp,
        static,
        axes,
        note,
        other_email,
    )
    world.representations = _representations(world)
    world.panels, world.recommendation = _panels(world)
    form_save_draft(  # by a's senior manager, who holds stage 3
        actor=Actor.of(one.user("a", Level.SENIOR_MANAGER)),
        escalation=own,
        form_id=FORM_ID,
        values={"stage-3-summary": "Talked"},
        revision=0,
        now=dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC),
    )
    return world


def _representations(world: SecurityWorld) -> dict[str, int]:
    """A written representation on each escalation, from its raising practitioner."""
    made: dict[str, int] = {}
    raisers = (
        (world.own, world.one, "a"),
        (world.same, world.one, "b"),
        (world.panel, world.one, "b"),
        (world.other, world.two, "a"),
        (world.other_panel, world.two, "a"),
    )
    for esc, partnership, agency in raisers:
        representation = representation_upload(
            actor=Actor.of(partnership.user(agency, Level.PRACTITIONER)),
            escalation=esc,
            content=io.BytesIO(pdf_bytes()),
            original_name="representation.pdf",
            now=dt.datetime(2026, 3, 2, 12, 0, tzinfo=dt.UTC),
        )
        made[esc.reference] = representation.pk
    return made


def _panels(world: SecurityWorld) -> tuple[dict[str, int], int]:
    """A resolution panel convened on each escalation at the panel stage, and an escalation
    decided with a recommendation to the receiving agency."""
    sits_on = dt.date(2026, 3, 20)
    convened = {
        esc.reference: panel_convene(
            actor=Actor.of(partnership.bu_user),
            escalation=esc,
            today=sits_on,
            kind="resolution-panel",
            sits_on=sits_on,
        ).pk
        for esc, partnership in ((world.panel, world.one), (world.other_panel, world.two))
    }
    decided = _at_panel_stage(world.one, raising="a", receiving=world.one.b)
    outcome_record(
        actor=Actor.of(world.one.bu_user),
        escalation=decided,
        version=decided.version,
        today=sits_on,
        on=sits_on,
        decision="Recommendations",
        recommendations=[NewRecommendation(world.one.b.pk, "Review", dt.date(2026, 4, 3))],
    )
    return convened, Recommendation.objects.get(escalation=decided).pk


def _notification(user: User, esc: Escalation, channel: str, status: str) -> Notification:
    return Notification.objects.create(
        partnership_id=esc.partnership_id,
        escalation=esc,
        reference=esc.reference,
        key=f"security:{esc.reference}:{channel}",
        kind=Kind.DUE_SOON,
        stage=esc.current_stage,
        recipient=user.person,
        channel=channel,
        status=status,
        next_attempt_at=dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC),
    )


def _at_panel_stage(world: World, *, raising: str, receiving: Agency) -> Escalation:
    return services.escalation_raise(
        actor=Actor.of(world.user(raising, Level.PRACTITIONER)),
        data=new_escalation(
            world,
            receiving_agency_id=receiving.pk,
            immediate_risk=True,
            start_stage=PANEL_STAGE,
            immediate_risk_reason="Risk of harm tonight",
            route_taken="Called the police",
        ),
        today=RAISED_ON,
    )


# -- URLs ------------------------------------------------------------------------------------


def variants(route: Route) -> list[str]:
    """The fill-ins a route is tried with: scenarios for an escalation, raise steps, or one."""
    if "<str:reference>" in route.pattern:
        return SCENARIOS
    if route.key == "cases:raise":
        return RAISE_VALUES
    return ["-"]


def _admin_object(world: SecurityWorld, model: str) -> Any:
    objects: dict[str, Any] = {
        "auth_group": world.group,
        "accounts_user": world.one.user("b", Level.PRACTITIONER),
        "directory_partnership": world.one.partnership,
        "directory_agency": world.one.a,
        "directory_person": world.one.people[("a", Level.PRACTITIONER)],
        "directory_stagecontact": StageContact.objects.filter(agency=world.one.b).first(),
        "directory_panelseat": PanelSeat.objects.filter(person__user=world.panel_member).first(),
        "otp_totp_totpdevice": world.totp,
        "otp_static_staticdevice": world.static,
        "axes_accessattempt": world.axes["accessattempt"],
        "axes_accesslog": world.axes["accesslog"],
        "axes_accessfailurelog": world.axes["accessfailurelog"],
        "sso_oidcidentity": world.identity,
    }
    return objects[model]


#: admin:<app>_<model>_<page> and the unnamed admin/<app>/<model>/<id>/ redirect.
ADMIN_MODEL_NAME = re.compile(r"^admin:(?P<model>\w+)_(changelist|add|history|delete|change)$")
ADMIN_MODEL_PATTERN = re.compile(r"^admin/(?P<app>\w+)/(?P<model>\w+)/<path:object_id>/$")


def _kwargs(world: SecurityWorld, route: Route, variant: str, role: str) -> dict[str, Any]:
    kwargs: dict[str, Any] = {}
    pattern, key = route.pattern, route.key
    if "<str:reference>" in pattern:
        kwargs["reference"] = world.escalation(role, variant).reference
    if "<slug:form_id>" in pattern:
        kwargs["form_id"] = FORM_ID
    if "<int:number>" in pattern:
        kwargs["number"] = 1
    if "<int:sequence>" in pattern:
        kwargs["sequence"] = 1
    if "<slug:step>" in pattern:
        kwargs["step"] = variant
    if "<int:year>" in pattern:
        kwargs["year"] = 2025  # a financial year (the annual report's), long begun
    if (named := ADMIN_MODEL_NAME.match(key)) and "<path:object_id>" in pattern:
        kwargs["object_id"] = _admin_object(world, named["model"]).pk
    extra: dict[str, dict[str, Any]] = {
        "admin:app_list": {"app_label": "directory"},
        "admin:view_on_site": {
            "content_type_id": ContentType.objects.get_for_model(Person).pk,
            "object_id": world.one.people[("a", Level.PRACTITIONER)].pk,
        },
        "admin:auth_user_password_change": {"id": _admin_object(world, "accounts_user").pk},
        "admin:otp_totp_totpdevice_config": {"pk": world.totp.pk},
        "admin:otp_totp_totpdevice_qrcode": {"pk": world.totp.pk},
        "sso:unlink": {"pk": world.identity.pk},  # someone else's: never the caller's to unlink
        "accounts:password-reset-confirm": {"uidb64": "MQ", "token": "not-a-real-token"},
        "notifications:open": {"pk": world.note.pk},  # someone else's: 404 to everyone
        "notifications:outbox-retry": {"pk": world.other_email.pk},  # another partnership's
        "notifications:feed": {"secret": "not-anyones-secret"},
    }
    kwargs.update(extra.get(key, {}))
    if key.startswith("attachments:") and "<int:pk>" in pattern:
        kwargs["pk"] = world.representations[kwargs["reference"]]  # that escalation's own
    if key == "panels:members":  # that escalation's own panel, else the "panel" one's
        kwargs["pk"] = world.panels.get(kwargs["reference"], world.panels[world.panel.reference])
    if key == "panels:respond":
        kwargs["pk"] = world.recommendation  # another escalation's: 404 to everyone
    return kwargs


def url_for(world: SecurityWorld, route: Route, variant: str, role: str) -> str:
    """A concrete URL for ``route``; raises KeyError for a route it cannot fill."""
    if route.name is not None:
        return reverse(route.name, kwargs=_kwargs(world, route, variant, role))
    if route.key == "admin/(?P<url>.*)$":
        return "/admin/no-such-page/"
    if match := ADMIN_MODEL_PATTERN.match(route.pattern):
        obj = _admin_object(world, f"{match['app']}_{match['model']}")
        return f"/admin/{match['app']}/{match['model']}/{obj.pk}/"
    raise KeyError(f"no way to fill the URL of {route.key!r}: add it to tests/security/world.py")
