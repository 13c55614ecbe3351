"""Writing the facts kept for counting (``EscalationFact``, ``StageFact``).

What they hold is the rules core's (``escalate.procedures.facts.facts_of``) for the escalation's
state; this module only turns it into rows:

- :func:`facts_sync` writes one escalation's facts, inserting or updating them. The services
  call it in the transaction of every change (``cases.services``), so a change that fails
  leaves the facts as they were.
- :func:`recompute` rebuilds every escalation's facts from the record in batches of constant
  size, compares them with what is stored and writes what differs (``recompute_facts``): after
  a partnership changes its closure days (due dates and working days move), and after an
  upgrade (escalations raised before the facts existed have none).
- :func:`escalation_values` and :func:`stage_values` are the one mapping from the core's facts
  to the rows' columns, which the scale data generator writes with ``COPY`` too.

The agencies' types are those at the raise: the record keeps no history of them, so a
recompute keeps the stored ones and takes the agencies' current types only for an escalation
that has no facts yet.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.db import models, transaction
from django.db.models import QuerySet

from escalate.cases import recording, rules
from escalate.cases.models import Entry, Escalation, Stage
from escalate.directory.models import Agency, Partnership
from escalate.insights.models import EscalationFact, StageFact
from escalate.procedures import clock
from escalate.procedures import events as ev
from escalate.procedures import facts as core
from escalate.procedures import lifecycle as lc
from escalate.procedures.calendar import WorkingCalendar
from escalate.procedures.schema import Procedure

#: The columns of an escalation's facts that come from its record (all but the agency types).
ESCALATION_FIELDS = (
    "partnership_id",
    "procedure_id",
    "procedure_version",
    "category",
    "subject_kind",
    "raising_agency_id",
    "receiving_agency_id",
    "outset_on",
    "raised_on",
    "immediate_risk",
    "start_stage",
    "stage_reached",
    "status",
    "closed_on",
    "working_days_taken",
    "stages_ended",
    "stages_ended_within_due",
)
#: The columns of a stage's facts, but its escalation and number.
STAGE_FIELDS = ("partnership_id", "entered_on", "due_on", "left_on", "ended", "within_due")
#: Escalations computed, compared and written at a time by :func:`recompute`.
BATCH = 1_000

#: The events the core's state is rebuilt from besides the stage rows (``recording.Facts``):
#: only their entries are read when many escalations are recomputed.
_STATE_EVENTS: tuple[type[ev.Event], ...] = (
    ev.ProcedureEventRecorded,
    ev.StageResolved,
    ev.StageEscalated,
    ev.ProtectiveDueDateSet,
    ev.ObligationMet,
)
_STATE_KINDS = sorted({recording.KIND_OF_EVENT[t].value for t in _STATE_EVENTS})
#: What ``rules.state_of`` and the facts read of an escalation (nothing else is loaded).
_ESCALATION_COLUMNS = (
    "id",
    "reference",
    "partnership_id",
    "procedure_key",
    "category",
    "subject_kind",
    "raising_agency_id",
    "receiving_agency_id",
    "outset_on",
    "raised_on",
    "immediate_risk",
    "immediate_risk_reason",
    "status",
    "start_stage",
    "outcome",
    "closed_on",
    "confirmed_on",
    "confirmed_by",
)


# ---------------------------------------------------------------------------------------
# From the core's facts to columns


def _names(model: type[models.Model], attnames: Sequence[str]) -> list[str]:
    """The fields' names (``partnership``) of columns named by attribute (``partnership_id``)."""
    return [f.name for f in model._meta.concrete_fields if f.attname in attnames]


