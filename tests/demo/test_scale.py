"""The scale data generator (``generate_scale_data``): what it stores is what the services would
have stored, its data passes the demo's checks, and the same seed gives the same data."""

from __future__ import annotations

import datetime as dt
import io
from collections import Counter
from collections.abc import Iterator
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import transaction
from django.db.models import Sum
from pytest_django.plugin import DjangoDbBlocker

from escalate.audit.models import AuditEntry, ObjectType
from escalate.cases import rules
from escalate.cases.models import (
    Deadline,
    Entry,
    EntryKind,
    Escalation,
    Party,
    ReferenceKind,
    Stage,
    Status,
)
from escalate.cases.nhs import is_valid_nhs_number
from escalate.demo import scale
from escalate.directory.models import LEVEL_LABELS, Agency, BoardRole, Partnership, Person
from escalate.directory.services import stage_role
from escalate.documents.models import FormVersion, Signature
from escalate.panels.models import Outcome, Panel, Recommendation, RecommendationResponse

pytestmark = pytest.mark.django_db

#: The services that change the escalation itself (one version each).
ESCALATION_SERVICES = ["escalation_raise", *scale.SERVICE_OF.values()]

TODAY = dt.date(2026, 3, 3)  # a Tuesday
SEED = 7
N = 300


@pytest.fixture(scope="module")
def generated(
    django_db_setup: None, django_db_blocker: DjangoDbBlocker
) -> Iterator[scale.ScaleResult]:
    """300 escalations in five partnerships, made once for the module inside a transaction
    that is rolled back after it (each test runs in a savepoint of its own within it)."""
    with django_db_blocker.unblock(), transaction.atomic():
        result = scale.generate(
            escalations=N, partnerships=5, seed=SEED, today=TODAY, keep_plans=True
        )
        yield result
        transaction.set_rollback(True)


def _ours() -> Any:
    return Escalation.objects.filter(partnership__slug__startswith=f"scale-{SEED}-")


def test_it_makes_what_it_says(generated: scale.ScaleResult) -> None:
    partnerships = Partnership.objects.filter(slug__startswith=f"scale-{SEED}-")
    assert sorted(partnerships.values_list("procedure_id", flat=True)) == rules.registry().ids()
    escalations = _ours()
    assert escalations.count() == N == generated.counts["escalation"]
    statuses = Counter(escalations.values_list("status", flat=True))
    assert set(statuses) == set(Status.values)
    assert all(statuses[s] == generated.counts[s] for s in Status.values)
    assert statuses[Status.OPEN] > 30 and statuses[Status.RESOLVED] > 100
    for p in partnerships:
        assert escalations.filter(partnership=p).count() == N // 5
    assert Party.objects.count() == generated.counts["party"] >= 2 * N
    stages_expected = sum(e.current_stage - e.start_stage + 1 for e in escalations)
    assert Stage.objects.count() == generated.counts["stage"] == stages_expected
    assert Entry.objects.count() == generated.counts["entry"] > 3 * N
    assert Deadline.objects.count() == generated.counts["deadline"] > 0
    # One audit entry per service call: the raise and every change after it, and every call
    # to the forms' and panels' services.
    changes = escalations.aggregate(n=Sum("version"))["n"]
    trail = AuditEntry.objects.filter(object_type=ObjectType.ESCALATION)
    assert trail.count() == generated.audit_entries
    assert trail.filter(detail__service__in=ESCALATION_SERVICES).count() == changes
    assert trail.count() - changes == sum(len(p.papers) + bool(p.outcome) for p in generated.plans)
    assert Person.objects.count() == generated.people == get_user_model().objects.count()


def test_only_the_named_benchmark_accounts_have_a_password(
    generated: scale.ScaleResult,
) -> None:
    users = get_user_model().objects.all()
    usable = {u.username for u in users if u.has_usable_password()}
    assert usable == set(generated.benchmark_accounts)
    assert len(usable) == 5 * (1 + 7) + 2  # per partnership: its business manager and a
    # practitioner of each agency (the partnership for adults and children has 9 agencies)
    manager = users.get(username=f"s{SEED}.ashby.business-manager")
    assert manager.check_password(scale.SCALE_PASSWORD)
    assert manager.person.is_business_unit


