"""The forms and panels of the scale data set (``escalate-manage generate_scale_data``).

:mod:`escalate.demo.scale` plans each escalation as the services' own calls; this module plans
and writes what the forms' and panels' services (``documents.services``, ``panels.services``)
would have made of it:

- :class:`_Paperwork` plans their calls around the escalation's own (:class:`Paper`: who, on
  which day, between which of the escalation's calls), from a random generator of their own, so
  that the escalations are those the same seed gave before they were added: the signers
  through the signing rules (``documents.signers.signed_as``), the panel's members through the
  rules core's ``panels.check`` (:class:`PlannedPanel`), the top stage's outcome and its
  recommendations (:class:`PlannedOutcome`);
- :class:`_PaperRows` turns them into the rows and audit entries those services store, the
  values through ``forms.prefill`` over the record as the form's page reads it at that moment
  (:func:`posted_values`) and ``forms.check``;
- :class:`_Replay` makes the same calls through the real services, for
  :func:`escalate.demo.scale.replay_through_services`.

Every text is invented and names nobody.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from escalate.audit.models import AuditAction, ObjectType
from escalate.cases import rules
from escalate.cases.actors import Actor
from escalate.cases.models import (
    ContactMethod,
    Entry,
    EntryKind,
    Escalation,
    Party,
    PartyRole,
    ReferenceKind,
    Source,
)
from escalate.demo.scale_rows import ZONE, AuditLine, Row, _chain
from escalate.directory.models import LEVEL_RANK, Agency, Person
from escalate.documents import signers as form_signers
from escalate.documents.models import FormRecord, FormVersion, Signature, VersionStatus
from escalate.notifications import recipients
from escalate.panels.models import (
    Outcome,
    Panel,
    PanelMember,
    Recommendation,
    RecommendationResponse,
)
from escalate.procedures import clock
from escalate.procedures import forms as form_core
from escalate.procedures import lifecycle as lc
from escalate.procedures import panels as panel_core
from escalate.procedures.schema import (
    AgencyType,
    FieldType,
    Form,
    FormField,
    Level,
    PanelKind,
    Side,
    Signer,
    SignerKind,
    TopOutcome,
)
from escalate.procedures.schema import Panel as PanelDefinition

if TYPE_CHECKING:
    from escalate.demo.scale import Planned, Step, _Rows, _Simulator

# The forms and panels. Every text is invented and names nobody.

#: How a form at the stage an escalation is open at was left: a draft, signed, or sent.
OPEN_FORM = {"draft": 45, "signed": 15, "submitted": 40}
#: Of the escalations closed at a stage with a form, those whose form there is still a draft.
CLOSED_FORM_DRAFT = 0.04
#: How often an optional field is answered (the effectiveness feedback by most).
P_OPTIONAL = 0.7
P_EFFECTIVENESS = 0.85
P_COMMENTS = 0.3
#: The kinds of body a stage with alternatives convenes, the procedure's own panel first.
P_FIRST_KIND = 0.7
#: Days (working) a recommendation gives its agency to respond.
RESPONSE_WITHIN = 20
P_RESPONSE = 0.7
P_SECOND_RESPONSE = 0.1
P_RESPONSE_BY_UNIT = 0.1
ANSWER_WEIGHTS = {"accepted": 60, "accepted-in-part": 28, "not-accepted": 12}
EFFECTIVENESS = (
    "The stages were clear, and talking at each one kept the disagreement about the plan, "
    "not the people.",
    "The timescales helped: both agencies knew when the next step was due and kept to it.",
    "Speaking by telephone early saved time; the e-mails at the start had crossed.",
    "The procedure worked, but the first stage took longer than it should have while "
    "managers were on leave.",
    "Escalating to senior managers brought the right people together and settled it quickly.",
    "Completing the form made both agencies write down what they actually disagreed about, "
    "which narrowed it.",
    "It would have helped to know the other agency's thresholds before the first conversation.",
    "The written confirmation of the outcome stopped the same question being raised again.",
    "Both agencies found the procedure fair; the learning is about sharing assessments sooner.",
    "Too many people were copied in at the second stage: a shorter list would have been quicker.",
    "The safeguarding representative's advice resolved most of the disagreement before it "
    "went further.",
    "Meeting face to face worked better than e-mail for a disagreement this complex.",
)
COMMENTS = (
    "Shared with both teams as an example of resolving a disagreement at the right level.",
    "The theme is raised at the next multi-agency practice forum.",
    "No further comments.",
    "Both agencies have updated their guidance on referrals between services.",
)
#: Typed answers for the forms' other free-text questions, by field id.
FIELD_TEXTS = {
    "action-taken": (
        "The senior managers reviewed the case records together and agreed a joint visit.",
        "The assessment was reopened and the plan updated with the other agency's concerns.",
        "A professionals' meeting was held and the actions reallocated with clear owners.",
        "The threshold decision was reviewed by a second manager and confirmed in writing.",
    ),
    "outcome-for-adult": (
        "Support is in place and reviewed monthly; the risk has reduced.",
        "A care and support assessment is under way, with a named worker.",
        "The adult's wishes are now recorded in the plan and both agencies follow it.",
        "Services are coordinated through one lead professional.",
    ),
    "feedback": (
        "The sub-committee found the agencies' positions reasonable; the learning is about "
        "recording decisions when thresholds differ.",
        "The sub-committee asks both agencies to share their escalation guidance with their "
        "teams and report back within three months.",
        "The sub-committee found the procedure followed at each stage; no further action.",
        "The theme is added to the partnership's learning log for the annual report.",
    ),
}
GENERIC_TEXTS = (
    "Discussed and agreed by both managers.",
    "As recorded on the escalation's timeline.",
    "Actions agreed and shared with both teams.",
)
#: A required answer the record leaves blank (the agreed outcome of a stage escalated
#: unresolved, withdrawn or not yet settled), by how the stage ended.
NOT_SETTLED = {
    "escalated": "No outcome was agreed at stage {stage}: the disagreement went to the next stage.",
    "withdrawn": "The raising agency withdrew the escalation at stage {stage}; no outcome was "
    "needed.",
    "open": "Not agreed yet: the managers are to speak again before the stage's due date.",
    "closed": "As agreed at stage {stage} and recorded on the escalation's timeline.",
}
RECOMMENDATIONS = (
    "Review the threshold guidance with the teams involved and confirm to the business unit "
    "that it is in use.",
    "Share assessments with the other agency within five working days of a referral.",
    "Name a lead professional for cases shared with another agency and record who it is.",
    "Include this case in the next supervision audit and report what it found.",
)
RESPONSES = (
    "Guidance reissued to every team and discussed at the service meeting.",
    "Agreed in principle; the change waits on the new case recording system.",
    "Our procedure already covers this; a reminder has gone to the teams.",
    "A named lead is now recorded on every shared case.",
)


# ---------------------------------------------------------------------------------------
# The calls, as planned


#: A paper's moment before it is given one.
NOT_YET = dt.datetime(1, 1, 1, tzinfo=dt.UTC)


@dataclass
class Paper:
    """One call to the forms' or panels' services (``documents.services``,
    ``panels.services``): which, by whom, on which day, and where it falls among the
    escalation's own calls (``after``: how many of its transitions, the raise included, come
    before it). ``at`` is the moment it is made (``now``)."""

    action: str
    actor: Person
    on: dt.date
    after: int
    args: dict[str, Any]
    at: dt.datetime = NOT_YET


@dataclass(frozen=True)
class PlannedPanel:
    """The panel convened at the top stage: its definition, the day it sits and its members
    (each with the agency they represent), the chair among them."""

    definition: PanelDefinition
    stage: int
    sits_on: dt.date
    members: tuple[tuple[Person, Agency], ...]
    chair: Person


@dataclass(frozen=True)
class PlannedOutcome:
    """The top stage's outcome recorded beside the decision (``panels.services.outcome_record``):
    what the procedure's top stage produces, and its recommendations (agency id, text, due)."""

    produces: TopOutcome
    recommendations: tuple[tuple[int, str, dt.date], ...] = ()