def escalation_values(escalation: Escalation, facts: core.EscalationFacts) -> dict[str, Any]:
    """An escalation's facts as columns (by attribute name), all but the agency types."""
    procedure_id, _, version = escalation.procedure_key.partition("@")
    return {
        "escalation_id": escalation.pk,
        "partnership_id": escalation.partnership_id,
        "procedure_id": procedure_id,
        "procedure_version": version,
        "category": escalation.category,
        "subject_kind": escalation.subject_kind,
        "raising_agency_id": escalation.raising_agency_id,
        "receiving_agency_id": escalation.receiving_agency_id,
        "outset_on": facts.outset_on,
        "raised_on": facts.raised_on,
        "immediate_risk": escalation.immediate_risk,
        "start_stage": facts.start_stage,
        "stage_reached": facts.stage_reached,
        "status": facts.status.value,
        "closed_on": facts.closed_on,
        "working_days_taken": facts.working_days_taken,
        "stages_ended": facts.stages_ended,
        "stages_ended_within_due": facts.stages_ended_within_due,
    }


def stage_values(escalation: Escalation, stage: core.StageFacts) -> dict[str, Any]:
    """One stage's facts as columns (by attribute name), without an id."""
    return {
        "escalation_id": escalation.pk,
        "partnership_id": escalation.partnership_id,
        "number": stage.number,
        "entered_on": stage.entered_on,
        "due_on": stage.due_on,
        "left_on": stage.left_on,
        "ended": stage.ended.value,
        "within_due": stage.within_due,
    }


@dataclass
class FactRows:
    """One escalation's facts as unsaved rows."""

    escalation: EscalationFact
    stages: list[StageFact]


def fact_rows(
    escalation: Escalation,
    facts: core.EscalationFacts,
    *,
    raising_agency_type: str,
    receiving_agency_type: str,
) -> FactRows:
    return FactRows(
        EscalationFact(
            **escalation_values(escalation, facts),
            raising_agency_type=raising_agency_type,
            receiving_agency_type=receiving_agency_type,
        ),
        [StageFact(**stage_values(escalation, s)) for s in facts.stages],
    )


# ---------------------------------------------------------------------------------------
# One escalation, in the transaction of its change


def facts_sync(
    escalation: Escalation,
    procedure: Procedure,
    calendar: WorkingCalendar,
    state: lc.EscalationState,
) -> None:
    """Store what the rules core says of the escalation in ``state``: update its facts, or
    insert them if it has none (raised now, or before the facts existed), with its agencies'
    types as they are then. Three queries (the insert adds one, and one for each agency the
    escalation does not already hold)."""
    facts = core.facts_of(procedure, calendar, state)
    values = escalation_values(escalation, facts)
    del values["escalation_id"]
    if not EscalationFact.objects.filter(pk=escalation.pk).update(**values):
        EscalationFact.objects.create(
            escalation_id=escalation.pk,
            **values,
            raising_agency_type=escalation.raising_agency.agency_type,
            receiving_agency_type=escalation.receiving_agency.agency_type,
        )
    StageFact.objects.bulk_create(
        [StageFact(**stage_values(escalation, s)) for s in facts.stages],
        update_conflicts=True,
        unique_fields=["escalation", "number"],
        update_fields=_names(StageFact, STAGE_FIELDS),
    )
    StageFact.objects.filter(escalation_id=escalation.pk).exclude(
        number__in=[s.number for s in facts.stages]
    ).delete()


# ---------------------------------------------------------------------------------------
# Many escalations, from the record


@dataclass
class Computed:
    """One escalation's facts as its record gives them now (or why they cannot be given)."""

    escalation: Escalation
    facts: core.EscalationFacts | None
    error: str = ""


def _entries(ids: Sequence[int]) -> dict[int, list[Entry]]:
    """The entries the core's state is rebuilt from, without their words (which no fact
    needs), by escalation."""
    found: dict[int, list[Entry]] = {}
    rows = (
        Entry.objects.filter(escalation_id__in=ids, kind__in=_STATE_KINDS)
        .order_by("escalation_id", "sequence")
        .values_list(
            "escalation_id", "kind", "stage", "occurred_on", "event", "obligation", "due_on"
        )
    )
    for esc_id, kind, stage, on, event, obligation, due_on in rows:
        found.setdefault(esc_id, []).append(
            Entry(
                kind=kind,
                stage=stage,
                occurred_on=on,
                event=event,
                obligation=obligation,
                due_on=due_on,
            )
        )
    return found