def test_every_stored_state_is_what_its_record_replays_to(generated: scale.ScaleResult) -> None:
    """``state_of`` over the stored entries gives the state the rules core reached, and the
    stored projection, due dates and deadline rows are what the services derive from it."""
    plans = {p.reference: p for p in generated.plans}
    calendars: dict[int, Any] = {}
    deadlines: dict[int, set[tuple[int, str, dt.date]]] = {}
    for d in Deadline.objects.all():
        assert d.reminded_on is None and d.overdue_on is None
        deadlines.setdefault(d.escalation_id, set()).add((d.stage, d.obligation, d.due_on))
    escalations = _ours().prefetch_related("stages", "entries__corrects")
    for e in escalations:
        state = rules.state_of(e, e.stages.all(), e.entries.all())
        assert state == plans[e.reference].state, e.reference
        assert state.status.value == e.status
        assert state.current.number == e.current_stage
        assert (state.outcome or "", state.closed_on) == (e.outcome, e.closed_on)
        assert (state.confirmed_on, state.confirmed_by or "") == (e.confirmed_on, e.confirmed_by)
        calendar = calendars.setdefault(e.partnership_id, e.partnership.calendar())
        derived = rules.derived(rules.procedure_of(e), calendar, state)
        assert (derived.current_due_on, derived.next_due_on) == (e.current_due_on, e.next_due_on)
        wanted = {(i.stage or 0, i.obligation or "", i.due_on) for i in derived.items}
        assert deadlines.get(e.pk, set()) == wanted, e.reference


def _sample(plans: list[scale.Planned]) -> list[scale.Planned]:
    """Few escalations that between them end every way, start at immediate risk and take
    every kind of step, in every procedure, and make every kind of call to the forms' and
    panels' services (each form at each of its stages, each kind of panel)."""
    seen: set[tuple[str, str]] = set()
    chosen = []
    for p in plans:
        key = p.world.procedure.id
        wants = {(key, p.state.status.value), (key, f"risk:{p.data.immediate_risk}")}
        wants |= {(key, s.action) for s in p.steps}
        wants |= {(key, f"{x.action}:{x.args.get('stage', '')}") for x in p.papers}
        wants |= {(key, f"panel:{p.panel.definition.kind}")} if p.panel else set()
        forms = [x.action for x in p.papers if x.action.startswith("form-")]
        wants |= {(key, f"form ends with {forms[-1]}")} if forms else set()
        if wants - seen:
            seen |= wants
            chosen.append(p)
    return chosen


ESCALATION_FIELDS = [
    f.attname
    for f in Escalation._meta.concrete_fields
    if f.name not in {"id", "reference", "created_at", "updated_at"}
]
VERSION_FIELDS = [
    f.attname for f in FormVersion._meta.concrete_fields if f.name not in {"id", "record"}
]
SIGNATURE_FIELDS = [
    f.attname for f in Signature._meta.concrete_fields if f.name not in {"id", "version"}
]
PANEL_FIELDS = [
    f.attname for f in Panel._meta.concrete_fields if f.name not in {"id", "escalation"}
]
RESPONSE_FIELDS = [
    f.attname
    for f in RecommendationResponse._meta.concrete_fields
    if f.name not in {"id", "recommendation"}
]
ENTRY_FIELDS = [
    f.attname
    for f in Entry._meta.concrete_fields
    if f.name not in {"id", "escalation", "recorded_at", "corrects"}
]