# ---------------------------------------------------------------------------------------
# Planning the calls around the escalation's own


class _Paperwork:
    """Plans the forms' and panels' calls of one planned escalation, from what its own calls
    did: each form of its procedure at each stage it was at (completed, signed by the people
    the definition names, and sent, before the escalation moved on; at the stage it ended at,
    after it ended, some left as drafts), and for a decision at the top stage the panel that
    made it, the outcome and each agency's response to its recommendation."""

    def __init__(self, sim: _Simulator, planned: Planned) -> None:
        self.sim = sim
        self.planned = planned
        self.world = sim.world
        self.procedure = sim.procedure
        self.calendar = sim.calendar
        self.rng = sim.paper_rng
        self.n = len(planned.transitions)
        #: The transition that brought the escalation to each stage, and the one it left by.
        self.entered: dict[int, int] = {}
        self.left: dict[int, int] = {}
        previous = 0
        for k, transition in enumerate(planned.transitions, start=1):
            number = transition.state.current.number
            self.entered.setdefault(number, k)
            if previous and number != previous:
                self.left[previous] = k
            previous = number
        data = planned.data
        self.party_ids = [planned.raiser.agency_id, data.receiving_agency_id]
        self.party_ids += [pk for pk in data.other_agency_ids if pk not in self.party_ids]
        self.agencies = {a.pk: a for a in self.world.agencies}
        self.papers: list[Paper] = []

    def day_of(self, k: int) -> dt.date:
        """The day of the escalation's ``k``-th transition (1: the raise)."""
        return self.planned.raised_on if k == 1 else self.planned.steps[k - 2].on

    def plan(self) -> None:
        planned = self.planned
        if planned.state.status is lc.Status.DECIDED:
            stage_panel = self.procedure.stage(self.procedure.top).panel
            if stage_panel is not None:
                planned.panel = self._panel(stage_panel)
            planned.outcome = self._outcome()
        self.closing_day = self.sim.later(self.day_of(self.n), self.rng.randint(0, 3))
        forms = [f for f in self.procedure.forms if self.entered.keys() & set(f.used_at)]
        if forms:
            case = self._case()
            for form in forms:
                self._form(form, case)
        if planned.outcome is not None:
            self._responses(planned.outcome)
        self._moments()
        planned.papers = self.papers

    def _add(self, action: str, actor: Person, on: dt.date, after: int, **args: Any) -> None:
        self.papers.append(Paper(action, actor, on, after, args))

    # -- the top stage --------------------------------------------------------------------------
    def _involved(self) -> set[int]:
        """Everyone the record will show involved (``panels.selectors.people_involved``): the
        raiser, the receiving practitioner and whoever wrote in it, the business unit aside."""
        planned = self.planned
        people = {planned.raiser.pk, planned.receiver.pk}
        return people | {s.actor.pk for s in planned.steps if not s.actor.is_business_unit}

    def _panel(self, stage_panel: PanelDefinition) -> PlannedPanel:
        """The body the top stage convenes, convened the day the escalation reached the stage
        and sitting on a working day up to the decision's, its members chosen from the
        directory's seats to meet its rule (checked by the rules core, as
        ``panel_set_members`` checks it)."""
        rng, planned, top = self.rng, self.planned, self.procedure.top
        options = stage_panel.options
        definition = options[0]
        if len(options) > 1 and rng.random() >= P_FIRST_KIND:
            definition = rng.choice(options[1:])
        reached, decided = self.entered[top], planned.steps[-1].on
        convened = self.day_of(reached)
        days = (convened + dt.timedelta(days=i) for i in range((decided - convened).days + 1))
        sits_on = rng.choice([d for d in days if self.calendar.is_working_day(d)][-3:] or [decided])
        involved = self._involved()
        chosen = self._members(definition, involved)
        chair = next((p for p, a in chosen if a.pk not in self.party_ids), chosen[0][0])
        problems = panel_core.check(
            definition,
            [
                panel_core.Member(
                    person=p.pk,
                    name=p.name,
                    agency=a.pk,
                    agency_type=AgencyType(a.agency_type),
                    role=panel_core.Role.CHAIR if p is chair else panel_core.Role.MEMBER,
                    involved=p.pk in involved,
                )
                for p, a in chosen
            ],
            parties=[panel_core.Party(pk, self.agencies[pk].name) for pk in self.party_ids],
            chair=chair.pk,
        )
        if problems:
            raise RuntimeError(f"A generated panel breaks its rule: {problems[0].message}")
        unit = self.world.business_manager
        self._add("panel-convene", unit, convened, reached, kind=definition.kind.value)
        self._add("panel-members", unit, convened, reached, sits_on=sits_on)
        return PlannedPanel(definition, top, sits_on, tuple(chosen), chair)

    def _members(
        self, definition: PanelDefinition, involved: set[int]
    ) -> list[tuple[Person, Agency]]:
        """Seat holders, one an agency: the agencies in dispute and those the rule names
        first, then others up to the number it asks for (or three, two for a mediation), and
        perhaps one more; nobody involved where the rule excludes them (and, where it does
        not, only if their agency has nobody else)."""
        rng, agencies = self.rng, self.world.agencies
        chosen: list[tuple[Person, Agency]] = []
        free = {
            a.pk: [p for p in self.world.seat_holders[a.pk] if p.pk not in involved]
            or ([] if definition.exclude_involved else self.world.seat_holders[a.pk])
            for a in agencies
        }

        def take(among: Iterable[Agency]) -> bool:
            done = {a.pk for _, a in chosen}
            open_to = [a for a in among if a.pk not in done and free[a.pk]]
            if open_to:
                agency = rng.choice(open_to)
                chosen.append((rng.choice(free[agency.pk]), agency))
            return bool(open_to)

        def count(types: Iterable[AgencyType]) -> int:
            return sum(1 for _, a in chosen if a.agency_type in set(types))

        if definition.includes_parties:
            for pk in self.party_ids:
                take([self.agencies[pk]])
        for need in definition.must_represent:
            if not count(need.agency_types):
                take(a for a in agencies if a.agency_type in need.agency_types)
        statutory = definition.statutory_members
        if statutory is not None:
            types = statutory.agency_types
            while count(types) < statutory.at_least:
                if not take(a for a in agencies if a.agency_type in types):
                    break
        least = 2 if definition.kind is PanelKind.MEDIATION else 3
        wanted = max(definition.min_members or 0, least, len(chosen)) + rng.randint(0, 1)
        while len(chosen) < wanted and take(agencies):
            pass
        return chosen

    def _outcome(self) -> PlannedOutcome:
        produces = self.procedure.top_stage.produces
        if produces is not TopOutcome.RECOMMENDATIONS:
            return PlannedOutcome(produces)
        due = self.calendar.add_working_days(self.planned.steps[-1].on, RESPONSE_WITHIN)
        return PlannedOutcome(
            produces,
            tuple((pk, self.rng.choice(RECOMMENDATIONS), due) for pk in self.party_ids),
        )

    def _senior(self, agency_id: int) -> Person:
        """The agency's senior manager (or the party's own person, if more senior)."""
        planned = self.planned
        person = {
            planned.raiser.agency_id: planned.raiser,
            planned.receiver.agency_id: planned.receiver,
        }.get(agency_id) or self.world.practitioners[agency_id][0]
        return _at_least(person, Level.SENIOR_MANAGER) or _chain(person)[-1]

    def _responses(self, outcome: PlannedOutcome) -> None:
        """Most agencies answer their recommendation; a few answer again later (accepting it
        in full by then)."""
        rng, on = self.rng, self.planned.steps[-1].on
        for agency_id, _text, _due in outcome.recommendations:
            if rng.random() >= P_RESPONSE:
                continue
            answers = rng.choices(list(ANSWER_WEIGHTS), weights=list(ANSWER_WEIGHTS.values()))
            if rng.random() < P_SECOND_RESPONSE:
                answers.append("accepted")
            responded = on
            for answer in answers:
                responded = self.sim.later(responded, rng.randint(1, RESPONSE_WITHIN))
                by_unit = rng.random() < P_RESPONSE_BY_UNIT
                self._add(
                    "respond",
                    self.world.business_manager if by_unit else self._senior(agency_id),
                    responded,
                    self.n,
                    agency=agency_id,
                    answer=answer,
                    text=rng.choice(RESPONSES),
                )

    # -- the forms ------------------------------------------------------------------------------
    def _case(self) -> form_signers.Case:
        """The escalation as the signing rules read it (``documents.signers``): its
        partnership, its raiser and receiver, its parties and its panel's chair. Made from the
        simulator's scratch escalation and parties, pointed at this one's (a model instance
        costs more to make than the rest of the forms' planning)."""
        planned, esc, parties = self.planned, self.sim.scratch, self.sim.scratch_parties
        esc.raising_person_id = planned.raiser.pk
        esc.receiving_person_id = planned.receiver.pk
        while len(parties) < len(self.party_ids):
            parties.append(Party())
        roles = [PartyRole.RAISING, PartyRole.RECEIVING, *[PartyRole.OTHER] * len(parties)]
        for party, pk, role in zip(parties, self.party_ids, roles, strict=False):
            party.agency_id, party.role = pk, role
        panel = planned.panel
        return form_signers.Case(
            esc,
            tuple(parties[: len(self.party_ids)]),
            self.procedure,
            frozenset({(panel.stage, panel.chair.pk)}) if panel is not None else frozenset(),
        )

    def _form(self, form: Form, case: form_signers.Case) -> None:
        """A version of the form at each of its stages the escalation was at."""
        rng, state = self.rng, self.planned.state
        status = state.status.value
        started = False
        for stage in sorted(form.used_at):
            if stage not in self.entered:
                continue
            if stage in self.left:  # completed before the escalation moved on
                k = self.left[stage]
                after, on, ending, finish = k - 1, self.day_of(k), "escalated", "submitted"
            else:  # the stage it is at: completed after it ended, or while it is open
                after, on = self.n, self.closing_day
                if status == "open":
                    ending = "open"
                    finish = rng.choices(list(OPEN_FORM), weights=list(OPEN_FORM.values()))[0]
                else:
                    ending = "withdrawn" if status == "withdrawn" else "closed"
                    finish = "draft" if rng.random() < CLOSED_FORM_DRAFT else "submitted"
            self._version(form, case, stage, after, on, ending, finish, started=started)
            started = True

    def _version(
        self,
        form: Form,
        case: form_signers.Case,
        stage: int,
        after: int,
        on: dt.date,
        ending: str,
        finish: str,
        *,
        started: bool,
    ) -> None:
        signing = [
            (slot, *self._signer(form, slot, stage, case))
            for slot in form_core.signature_slots(form, stage)
        ]
        completer = signing[0][1]
        ids = {"form": form.id, "stage": stage}
        if started:
            self._add("form-new-version", completer, on, after, **ids)
        typed, fallback = self._answers(form, stage, on, ending)
        self._add("form-draft", completer, on, after, **ids, typed=typed, fallback=fallback)
        if finish == "draft":
            return
        for slot, person, signed_as in signing:
            self._add("form-sign", person, on, after, **ids, field=slot.id, signed_as=signed_as)
        if form.send_to and finish == "submitted":
            self._add("form-submit", signing[-1][1], on, after, **ids)

    def _signer(
        self, form: Form, slot: FormField, stage: int, case: form_signers.Case
    ) -> tuple[Person, str]:
        """Who signs a signature field: the person each of its signers names, in turn, the
        first the signing rules accept (``documents.signers.signed_as``, as ``form_sign``)."""
        for signer in form.signers_of(slot):
            for person in self._named(signer, stage):
                signed_as = form_signers.signed_as(form, slot, person, case, stage)
                if signed_as:
                    return person, signed_as
        raise RuntimeError(f"Nobody generated may sign {form.id} ({slot.id}) at stage {stage}")

    def _named(self, signer: Signer, stage: int) -> list[Person]:
        planned = self.planned
        side = planned.receiver if signer.side is Side.RECEIVING else planned.raiser
        panel = planned.panel
        match signer.who:
            case SignerKind.RAISER:
                return [planned.raiser]
            case SignerKind.RECEIVER:
                return [planned.receiver]
            case SignerKind.STAGE_HOLDER:
                return [self.sim._actor(side, stage)]
            case SignerKind.LEVEL:
                found = _at_least(side, signer.level) if signer.level is not None else None
                return [found] if found is not None else []
            case SignerKind.BUSINESS_UNIT:
                return [self.world.business_manager]
            case SignerKind.PANEL_CHAIR:
                return [panel.chair] if panel is not None and panel.stage == stage else []
        return []  # pragma: no cover - every kind is matched above

    def _answers(
        self, form: Form, stage: int, on: dt.date, ending: str
    ) -> tuple[dict[str, str], dict[str, str]]:
        """What whoever completes the form types at a stage (``typed``), and what they write
        where the record leaves a required answer blank (``fallback``)."""
        typed: dict[str, str] = {}
        fallback: dict[str, str] = {}
        for fld in form_core.answerable(form, stage):
            if fld.source is not None:
                if fld.required and fld.type in (FieldType.TEXT, FieldType.LONG_TEXT):
                    fallback[fld.id] = NOT_SETTLED[ending].format(stage=stage)
                continue
            value = self._invent(fld, stage, on)
            if value:
                typed[fld.id] = value
        return typed, fallback

    def _invent(self, fld: FormField, stage: int, on: dt.date) -> str:
        rng, raiser, panel = self.rng, self.planned.raiser, self.planned.panel
        if not fld.required:
            chance = {"effectiveness": P_EFFECTIVENESS, "comments": P_COMMENTS}.get(
                fld.id, P_OPTIONAL
            )
            if rng.random() >= chance:
                return ""
        match fld.type:
            case FieldType.DATE:  # the day it was done: the panel's day at its stage
                sat = panel.sits_on if panel is not None and panel.stage == stage else None
                return (sat or on).isoformat()
            case FieldType.YES_NO:
                return "yes" if rng.random() < 0.35 else "no"
            case FieldType.CHOICE:
                return rng.choice(fld.options).value
            case FieldType.NUMBER:
                return str(rng.randint(1, 20))
            case FieldType.PERSON:
                manager = raiser.line_manager or raiser
                return f"{manager.name}, {manager.job_title}"
            case FieldType.AGENCY:
                return raiser.agency.name
            case FieldType.SIGNATURE:
                return ""
        pools = {"effectiveness": EFFECTIVENESS, "comments": COMMENTS, **FIELD_TEXTS}
        return rng.choice(pools.get(fld.id, GENERIC_TEXTS))

    # -- when -------------------------------------------------------------------------------------
    def _moments(self) -> None:
        """Each call's moment: between the escalation's calls it falls between, or after the
        last (each later than the one before, never after the data set's last moment)."""
        self.papers.sort(key=lambda p: (p.after, p.on))
        made, latest = self.planned.made_at, self.sim.latest
        groups: dict[int, list[Paper]] = {}
        for paper in self.papers:
            groups.setdefault(paper.after, []).append(paper)
        for after, papers in groups.items():
            if after < self.n:
                low, high = made[after - 1], made[after]
                start = max(low, dt.datetime.combine(papers[0].on, dt.time(8, 0), tzinfo=ZONE))
                start = start if start <= high else low
                gap = (high - start) / (len(papers) + 1)
                for j, paper in enumerate(papers, start=1):
                    paper.at = start + gap * j
                continue
            cursor = made[-1]
            for paper in papers:
                base = dt.datetime.combine(paper.on, dt.time(8, 30), tzinfo=ZONE)
                base += dt.timedelta(minutes=self.rng.randrange(480))
                cursor = min(max(base, cursor + dt.timedelta(minutes=1)), latest)
                paper.at = cursor


