"""The demo data: five fictional partnerships with people at every level, stage contacts and
escalations at every stage, built through the services; safe to run twice; demo mode only."""

from __future__ import annotations

import datetime as dt
import io
from collections import defaultdict
from collections.abc import Iterator
from zoneinfo import ZoneInfo

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client, override_settings
from pytest_django.fixtures import Settings
from pytest_django.plugin import DjangoDbBlocker

from escalate.cases.models import Entry, EntryKind, Escalation, ReferenceKind, Status
from escalate.cases.nhs import is_valid_nhs_number
from escalate.cases.rules import registry
from escalate.demo import scenario as demo
from escalate.directory.models import (
    LEVEL_LABELS,
    Agency,
    BoardRole,
    Partnership,
    Person,
    StageContact,
)
from escalate.directory.services import stage_role
from escalate.notifications.delivery import deliver_due
from escalate.notifications.models import Channel, Kind, Notification
from escalate.notifications.outbox import sweep
from escalate.timekeeping import today
from tests.audit.support import erase_trail
from tests.notifications.smtp_server import OUTBOX_HEADER, SmtpServer
from tests.support import password_accepted

pytestmark = pytest.mark.django_db


def _load(*args: str) -> str:
    out = io.StringIO()
    call_command("load_demo", *args, stdout=out)
    return out.getvalue()


def _totals() -> dict[str, int]:
    return {
        "partnerships": Partnership.objects.count(),
        "agencies": Agency.objects.count(),
        "people": Person.objects.count(),
        "users": get_user_model().objects.count(),
        "contacts": StageContact.objects.count(),
        "escalations": Escalation.objects.count(),
        "entries": Entry.objects.count(),
    }


@pytest.fixture(scope="module")
def loaded(django_db_setup: None, django_db_blocker: DjangoDbBlocker) -> Iterator[str]:
    """The demo, loaded once for this module (a second of work) and removed after it. Each
    test still runs in a transaction that is rolled back, so a test may change it freely."""
    with django_db_blocker.unblock():
        out = _load()
    yield out
    with django_db_blocker.unblock():
        demo.demo_remove()
        # Loading wrote audit entries outside any test transaction; they outlive the demo by
        # design, so remove them here or later tests would find a trail they did not write.
        erase_trail()


def test_one_partnership_per_procedure_with_its_definition_version(loaded: str) -> None:
    partnerships = Partnership.objects.filter(slug__startswith=demo.DEMO_SLUG_PREFIX)
    assert partnerships.count() == 5
    assert sorted(partnerships.values_list("procedure_id", flat=True)) == registry().ids()
    for p in partnerships:
        assert p.procedure_version == registry().get(p.procedure_id).version
        assert p.division == "england-and-wales"


def test_people_at_every_level_and_one_business_manager(loaded: str) -> None:
    levels = set(LEVEL_LABELS)
    for p in Partnership.objects.all():
        people = Person.objects.filter(agency__partnership=p)
        assert set(people.values_list("level", flat=True)) == levels
        by_agency: dict[int, set[str]] = defaultdict(set)
        for agency_id, level in people.values_list("agency_id", "level"):
            by_agency[agency_id].add(level)
        assert sum(1 for found in by_agency.values() if found == levels) >= 2
        units = people.filter(is_business_unit=True)
        assert units.count() == 1
        assert "Business Manager" in units.get().job_title
        agency_types = set(p.agencies.values_list("agency_type", flat=True))
        assert len(agency_types) >= 4  # several kinds of agency
    users = get_user_model().objects.all()
    assert users.count() == Person.objects.count()
    assert all(u.email == f"{u.username}@{demo.DEMO_EMAIL_DOMAIN}" for u in users)
    assert users.get(username="northmoor.practitioner.police").check_password(demo.DEMO_PASSWORD)
    assert Person.objects.filter(user__isnull=True).count() == 0