def _stored(e: Escalation) -> dict[str, Any]:
    """Everything stored about an escalation but its ids, reference and clock times (the
    forms' and panels' moments are the ``now`` their services were given, so kept)."""
    entries = list(e.entries.select_related("corrects"))
    trail = AuditEntry.objects.filter(object_ref=e.reference).order_by("at", "pk")
    panels = list(Panel.objects.filter(escalation=e).order_by("pk"))
    recommendations = list(Recommendation.objects.filter(escalation=e).order_by("pk"))
    responses = RecommendationResponse.objects.filter(recommendation__escalation=e)
    # The ids the audit entries name, as their order among the escalation's own.
    ordinal = {
        "panel": {p.pk: n for n, p in enumerate(panels)},
        "recommendation": {r.pk: n for n, r in enumerate(recommendations)},
        "response": {r.pk: n for n, r in enumerate(responses.order_by("pk"))},
    }

    def without_ids(detail: dict[str, Any]) -> dict[str, Any]:
        return {
            k: ordinal[k][v] if k in ordinal and v is not None else v for k, v in detail.items()
        }

    outcome = Outcome.objects.filter(escalation=e).first()
    return {
        "forms": [
            (
                r.form_id,
                r.created_at,
                [
                    (
                        *(getattr(v, name) for name in VERSION_FIELDS),
                        list(v.signatures.order_by("pk").values_list(*SIGNATURE_FIELDS)),
                    )
                    for v in r.versions.order_by("number")
                ],
            )
            for r in e.form_records.order_by("form_id")
        ],
        "panels": [
            (
                *(getattr(p, name) for name in PANEL_FIELDS),
                list(
                    p.members.order_by("pk").values_list("person_id", "name", "agency_id", "role")
                ),
            )
            for p in panels
        ],
        "outcome": (
            outcome.produces,
            ordinal["panel"].get(outcome.panel_id or 0),
            outcome.decided_on,
            outcome.entry_sequence,
            outcome.recorded_at,
            outcome.recorded_by_id,
        )
        if outcome is not None
        else None,
        "recommendations": [
            (
                r.agency_id,
                r.text,
                r.due_on,
                list(r.responses.order_by("pk").values_list(*RESPONSE_FIELDS)),
            )
            for r in recommendations
        ],
        "escalation": {name: getattr(e, name) for name in ESCALATION_FIELDS},
        "parties": sorted(e.parties.values_list("agency_id", "role")),
        "stages": list(e.stages.values_list("number", "entered_on", "left_on")),
        "entries": [
            [getattr(x, name) for name in ENTRY_FIELDS]
            + [x.corrects.sequence if x.corrects else None]
            for x in entries
        ],
        "deadlines": sorted(
            e.deadlines.values_list("stage", "obligation", "due_on", "reminded_on", "overdue_on")
        ),
        "audit": [
            (a.action, a.actor_id, a.partnership_id, a.result, without_ids(a.detail)) for a in trail
        ],
    }


def test_the_services_store_the_same(generated: scale.ScaleResult) -> None:
    """A sample taken through the real services, as the same people on the same days, stores
    exactly what the generator stored: so each person may act as the generator has them act."""
    sample = _sample(generated.plans)
    assert 20 <= len(sample) <= 60
    for planned in sample:
        ours = Escalation.objects.get(reference=planned.reference)
        theirs = scale.replay_through_services(planned)
        assert _stored(theirs) == _stored(ours), planned.reference


def test_the_data_passes_the_demos_checks(generated: scale.ScaleResult) -> None:
    """The checks tests/demo/test_demo.py makes of the demo, made of the generated data."""
    for p in Partnership.objects.filter(slug__startswith=f"scale-{SEED}-"):
        procedure = rules.registry().get(p.procedure_id, p.procedure_version)
        people = Person.objects.filter(agency__partnership=p)
        assert set(people.values_list("level", flat=True)) == set(LEVEL_LABELS)
        unit = people.get(is_business_unit=True)
        assert "Business Manager" in unit.job_title
        assert unit.board_role == BoardRole.BUSINESS_MANAGER
        assert len(set(p.agencies.values_list("agency_type", flat=True))) >= 4
        for person in people.filter(is_business_unit=False).select_related("line_manager"):
            if person.level == list(LEVEL_LABELS)[-1]:
                assert person.line_manager is None
                continue
            assert person.line_manager is not None
            assert person.line_manager.agency_id == person.agency_id
            ranks = [level.value for level in LEVEL_LABELS]
            assert ranks.index(person.line_manager.level) == ranks.index(person.level) + 1
        for agency in p.agencies.exclude(agency_type="other"):
            contacts = list(agency.stage_contacts.select_related("person"))
            assert {c.stage for c in contacts} == set(range(1, procedure.top + 1))
            for c in contacts:
                assert c.role == stage_role(procedure, c.stage, agency.agency_type)
                assert c.person is not None
                assert c.person.level in procedure.stage(c.stage).levels or (
                    c.person.is_business_unit
                )
        escalations = Escalation.objects.filter(partnership=p)
        open_ = escalations.filter(status=Status.OPEN)
        assert set(open_.values_list("current_stage", flat=True)) >= {1, 2}
        assert open_.filter(next_due_on__gte=TODAY).exists()  # not yet due
        assert open_.filter(next_due_on__lt=TODAY).exists()  # overdue
        resolved = escalations.filter(status=Status.RESOLVED)
        assert resolved.filter(confirmed_on__isnull=False).exists()
        assert escalations.filter(status=Status.WITHDRAWN).exists()
        decided = escalations.filter(status=Status.DECIDED)
        assert decided.exists()
        assert all(e.current_stage == procedure.top for e in decided)
        assert set(escalations.values_list("category", flat=True)) <= {
            c.id for c in procedure.categories
        }
        assert set(escalations.values_list("current_stage", flat=True)) == set(
            range(1, procedure.top + 1)
        )
        for e in escalations:
            assert e.outset_on <= e.raised_on <= TODAY
            assert e.procedure_key == procedure.key
    assert _ours().filter(immediate_risk=True, start_stage__gt=1, status=Status.OPEN).exists()


