"""Convening a panel, choosing its members, recording the top stage's outcome and each
agency's response to a recommendation.

Each service takes keyword-only, typed arguments, the actor and the date it acts on; checks
who may do it; asks the rules core (``escalate.procedures.panels``) whether the membership
meets the procedure's rule; and in one transaction writes the rows, the outbox rows
(``notices``) and the audit entry. A refusal raises :class:`PanelError` (a
``cases.services.ServiceError``) naming the form field it concerns, and is audited too.

- Panels are convened, and their members chosen, by the partnership's business unit (the
  board's business manager convenes the panel the procedure names), only while the escalation
  is open at the stage whose definition convenes that kind of panel. The members are chosen
  all at once, from the directory's seats for that kind of panel (``PanelSeat``), and the
  whole membership is checked on every change: a membership that breaks the rule is refused,
  each breach with its message at its field.
- The outcome goes through ``cases.services.escalation_decide`` (the record's ``decided``
  entry, the projection, the deadlines and the "how it ended" messages), in the same
  transaction as the :class:`~escalate.panels.models.Outcome` beside it and its
  recommendations. Where the top stage always convenes its panel, the outcome names the panel,
  which must meet its rule and have sat by the date of the outcome.
- A recommendation's response is recorded by its agency's people or by the business unit on
  their behalf, once the outcome is recorded; a later response is added beside the earlier.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from escalate.audit.models import AuditAction, ObjectType
from escalate.audit.services import audit_record
from escalate.cases import rules
from escalate.cases import services as case_services
from escalate.cases.actors import Actor
from escalate.cases.models import EntryKind, Escalation, Status
from escalate.directory.models import PanelSeat
from escalate.notifications.models import Kind, Notification
from escalate.panels import access, notices, selectors
from escalate.panels.models import (
    Answer,
    Outcome,
    Panel,
    PanelMember,
    Recommendation,
    RecommendationResponse,
)
from escalate.procedures import panels as core
from escalate.procedures import schema
from escalate.procedures.words import long_date

NOT_BUSINESS_UNIT = "Only the partnership's business unit convenes a panel and chooses its members."
NOT_OPEN = "This escalation is no longer open, so its panels cannot change."
NO_PANEL_HERE = "The procedure convenes no panel of this kind at stage {stage}."
MOVED_ON = "The escalation is no longer at stage {stage}, so this panel cannot change."
SITS_BEFORE_STAGE = "The panel cannot sit before the escalation reached stage {stage} on {date}."
PANEL_CHANGED = (
    "Someone else changed this panel after you opened this page. Check its members and date "
    "below, then save again."
)
NOT_A_SEAT = "Choose members from the directory's list of who may sit on this panel."
NOT_A_SEAT_CHAIR = "Choose the chair from the directory's list of who may sit on this panel."
UNKNOWN_KIND = "Choose the kind of panel."

PANEL_REQUIRED = "Choose the panel that made this {produces}."
NO_PANEL_YET = (
    "Convene {panel} and choose its members before recording its {produces}: the procedure "
    "says it decides."
)
UNKNOWN_PANEL = "Choose one of the panels convened at this stage."
PANEL_BREAKS_RULE = "{panel} does not meet the procedure's rule: {problem}"
BEFORE_PANEL_SAT = "The date cannot be before the panel sat on {date}."
RECOMMENDATION_REQUIRED = "Enter at least one recommendation to an agency."
NOT_RECOMMENDATIONS = "This procedure's top stage makes no recommendations to agencies."
DUE_REQUIRED = "Enter the date {agency} must respond by."
DUE_BEFORE_OUTCOME = (
    "The date {agency} must respond by must be the same as or after the date of the "
    "recommendations."
)
NOT_A_PARTY = "Recommendations go to agencies party to this escalation."
RECOMMENDED_TWICE = "Give {agency} one recommendation: put everything for it in one."

NOT_DECIDED = "Responses are recorded once the recommendations are."
NOT_THE_AGENCY = "Only {agency} or the business unit records {agency}'s response."
UNKNOWN_ANSWER = "Select whether your agency accepts the recommendation."
RESPONSE_REQUIRED = "Enter what your agency will do."
RESPONSE_BEFORE_OUTCOME = "The date cannot be before the recommendations were made on {date}."


class PanelError(case_services.ServiceError):
    """A refused change. ``problems``: every breach of the panel's rule, each with its field
    (the first is also ``message`` and ``field``)."""

    def __init__(
        self, message: str, field: str | None = None, problems: Sequence[core.Problem] = ()
    ) -> None:
        super().__init__(message, field)
        self.problems = list(problems)


def _audited(actor: Actor, escalation: Escalation, service: str) -> AbstractContextManager[None]:
    """A refused change is in the audit trail too, outside its rolled-back transaction."""
    return case_services.audited_refusal(actor, escalation, service)


def _audit(actor: Actor, escalation: Escalation, detail: dict[str, object]) -> None:
    audit_record(
        actor=actor.user,
        action=AuditAction.ESCALATION_CHANGED,
        object_type=ObjectType.ESCALATION,
        object_ref=escalation.reference,
        partnership_id=escalation.partnership_id,
        detail={**detail, **actor.audit_detail()},
    )


def _is_business_unit(actor: Actor, escalation: Escalation) -> bool:
    """The business unit of the escalation's partnership (the system acts for it too)."""
    return actor.person is None or access.business_unit_of(actor.person, escalation)