def test_stage_contacts_for_every_agency_and_stage_name_the_procedures_role(loaded: str) -> None:
    for p in Partnership.objects.all():
        procedure = registry().get(p.procedure_id, p.procedure_version)
        for agency in p.agencies.exclude(agency_type="other"):
            contacts = list(agency.stage_contacts.select_related("person"))
            assert {c.stage for c in contacts} == set(range(1, procedure.top + 1))
            for c in contacts:
                assert c.role == stage_role(procedure, c.stage, agency.agency_type)
                assert c.person is not None
                stage_levels = procedure.stage(c.stage).levels
                assert c.person.level in stage_levels or c.person.is_business_unit
    # who_by_agency is used where the procedure has one for the agency type
    police = Agency.objects.get(name="Eastmarsh Police")
    assert police.stage_contacts.get(stage=2).role == "Detective Sergeant (PVPU)"


def test_escalations_at_every_stage_some_overdue_and_every_ending(loaded: str) -> None:
    now = today()
    for p in Partnership.objects.all():
        procedure = registry().get(p.procedure_id, p.procedure_version)
        escalations = Escalation.objects.filter(partnership=p)
        open_ = escalations.filter(status=Status.OPEN)
        stages = set(open_.values_list("current_stage", flat=True))
        assert stages == set(range(1, procedure.top + 1)), p.short_name
        assert open_.filter(current_stage=1, next_due_on__gte=now).exists()  # not yet due
        assert open_.filter(next_due_on__lt=now).exists()  # overdue
        assert open_.filter(start_stage__gt=1, immediate_risk=True).exists()
        resolved = escalations.filter(status=Status.RESOLVED)
        assert resolved.count() >= 2
        assert resolved.filter(confirmed_on__isnull=False).count() >= 1
        assert escalations.filter(status=Status.WITHDRAWN).count() >= 1
        decided = escalations.filter(status=Status.DECIDED)
        assert decided.exists()
        assert all(e.current_stage == procedure.top for e in decided)
        categories = {c.id for c in procedure.categories}
        assert set(escalations.values_list("category", flat=True)) <= categories
        for e in escalations:
            assert e.outset_on <= e.raised_on <= now
            assert e.procedure_key == procedure.key


def test_the_timelines_were_written_by_the_services(loaded: str) -> None:
    for e in Escalation.objects.all():
        entries = list(e.entries.all())
        assert entries[0].kind == EntryKind.RAISED
        assert [x.sequence for x in entries] == list(range(1, len(entries) + 1))
        kinds = [x.kind for x in entries]
        assert kinds.count(EntryKind.ESCALATED) == e.current_stage - e.start_stage
        contacts = [x for x in entries if x.kind == EntryKind.CONTACT]
        assert contacts, e.reference
        for c in contacts:  # the recording template's headings, all filled in
            for name in (
                "contact_method",
                "contact_by",
                "contact_with",
                "summary",
                "agreed",
                "decision_makers",
            ):
                assert getattr(c, name), (e.reference, name)
        assert [x.occurred_on for x in entries] == sorted(x.occurred_on for x in entries)
        if e.subject_reference_kind == ReferenceKind.NHS_NUMBER:
            assert is_valid_nhs_number(e.subject_reference)
            assert e.subject_reference.startswith("999")
        else:
            assert e.subject_reference.startswith("PID-")


def test_the_summary_lists_every_sign_in(loaded: str) -> None:
    sign_ins = demo.demo_sign_ins()
    assert len(sign_ins) == get_user_model().objects.count() == 179
    assert demo.DEMO_PASSWORD in loaded
    for s in sign_ins:
        assert s.username in loaded
    first = sign_ins[0]
    assert first.is_business_unit and first.username.endswith(".business-manager")
    assert {s.level for s in sign_ins} == {*LEVEL_LABELS.values(), "Business unit"}


def test_a_demo_account_signs_in(loaded: str) -> None:
    assert password_accepted(Client(), "westbridge.senior-manager.police", demo.DEMO_PASSWORD)


def test_running_twice_duplicates_nothing(loaded: str) -> None:
    before = _totals()
    out = _load()
    assert "Already there, left as they are" in out
    assert _totals() == before


def test_reset_rebuilds_the_same_demo(loaded: str) -> None:
    before = _totals()
    references = set(Escalation.objects.values_list("reference", flat=True))
    out = _load("--reset")
    assert "Removed:" in out
    assert _totals() == before
    assert not references & set(Escalation.objects.values_list("reference", flat=True))


