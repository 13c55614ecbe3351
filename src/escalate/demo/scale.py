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
- :class:`_Paperwork` then plans the calls to the forms' and panels' services around the
  escalation's own (:class:`Paper`: who, on which day, between which of the escalation's calls),
  from a random generator of their own, so that the escalations are those the same seed gave
  before they were added: the signers through the signing rules
  (``documents.signers.signed_as``), the panel's members through the rules core's
  ``panels.check``; and :class:`_PaperRows` turns them into the rows and audit entries those
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
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from types import SimpleNamespace
from typing import Any
from zoneinfo import ZoneInfo

from django.contrib.auth.hashers import UNUSABLE_PASSWORD_PREFIX, make_password
from django.db import connection, models, transaction

from escalate.accounts.models import User
from escalate.audit.models import AuditAction, AuditResult, ObjectType
from escalate.cases import recording, rules
from escalate.cases import services as cs
from escalate.cases.access import holds_stage
from escalate.cases.actors import Actor
from escalate.cases.models import (
    ContactMethod,
    Deadline,
    Entry,
    EntryKind,
    Escalation,
    Party,
    PartyRole,
    ReferenceKind,
    Source,
    Stage,
    SubjectKind,
)
from escalate.cases.nhs import format_nhs_number, nhs_check_digit
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
from escalate.documents import signers as form_signers
from escalate.documents.models import FormRecord, FormVersion, Signature, VersionStatus
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
from escalate.procedures import forms as form_core
from escalate.procedures import lifecycle as lc
from escalate.procedures import panels as panel_core
from escalate.procedures.calendar import WorkingCalendar
from escalate.procedures.schema import (
    AgencyType,
    Division,
    FieldType,
    Form,
    FormField,
    Level,
    PanelKind,
    Procedure,
    Protects,
    Side,
    Signer,
    SignerKind,
    TopOutcome,
)
from escalate.procedures.schema import Panel as PanelDefinition

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
ZONE = ZoneInfo("Europe/London")

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
# Writing rows fast


class _Ids:
    """Ids for new rows of one table, taken from its own sequence a block at a time, so that
    rows can be linked before they are written (and the sequence stays ahead of them)."""

    def __init__(self, model: type[models.Model], block: int = 10_000) -> None:
        self.table = model._meta.db_table
        self.block = block
        self.free: list[int] = []
        self.next_free = 0
        if connection.vendor != "postgresql":
            with connection.cursor() as cursor:
                cursor.execute(f'SELECT MAX(id) FROM "{self.table}"')  # noqa: S608 - a table name
                self.next_free = (cursor.fetchone()[0] or 0) + 1

    def take(self) -> int:
        if connection.vendor != "postgresql":
            self.next_free += 1
            return self.next_free - 1
        if not self.free:
            with connection.cursor() as cursor:
                cursor.execute(
                    "SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)",
                    [self.table, self.block],
                )
                self.free = [row[0] for row in cursor.fetchall()]
                self.free.reverse()
        return self.free.pop()


def write_rows(model: type[models.Model], objects: Sequence[object]) -> None:
    """Insert rows as they are (every column, ids included, no ``save()``, no ``auto_now``):
    model instances, or plain objects with an attribute for each of the model's columns
    (:class:`Row`, much cheaper to make). ``COPY`` on PostgreSQL, ``executemany`` elsewhere."""
    if not objects:
        return
    fields = model._meta.concrete_fields
    quote = connection.ops.quote_name
    table = quote(model._meta.db_table)
    columns = ", ".join(quote(str(f.column)) for f in fields)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            raw = cursor.cursor  # psycopg's own cursor, in Django's transaction
            # JSON goes as the field adapts it; everything else as it is.
            adapt = [
                (lambda v, f=f: f.get_db_prep_save(v, connection))
                if isinstance(f, models.JSONField)
                else None
                for f in fields
            ]
            with raw.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
                for obj in objects:
                    copy.write_row(
                        [
                            getattr(obj, f.attname) if a is None else a(getattr(obj, f.attname))
                            for f, a in zip(fields, adapt, strict=True)
                        ]
                    )
            return
        marks = ", ".join(["%s"] * len(fields))
        cursor.executemany(
            f"INSERT INTO {table} ({columns}) VALUES ({marks})",  # noqa: S608 - model metadata
            [
                [f.get_db_prep_save(getattr(o, f.attname), connection) for f in fields]
                for o in objects
            ],
        )


class Row(SimpleNamespace):
    """A row of a model's table, by attribute name (``escalation_id``), for :func:`write_rows`."""


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


def _chain(person: Person) -> list[Person]:
    """The person and their line managers, up to the most senior."""
    chain = [person]
    while chain[-1].line_manager is not None:
        chain.append(chain[-1].line_manager)
    return chain


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
# From transitions to rows


@dataclass(frozen=True)
class AuditLine:
    """One audit entry to write: what ``audit_record`` takes, and when (``at``). The same
    fields as ``escalate.audit.services.AuditDraft``."""

    at: dt.datetime
    actor: object
    action: str
    object_type: str
    object_ref: str
    partnership_id: int | None
    detail: dict[str, Any]
    ip: str | None = None
    result: str = AuditResult.SUCCESS


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