def _locked(escalation: Escalation) -> Escalation:
    return (
        Escalation.objects.select_for_update(of=("self",))
        .select_related("partnership", "raising_person", "receiving_person")
        .get(pk=escalation.pk)
    )


def _stage_entered_on(escalation: Escalation, stage: int) -> dt.date | None:
    row = escalation.stages.filter(number=stage).first()
    return row.entered_on if row is not None else None


# -- convening ------------------------------------------------------------------------------


def panel_convene(
    *,
    actor: Actor,
    escalation: Escalation,
    today: dt.date,
    now: dt.datetime | None = None,
    kind: str,
    sits_on: dt.date,
) -> Panel:
    """Convene a panel of ``kind`` on an escalation open at a stage that convenes one; every
    party is told the day it sits."""
    now = now or timezone.now()
    with _audited(actor, escalation, "panel_convene"), transaction.atomic():
        esc = _locked(escalation)
        definition = _convenable(actor, esc, kind)
        _sits_after_entry(esc, esc.current_stage, sits_on)
        panel = Panel.objects.create(
            escalation=esc,
            stage=esc.current_stage,
            kind=definition.kind.value,
            name=definition.name,
            sits_on=sits_on,
            convened_at=now,
            convened_by=actor.user,
        )
        told = notices.Told(actor)
        told.add(notices.party_people(esc), Kind.PANEL, panel.stage, sits_on)
        told.write(esc, f"panel:{panel.pk}:{panel.version}", now)
        _audit(
            actor,
            esc,
            {
                "service": "panel_convene",
                "panel": panel.pk,
                "kind": panel.kind,
                "stage": panel.stage,
            },
        )
    return panel


def _convenable(actor: Actor, esc: Escalation, kind: str) -> schema.Panel:
    if not _is_business_unit(actor, esc):
        raise PanelError(NOT_BUSINESS_UNIT)
    if esc.status != Status.OPEN:
        raise PanelError(NOT_OPEN)
    stage_panel = rules.procedure_of(esc).stage(esc.current_stage).panel
    if not kind:
        raise PanelError(UNKNOWN_KIND, "kind")
    definition = stage_panel.option(kind) if stage_panel is not None else None
    if definition is None:
        raise PanelError(NO_PANEL_HERE.format(stage=esc.current_stage), "kind")
    return definition


def _sits_after_entry(esc: Escalation, stage: int, sits_on: dt.date) -> None:
    entered = _stage_entered_on(esc, stage)
    if entered is not None and sits_on < entered:
        raise PanelError(SITS_BEFORE_STAGE.format(stage=stage, date=long_date(entered)), "sits_on")