def test_reset_leaves_other_partnerships_and_accounts_alone(loaded: str) -> None:
    other = Partnership.objects.create(
        slug="real-board",
        name="Real",
        short_name="Real",
        procedure_id="redbridge-sab",
        procedure_version="1",
    )
    admin = get_user_model().objects.create_user(
        username="admin", email="admin@example.org", password="x" * 16
    )
    _load("--reset")
    assert Partnership.objects.filter(pk=other.pk).exists()
    assert get_user_model().objects.filter(pk=admin.pk).exists()


def test_it_refuses_unless_demo_mode_is_on(loaded: str, settings: Settings) -> None:
    before = _totals()
    settings.ESCALATE_DEMO = False
    with pytest.raises(CommandError, match="ESCALATE_DEMO"):
        _load()
    with pytest.raises(CommandError, match="ESCALATE_DEMO"):
        _load("--reset")
    with pytest.raises(demo.DemoDisabledError):
        demo.demo_load()
    with pytest.raises(demo.DemoDisabledError):
        demo.demo_remove()
    assert _totals() == before
    assert demo.demo_sign_ins() == []  # the sign-in page lists nothing


def test_nhs_test_numbers_are_valid_and_never_issued() -> None:
    numbers = [n for n, _ in zip(demo.nhs_test_numbers(), range(50), strict=False)]
    assert len(set(numbers)) == 50
    assert all(is_valid_nhs_number(n) and n.startswith("999") for n in numbers)


def test_everyone_has_a_line_manager_and_the_business_manager_its_board_role(
    loaded: str,
) -> None:
    for p in Partnership.objects.all():
        people = Person.objects.filter(agency__partnership=p, is_business_unit=False)
        top = people.filter(level=list(LEVEL_LABELS)[-1])
        assert not top.filter(line_manager__isnull=False).exists()
        for person in people.exclude(pk__in=top).select_related("line_manager"):
            assert person.line_manager is not None
            assert person.line_manager.agency_id == person.agency_id
            ranks = [level.value for level in LEVEL_LABELS]
            assert ranks.index(person.line_manager.level) == ranks.index(person.level) + 1
        assert Person.objects.get(agency__partnership=p, is_business_unit=True).board_role == (
            BoardRole.BUSINESS_MANAGER
        )


def test_the_demo_left_alone_chases_what_is_overdue_by_e_mail(loaded: str) -> None:
    """The demo's overdue escalations, swept and delivered on the next working morning through
    a real SMTP server: each overdue stage's holders and the next level up hear, in working
    hours, each message once."""
    calendar = Partnership.objects.get(slug="demo-eastmarsh-scp-sab").calendar()
    day = today() + dt.timedelta(days=1)
    while not calendar.is_working_day(day):
        day += dt.timedelta(days=1)
    morning = dt.datetime.combine(day, dt.time(9, 5), tzinfo=ZoneInfo("Europe/London"))
    overdue = Escalation.objects.filter(status=Status.OPEN, current_due_on__lt=day)
    assert overdue.exists()
    # The messages the demo's own story wrote (raised, stage entered...) went when it loaded.
    Notification.objects.filter(channel=Channel.EMAIL).update(status="sent")
    with SmtpServer() as server, override_settings(MAILERS=server.mailers()):
        sweep(now=morning)
        deliver_due(now=morning, worker="demo-test", limit=10_000)
    chased = Notification.objects.filter(
        channel=Channel.EMAIL, kind__in=[Kind.OVERDUE, Kind.OVERDUE_NEXT_LEVEL]
    )
    assert set(chased.values_list("escalation_id", flat=True)) >= set(
        overdue.values_list("pk", flat=True)
    )
    delivered = {int(got.message[OUTBOX_HEADER]) for got in server.received}
    assert set(chased.values_list("pk", flat=True)) <= delivered
    assert set(server.collector.outbox_counts().values()) == {1}
    assert chased.filter(kind=Kind.OVERDUE_NEXT_LEVEL).exists()
    assert all(n.sent_at is not None and n.sent_at >= morning for n in chased)
