"""The one mapping between the core's events and the timeline entries (``recording``)."""

from __future__ import annotations

import datetime as dt
import typing

import pytest
from hypothesis import given
from hypothesis import strategies as st

from escalate.cases import recording
from escalate.cases.models import Entry, EntryKind, Escalation
from escalate.procedures import events as ev
from escalate.procedures.schema import TopOutcome

DAYS = st.dates(min_value=dt.date(2025, 1, 1), max_value=dt.date(2030, 12, 31))
STAGES = st.integers(min_value=1, max_value=6)
WORDS = st.text(alphabet="abcdefghij ,.", min_size=1, max_size=30).map(str.strip).filter(bool)
SLUGS = st.from_regex(r"[a-z]{1,8}(-[a-z]{1,8})?", fullmatch=True)
KEY = "north-east-lincolnshire@1"
OUTSET = dt.date(2025, 1, 1)


def _escalation() -> Escalation:
    # Unsaved: event_of reads only these fields (and the procedure, for a decision).
    return Escalation(procedure_key=KEY, outset_on=OUTSET)


RECORDED = st.one_of(
    st.builds(
        ev.EscalationRaised,
        st.just(KEY),
        st.just(OUTSET),
        DAYS,
        STAGES,
        st.one_of(st.none(), WORDS),
    ),
    st.builds(
        ev.ContactRecorded,
        STAGES,
        DAYS,
        DAYS,
        SLUGS,
        contact_by=WORDS,
        contact_with=WORDS,
        summary=WORDS,
        agreed=WORDS,
        decision_makers=WORDS,
    ),
    st.builds(ev.ProcedureEventRecorded, STAGES, SLUGS, DAYS),
    st.builds(ev.ObligationMet, STAGES, SLUGS, DAYS),
    st.builds(
        ev.ProtectiveDueDateSet, STAGES, st.one_of(st.none(), SLUGS), DAYS, st.none(), WORDS, DAYS
    ),
    st.builds(ev.StageResolved, STAGES, DAYS, WORDS),
    st.builds(ev.OutcomeConfirmedInWriting, STAGES, DAYS, WORDS),
    STAGES.flatmap(lambda s: st.builds(ev.StageEscalated, st.just(s), st.just(s + 1), DAYS, WORDS)),
    st.builds(ev.EscalationWithdrawn, STAGES, DAYS, WORDS),
    st.builds(ev.TopStageDecided, STAGES, DAYS, st.just(TopOutcome.RECOMMENDATIONS), WORDS),
    st.builds(ev.ViewGiven, STAGES, DAYS, WORDS),
)


@given(RECORDED)
def test_every_recorded_event_survives_the_round_trip(event: ev.Event) -> None:
    entry = recording.entry_of(event)
    assert entry is not None
    assert entry.kind == recording.KIND_OF_EVENT[type(event)]
    if isinstance(event, ev.ContactRecorded):
        # The entry keeps when it was recorded as a moment, not as the event's date.
        entry.recorded_at = dt.datetime.combine(event.recorded_on, dt.time(12), tzinfo=dt.UTC)
    assert recording.event_of(entry, _escalation()) == event


def test_a_correction_points_at_the_entry_it_corrects() -> None:
    target = Entry(sequence=3, kind=EntryKind.CONTACT, stage=1, occurred_on=OUTSET)
    event = ev.EntryCorrected(1, dt.date(2025, 2, 1), 3, "The meeting was on Tuesday")
    entry = recording.entry_of(event, by_sequence={3: target})
    assert entry is not None
    assert entry.kind == EntryKind.CORRECTION
    assert entry.corrects is target
    assert entry.text == "The meeting was on Tuesday"


def test_stage_entry_is_stored_as_no_entry() -> None:
    assert recording.entry_of(ev.StageEntered(2, OUTSET)) is None


def test_every_event_is_mapped_once_and_every_entry_kind_has_its_event() -> None:
    every_event = set(typing.get_args(ev.Event))
    mapped = set(recording.KIND_OF_EVENT) | set(recording.UNRECORDED_EVENTS)
    assert mapped == every_event
    assert not set(recording.KIND_OF_EVENT) & set(recording.UNRECORDED_EVENTS)
    kinds = list(recording.KIND_OF_EVENT.values())
    assert sorted(kinds) == sorted(set(kinds)), "two events stored as the same kind of entry"
    assert set(kinds) == set(EntryKind)


@pytest.mark.parametrize("kind", list(EntryKind))
def test_every_entry_kind_reads_back_as_the_event_it_is_stored_from(kind: EntryKind) -> None:
    entry = Entry(
        kind=kind, stage=2, occurred_on=OUTSET, text="x", due_on=OUTSET, obligation="duty"
    )
    event = recording.event_of(entry, _escalation())
    assert recording.KIND_OF_EVENT[type(event)] == kind