def _stages(ids: Sequence[int]) -> dict[int, list[Stage]]:
    found: dict[int, list[Stage]] = {}
    rows = Stage.objects.filter(escalation_id__in=ids).values_list(
        "escalation_id", "number", "entered_on", "left_on"
    )
    for esc_id, number, entered_on, left_on in rows:
        found.setdefault(esc_id, []).append(
            Stage(number=number, entered_on=entered_on, left_on=left_on)
        )
    return found


class _Calendars(dict[int, WorkingCalendar]):
    """Each partnership's calendar, read once (its closure days as they are now)."""

    def __missing__(self, partnership_id: int) -> WorkingCalendar:
        self[partnership_id] = calendar = Partnership.objects.get(pk=partnership_id).calendar()
        return calendar


def computed_batches(
    escalations: QuerySet[Escalation], *, batch: int = BATCH, lock: bool = False
) -> Iterator[list[Computed]]:
    """The escalations' facts computed from their records, ``batch`` escalations at a time in
    the order of their ids (a query for each batch's escalations, stages and entries, so
    memory stays the same however many there are). With ``lock``, each batch's escalations
    are locked as they are read (call inside a transaction per batch)."""
    calendars = _Calendars()
    last = 0
    while True:
        rows = escalations.filter(pk__gt=last).order_by("pk").only(*_ESCALATION_COLUMNS)
        if lock:
            rows = rows.select_for_update(of=("self",))
        chunk = list(rows[:batch])
        if not chunk:
            return
        last = chunk[-1].pk
        ids = [e.pk for e in chunk]
        stages, entries = _stages(ids), _entries(ids)
        out = []
        for esc in chunk:
            try:
                state = rules.state_of(esc, stages.get(esc.pk, []), entries.get(esc.pk, []))
                procedure = rules.procedure_of(esc)
                facts = core.facts_of(procedure, calendars[esc.partnership_id], state)
            except (clock.FactsError, IndexError, KeyError, ValueError) as exc:
                out.append(Computed(esc, None, type(exc).__name__))
                continue
            out.append(Computed(esc, facts))
        yield out


# ---------------------------------------------------------------------------------------
# The recompute


@dataclass
class Difference:
    reference: str
    #: What differed: "missing" (no facts stored), a column of the escalation's facts, or
    #: "stage N column" (or "stage N missing", "stage N extra") of a stage's.
    fields: list[str]


@dataclass
class Recomputed:
    checked: int = 0
    differed: int = 0
    #: How many escalations differed in each column ("stage.due_on" for a stage's).
    fields: Counter[str] = field(default_factory=Counter)
    #: How many escalations' records the rules core could not compute facts from.
    failed: int = 0
    written: bool = False


def _compare(
    wanted: FactRows, stored: EscalationFact | None, stored_stages: dict[int, StageFact]
) -> tuple[list[str], list[str]]:
    """What differs, as the report names it and as the counts group it."""
    named: list[str] = []
    grouped: list[str] = []
    if stored is None:
        named.append("missing")
        grouped.append("missing")
    else:
        changed = [
            f for f in ESCALATION_FIELDS if getattr(stored, f) != getattr(wanted.escalation, f)
        ]
        named += changed
        grouped += changed
    numbers = set()
    for row in wanted.stages:
        numbers.add(row.number)
        have = stored_stages.get(row.number)
        if have is None:
            if stored is not None:
                named.append(f"stage {row.number} missing")
                grouped.append("stage.missing")
            continue
        changed = [f for f in STAGE_FIELDS if getattr(have, f) != getattr(row, f)]
        named += [f"stage {row.number} {f}" for f in changed]
        grouped += [f"stage.{f}" for f in changed]
    for number in sorted(set(stored_stages) - numbers):
        named.append(f"stage {number} extra")
        grouped.append("stage.extra")
    return named, list(dict.fromkeys(grouped))