def _at_least(person: Person, level: Level) -> Person | None:
    """The first of the person and their line managers at ``level`` or above."""
    wanted = LEVEL_RANK[level]
    return next((p for p in _chain(person) if LEVEL_RANK[Level(p.level)] >= wanted), None)


# ---------------------------------------------------------------------------------------
# From the calls to rows


def posted_values(
    form: Form,
    stage: int,
    snapshot: form_core.RecordSnapshot,
    carried: Mapping[str, str],
    typed: Mapping[str, str],
    fallback: Mapping[str, str],
) -> dict[str, str]:
    """What whoever completes a form at ``stage`` sends (its page's fields): the values the
    version carries, brought up to date with what the record now says for this stage's fields
    (``forms.prefill``, as the page fills them; its own answer where the record leaves a
    required one blank: ``fallback``), and what they type themselves. The generator and the
    replay through the services both call it, the first with the snapshot it makes from the
    planned record, the second with the page's (``documents.selectors.record_snapshot``)."""
    values = {k: v for k, v in carried.items() if v}
    recorded = form_core.prefill(form, snapshot, stage=stage)
    values |= {k: v for k, v in fallback.items() if not recorded.get(k)}
    return values | recorded | dict(typed)


SOURCE_LABELS: dict[str, str] = dict(Source.choices)
REFERENCE_KIND_LABELS: dict[str, str] = dict(ReferenceKind.choices)
METHOD_LABELS: dict[str, str] = {str(k): str(v) for k, v in ContactMethod.choices}


