"""A large, realistic data set for load and scale tests: ``escalate-manage generate_scale_data``.

Partnerships running the procedures of the registry in turn, one agency of each type that fits
the procedure (and the business unit), people at every level with line managers, stage contacts
and panel seats, and any number of escalations with their parties, stages, timeline entries,
``Deadline`` rows and audit entries: open, resolved (some confirmed in writing), withdrawn and
decided; raised at stage 1 or, for immediate risk, higher; taken up to any stage; some overdue
today. Each has its procedure's forms at the stages it reached (completed from the record, with
invented answers where nobody's record gives one, signed by the people the form names and sent;
some left as drafts), and each decision at the top stage its outcome, with the panel that made
it where the stage convenes one, and the recommendations and the agencies' responses where it
makes them. Everything is invented, and the same seed and day give the same data.

Calling the services for each of 100,000 escalations would take hours, so the history of each
escalation is computed with the pure rules core instead, exactly as the services compute it:

- :func:`simulate` plans each escalation as the services' own calls (:class:`Planned`: the raise
  and a list of :class:`Step`, each with the person who acts, the day and the arguments), taking
  each step through :mod:`escalate.procedures.lifecycle` as it goes, so that every choice fits
  the state the escalation is in (:func:`raise_transition` and :func:`step_transition` are the
  services' own calls into the core, one for one);
- :class:`_Rows` turns the transitions into what the services store: the projection with its
  version and derived due dates (``rules.derived``), the stage rows, one timeline entry per
  event through ``recording.entry_of`` (the one mapping), the ``Deadline`` rows of the live items
  (as ``deadlines.deadlines_sync`` leaves them), the facts kept for counting (the rules core's
  ``facts.facts_of``, as ``insights.facts.facts_sync`` stores them) and one audit entry per
  service call, with the detail the service writes;
- :mod:`escalate.demo.scale_papers` then plans the calls to the forms' and panels' services
  around the escalation's own (its :class:`_Paperwork`; :class:`Paper`: who, on which day,
  between which of the escalation's calls), from a random generator of their own, so that the
  escalations are those the same seed gave before they were added: the signers through the
  signing rules (``documents.signers.signed_as``), the panel's members through the rules core's
  ``panels.check``; and its :class:`_PaperRows` turns them into the rows and audit entries those
  services store, the values through ``forms.prefill`` over the record as the form's page reads
  it at that moment and ``forms.check``;
- the rows are written in batches with ``COPY`` on PostgreSQL (``executemany`` elsewhere), with
  ids taken from the tables' own sequences beforehand so that rows can point at each other.

:func:`replay_through_services` takes a planned escalation through the real services instead:
the tests compare what both store, field by field.

What the services also write and this does not: outbox rows (``Notification``: nobody was told
about this history, though a sent form's audit entry counts the messages the outbox would have
written) and the deadline sweep's marks (``reminded_on``, ``overdue_on``: the rows are as the
services leave them, before any sweep).
"""

from __future__ import annotations

import datetime as dt
import itertools
import math
import random
import string
import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from django.contrib.auth.hashers import UNUSABLE_PASSWORD_PREFIX, make_password
from django.db import connection, models, transaction

from escalate.accounts.models import User
from escalate.audit.models import AuditAction, ObjectType
from escalate.cases import recording, rules
from escalate.cases import services as cs
from escalate.cases.access import holds_stage
from escalate.cases.actors import Actor
from escalate.cases.models import (
    ContactMethod,
    Deadline,
    Entry,
    Escalation,
    Party,
    PartyRole,
    ReferenceKind,
    Source,
    Stage,
    SubjectKind,
)
from escalate.cases.nhs import format_nhs_number, nhs_check_digit
from escalate.demo.scale_papers import (
    Paper,
    PlannedOutcome,
    PlannedPanel,
    _PaperRows,
    _Paperwork,
    _Replay,
)
from escalate.demo.scale_rows import ZONE, AuditLine, Row, _chain, _Ids, write_rows
from escalate.demo.scenario import ADULT_STORIES, CHILD_STORIES, JOB_TITLES, LEVELS, Story
from escalate.directory.models import (
    LEVEL_RANK,
    Agency,
    BoardRole,
    PanelSeat,
    Partnership,
    Person,
    StageContact,
)
from escalate.directory.services import stage_role
from escalate.documents.models import FormRecord, FormVersion, Signature
from escalate.insights.facts import escalation_values, stage_values
from escalate.insights.models import EscalationFact, StageFact
from escalate.notifications import recipients
from escalate.panels.models import (
    Outcome,
    Panel,
    PanelMember,
    Recommendation,
    RecommendationResponse,
)
from escalate.procedures import clock
from escalate.procedures import facts as core_facts
from escalate.procedures import lifecycle as lc
from escalate.procedures.calendar import WorkingCalendar
from escalate.procedures.schema import (
    AgencyType,
    Division,
    Level,
    Procedure,
    Protects,
)

#: The password of the few named benchmark accounts (every other generated account has an
#: unusable one: hashing thousands of passwords would take minutes). Generated data only.
SCALE_PASSWORD = "scale-password-2026"  # noqa: S105
SCALE_EMAIL_DOMAIN = "scale.escalate.invalid"
SCALE_SLUG_PREFIX = "scale-"
DEFAULT_ESCALATIONS = 100_000
DEFAULT_PARTNERSHIPS = 5
DEFAULT_SEED = 1
#: Escalations written per batch (and ids taken from a sequence at a time).
BATCH = 2_000
#: The tables written row by row, in an order their foreign keys allow.
ROW_MODELS: tuple[type[models.Model], ...] = (
    Escalation,
    Party,
    Stage,
    Entry,
    Deadline,
    FormRecord,
    FormVersion,
    Signature,
    Panel,
    PanelMember,
    Outcome,
    Recommendation,
    RecommendationResponse,
)

ALREADY_THERE = (
    "The database already holds {count:,} escalations: generate into an empty database, or "
    "pass --add to add to it."
)
SEED_USED = (
    "Partnerships generated with seed {seed} are already there ({slugs}): choose another --seed."
)

# ---------------------------------------------------------------------------------------
# Shape of the data: how often each thing happens


#: How escalations end: open, resolved, withdrawn, decided at the top stage.
STATUS_WEIGHTS = {"open": 22, "resolved": 58, "withdrawn": 10, "decided": 10}
#: The stage an escalation reaches: most are settled low down.
STAGE_WEIGHTS = (42, 26, 16, 10, 6, 3, 2, 1)
IMMEDIATE_RISK = 0.03
#: Of the immediate-risk escalations, those given a later due date than the same day.
LATER_DUE = 0.2
EXTRA_PARTY = 0.1
P_EVENT = 0.4
P_DUTY = 0.15
P_VIEW = 0.1
P_BRING_FORWARD = 0.04
P_CORRECTION = 0.03
P_CONFIRMED = 0.7
#: Of the duties that follow a resolution, those done when the outcome is confirmed.
P_DUTY_AFTER = 0.6
#: Open escalations were raised within this many working days; closed ones within two years.
OPEN_WITHIN_WORKING_DAYS = 30
CLOSED_DAYS = (20, 700)

