"""What happened to an escalation, as frozen dataclasses named in the past tense.

The lifecycle returns these from every transition; the web application stores them on the
timeline, the audit trail and (later) the outbox. They carry references and dates, and the
practitioners' own words only where the procedure asks for them to be recorded.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from escalate.procedures.schema import TopOutcome


@dataclass(frozen=True)
class EscalationRaised:
    procedure_key: str
    outset_on: dt.date
    raised_on: dt.date
    at_stage: int
    immediate_risk_reason: str | None


@dataclass(frozen=True)
class StageEntered:
    stage: int
    entered_on: dt.date
    skipped: tuple[int, ...] = ()


@dataclass(frozen=True)
class ContactRecorded:
    """A contact, discussion or meeting, under the recording template's headings."""

    stage: int
    occurred_on: dt.date
    recorded_on: dt.date
    kind: str
    contact_by: str = ""
    contact_with: str = ""
    summary: str = ""
    agreed: str = ""
    decision_makers: str = ""


@dataclass(frozen=True)
class ProcedureEventRecorded:
    stage: int
    event: str
    occurred_on: dt.date


@dataclass(frozen=True)
class ObligationMet:
    stage: int
    obligation: str
    met_on: dt.date


@dataclass(frozen=True)
class ProtectiveDueDateSet:
    stage: int
    obligation: str | None
    due_on: dt.date
    previous_due_on: dt.date | None
    reason: str
    set_on: dt.date


@dataclass(frozen=True)
class StageResolved:
    stage: int
    resolved_on: dt.date
    outcome: str


@dataclass(frozen=True)
class OutcomeConfirmedInWriting:
    stage: int
    confirmed_on: dt.date
    confirmed_by: str


@dataclass(frozen=True)
class StageEscalated:
    from_stage: int
    to_stage: int
    escalated_on: dt.date
    reason: str


@dataclass(frozen=True)
class EscalationWithdrawn:
    stage: int
    withdrawn_on: dt.date
    reason: str


@dataclass(frozen=True)
class TopStageDecided:
    stage: int
    decided_on: dt.date
    produces: TopOutcome
    decision: str


@dataclass(frozen=True)
class ViewGiven:
    """An agency party stated its view of the disagreement (beside any earlier one)."""

    stage: int
    given_on: dt.date
    view: str


@dataclass(frozen=True)
class EntryCorrected:
    """A correction of an earlier entry (``sequence``), added beside it: nothing is
    overwritten."""

    stage: int
    corrected_on: dt.date
    sequence: int
    text: str


Event = (
    EscalationRaised
    | StageEntered
    | ContactRecorded
    | ProcedureEventRecorded
    | ObligationMet
    | ProtectiveDueDateSet
    | StageResolved
    | OutcomeConfirmedInWriting
    | StageEscalated
    | EscalationWithdrawn
    | TopStageDecided
    | ViewGiven
    | EntryCorrected
)