class _PaperRows:
    """The rows and audit entries the forms' and panels' services would have stored for one
    planned escalation's papers, checked as those services check them (the form's values
    through ``forms.check``, every signature present before a form is sent)."""

    def __init__(
        self,
        rows: _Rows,
        planned: Planned,
        esc: Escalation,
        entries: list[Entry],
        parties: list[Row],
    ) -> None:
        self.out = rows
        self.planned = planned
        self.esc = esc
        self.entries = entries
        self.parties = parties
        self.procedure = planned.world.procedure
        self.by_version: dict[int, list[AuditLine]] = {}
        self.records: dict[str, Row] = {}
        self.versions: dict[str, list[Row]] = {}
        self.signed: dict[int, set[str]] = {}
        self.panel: Row | None = None
        self.panel_id = self.out.ids[Panel].take() if planned.panel is not None else None
        self.recommendations: dict[int, Row] = {}
        self.sent_case: recipients.Case | None = None

    def lines(self) -> dict[int, list[AuditLine]]:
        """The audit entries of the papers, by the transition each comes after (the outcome's
        straight after the decision's, before anything made after it)."""
        handlers: dict[str, Callable[[Paper, dict[str, Any]], None]] = {
            "form-draft": self._form_draft,
            "form-new-version": self._form_new_version,
            "form-sign": self._form_sign,
            "form-submit": self._form_submit,
            "panel-convene": self._panel_convene,
            "panel-members": self._panel_members,
            "respond": self._respond,
        }
        last = len(self.planned.transitions)
        outcome = self.planned.outcome
        for paper in self.planned.papers:
            if outcome is not None and paper.after == last:
                self._outcome(outcome)
                outcome = None
            handlers[paper.action](paper, paper.args)
        if outcome is not None:
            self._outcome(outcome)
        return self.by_version

    def _audit(self, at: dt.datetime, actor: Person, after: int, **detail: Any) -> None:
        self.by_version.setdefault(after, []).append(
            AuditLine(
                at=at,
                actor=actor.user,
                action=AuditAction.ESCALATION_CHANGED,
                object_type=ObjectType.ESCALATION,
                object_ref=self.esc.reference,
                partnership_id=self.esc.partnership_id,
                detail={**detail, "actor": "person"},
            )
        )

    # -- the forms (documents.services) ----------------------------------------------------
    def _form_audit(self, paper: Paper, service: str, version: Row, **extra: Any) -> None:
        self._audit(
            paper.at,
            paper.actor,
            paper.after,
            service=service,
            form=paper.args["form"],
            version=version.number,
            stage=version.stage,
            status=version.status,
            **extra,
        )

    def _latest(self, form_id: str) -> Row | None:
        versions = self.versions.get(form_id)
        return versions[-1] if versions else None

    def _version(self, paper: Paper, record: Row, number: int, values: dict[str, str]) -> Row:
        version = self.out.row(
            FormVersion,
            record_id=record.id,
            number=number,
            stage=paper.args["stage"],
            values=values,
            status=VersionStatus.DRAFT.value,
            reason="",
            revision=1,
            created_by_id=paper.actor.user_id,
            created_by_name=paper.actor.name,
            created_at=paper.at,
            updated_at=paper.at,
            signed_at=None,
            submitted_at=None,
            submitted_by_id=None,
            submitted_by_name="",
        )
        self.versions.setdefault(record.form_id, []).append(version)
        self.signed[version.id] = set()
        return version

    def _form_draft(self, paper: Paper, args: dict[str, Any]) -> None:
        form, stage = self.procedure.form(args["form"]), args["stage"]
        record = self.records.get(form.id)
        if record is None:
            record = self.out.row(
                FormRecord, escalation_id=self.esc.pk, form_id=form.id, created_at=paper.at
            )
            self.records[form.id] = record
        latest = self._latest(form.id)
        carried = dict(latest.values) if latest is not None else {}
        posted = posted_values(
            form, stage, self._snapshot(paper), carried, args["typed"], args["fallback"]
        )
        errors = form_core.check(form, posted, stage=stage, draft=True)
        if errors:
            raise RuntimeError(f"A generated draft of {form.id} does not check: {errors}")
        typed = form_core.clean(form, posted, stage=stage)
        if latest is None:
            version = self._version(paper, record, 1, typed)
        else:
            if latest.status != VersionStatus.DRAFT:
                raise RuntimeError("A signed version of a form is never changed")
            asked = {f.id for f in form_core.answerable(form, stage)}
            latest.values = {k: v for k, v in latest.values.items() if k not in asked} | typed
            latest.stage = stage
            latest.revision += 1
            latest.updated_at = paper.at
            version = latest
        self._form_audit(paper, "form_save_draft", version, revision=version.revision)

    def _form_new_version(self, paper: Paper, args: dict[str, Any]) -> None:
        latest = self._latest(args["form"])
        if latest is None or latest.status == VersionStatus.DRAFT:
            raise RuntimeError("A new version of a form starts from a signed one")
        record = self.records[args["form"]]
        version = self._version(paper, record, latest.number + 1, dict(latest.values))
        self._form_audit(paper, "form_new_version", version, replaces=latest.number)

    def _form_sign(self, paper: Paper, args: dict[str, Any]) -> None:
        form, version = self.procedure.form(args["form"]), self._latest(args["form"])
        if version is None or version.status == VersionStatus.SUBMITTED:
            raise RuntimeError("Only the latest version of a form, not yet sent, is signed")
        errors = form_core.check(form, version.values, stage=version.stage)
        if errors:
            raise RuntimeError(f"A generated version of {form.id} is incomplete: {errors}")
        person = paper.actor
        self.out.row(
            Signature,
            version_id=version.id,
            field_id=args["field"],
            user_id=person.user_id,
            name=person.name,
            role=person.job_title,
            agency=person.agency.name,
            signed_as=args["signed_as"],
            signed_at=paper.at,
        )
        self.signed[version.id].add(args["field"])
        if version.status == VersionStatus.DRAFT:
            version.status = VersionStatus.SIGNED.value
            version.signed_at = paper.at
            version.updated_at = paper.at
        self._form_audit(
            paper, "form_sign", version, field=args["field"], signed_as=args["signed_as"]
        )

    def _form_submit(self, paper: Paper, args: dict[str, Any]) -> None:
        form, version = self.procedure.form(args["form"]), self._latest(args["form"])
        if version is None or version.status != VersionStatus.SIGNED:
            raise RuntimeError("Only a signed version of a form is sent")
        slots = form_core.signature_slots(form, version.stage)
        missing = [s.id for s in slots if s.required and s.id not in self.signed[version.id]]
        if missing:
            raise RuntimeError(f"A generated version of {form.id} is sent unsigned: {missing}")
        version.status = VersionStatus.SUBMITTED.value
        version.submitted_at = paper.at
        version.submitted_by_id = paper.actor.user_id
        version.submitted_by_name = paper.actor.name
        version.updated_at = paper.at
        sent_to = recipients.for_form(
            self._recipients_case(),
            form_id=form.id,
            send_to=form.send_to,
            stage=version.stage,
            directory=self.out.directory,
            actor=paper.actor,
        )
        # Each person told has an app row and an e-mail row (``outbox.write_for_form``).
        self._form_audit(paper, "form_submit", version, messages=2 * len(sent_to))

    def _recipients_case(self) -> recipients.Case:
        """The escalation as the outbox reads it for a sent form (made once)."""
        if self.sent_case is None:
            parties = tuple(
                Party(id=p.id, escalation_id=p.escalation_id, agency_id=p.agency_id, role=p.role)
                for p in self.parties
            )
            self.sent_case = recipients.Case(self.esc, self.procedure, parties)
        return self.sent_case

    def _snapshot(self, paper: Paper) -> form_core.RecordSnapshot:
        """The record as the form's page reads it when the paper is made (after ``after``
        transitions, on ``on``): ``documents.selectors.record_snapshot``, from the planned
        record rather than the database."""
        esc, world, after = self.esc, self.planned.world, paper.after
        state = self.planned.transitions[after - 1].state
        views: dict[str, form_core.AgencyView] = {}
        contacts: list[form_core.ContactNote] = []
        for entry in self.entries:
            if entry.version > after:
                continue
            if entry.kind == EntryKind.VIEW:
                views[entry.author_agency] = form_core.AgencyView(entry.author_agency, entry.text)
            elif entry.kind == EntryKind.CONTACT:
                with_whom = f"with {entry.contact_with}" if entry.contact_with else ""
                contacts.append(
                    form_core.ContactNote(
                        stage=entry.stage,
                        on=entry.occurred_on,
                        method=METHOD_LABELS.get(entry.contact_method, ""),
                        between="; ".join(p for p in (entry.contact_by, with_whom) if p),
                        summary=entry.summary,
                        agreed=entry.agreed,
                        decision_makers=entry.decision_makers,
                    )
                )
        names = self.out.agency_names
        raiser, receiver = self.planned.raiser, self.planned.receiver
        end = state.closed_on or max(paper.on, esc.outset_on)
        closed = state.status in (lc.Status.RESOLVED, lc.Status.DECIDED)
        source = SOURCE_LABELS[esc.source]  # esc.get_source_display(), read faster
        return form_core.RecordSnapshot(
            reference=esc.reference,
            subject_kind=esc.subject_kind,
            subject_name=esc.subject_name,
            subject_reference_kind=REFERENCE_KIND_LABELS[esc.subject_reference_kind],
            subject_reference=esc.subject_reference,
            raising_agency=names[esc.raising_agency_id],
            receiving_agency=names[esc.receiving_agency_id],
            other_agencies=tuple(names[p.agency_id] for p in self.parties if p.role == "other"),
            raiser=f"{raiser.name}, {raiser.job_title}",
            receiver=f"{receiver.name}, {receiver.job_title}",
            category=next(
                (c.name for c in self.procedure.categories if c.id == esc.category), esc.category
            ),
            conflict_source=f"{source}: {esc.source_detail}" if esc.source_detail else source,
            summary=esc.issue,
            risk=esc.risk,
            aim=esc.aim,
            views=tuple(views.values()),
            current_stage=state.current.number,
            closed_at_stage=state.current.number if closed else None,
            outset_on=esc.outset_on,
            raised_on=esc.raised_on,
            closed_on=state.closed_on,
            working_days_taken=clock.time_taken(world.calendar, esc.outset_on, end).working_days,
            outcome=state.outcome or "",
            stages=tuple(
                form_core.StageDates(s.number, s.entered_on, s.left_on)
                for s in sorted(state.stages, key=lambda s: s.number)
            ),
            contacts=tuple(contacts),
        )

    # -- the panels (panels.services) ------------------------------------------------------
    def _panel_convene(self, paper: Paper, args: dict[str, Any]) -> None:
        planned_panel = self.planned.panel
        if planned_panel is None or self.panel_id is None:
            raise RuntimeError("A panel is convened only where one is planned")
        self.panel = Row(
            id=self.panel_id,
            escalation_id=self.esc.pk,
            stage=planned_panel.stage,
            kind=args["kind"],
            name=planned_panel.definition.name,
            sits_on=planned_panel.sits_on,
            version=1,
            convened_at=paper.at,
            convened_by_id=paper.actor.user_id,
        )
        self.out.rows[Panel].append(self.panel)
        self._audit(
            paper.at,
            paper.actor,
            paper.after,
            service="panel_convene",
            panel=self.panel_id,
            kind=args["kind"],
            stage=planned_panel.stage,
        )

    def _panel_members(self, paper: Paper, args: dict[str, Any]) -> None:
        planned_panel, panel = self.planned.panel, self.panel
        if planned_panel is None or panel is None:
            raise RuntimeError("Members are chosen only for a planned panel")
        for person, agency in planned_panel.members:
            role = (
                panel_core.Role.CHAIR if person is planned_panel.chair else panel_core.Role.MEMBER
            )
            self.out.row(
                PanelMember,
                panel_id=panel.id,
                person_id=person.pk,
                name=person.name,
                agency_id=agency.pk,
                role=role.value,
            )
        panel.sits_on = args["sits_on"]
        panel.version += 1
        self._audit(
            paper.at,
            paper.actor,
            paper.after,
            service="panel_set_members",
            panel=panel.id,
            version=panel.version,
            members=len(planned_panel.members),
        )

    def _outcome(self, outcome: PlannedOutcome) -> None:
        """The outcome beside the decision (``outcome_record``) and its recommendations."""
        planned, esc = self.planned, self.esc
        decided = next(e for e in reversed(self.entries) if e.kind == EntryKind.DECIDED)
        by, at = planned.steps[-1].actor, planned.made_at[-1]
        row = self.out.row(
            Outcome,
            escalation_id=esc.pk,
            produces=outcome.produces.value,
            panel_id=self.panel_id,
            decided_on=planned.state.closed_on,
            entry_sequence=decided.sequence,
            recorded_at=at,
            recorded_by_id=by.user_id,
        )
        for agency_id, text, due_on in outcome.recommendations:
            self.recommendations[agency_id] = self.out.row(
                Recommendation,
                outcome_id=row.id,
                escalation_id=esc.pk,
                agency_id=agency_id,
                text=text,
                due_on=due_on,
            )
        self._audit(
            at,
            by,
            len(planned.transitions),
            service="outcome_record",
            produces=outcome.produces.value,
            panel=self.panel_id,
            recommendations=len(outcome.recommendations),
            entry=decided.sequence,
        )

    def _respond(self, paper: Paper, args: dict[str, Any]) -> None:
        recommendation = self.recommendations[args["agency"]]
        person = paper.actor
        response = self.out.row(
            RecommendationResponse,
            recommendation_id=recommendation.id,
            answer=args["answer"],
            text=args["text"],
            responded_on=paper.on,
            recorded_at=paper.at,
            recorded_by_id=person.user_id,
            author_name=person.name,
            author_agency=person.agency.name,
        )
        self._audit(
            paper.at,
            person,
            paper.after,
            service="recommendation_respond",
            recommendation=recommendation.id,
            response=response.id,
            answer=args["answer"],
        )