PLACES = (
    "Ashby", "Brackenfold", "Cindermoor", "Dunholt", "Eastwell", "Fallowmere", "Greystow",
    "Harrowby", "Ingleford", "Kettlewick", "Larkmoor", "Marrowfield", "Northwick", "Oakhollow",
    "Pennyrigg", "Quarrydale", "Ravensworth", "Saltmarsh", "Thornbury", "Upperwold",
)  # fmt: skip
STAFF_FIRST = (
    "Aisha", "Alex", "Amir", "Anna", "Ben", "Bethan", "Cara", "Callum", "Chloe", "Dan",
    "Dara", "Eilidh", "Eli", "Emma", "Ffion", "Finn", "Grace", "Harri", "Hannah", "Imran",
    "Iris", "Jack", "Jade", "Jamal", "Kate", "Keir", "Laila", "Liam", "Maya", "Mo",
    "Nadia", "Noel", "Olu", "Orla", "Pavel", "Poppy", "Rae", "Rhys", "Rosa", "Sam",
    "Sian", "Tariq", "Tom", "Una", "Vik", "Wendy", "Yusuf", "Zara", "Zoe", "Kwame",
)  # fmt: skip
STAFF_SURNAMES = (
    "Abbott", "Barlow", "Carver", "Dalby", "Ellery", "Farrant", "Gilmore", "Hadley", "Irwin",
    "Jowett", "Kendal", "Lister", "Mather", "Nuttall", "Oldroyd", "Pickles", "Rawlinson",
    "Sowerby", "Tattersall", "Uttley", "Varney", "Wadsworth", "Yeadon", "Ackroyd", "Brierley",
    "Cawthorne", "Dewhurst", "Entwistle", "Fothergill", "Greenhalgh", "Holroyd", "Illingworth",
    "Jagger", "Kilburn", "Longbottom", "Midgley", "Naylor", "Ogden", "Priestley", "Rushworth",
    "Shackleton", "Thackray", "Umpleby", "Verity", "Whiteley", "Youngman", "Ambler", "Butterfield",
)  # fmt: skip
SUBJECT_FIRST = (
    "Alfie", "Amelia", "Archie", "Ava", "Bilal", "Bella", "Charlie", "Daisy", "Edward", "Elsie",
    "Frank", "Florence", "George", "Gladys", "Harry", "Hilda", "Isaac", "Ivy", "Jacob", "Joan",
    "Kyle", "Lily", "Mason", "Mabel", "Noah", "Nancy", "Oscar", "Olive", "Reggie", "Ruby",
)  # fmt: skip
SUBJECT_SURNAMES = (
    "Ainsworth", "Bancroft", "Clegg", "Dyson", "Eccles", "Firth", "Gledhill", "Haigh", "Ingham",
    "Jessop", "Kaye", "Lumb", "Mellor", "Normanton", "Oates", "Pollard", "Ramsden", "Senior",
    "Townend", "Walker",
)  # fmt: skip

A = AgencyType
#: The agencies of a partnership, by what it protects: (code in usernames, type, name pattern).
AGENCY_SPECS: dict[Protects, tuple[tuple[str, AgencyType, str], ...]] = {
    Protects.ADULTS: (
        ("adults", A.LOCAL_AUTHORITY_ADULTS, "{place} Council Adult Social Care"),
        ("health", A.PRIMARY_HEALTH, "{place} Community Health NHS Trust"),
        ("hospital", A.SECONDARY_HEALTH, "{place} General Hospital NHS Foundation Trust"),
        ("police", A.POLICE, "{place} Police"),
        ("probation", A.PROBATION, "{place} Probation Delivery Unit"),
        ("housing", A.HOUSING, "{place} Homes"),
        ("voluntary", A.VOLUNTARY_SECTOR, "{place} Carers' Centre"),
    ),
    Protects.CHILDREN: (
        ("children", A.LOCAL_AUTHORITY_CHILDREN, "{place} Council Children's Services"),
        ("health", A.PRIMARY_HEALTH, "{place} Community Health NHS Trust"),
        ("hospital", A.SECONDARY_HEALTH, "{place} Royal Infirmary NHS Trust"),
        ("police", A.POLICE, "{place} Police"),
        ("school", A.SCHOOL_OR_EARLY_YEARS, "{place} Schools Partnership"),
        ("housing", A.HOUSING, "{place} Homes"),
        ("voluntary", A.VOLUNTARY_SECTOR, "{place} Family Support"),
    ),
}
AGENCY_SPECS[Protects.BOTH] = (
    AGENCY_SPECS[Protects.CHILDREN][0],
    *AGENCY_SPECS[Protects.ADULTS],
    AGENCY_SPECS[Protects.CHILDREN][4],
)
BOARD_NAMES = {
    Protects.ADULTS: ("{place} Safeguarding Adults Board", "{place} SAB"),
    Protects.CHILDREN: ("{place} Safeguarding Children Partnership", "{place} SCP"),
    Protects.BOTH: (
        "{place} Safeguarding Children Partnership and Adults Board",
        "{place} SCP and SAB",
    ),
}
METHODS = (ContactMethod.TELEPHONE, ContactMethod.MEETING, ContactMethod.VIDEO, ContactMethod.EMAIL)
WITHDRAWN_BECAUSE = (
    "New information from the family answered the concern: the disagreement no longer stands.",
    "The person moved out of the area and the case transferred; the raising agency withdraws.",
    "The receiving agency's assessment, now shared, answers the concern.",
)
CORRECTIONS = (
    "The contact took place a working day earlier than recorded.",
    "The job title recorded for the other practitioner was wrong: it is their team manager.",
    "The agreed action was to share the plan by the end of the week, not the next day.",
)
#: People per practitioner's line manager, and escalations raised per practitioner.
TEAM_SIZE = 6
ESCALATIONS_PER_PRACTITIONER = 25


# ---------------------------------------------------------------------------------------
# The directory


@dataclass
class World:
    """One generated partnership, its procedure and its people, held in memory."""

    partnership: Partnership
    procedure: Procedure
    calendar: WorkingCalendar
    code: str
    agencies: list[Agency]
    practitioners: dict[int, list[Person]]  # by agency id
    business_manager: Person
    stories: list[Story]
    benchmark_accounts: list[str] = field(default_factory=list)
    #: Who holds the directory's panel seats, by agency id (each of them for every kind of
    #: panel the procedure convenes), most senior last.
    seat_holders: dict[int, list[Person]] = field(default_factory=dict)


def _names(rng: random.Random) -> Iterator[str]:
    """Distinct staff names: every first name and surname pair in a seeded order, then the same
    with a middle initial."""
    pairs = [(f, s) for f in STAFF_FIRST for s in STAFF_SURNAMES]
    rng.shuffle(pairs)
    yield from (f"{f} {s}" for f, s in pairs)
    for initial in string.ascii_uppercase:
        yield from (f"{f} {initial}. {s}" for f, s in pairs)
    raise RuntimeError("Ran out of distinct staff names")