def _write(
    missing: list[FactRows],
    changed: list[tuple[FactRows, EscalationFact]],
    stage_rows: list[tuple[FactRows, dict[int, StageFact]]],
) -> None:
    EscalationFact.objects.bulk_create([rows.escalation for rows in missing])
    updates = []
    for rows, stored in changed:
        for name in ESCALATION_FIELDS:
            setattr(stored, name, getattr(rows.escalation, name))
        updates.append(stored)
    if updates:
        EscalationFact.objects.bulk_update(updates, _names(EscalationFact, ESCALATION_FIELDS))
    new, updated, extra = [], [], []
    for rows, have in stage_rows:
        for row in rows.stages:
            old = have.pop(row.number, None)
            if old is None:
                new.append(row)
            elif any(getattr(old, f) != getattr(row, f) for f in STAGE_FIELDS):
                for f in STAGE_FIELDS:
                    setattr(old, f, getattr(row, f))
                updated.append(old)
        extra += [s.pk for s in have.values()]
    StageFact.objects.bulk_create(new)
    if updated:
        StageFact.objects.bulk_update(updated, _names(StageFact, STAGE_FIELDS))
    if extra:
        StageFact.objects.filter(pk__in=extra).delete()


def recompute(
    *,
    partnership: Partnership | None = None,
    dry_run: bool = False,
    batch: int = BATCH,
    on_difference: Callable[[Difference], None] | None = None,
    on_failure: Callable[[str, str], None] | None = None,
) -> Recomputed:
    """Recompute every escalation's facts (of one partnership, if given) from the record,
    compare them with what is stored and, unless ``dry_run``, write what differs. Each batch
    is its own transaction, its escalations locked while it is compared and written, so a
    change made meanwhile by the services is neither lost nor overwritten with older facts.
    ``on_difference`` hears of each escalation that differed (references only);
    ``on_failure`` of each whose record cannot be computed from (reference, why)."""
    result = Recomputed(written=not dry_run)
    escalations = Escalation.objects.all()
    if partnership is not None:
        escalations = escalations.filter(partnership=partnership)
    batches = computed_batches(escalations, batch=batch, lock=not dry_run)
    while True:
        with transaction.atomic():
            chunk = next(batches, None)
            if chunk is None:
                return result
            _recompute_batch(chunk, result, dry_run, on_difference, on_failure)


def _recompute_batch(
    chunk: list[Computed],
    result: Recomputed,
    dry_run: bool,
    on_difference: Callable[[Difference], None] | None,
    on_failure: Callable[[str, str], None] | None,
) -> None:
    ids = [c.escalation.pk for c in chunk]
    stored = EscalationFact.objects.in_bulk(ids)
    stored_stages: dict[int, dict[int, StageFact]] = {}
    for s in StageFact.objects.filter(escalation_id__in=ids):
        stored_stages.setdefault(s.escalation_id, {})[s.number] = s
    missing_types = {
        pk
        for c in chunk
        if c.escalation.pk not in stored
        for pk in (c.escalation.raising_agency_id, c.escalation.receiving_agency_id)
    }
    types = dict(Agency.objects.filter(pk__in=missing_types).values_list("pk", "agency_type"))
    missing: list[FactRows] = []
    changed: list[tuple[FactRows, EscalationFact]] = []
    stage_rows: list[tuple[FactRows, dict[int, StageFact]]] = []
    for item in chunk:
        esc = item.escalation
        result.checked += 1
        if item.facts is None:
            result.failed += 1
            if on_failure is not None:
                on_failure(esc.reference, item.error)
            continue
        have = stored.get(esc.pk)
        if have is not None:  # the types at the raise, kept
            raising, receiving = have.raising_agency_type, have.receiving_agency_type
        else:
            raising, receiving = types[esc.raising_agency_id], types[esc.receiving_agency_id]
        rows = fact_rows(
            esc, item.facts, raising_agency_type=raising, receiving_agency_type=receiving
        )
        stages = stored_stages.get(esc.pk, {})
        named, grouped = _compare(rows, have, stages)
        if not named:
            continue
        result.differed += 1
        result.fields.update(grouped)
        if on_difference is not None:
            on_difference(Difference(esc.reference, named))
        if have is None:
            missing.append(rows)
        elif any(not n.startswith("stage ") for n in named):
            changed.append((rows, have))
        stage_rows.append((rows, stages))
    if not dry_run:
        _write(missing, changed, stage_rows)