# -- choosing the members --------------------------------------------------------------------


def panel_set_members(
    *,
    actor: Actor,
    panel: Panel,
    version: int,
    today: dt.date,
    now: dt.datetime | None = None,
    sits_on: dt.date,
    members: Sequence[int],
    chair: int | None,
) -> Panel:
    """Set a panel's members (``members``: ids of the directory's seats for its kind; ``chair``:
    the seat of the one who chairs) and the day it sits, as a whole. The membership must meet
    the procedure's rule: anything else is refused with every breach at its field. The
    members and every party are told."""
    now = now or timezone.now()
    escalation = panel.escalation
    with _audited(actor, escalation, "panel_set_members"), transaction.atomic():
        esc = _locked(escalation)
        row = Panel.objects.select_for_update().get(pk=panel.pk, escalation=esc)
        if not _is_business_unit(actor, esc):
            raise PanelError(NOT_BUSINESS_UNIT)
        if esc.status != Status.OPEN:
            raise PanelError(NOT_OPEN)
        if esc.current_stage != row.stage:
            raise PanelError(MOVED_ON.format(stage=row.stage))
        if row.version != version:
            raise PanelError(PANEL_CHANGED)
        definition = selectors.definition_of(esc, row)
        if definition is None:
            raise PanelError(NO_PANEL_HERE.format(stage=row.stage), "kind")
        _sits_after_entry(esc, row.stage, sits_on)
        seats = _seats(esc, row, members, chair)
        chosen = [seats[pk] for pk in members]
        involved = selectors.involved_ids(esc)
        chair_seat = seats[chair] if chair is not None else None
        proposed = [
            core.Member(
                person=s.person_id,
                name=s.person.name,
                agency=s.agency_id,
                agency_type=schema.AgencyType(s.agency.agency_type),
                role=core.Role.CHAIR
                if chair_seat is not None and s.person_id == chair_seat.person_id
                else core.Role.MEMBER,
                involved=s.person_id in involved,
            )
            for s in chosen
        ]
        problems = core.check(
            definition,
            proposed,
            parties=selectors.core_parties(esc),
            chair=chair_seat.person_id if chair_seat is not None else None,
        )
        if problems:
            raise PanelError(problems[0].message, problems[0].field, problems)
        row.members.all().delete()
        PanelMember.objects.bulk_create(
            [
                PanelMember(
                    panel=row,
                    person_id=m.person,
                    name=m.name,
                    agency_id=m.agency,
                    role=m.role.value,
                )
                for m in proposed
            ]
        )
        row.sits_on = sits_on
        row.version += 1
        row.save(update_fields=["sits_on", "version"])
        told = notices.Told(actor)
        told.add((s.person for s in chosen), Kind.PANEL, row.stage, sits_on)
        told.add(notices.party_people(esc), Kind.PANEL, row.stage, sits_on)
        told.write(esc, f"panel:{row.pk}:{row.version}", now)
        _audit(
            actor,
            esc,
            {
                "service": "panel_set_members",
                "panel": row.pk,
                "version": row.version,
                "members": len(proposed),
            },
        )
    return row


def _seats(
    esc: Escalation, panel: Panel, members: Sequence[int], chair: int | None
) -> dict[int, PanelSeat]:
    """The chosen seats, all of them the partnership's seats on this kind of panel."""
    wanted = {*members, *([chair] if chair is not None else [])}
    seats = {
        s.pk: s for s in selectors.seats_for(esc.partnership_id, panel.kind).filter(pk__in=wanted)
    }
    if any(pk not in seats for pk in members):
        raise PanelError(NOT_A_SEAT, core.MEMBERS_FIELD)
    if chair is not None and chair not in seats:
        raise PanelError(NOT_A_SEAT_CHAIR, core.CHAIR_FIELD)
    return seats


# -- the top stage's outcome -------------------------------------------------------------------


@dataclass(frozen=True)
class NewRecommendation:
    agency_id: int
    text: str
    due_on: dt.date | None


def recommendation_field(agency_id: int) -> str:
    return f"recommendation_{agency_id}"