class _Directory:
    """Partnerships, agencies, people and accounts for one run."""

    def __init__(self, seed: int, rng: random.Random, today: dt.date) -> None:
        self.seed = seed
        self.rng = rng
        self.today = today
        self.names = _names(rng)
        self.joined = dt.datetime.combine(today, dt.time(8, 0), tzinfo=ZONE)
        self.user_ids = _Ids(User)
        self.person_ids = _Ids(Person)
        self.users: list[User] = []
        self.people: list[Person] = []
        self.contacts: list[StageContact] = []
        self.seats: list[PanelSeat] = []
        self.password = make_password(SCALE_PASSWORD)  # hashed once, for the named accounts

    def partnership(self, k: int, procedure: Procedure, escalations: int) -> World:
        place = PLACES[k % len(PLACES)]
        if k >= len(PLACES):
            place = f"{place} {k // len(PLACES) + 1}"
        code = f"s{self.seed}.{place.lower().replace(' ', '')}"
        name, short = (text.format(place=place) for text in BOARD_NAMES[procedure.protects])
        partnership = Partnership.objects.create(
            slug=f"{SCALE_SLUG_PREFIX}{self.seed}-{place.lower().replace(' ', '-')}",
            name=name,
            short_name=short,
            procedure_id=procedure.id,
            procedure_version=procedure.version,
            division=Division.ENGLAND_AND_WALES,
        )
        unit = Agency.objects.create(
            partnership=partnership,
            name=f"{place} Safeguarding Business Unit",
            agency_type=AgencyType.OTHER,
            is_partnership_body=True,
        )
        accounts: list[str] = []
        manager = self._person(
            unit,
            Level.SENIOR_MANAGER,
            f"Business Manager, {name}",
            f"{code}.business-manager",
            benchmark=accounts,
            business_unit=True,
        )
        manager.board_role = BoardRole.BUSINESS_MANAGER
        specs = AGENCY_SPECS[procedure.protects]
        per_agency = escalations / len(specs)
        practitioners = max(2, math.ceil(per_agency / ESCALATIONS_PER_PRACTITIONER))
        world = World(
            partnership=partnership,
            procedure=procedure,
            calendar=partnership.calendar(),
            code=code,
            agencies=[],
            practitioners={},
            business_manager=manager,
            stories=_stories(procedure, {t for _, t, _ in specs}),
            benchmark_accounts=accounts,
        )
        leads: dict[int, dict[Level, Person]] = {}
        for agency_code, agency_type, pattern in specs:
            agency = Agency.objects.create(
                partnership=partnership, name=pattern.format(place=place), agency_type=agency_type
            )
            world.agencies.append(agency)
            leads[agency.pk] = self._staff(world, agency, agency_code, practitioners)
        self._contacts_and_seats(world, leads)
        return world

    def _staff(
        self, world: World, agency: Agency, agency_code: str, practitioners: int
    ) -> dict[Level, Person]:
        """The agency's people: practitioners in teams of ``TEAM_SIZE`` under line managers,
        and one person at each level above, each the line manager of the level below."""
        titles = dict(zip(LEVELS, JOB_TITLES[AgencyType(agency.agency_type)], strict=True))
        counts = {
            Level.PRACTITIONER: practitioners,
            Level.LINE_MANAGER: -(-practitioners // TEAM_SIZE),
        }
        by_level: dict[Level, list[Person]] = {}
        for level in reversed(LEVELS):  # the most senior first, so each has a manager to name
            by_level[level] = [
                self._person(
                    agency,
                    level,
                    titles[level],
                    f"{world.code}.{level.value}.{agency_code}.{n}",
                    benchmark=world.benchmark_accounts
                    if level is Level.PRACTITIONER and n == 1
                    else None,
                )
                for n in range(1, counts.get(level, 1) + 1)
            ]
        for junior, senior in itertools.pairwise(LEVELS):
            managers = by_level[senior]
            for i, person in enumerate(by_level[junior]):
                person.line_manager = managers[min(i // TEAM_SIZE, len(managers) - 1)]
        world.practitioners[agency.pk] = by_level[Level.PRACTITIONER]
        return {level: people[0] for level, people in by_level.items()}

    def _person(
        self,
        agency: Agency,
        level: Level,
        job_title: str,
        username: str,
        *,
        benchmark: list[str] | None = None,
        business_unit: bool = False,
    ) -> Person:
        """A person and their account: a named benchmark account (added to ``benchmark``)
        gets the benchmark password, everyone else an unusable one."""
        name = next(self.names)
        first, _, last = name.partition(" ")
        email = f"{username}@{SCALE_EMAIL_DOMAIN}"
        if benchmark is not None:
            password = self.password
            benchmark.append(username)
        else:
            password = UNUSABLE_PASSWORD_PREFIX + "".join(
                self.rng.choices(string.ascii_letters + string.digits, k=40)
            )
        user = User(
            id=self.user_ids.take(),
            username=username,
            email=email,
            first_name=first,
            last_name=last,
            password=password,
            is_active=True,
            date_joined=self.joined,
        )
        person = Person(
            id=self.person_ids.take(),
            agency=agency,
            name=name,
            job_title=job_title,
            level=level.value,
            email=email,
            phone=f"01632 {self.rng.randrange(960000, 961000)}",  # Ofcom's drama range
            is_business_unit=business_unit,
            user=user,  # also tells the user who their person is (no query later)
        )
        self.users.append(user)
        self.people.append(person)
        return person

    def _contacts_and_seats(self, world: World, leads: dict[int, dict[Level, Person]]) -> None:
        """Who is the contact for each agency at each stage (as the demo: the first person of
        each level the stage names, or the business manager for a chair's or panel's stage),
        and who may sit on the procedure's panels."""
        procedure = world.procedure
        for agency in world.agencies:
            for stage in procedure.stages:
                role = stage_role(procedure, stage.number, agency.agency_type)
                levels = [Level(lv) for lv in stage.levels if lv in LEVEL_RANK]
                people = [leads[agency.pk][lv] for lv in levels] or [world.business_manager]
                self.contacts.extend(
                    StageContact(agency=agency, stage=stage.number, person=p, role=role)
                    for p in people
                )
        kinds = sorted({p.kind.value for s in procedure.stages if s.panel for p in s.panel.options})
        seated = (Level.ASSISTANT_DIRECTOR, Level.BOARD_REPRESENTATIVE)
        world.seat_holders = {
            a.pk: [leads[a.pk][level] for level in seated] for a in world.agencies
        }
        self.seats.extend(
            PanelSeat(
                partnership=world.partnership,
                kind=kind,
                person=leads[agency.pk][level],
                agency=agency,
            )
            for agency in world.agencies
            for level in seated
            for kind in kinds
        )

    def write(self) -> None:
        write_rows(User, self.users)
        write_rows(Person, self.people)
        StageContact.objects.bulk_create(self.contacts, batch_size=1000)
        PanelSeat.objects.bulk_create(self.seats, batch_size=1000)


def _stories(procedure: Procedure, types: set[AgencyType]) -> list[Story]:
    """The demo's stories this partnership can tell: it protects their subjects and has an
    agency of a raising type and one of a different, receiving type."""
    pool = {
        Protects.ADULTS: ADULT_STORIES,
        Protects.CHILDREN: CHILD_STORIES,
        Protects.BOTH: (*CHILD_STORIES, *ADULT_STORIES),
    }[procedure.protects]
    return [
        s for s in pool if any(r in types and (types & set(s.receiving)) - {r} for r in s.raising)
    ]


# ---------------------------------------------------------------------------------------
# One escalation, planned as the services' calls and taken through the rules core


@dataclass(frozen=True)
class Step:
    """One service call after the raise: which, by whom, on which day (the service's
    ``today``), with which arguments."""

    action: str
    actor: Person
    on: dt.date
    args: dict[str, Any]


@dataclass
class Planned:
    """An escalation as the services would be asked to make it."""

    world: World
    reference: str
    raiser: Person
    receiver: Person
    data: cs.NewEscalation
    raised_on: dt.date
    steps: list[Step] = field(default_factory=list)
    #: The rules core's transition for the raise and each step, and when each was made.
    transitions: list[lc.Transition] = field(default_factory=list)
    made_at: list[dt.datetime] = field(default_factory=list)
    #: The forms' and panels' calls, in the order they are made.
    papers: list[Paper] = field(default_factory=list)
    panel: PlannedPanel | None = None
    #: Set for a decided escalation: its ``decide`` step is ``outcome_record``'s.
    outcome: PlannedOutcome | None = None

    @property
    def state(self) -> lc.EscalationState:
        return self.transitions[-1].state


#: Which service each step is, for the audit entry's detail.
SERVICE_OF = {
    "contact": "escalation_record_contact",
    "event": "escalation_record_event",
    "duty": "escalation_meet_obligation",
    "view": "escalation_record_view",
    "correct": "entry_correct",
    "bring-forward": "escalation_bring_forward",
    "escalate": "escalation_escalate",
    "resolve": "escalation_resolve",
    "confirm": "escalation_confirm",
    "withdraw": "escalation_withdraw",
    "decide": "escalation_decide",
}


def raise_transition(world: World, data: cs.NewEscalation, raised_on: dt.date) -> lc.Transition:
    """The rules core's raise, called as ``services.escalation_raise`` calls it."""
    return lc.raise_escalation(
        world.procedure,
        outset_on=data.outset_on,
        raised_on=raised_on,
        at_stage=data.start_stage,
        immediate_risk_reason=data.immediate_risk_reason if data.immediate_risk else None,
        calendar=world.calendar,
        due_on=data.due_on if data.immediate_risk else None,
        due_reason=data.due_reason,
    )


def step_transition(world: World, state: lc.EscalationState, step: Step) -> lc.Transition:
    """The rules core's transition for a step, called as the step's service calls it."""
    p, a, on = world.procedure, step.args, step.on
    match step.action:
        case "contact":
            return lc.record_contact(
                p,
                state,
                occurred_on=a["occurred_on"],
                recorded_on=on,
                kind=a["method"],
                contact_by=a["contact_by"],
                contact_with=a["contact_with"],
                summary=a["summary"],
                agreed=a["agreed"],
                decision_makers=a["decision_makers"],
            )
        case "event":
            return lc.record_event(p, state, event=a["event"], occurred_on=on)
        case "duty":
            return lc.meet_obligation(p, state, obligation=a["obligation"], met_on=on)
        case "view":
            return lc.give_view(state, view=a["view"], given_on=on)
        case "correct":
            return lc.correct_entry(state, sequence=a["sequence"], text=a["text"], corrected_on=on)
        case "bring-forward":
            return lc.set_protective_due(
                p,
                state,
                world.calendar,
                stage=state.current.number,
                due_on=a["due_on"],
                reason=a["reason"],
                today=on,
            )
        case "escalate":
            return lc.escalate(p, state, escalated_on=on, reason=a["reason"])
        case "resolve":
            return lc.resolve(p, state, resolved_on=on, outcome=a["outcome"])
        case "confirm":
            return lc.confirm_in_writing(p, state, confirmed_on=on, confirmed_by=a["confirmed_by"])
        case "withdraw":
            return lc.withdraw(p, state, withdrawn_on=on, reason=a["reason"])
        case "decide":
            return lc.decide(p, state, decided_on=on, decision=a["decision"])
    raise ValueError(f"unknown step {step.action!r}")


def replay_through_services(planned: Planned) -> Escalation:
    """The same escalation made through the real services, as the people who act, its forms
    and panels among them: what the generator stores must be what this stores (the tests
    compare them)."""
    replay = _Replay(planned)
    esc = cs.escalation_raise(
        actor=Actor.of(planned.raiser.user), data=planned.data, today=planned.raised_on
    )
    replay.papers(esc, 1)
    for k, step in enumerate(planned.steps, start=2):
        if step.action == "decide" and planned.outcome is not None:
            esc = replay.outcome(esc, step, planned.outcome, planned.made_at[k - 1])
        else:
            esc = _service_step(esc, step)
        replay.papers(esc, k)
    return esc


def _service_step(esc: Escalation, step: Step) -> Escalation:
    a = step.args
    common: dict[str, Any] = {
        "actor": Actor.of(step.actor.user),
        "escalation": esc,
        "version": esc.version,
        "today": step.on,
    }
    match step.action:
        case "contact":
            return cs.escalation_record_contact(
                **common,
                occurred_on=a["occurred_on"],
                method=a["method"],
                contact_by=a["contact_by"],
                contact_with=a["contact_with"],
                summary=a["summary"],
                agreed=a["agreed"],
                decision_makers=a["decision_makers"],
            )
        case "event":
            return cs.escalation_record_event(**common, on=step.on, event=a["event"])
        case "duty":
            return cs.escalation_meet_obligation(**common, on=step.on, obligation=a["obligation"])
        case "view":
            return cs.escalation_record_view(**common, view=a["view"])
        case "correct":
            return cs.entry_correct(**common, sequence=a["sequence"], text=a["text"])
        case "bring-forward":
            return cs.escalation_bring_forward(**common, due_on=a["due_on"], reason=a["reason"])
        case "escalate":
            return cs.escalation_escalate(**common, on=step.on, reason=a["reason"])
        case "resolve":
            return cs.escalation_resolve(**common, on=step.on, outcome=a["outcome"])
        case "confirm":
            return cs.escalation_confirm(**common, on=step.on, confirmed_by=a["confirmed_by"])
        case "withdraw":
            return cs.escalation_withdraw(**common, on=step.on, reason=a["reason"])
        case "decide":
            return cs.escalation_decide(**common, on=step.on, decision=a["decision"])
    raise ValueError(f"unknown step {step.action!r}")


def _who(person: Person) -> str:
    return f"{person.name}, {person.job_title}, {person.agency.name}"


class _Simulator:
    """Plans the escalations of one partnership, each step taken through the rules core as it
    is chosen, so that every choice fits the state the escalation is in."""

    def __init__(
        self,
        world: World,
        rng: random.Random,
        today: dt.date,
        latest: dt.datetime,
        paper_rng: random.Random | None = None,
    ) -> None:
        self.world = world
        self.rng = rng
        #: The forms' and panels' own generator: they are planned after the escalation's
        #: calls, from what those did, so that adding them changes none of the escalations.
        self.paper_rng = paper_rng or random.Random(world.partnership.pk)  # noqa: S311
        #: What the forms' signing rules read of each escalation (``_Paperwork._case``).
        self.scratch = Escalation(partnership_id=world.partnership.pk)
        self.scratch_parties: list[Party] = []
        self.today = today
        self.latest = latest  # no step is made after this moment
        self.procedure = world.procedure
        self.calendar = world.calendar
        self.top = self.procedure.top
        self.story = world.stories[0]
        self.day = today
        self.moment = latest
        self.holders: dict[tuple[int, int], Person] = {}
        self.unit_holds: dict[int, bool] = {}
        self.by_type: dict[str, list[Agency]] = {}
        for agency in world.agencies:
            self.by_type.setdefault(agency.agency_type, []).append(agency)

    # -- dates ----------------------------------------------------------------------------
    def working_days_back(self, n: int) -> dt.date:
        day = self.today
        while n or not self.calendar.is_working_day(day):
            day -= dt.timedelta(days=1)
            if self.calendar.is_working_day(day) and n:
                n -= 1
        return day

    def later(self, day: dt.date, gap: int) -> dt.date:
        return min(self.calendar.add_working_days(day, gap), self.today)

    # -- one escalation ---------------------------------------------------------------------
    def escalation(self, reference: str, subject_reference: str) -> Planned:
        rng = self.rng
        status = rng.choices(list(STATUS_WEIGHTS), weights=list(STATUS_WEIGHTS.values()))[0]
        immediate = self.top >= 3 and rng.random() < IMMEDIATE_RISK
        start = 1 if not immediate else rng.choice(range(2, self.top))
        final = self.top if status == "decided" else self._final_stage(start)
        if status == "open":
            # Most open escalations are recent: the older an open one, the rarer.
            back = min(rng.randrange(OPEN_WITHIN_WORKING_DAYS) for _ in range(2))
            outset = self.working_days_back(back)
        else:
            outset = self.today - dt.timedelta(days=rng.randrange(*CLOSED_DAYS))
        raised_on = self.later(outset, rng.choice((0, 0, 1)) if not immediate else 1)
        story = rng.choice(self.world.stories)
        raising, receiving = self._agencies(story)
        raiser = rng.choice(self.world.practitioners[raising.pk])
        if immediate:
            raiser = self._party_holder(raiser, start)
        receiver = rng.choice(self.world.practitioners[receiving.pk])
        data = self._new_escalation(
            story, raising, receiving, receiver, outset, immediate, start, subject_reference
        )
        if immediate and rng.random() < LATER_DUE:
            ordinary = self._ordinary_due(data, raised_on)
            later = self.calendar.add_working_days(raised_on, 1)
            if ordinary is None or later <= ordinary:
                data = replace(
                    data,
                    due_on=later,
                    due_reason="The family is safe tonight with a relative; the meeting the "
                    "stage needs is tomorrow.",
                )
        planned = Planned(self.world, reference, raiser, receiver, data, raised_on)
        self.story = story
        self.day = raised_on
        self.moment = dt.datetime.combine(raised_on, dt.time(8, 30), tzinfo=ZONE)
        self._made(planned, raise_transition(self.world, data, raised_on))
        self._run(planned, final, status)
        _Paperwork(self, planned).plan()
        return planned

    def _final_stage(self, start: int) -> int:
        stages = list(range(start, self.top + 1))
        weights = [STAGE_WEIGHTS[min(s - 1, len(STAGE_WEIGHTS) - 1)] for s in stages]
        return self.rng.choices(stages, weights=weights)[0]

    def _agencies(self, story: Story) -> tuple[Agency, Agency]:
        by_type = self.by_type
        raising_types = [
            t
            for t in story.raising
            if t in by_type and any(r in by_type and r != t for r in story.receiving)
        ]
        raising = by_type[self.rng.choice(raising_types)][0]
        receiving_types = [t for t in story.receiving if t in by_type and t != raising.agency_type]
        return raising, by_type[self.rng.choice(receiving_types)][0]

    def _ordinary_due(self, data: cs.NewEscalation, raised_on: dt.date) -> dt.date | None:
        state = lc.EscalationState(
            procedure_key=self.procedure.key,
            outset_on=data.outset_on,
            raised_on=raised_on,
            start_stage=data.start_stage,
            immediate_risk_reason=None,
            status=lc.Status.OPEN,
            stages=(lc.StageState(data.start_stage, raised_on),),
        )
        plan = clock.plan(self.procedure, self.calendar, state.facts())
        return plan.stage(data.start_stage).rule_due_on

    def _new_escalation(
        self,
        story: Story,
        raising: Agency,
        receiving: Agency,
        receiver: Person,
        outset: dt.date,
        immediate: bool,
        start: int,
        subject_reference: str,
    ) -> cs.NewEscalation:
        rng = self.rng
        categories = [c.id for c in self.procedure.categories]
        preferred = [c for c in story.categories if c in categories]
        category = preferred[0] if preferred and rng.random() < 0.7 else rng.choice(categories)
        others = [a for a in self.world.agencies if a.pk not in (raising.pk, receiving.pk)]
        extra = (rng.choice(others).pk,) if others and rng.random() < EXTRA_PARTY else ()
        name = f"{rng.choice(SUBJECT_FIRST)} {rng.choice(SUBJECT_SURNAMES)}"
        if story.kind == SubjectKind.CHILD:
            name += f" (aged {rng.randrange(1, 17)})"
        nhs = subject_reference[0].isdigit()
        return cs.NewEscalation(
            subject_kind=story.kind,
            subject_name=name,
            subject_reference_kind=ReferenceKind.NHS_NUMBER if nhs else ReferenceKind.PID,
            subject_reference=subject_reference,
            category=category,
            source=story.source,
            source_detail="A report from another agency" if story.source == Source.OTHER else "",
            receiving_agency_id=receiving.pk,
            receiving_practitioner=f"{receiver.name}, {receiver.job_title}",
            issue=story.issue,
            risk=story.risk,
            aim=story.aim,
            outset_on=outset,
            immediate_risk=immediate,
            immediate_risk_reason=(
                f"{story.risk} The risk is immediate: the matter goes straight to stage {start}."
                if immediate
                else ""
            ),
            route_taken=(
                "Emergency services called and the safeguarding team told the same day."
                if immediate
                else ""
            ),
            start_stage=start,
            other_agency_ids=extra,
        )

    # -- who acts -----------------------------------------------------------------------------
    def _business_unit_holds(self, stage: int) -> bool:
        if stage not in self.unit_holds:
            manager = self.world.business_manager
            self.unit_holds[stage] = holds_stage(manager, self.procedure, stage)
        return self.unit_holds[stage]

    def _party_holder(self, person: Person, stage: int) -> Person:
        """The first of the person and their line managers whose level acts at the stage (the
        most senior of them for a stage no party's level acts at)."""
        key = (person.pk, stage)
        if key not in self.holders:
            levels = self.procedure.stage(stage).levels
            ranks = [LEVEL_RANK[lv] for lv in levels if lv in LEVEL_RANK]
            chain = _chain(person)
            self.holders[key] = (
                next(p for p in chain if LEVEL_RANK[Level(p.level)] >= min(ranks))
                if ranks
                else chain[-1]
            )
        return self.holders[key]

    def _actor(self, person: Person, stage: int) -> Person:
        """Who acts at a stage for the side ``person`` starts: the business unit at a stage it
        records (a chair's or panel's), else the party's holder."""
        if self._business_unit_holds(stage):
            return self.world.business_manager
        return self._party_holder(person, stage)

    # -- the steps -----------------------------------------------------------------------------
    def _made(self, planned: Planned, transition: lc.Transition) -> None:
        base = dt.datetime.combine(self.day, dt.time(8, 30), tzinfo=ZONE)
        moment = base + dt.timedelta(minutes=self.rng.randrange(480))
        self.moment = min(max(moment, self.moment + dt.timedelta(minutes=1)), self.latest)
        planned.transitions.append(transition)
        planned.made_at.append(self.moment)

    def _step(self, planned: Planned, action: str, actor: Person, **args: Any) -> None:
        step = Step(action, actor, self.day, args)
        transition = step_transition(self.world, planned.state, step)
        planned.steps.append(step)
        self._made(planned, transition)

    def _advance(self, low: int, high: int) -> None:
        self.day = self.later(self.day, self.rng.randint(low, high))

    def _run(self, planned: Planned, final: int, status: str) -> None:
        stage = planned.data.start_stage
        while True:
            self._at_stage(planned, stage)
            if stage == final:
                break
            self._advance(1, 3)
            actor = self._actor(planned.raiser, stage)
            self._step(
                planned,
                "escalate",
                actor,
                reason=f"Not resolved at stage {stage}: {self.story.receiving_view} "
                f"{actor.name} escalates to stage {stage + 1} "
                f"({self.procedure.stage(stage + 1).name}).",
            )
            stage += 1
        self._advance(0, 2)
        if status == "resolved":
            self._resolve(planned, stage)
        elif status == "withdrawn":
            self._step(
                planned, "withdraw", planned.raiser, reason=self.rng.choice(WITHDRAWN_BECAUSE)
            )
        elif status == "decided":
            produces = self.procedure.top_stage.produces.value.replace("-", " ")
            self._step(
                planned,
                "decide",
                self._actor(planned.raiser, stage),
                decision=f"The {self.procedure.stage(stage).name} made its {produces}: "
                f"{self.story.aim} Both agencies to report progress to the business unit within "
                "four weeks; the learning is shared at the next board meeting.",
            )

    def _at_stage(self, planned: Planned, stage: int) -> None:
        """What happens while the escalation is open at a stage: a contact, then perhaps the
        stage's events, duties done, a view, an earlier due date, a correction."""
        rng = self.rng
        self._contact(planned, stage)
        for event in self.procedure.events_at(stage):
            if rng.random() < (0.9 if stage == self.top else P_EVENT):
                self._advance(0, 1)
                self._step(planned, "event", self._actor(planned.raiser, stage), event=event.id)
        for duty in lc.doable_obligations(self.procedure, planned.state):
            if rng.random() < P_DUTY:
                self._step(planned, "duty", self._actor(planned.raiser, stage), obligation=duty.id)
        if rng.random() < P_VIEW:
            self._step(
                planned,
                "view",
                self._party_holder(planned.receiver, stage),
                view=self.story.receiving_view,
            )
        if self.procedure.stage(stage).protective_timescale and rng.random() < P_BRING_FORWARD:
            self._bring_forward(planned, stage)
        if rng.random() < P_CORRECTION:
            written = sum(
                1
                for t in planned.transitions
                for e in t.events
                if type(e) not in recording.UNRECORDED_EVENTS
            )
            self._step(
                planned,
                "correct",
                self._actor(planned.raiser, stage),
                sequence=rng.randrange(1, written + 1),
                text=rng.choice(CORRECTIONS),
            )

    def _contact(self, planned: Planned, stage: int) -> None:
        rng = self.rng
        ours, theirs = planned.raiser, planned.receiver
        if rng.random() < 0.3:
            ours, theirs = theirs, ours
        by = self._actor(ours, stage)
        with_ = self._party_holder(theirs, stage)
        other = with_.agency.name
        self._advance(0, 2)
        self._step(
            planned,
            "contact",
            by,
            occurred_on=self.day,
            method=rng.choice(METHODS),
            contact_by=_who(by),
            contact_with=_who(with_),
            summary=f"Stage {stage} ({self.procedure.stage(stage).name}). {self.story.discussion}"
            f" {other}'s view: {self.story.receiving_view}",
            agreed=f"Each agency to record the discussion in its case record. {by.name} to "
            f"confirm the next step in writing by "
            f"{self.calendar.add_working_days(self.day, 1):%-d %B %Y}.",
            decision_makers=f"{_who(by)}; {_who(with_)}",
        )

    def _bring_forward(self, planned: Planned, stage: int) -> None:
        plan = clock.plan(self.procedure, self.calendar, planned.state.facts())
        due = plan.stage(stage).due_on
        if due is not None and self.day < due:
            self._step(
                planned,
                "bring-forward",
                self._actor(planned.raiser, stage),
                due_on=self.day,
                reason="New information shows the risk has grown: the stage acts today.",
            )

    def _resolve(self, planned: Planned, stage: int) -> None:
        rng = self.rng
        actor = self._actor(planned.raiser, stage)
        self._step(
            planned,
            "resolve",
            actor,
            outcome=f"Agreed: {self.story.aim} {actor.name} ({actor.job_title}) and the other "
            "agency will review progress in two weeks.",
        )
        if rng.random() >= P_CONFIRMED:
            return
        who = self._party_holder(planned.receiver, stage)
        self._advance(0, 2)
        self._step(
            planned,
            "confirm",
            who,
            confirmed_by=f"{_who(who)}, by e-mail to the raiser and both line managers",
        )
        for duty in lc.doable_obligations(self.procedure, planned.state):
            if duty.tied_to_resolution and rng.random() < P_DUTY_AFTER:
                self._step(planned, "duty", who, obligation=duty.id)


# ---------------------------------------------------------------------------------------
# From transitions to rows


class _Rows:
    """The rows the services would have stored for a batch of planned escalations."""

    def __init__(self) -> None:
        numbered: tuple[type[models.Model], ...] = (*ROW_MODELS, StageFact)
        self.ids = {m: _Ids(m) for m in numbered}
        self.agency_types: dict[int, str] = {}
        self.agency_names: dict[int, str] = {}
        self.directory = recipients.Directory()  # who a sent form goes to, read once
        self.clear()
        self.audit: list[AuditLine] = []
        self.counts: Counter[str] = Counter()

    def clear(self) -> None:
        self.escalations: list[Escalation] = []
        self.entries: list[Entry] = []
        self.rows: dict[type[models.Model], list[Row]] = {m: [] for m in ROW_MODELS[1:]}
        self.rows.pop(Entry)
        self.escalation_facts: list[Row] = []
        self.stage_facts: list[Row] = []

    def row(self, model: type[models.Model], **values: Any) -> Row:
        """A new row of the model's table, with an id from its sequence."""
        row = Row(id=self.ids[model].take(), **values)
        self.rows[model].append(row)
        return row

    def add(self, planned: Planned) -> None:
        world, data, state = planned.world, planned.data, planned.state
        if world.agencies[0].pk not in self.agency_names:
            self.agency_types |= {a.pk: a.agency_type for a in world.agencies}
            self.agency_names |= {a.pk: a.name for a in world.agencies}
        derived = rules.derived(world.procedure, world.calendar, state)
        raiser = planned.raiser
        esc = Escalation(
            id=self.ids[Escalation].take(),
            reference=planned.reference,
            partnership_id=world.partnership.pk,
            procedure_key=world.procedure.key,
            **cs.raised_fields(data, state),
            raising_agency_id=raiser.agency_id,
            raising_person=raiser,
            receiving_agency_id=data.receiving_agency_id,
            receiving_person=planned.receiver,  # named uniquely: person_named finds them
            raised_on=planned.raised_on,
            raised_by_id=raiser.user_id,
            status=state.status.value,
            start_stage=state.start_stage,
            current_stage=state.current.number,
            outcome=state.outcome or "",
            closed_on=state.closed_on,
            confirmed_on=state.confirmed_on,
            confirmed_by=state.confirmed_by or "",
            current_due_on=derived.current_due_on,
            next_due_on=derived.next_due_on,
            version=len(planned.transitions),
            created_at=planned.made_at[0],
            updated_at=planned.made_at[-1],
        )
        self.escalations.append(esc)
        roles = [
            (raiser.agency_id, PartyRole.RAISING),
            (data.receiving_agency_id, PartyRole.RECEIVING),
        ]
        roles += [(pk, PartyRole.OTHER) for pk in data.other_agency_ids]
        parties = [
            self.row(Party, escalation_id=esc.pk, agency_id=pk, role=role) for pk, role in roles
        ]
        for s in state.stages:
            self.row(
                Stage,
                escalation_id=esc.pk,
                number=s.number,
                entered_on=s.entered_on,
                left_on=s.left_on,
            )
        for stage, obligation, due_on in sorted(
            {(i.stage or 0, i.obligation or "", i.due_on) for i in derived.items}
        ):
            self.row(
                Deadline,
                escalation_id=esc.pk,
                partnership_id=world.partnership.pk,
                stage=stage,
                obligation=obligation,
                due_on=due_on,
                reminded_on=None,
                overdue_on=None,
            )
        entries, lines = self._entries(planned, esc)
        papers = _PaperRows(self, planned, esc, entries, parties).lines()
        for version, line in enumerate(lines, start=1):
            self.audit.append(line)
            self.audit.extend(papers.get(version, ()))
        self._facts(world, esc, state)
        self.counts[state.status.value] += 1

    def _facts(self, world: World, esc: Escalation, state: lc.EscalationState) -> None:
        """The facts kept for counting, as ``insights.facts.facts_sync`` stores them."""
        facts = core_facts.facts_of(world.procedure, world.calendar, state)
        self.escalation_facts.append(
            Row(
                **escalation_values(esc, facts),
                raising_agency_type=self.agency_types[esc.raising_agency_id],
                receiving_agency_type=self.agency_types[esc.receiving_agency_id],
            )
        )
        self.stage_facts += [
            Row(id=self.ids[StageFact].take(), **stage_values(esc, s)) for s in facts.stages
        ]

    def _entries(self, planned: Planned, esc: Escalation) -> tuple[list[Entry], list[AuditLine]]:
        """Each transition's events as entries (``recording.entry_of``, as the services store
        them), and the audit entry of each service call."""
        by_sequence: dict[int, Entry] = {}
        lines: list[AuditLine] = []
        actors = [planned.raiser, *(s.actor for s in planned.steps)]
        services = ["escalation_raise", *(SERVICE_OF[s.action] for s in planned.steps)]
        for version, (transition, actor, at, service) in enumerate(
            zip(planned.transitions, actors, planned.made_at, services, strict=True), start=1
        ):
            sequences = []
            for event in transition.events:
                entry = recording.entry_of(event, by_sequence=by_sequence)
                if entry is None:
                    continue
                entry.id = self.ids[Entry].take()
                entry.escalation_id = esc.pk
                entry.sequence = len(by_sequence) + 1
                entry.version = version
                entry.recorded_at = at
                entry.author_id = actor.user_id
                entry.author_name = actor.name
                entry.author_agency = actor.agency.name
                by_sequence[entry.sequence] = entry
                sequences.append(entry.sequence)
                self.entries.append(entry)
            detail: dict[str, Any] = {
                "service": service,
                "stage": transition.state.current.number,
            }
            if version > 1:
                detail |= {"status": transition.state.status.value, "version": version}
            detail |= {"entries": sequences, "actor": "person"}
            lines.append(
                AuditLine(
                    at=at,
                    actor=actor.user,
                    action=AuditAction.ESCALATION_RAISED
                    if version == 1
                    else AuditAction.ESCALATION_CHANGED,
                    object_type=ObjectType.ESCALATION,
                    object_ref=esc.reference,
                    partnership_id=esc.partnership_id,
                    detail=detail,
                )
            )
        return list(by_sequence.values()), lines

    def write(self) -> None:
        tables: tuple[tuple[type[models.Model], Sequence[object]], ...] = (
            (Escalation, self.escalations),
            (Entry, self.entries),
            *((m, self.rows[m]) for m in ROW_MODELS if m in self.rows),
            (EscalationFact, self.escalation_facts),
            (StageFact, self.stage_facts),
        )
        self.counts["draft"] += sum(v.status == "draft" for v in self.rows[FormVersion])
        for model, rows in tables:
            write_rows(model, rows)
            self.counts[model._meta.model_name or ""] += len(rows)
        self.clear()


# ---------------------------------------------------------------------------------------
# The audit trail: the one place the generator writes it


def write_audit(lines: list[AuditLine]) -> int:
    """Append the audit entries through the audit app's bulk append, in the order of their
    times (each partnership's chain in order). The one place the generator writes the trail:
    ``AuditEntry.objects.bulk_create`` is refused by design."""
    from escalate.audit.services import AuditDraft, append_many

    lines = sorted(lines, key=lambda line: line.at)
    return append_many(
        AuditDraft(
            actor=line.actor,
            action=line.action,
            object_type=line.object_type,
            object_ref=line.object_ref,
            partnership_id=line.partnership_id,
            ip=line.ip,
            result=line.result,
            detail=line.detail,
            at=line.at,
        )
        for line in lines
    )


# ---------------------------------------------------------------------------------------
# The run


@dataclass
class ScaleResult:
    partnerships: list[str] = field(default_factory=list)
    agencies: int = 0
    people: int = 0
    stage_contacts: int = 0
    benchmark_accounts: list[str] = field(default_factory=list)
    counts: Counter[str] = field(default_factory=Counter)
    audit_entries: int = 0
    seconds: dict[str, float] = field(default_factory=dict)
    #: Every planned escalation (only with ``keep_plans``: the tests replay some).
    plans: list[Planned] = field(default_factory=list)


class AlreadyThereError(RuntimeError):
    pass


def _references(rng: random.Random) -> Iterator[str]:
    """Escalation references as ``new_reference`` makes them, from the seeded generator, never
    one already in the database or given out in this run."""
    alphabet = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
    taken = set(Escalation.objects.values_list("reference", flat=True))
    while True:
        chars = "".join(rng.choices(alphabet, k=8))
        reference = f"ESC-{chars[:4]}-{chars[4:]}"
        if reference not in taken:
            taken.add(reference)
            yield reference


def _subject_references(rng: random.Random) -> Iterator[str]:
    """NHS numbers from the 999 range (never issued) and case system numbers, in turn."""
    for n in itertools.count():
        if n % 2:
            while True:
                digits = f"999{rng.randrange(1_000_000):06d}"
                check = nhs_check_digit(digits)
                if check is not None:
                    break
            yield format_nhs_number(f"{digits}{check}")
        else:
            yield f"PID-{rng.randrange(100_000, 999_999)}"


def generate(
    *,
    escalations: int = DEFAULT_ESCALATIONS,
    partnerships: int = DEFAULT_PARTNERSHIPS,
    seed: int = DEFAULT_SEED,
    today: dt.date,
    add: bool = False,
    keep_plans: bool = False,
    progress: Callable[[str], None] | None = None,
) -> ScaleResult:
    """Generate the data set in one transaction (nothing is left half-made)."""
    existing = Escalation.objects.count()
    if existing and not add:
        raise AlreadyThereError(ALREADY_THERE.format(count=existing))
    used = list(
        Partnership.objects.filter(slug__startswith=f"{SCALE_SLUG_PREFIX}{seed}-").values_list(
            "slug", flat=True
        )
    )
    if used:
        raise AlreadyThereError(SEED_USED.format(seed=seed, slugs=", ".join(used)))
    say = progress or (lambda _text: None)
    result = ScaleResult()
    rng = random.Random(seed)  # noqa: S311 - invented data, the same for the same seed
    latest = max(
        dt.datetime.now(tz=ZONE) - dt.timedelta(minutes=1),
        dt.datetime.combine(today, dt.time(0, 0), tzinfo=ZONE),
    )
    if today < dt.datetime.now(tz=ZONE).date():
        latest = dt.datetime.combine(today, dt.time(18, 0), tzinfo=ZONE)
    with transaction.atomic():
        started = time.perf_counter()
        directory = _Directory(seed, rng, today)
        ids = rules.registry().ids()
        shares = _shares(escalations, partnerships)
        worlds = [
            directory.partnership(k, rules.registry().get(ids[k % len(ids)]), shares[k])
            for k in range(partnerships)
        ]
        directory.write()
        result.partnerships = [w.partnership.short_name for w in worlds]
        result.agencies = sum(len(w.agencies) + 1 for w in worlds)
        result.people = len(directory.people)
        result.stage_contacts = len(directory.contacts)
        result.benchmark_accounts = [a for w in worlds for a in w.benchmark_accounts]
        result.seconds["directory"] = time.perf_counter() - started
        say(f"Directory: {result.people:,} people in {result.seconds['directory']:.1f} s")

        started = time.perf_counter()
        rows = _Rows()
        references, subjects = _references(rng), _subject_references(rng)
        paper_rng = random.Random(f"{seed}:papers")  # noqa: S311 - invented data
        simulators = [_Simulator(w, rng, today, latest, paper_rng) for w in worlds]
        order = [k for k, n in enumerate(shares) for _ in range(n)]
        rng.shuffle(order)
        for done, k in enumerate(order, start=1):
            planned = simulators[k].escalation(next(references), next(subjects))
            rows.add(planned)
            if keep_plans:
                result.plans.append(planned)
            if done % BATCH == 0:
                rows.write()
                say(f"  {done:,} escalations ({time.perf_counter() - started:.0f} s)")
        rows.write()
        result.seconds["escalations"] = time.perf_counter() - started

        started = time.perf_counter()
        result.audit_entries = write_audit(rows.audit)
        result.seconds["audit"] = time.perf_counter() - started
        result.counts = rows.counts
    if connection.vendor == "postgresql":
        started = time.perf_counter()
        # VACUUM the tables the lists' index-only scans read: it sets their visibility map,
        # without which those scans visit the table for every row (autovacuum reaches that
        # steady state in production; measured without it, the home page's counts took three
        # times as long). Inside a transaction (a test's) only ANALYZE can run.
        with connection.cursor() as cursor:
            if not connection.in_atomic_block:
                cursor.execute("VACUUM (ANALYZE) cases_escalation, cases_party")
            cursor.execute("ANALYZE")
        result.seconds["analyze"] = time.perf_counter() - started
    return result


def _shares(escalations: int, partnerships: int) -> list[int]:
    """The escalations of each partnership: as even as they divide."""
    base, extra = divmod(escalations, partnerships)
    return [base + (1 if k < extra else 0) for k in range(partnerships)]


def summary_lines(result: ScaleResult) -> Iterable[str]:
    c = result.counts
    statuses = ", ".join(f"{c[s]:,} {s}" for s in STATUS_WEIGHTS)
    yield f"Partnerships: {', '.join(result.partnerships)}"
    yield (
        f"Made {result.agencies:,} agencies, {result.people:,} people (each with an account), "
        f"{result.stage_contacts:,} stage contacts"
    )
    yield f"Escalations: {c['escalation']:,} ({statuses})"
    yield (
        f"  with {c['party']:,} parties, {c['stage']:,} stages, {c['entry']:,} entries, "
        f"{c['deadline']:,} deadlines and {result.audit_entries:,} audit entries"
    )
    yield (
        f"  forms: {c['formrecord']:,} ({c['formversion']:,} versions, {c['draft']:,} still "
        f"drafts, {c['signature']:,} signatures); panels: {c['panel']:,} "
        f"({c['panelmember']:,} members); outcomes: {c['outcome']:,} "
        f"({c['recommendation']:,} recommendations, {c['recommendationresponse']:,} responses)"
    )
    took = ", ".join(f"{k} {v:.1f} s" for k, v in result.seconds.items())
    yield f"Took {sum(result.seconds.values()):.1f} s ({took})"
    managers = [a for a in result.benchmark_accounts if a.endswith(".business-manager")]
    yield (
        f"Benchmark accounts, password {SCALE_PASSWORD} (every other account has none): "
        f"{', '.join(managers)}, and practitioner 1 of each agency "
        f"({len(result.benchmark_accounts) - len(managers)}, e.g. "
        f"{next(a for a in result.benchmark_accounts if a not in managers)})"
    )