def test_the_timelines_are_those_the_services_write(generated: scale.ScaleResult) -> None:
    for e in _ours().prefetch_related("entries"):
        entries = list(e.entries.all())
        assert entries[0].kind == EntryKind.RAISED
        assert [x.sequence for x in entries] == list(range(1, len(entries) + 1))
        assert entries[-1].version == e.version
        kinds = [x.kind for x in entries]
        assert kinds.count(EntryKind.ESCALATED) == e.current_stage - e.start_stage
        contacts = [x for x in entries if x.kind == EntryKind.CONTACT]
        assert contacts, e.reference
        for c in contacts:
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
        assert [x.recorded_at for x in entries] == sorted(x.recorded_at for x in entries)
        if e.subject_reference_kind == ReferenceKind.NHS_NUMBER:
            assert is_valid_nhs_number(e.subject_reference)
            assert e.subject_reference.startswith("999")
        else:
            assert e.subject_reference.startswith("PID-")


def _run(*args: str) -> str:
    out = io.StringIO()
    call_command("generate_scale_data", *args, stdout=out)
    return out.getvalue()


def test_the_command_refuses_a_database_with_escalations_unless_told(
    generated: scale.ScaleResult,
) -> None:
    with pytest.raises(CommandError, match="already holds 300 escalations"):
        _run("--escalations", "5")
    with pytest.raises(CommandError, match="seed 7 are already there"):
        _run("--escalations", "5", "--add", "--seed", str(SEED))
    out = _run("--escalations", "12", "--partnerships", "2", "--add", "--seed", "8")
    assert Escalation.objects.count() == N + 12
    assert "Escalations: 12 (" in out
    assert "audit entries" in out
    assert "Took " in out
    assert "s8.ashby.business-manager" in out
    assert Agency.objects.filter(partnership__slug="scale-8-brackenfold").exists()


def _snapshot(seed: int) -> list[tuple[Any, ...]]:
    """What a small run makes, without its ids and clock times."""
    with transaction.atomic():
        scale.generate(escalations=20, partnerships=3, seed=seed, today=TODAY, add=True)
        rows = [
            (
                e.reference,
                e.subject_name,
                e.subject_reference,
                e.status,
                e.current_stage,
                e.raising_person.name if e.raising_person else "",
                e.next_due_on,
                tuple(e.entries.values_list("kind", "occurred_on", "author_name", "text")),
                tuple(
                    FormVersion.objects.filter(record__escalation=e)
                    .order_by("record__form_id", "number")
                    .values_list("record__form_id", "stage", "status", "values")
                ),
                tuple(Panel.objects.filter(escalation=e).values_list("kind", "sits_on")),
            )
            for e in Escalation.objects.filter(partnership__slug__startswith=f"scale-{seed}-")
            .select_related("raising_person")
            .order_by("reference")
        ]
        transaction.set_rollback(True)
    return rows


def test_the_same_seed_gives_the_same_data(generated: scale.ScaleResult) -> None:
    first = _snapshot(11)
    assert len(first) == 20
    assert _snapshot(11) == first
    assert _snapshot(12) != first