def due_field(agency_id: int) -> str:
    return f"due_on_{agency_id}"


def outcome_record(
    *,
    actor: Actor,
    escalation: Escalation,
    version: int,
    today: dt.date,
    now: dt.datetime | None = None,
    on: dt.date,
    decision: str,
    panel_id: int | None = None,
    recommendations: Sequence[NewRecommendation] = (),
) -> Escalation:
    """Record the top stage's outcome as the procedure says: the decision (or the summary of
    the recommendations, or the feedback) through ``escalation_decide``, and beside it the
    outcome's panel and its recommendations, each to a party agency with its own due date.
    Every party hears how it ended; each agency recommended to hears of its recommendation."""
    now = now or timezone.now()
    procedure = rules.procedure_of(escalation)
    produces = procedure.top_stage.produces
    with _audited(actor, escalation, "outcome_record"):
        case_services.not_future(on, today, "on")
        wanted = _check_recommendations(
            escalation, produces, [r for r in recommendations if r.text.strip()], on
        )
        panel = _outcome_panel(escalation, procedure, panel_id, on)
        with transaction.atomic():
            esc = case_services.escalation_decide(
                actor=actor,
                escalation=escalation,
                version=version,
                today=today,
                now=now,
                on=on,
                decision=decision,
            )
            entry = esc.entries.filter(kind=EntryKind.DECIDED).order_by("-sequence").first()
            assert entry is not None  # noqa: S101 - escalation_decide wrote it
            outcome = Outcome.objects.create(
                escalation=esc,
                produces=produces.value,
                panel=panel,
                decided_on=on,
                entry_sequence=entry.sequence,
                recorded_at=now,
                recorded_by=actor.user,
            )
            made = Recommendation.objects.bulk_create(
                [
                    Recommendation(
                        outcome=outcome,
                        escalation=esc,
                        agency_id=agency_id,
                        text=text,
                        due_on=due_on,
                    )
                    for agency_id, text, due_on in wanted
                ]
            )
            _tell_outcome(actor, esc, outcome, made, now)
            _audit(
                actor,
                esc,
                {
                    "service": "outcome_record",
                    "produces": produces.value,
                    "panel": panel.pk if panel is not None else None,
                    "recommendations": len(made),
                    "entry": entry.sequence,
                },
            )
    return esc


def _check_recommendations(
    escalation: Escalation,
    produces: schema.TopOutcome,
    wanted: Sequence[NewRecommendation],
    on: dt.date,
) -> list[tuple[int, str, dt.date]]:
    """The recommendations to make: (agency, text, due date) each, checked."""
    if produces is not schema.TopOutcome.RECOMMENDATIONS:
        if wanted:
            raise PanelError(NOT_RECOMMENDATIONS, "recommendations")
        return []
    if not wanted:
        raise PanelError(RECOMMENDATION_REQUIRED, "recommendations")
    parties = {p.agency_id: p.agency for p in escalation.parties.select_related("agency")}
    checked: list[tuple[int, str, dt.date]] = []
    for r in wanted:
        agency = parties.get(r.agency_id)
        if agency is None:
            raise PanelError(NOT_A_PARTY, "recommendations")
        if any(agency_id == r.agency_id for agency_id, _, _ in checked):
            raise PanelError(RECOMMENDED_TWICE.format(agency=agency.name), "recommendations")
        if r.due_on is None:
            raise PanelError(DUE_REQUIRED.format(agency=agency.name), due_field(r.agency_id))
        if r.due_on < on:
            raise PanelError(DUE_BEFORE_OUTCOME.format(agency=agency.name), due_field(r.agency_id))
        checked.append((r.agency_id, r.text.strip(), r.due_on))
    return checked