# ---------------------------------------------------------------------------------------
# The same calls through the real services


class _Replay:
    """The forms' and panels' calls of a planned escalation, made through their services
    (``documents.services``, ``panels.services``) with the values the pages would send."""

    def __init__(self, planned: Planned) -> None:
        self.planned = planned
        self.panel: Panel | None = None

    def papers(self, esc: Escalation, after: int) -> None:
        for paper in self.planned.papers:
            if paper.after == after:
                self.paper(esc, paper)

    def outcome(
        self, esc: Escalation, step: Step, outcome: PlannedOutcome, now: dt.datetime
    ) -> Escalation:
        from escalate.panels import services as ps

        return ps.outcome_record(
            actor=Actor.of(step.actor.user),
            escalation=esc,
            version=esc.version,
            today=step.on,
            now=now,
            on=step.on,
            decision=step.args["decision"],
            panel_id=self.panel.pk if self.panel is not None else None,
            recommendations=[ps.NewRecommendation(*r) for r in outcome.recommendations],
        )

    def paper(self, esc: Escalation, paper: Paper) -> None:
        from escalate.documents import selectors as ds
        from escalate.documents import services as fs
        from escalate.panels import selectors as pls
        from escalate.panels import services as ps

        actor, a, now = Actor.of(paper.actor.user), paper.args, paper.at
        latest = (
            FormVersion.objects.filter(record__escalation=esc, record__form_id=a["form"])
            .order_by("-number")
            .first()
            if "form" in a
            else None
        )
        match paper.action:
            case "form-draft":
                loaded = (
                    Escalation.objects.select_related(
                        "partnership",
                        "raising_agency",
                        "receiving_agency",
                        "raising_person",
                        "receiving_person",
                    )
                    .prefetch_related("entries", "parties__agency", "stages")
                    .get(pk=esc.pk)
                )
                procedure = rules.procedure_of(loaded)
                form = procedure.form(a["form"])
                snapshot = ds.record_snapshot(loaded, procedure, paper.on)
                carried = dict(latest.values) if latest is not None else {}
                values = posted_values(
                    form, a["stage"], snapshot, carried, a["typed"], a["fallback"]
                )
                revision = latest.revision if latest is not None else 0
                fs.form_save_draft(
                    actor=actor,
                    escalation=esc,
                    form_id=form.id,
                    values=values,
                    revision=revision,
                    now=now,
                )
            case "form-new-version":
                fs.form_new_version(
                    actor=actor, escalation=esc, form_id=a["form"], reason="", now=now
                )
            case "form-sign":
                number = latest.number if latest is not None else 0
                fs.form_sign(
                    actor=actor,
                    escalation=esc,
                    form_id=a["form"],
                    number=number,
                    field_id=a["field"],
                    now=now,
                )
            case "form-submit":
                number = latest.number if latest is not None else 0
                fs.form_submit(
                    actor=actor, escalation=esc, form_id=a["form"], number=number, now=now
                )
            case "panel-convene":
                self.panel = ps.panel_convene(
                    actor=actor,
                    escalation=esc,
                    today=paper.on,
                    now=now,
                    kind=a["kind"],
                    sits_on=self._planned_panel().sits_on,
                )
            case "panel-members":
                planned_panel, panel = self._planned_panel(), self.panel
                if panel is None:
                    raise RuntimeError("Members are chosen for a convened panel")
                seats = {s.person_id: s.pk for s in pls.seats_for(esc.partnership_id, panel.kind)}
                self.panel = ps.panel_set_members(
                    actor=actor,
                    panel=panel,
                    version=panel.version,
                    today=paper.on,
                    now=now,
                    sits_on=a["sits_on"],
                    members=[seats[p.pk] for p, _ in planned_panel.members],
                    chair=seats[planned_panel.chair.pk],
                )
            case "respond":
                ps.recommendation_respond(
                    actor=actor,
                    recommendation=Recommendation.objects.get(
                        escalation=esc, agency_id=a["agency"]
                    ),
                    today=paper.on,
                    now=now,
                    on=paper.on,
                    answer=a["answer"],
                    text=a["text"],
                )
            case _:
                raise ValueError(f"unknown paper {paper.action!r}")

    def _planned_panel(self) -> PlannedPanel:
        if self.planned.panel is None:
            raise RuntimeError("No panel is planned for this escalation")
        return self.planned.panel