def _outcome_panel(
    escalation: Escalation, procedure: schema.Procedure, panel_id: int | None, on: dt.date
) -> Panel | None:
    produces = procedure.top_stage.produces.value.replace("-", " ")
    top = procedure.stage(procedure.top).panel
    at_top = [p for p in selectors.panels_for(escalation) if p.stage == procedure.top]
    if panel_id is None:
        if top is not None and top.convened == "always":
            if not at_top:
                raise PanelError(
                    NO_PANEL_YET.format(panel=core.panel_words(top), produces=produces), "panel"
                )
            raise PanelError(PANEL_REQUIRED.format(produces=produces), "panel")
        return None
    panel = next((p for p in at_top if p.pk == panel_id), None)
    if panel is None:
        raise PanelError(UNKNOWN_PANEL, "panel")
    problems = selectors.composition_problems(escalation, panel, selectors.involved_ids(escalation))
    if problems:
        name = panel.name[:1].upper() + panel.name[1:]
        raise PanelError(PANEL_BREAKS_RULE.format(panel=name, problem=problems[0].message), "panel")
    if on < panel.sits_on:
        raise PanelError(BEFORE_PANEL_SAT.format(date=long_date(panel.sits_on)), "on")
    return panel


def _tell_outcome(
    actor: Actor,
    esc: Escalation,
    outcome: Outcome,
    made: Sequence[Recommendation],
    now: dt.datetime,
) -> None:
    """Every party not already told by the decision's own "how it ended" message hears of the
    outcome; each agency recommended to hears of its recommendation and its due date."""
    already = Notification.objects.filter(
        escalation=esc, key__startswith=f"event:{esc.pk}:{esc.version}:"
    ).values_list("recipient_id", flat=True)
    told = notices.Told(actor, already=already)
    told.add(notices.party_people(esc), Kind.OUTCOME, esc.current_stage, None)
    told.write(esc, f"outcome:{outcome.pk}", now)
    for rec in made:
        to_agency = notices.Told(actor)
        to_agency.add(
            notices.party_people(esc, [rec.agency_id]),
            Kind.RECOMMENDATION,
            esc.current_stage,
            rec.due_on,
        )
        to_agency.write(esc, f"recommendation:{rec.pk}", now)


# -- responses --------------------------------------------------------------------------------


def recommendation_respond(
    *,
    actor: Actor,
    recommendation: Recommendation,
    today: dt.date,
    now: dt.datetime | None = None,
    on: dt.date,
    answer: str,
    text: str,
) -> RecommendationResponse:
    """Record an agency's response to the recommendation addressed to it (by its people, or
    by the business unit on its behalf). Every party is told."""
    now = now or timezone.now()
    escalation = recommendation.escalation
    with _audited(actor, escalation, "recommendation_respond"), transaction.atomic():
        esc = _locked(escalation)
        rec = Recommendation.objects.select_related("agency", "outcome").get(
            pk=recommendation.pk, escalation=esc
        )
        person = actor.person
        if esc.status != Status.DECIDED:
            raise PanelError(NOT_DECIDED)
        theirs = person is None or person.agency_id == rec.agency_id
        if not theirs and not _is_business_unit(actor, esc):
            raise PanelError(NOT_THE_AGENCY.format(agency=rec.agency.name))
        if answer not in Answer.values:
            raise PanelError(UNKNOWN_ANSWER, "answer")
        if not text.strip():
            raise PanelError(RESPONSE_REQUIRED, "text")
        case_services.not_future(on, today, "on")
        if on < rec.outcome.decided_on:
            raise PanelError(
                RESPONSE_BEFORE_OUTCOME.format(date=long_date(rec.outcome.decided_on)), "on"
            )
        response = RecommendationResponse.objects.create(
            recommendation=rec,
            answer=answer,
            text=text.strip(),
            responded_on=on,
            recorded_at=now,
            recorded_by=actor.user,
            author_name=actor.name,
            author_agency=actor.agency_name,
        )
        told = notices.Told(actor)
        told.add(notices.party_people(esc), Kind.RESPONSE, esc.current_stage, None)
        told.write(esc, f"response:{response.pk}", now)
        _audit(
            actor,
            esc,
            {
                "service": "recommendation_respond",
                "recommendation": rec.pk,
                "response": response.pk,
                "answer": answer,
            },
        )
    return response
