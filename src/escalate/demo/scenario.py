"""Demo data: one fictional partnership per built-in procedure, with people and escalations.

Everything here is invented: the places, agencies, people and cases. It runs only when
``settings.ESCALATE_DEMO`` is on. A demo partnership that already exists is left as it is, so
running it twice changes nothing; ``reset=True`` deletes the demo partnerships (and only them)
and builds them again, with dates relative to today.

Escalations are made through the cases services, as the people who hold each stage, so their
due dates, stages and timelines are exactly what the service would have recorded.
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.db import transaction

from escalate import timekeeping
from escalate.cases import rules
from escalate.cases import services as cs
from escalate.cases.actors import Actor
from escalate.cases.models import (
    ContactMethod,
    Entry,
    Escalation,
    ReferenceKind,
    Source,
    Status,
    SubjectKind,
)
from escalate.cases.nhs import format_nhs_number, nhs_check_digit
from escalate.directory.models import (
    LEVEL_LABELS,
    LEVEL_RANK,
    Agency,
    BoardRole,
    PanelSeat,
    Partnership,
    Person,
    StageContact,
)
from escalate.directory.services import stage_role
from escalate.procedures.calendar import WorkingCalendar
from escalate.procedures.registry import BUILT_IN_DIR
from escalate.procedures.schema import (
    AgencyType,
    Anchor,
    Division,
    Level,
    Procedure,
    Protects,
    load_definition,
)

#: The one password of every demo account. Demo only: the demo never runs in production.
DEMO_PASSWORD = "demo-password-2026"  # noqa: S105
DEMO_EMAIL_DOMAIN = "demo.escalate.invalid"
DEMO_SLUG_PREFIX = "demo-"

DEMO_DISABLED = "Demo data can only be loaded when ESCALATE_DEMO is on."


class DemoDisabledError(RuntimeError):
    pass


# ---------------------------------------------------------------------------------------
# The partnerships, agencies and people


@dataclass(frozen=True)
class DemoAgency:
    code: str  # in usernames: northmoor.practitioner.<code>
    name: str
    agency_type: AgencyType


@dataclass(frozen=True)
class DemoPartnership:
    code: str  # in usernames: <code>.practitioner.police
    slug: str
    name: str
    short_name: str
    procedure_id: str
    business_unit: str
    agencies: tuple[DemoAgency, ...]


A = AgencyType
DEMO_PARTNERSHIPS: tuple[DemoPartnership, ...] = (
    DemoPartnership(
        code="northmoor",
        slug="demo-northmoor-sab",
        name="Northmoor Safeguarding Adults Board",
        short_name="Northmoor SAB",
        procedure_id="north-somerset-sab",
        business_unit="Northmoor Safeguarding Adults Board Business Unit",
        agencies=(
            DemoAgency("adults", "Northmoor Council Adult Social Care", A.LOCAL_AUTHORITY_ADULTS),
            DemoAgency("health", "Northmoor Community Health NHS Trust", A.PRIMARY_HEALTH),
            DemoAgency(
                "hospital", "Northmoor General Hospital NHS Foundation Trust", A.SECONDARY_HEALTH
            ),
            DemoAgency("police", "Northmoor Police", A.POLICE),
            DemoAgency("housing", "Riverside Housing", A.HOUSING),
        ),
    ),
    DemoPartnership(
        code="eastmarsh",
        slug="demo-eastmarsh-scp-sab",
        name="Eastmarsh Safeguarding Children Partnership and Safeguarding Adults Board",
        short_name="Eastmarsh SCP and SAB",
        procedure_id="north-east-lincolnshire",
        business_unit="Eastmarsh Safeguarding Partnerships Business Unit",
        agencies=(
            DemoAgency(
                "children", "Eastmarsh Council Children's Services", A.LOCAL_AUTHORITY_CHILDREN
            ),
            DemoAgency("adults", "Eastmarsh Council Adult Social Care", A.LOCAL_AUTHORITY_ADULTS),
            DemoAgency("gp", "Eastmarsh Primary Care Network", A.PRIMARY_HEALTH),
            DemoAgency("hospital", "Eastmarsh and Fenby Hospitals NHS Trust", A.SECONDARY_HEALTH),
            DemoAgency("police", "Eastmarsh Police", A.POLICE),
            DemoAgency("school", "St Anne's Primary School", A.SCHOOL_OR_EARLY_YEARS),
        ),
    ),
    DemoPartnership(
        code="southvale",
        slug="demo-southvale-cp",
        name="Southvale Children's Partnership",
        short_name="Southvale CP",
        procedure_id="south-gloucestershire-cp",
        business_unit="Southvale Strategic Safeguarding Service",
        agencies=(
            DemoAgency(
                "children", "Southvale Council Children's Services", A.LOCAL_AUTHORITY_CHILDREN
            ),
            DemoAgency("health", "Southvale Community Health NHS Trust", A.PRIMARY_HEALTH),
            DemoAgency("hospital", "Southvale Royal Infirmary NHS Trust", A.SECONDARY_HEALTH),
            DemoAgency("police", "Southvale Police", A.POLICE),
            DemoAgency("school", "Brookfield Academy", A.SCHOOL_OR_EARLY_YEARS),
            DemoAgency("voluntary", "Southvale Family Support", A.VOLUNTARY_SECTOR),
        ),
    ),
    DemoPartnership(
        code="westbridge",
        slug="demo-westbridge-sab",
        name="Westbridge Safeguarding Adults Board",
        short_name="Westbridge SAB",
        procedure_id="redbridge-sab",
        business_unit="Westbridge Safeguarding Adults Board Business Unit",
        agencies=(
            DemoAgency("adults", "Westbridge Council Adult Social Care", A.LOCAL_AUTHORITY_ADULTS),
            DemoAgency("health", "Westbridge Community Health NHS Trust", A.PRIMARY_HEALTH),
            DemoAgency("hospital", "Westbridge University Hospital NHS Trust", A.SECONDARY_HEALTH),
            DemoAgency("police", "Westbridge Police", A.POLICE),
            DemoAgency("housing", "Westbridge Homes", A.HOUSING),
        ),
    ),
    DemoPartnership(
        code="wearhaven",
        slug="demo-wearhaven-sab",
        name="Wearhaven Safeguarding Adults Board",
        short_name="Wearhaven SAB",
        procedure_id="sunderland-sab",
        business_unit="Wearhaven Safeguarding Adults Board Strategic Safeguarding Team",
        agencies=(
            DemoAgency("adults", "Wearhaven Council Adult Social Care", A.LOCAL_AUTHORITY_ADULTS),
            DemoAgency("gp", "Wearhaven GP Federation", A.PRIMARY_HEALTH),
            DemoAgency(
                "hospital", "Wearhaven Royal Hospital NHS Foundation Trust", A.SECONDARY_HEALTH
            ),
            DemoAgency("police", "Wearhaven Police", A.POLICE),
            DemoAgency("probation", "Wearhaven Probation Delivery Unit", A.PROBATION),
            DemoAgency("housing", "Wearhaven Homes", A.HOUSING),
            DemoAgency("voluntary", "Wearhaven Carers' Centre", A.VOLUNTARY_SECTOR),
        ),
    ),
)

#: The directory's levels, most junior first (the six people of every demo agency).
LEVELS: tuple[Level, ...] = tuple(LEVEL_LABELS)

#: Job titles by agency type, one per level in the order of ``LEVELS``.
JOB_TITLES: dict[AgencyType, tuple[str, ...]] = {
    A.LOCAL_AUTHORITY_ADULTS: (
        "Social Worker",
        "Team Manager",
        "Safeguarding Adults Service Manager",
        "Head of Adult Social Care",
        "Assistant Director, Adult Social Care",
        "Director of Adult Social Services",
    ),
    A.LOCAL_AUTHORITY_CHILDREN: (
        "Social Worker",
        "Team Manager",
        "Service Manager",
        "Head of Children's Social Care",
        "Assistant Director, Children's Services",
        "Director of Children's Services",
    ),
    A.PRIMARY_HEALTH: (
        "Community Nurse",
        "Community Nursing Team Leader",
        "Safeguarding Specialist Practitioner",
        "Named Nurse for Safeguarding",
        "Designated Nurse for Safeguarding",
        "Chief Nurse",
    ),
    A.SECONDARY_HEALTH: (
        "Staff Nurse",
        "Ward Manager",
        "Safeguarding Specialist Practitioner",
        "Named Nurse for Safeguarding",
        "Deputy Chief Nurse",
        "Chief Nurse",
    ),
    A.POLICE: (
        "Detective Constable",
        "Detective Sergeant",
        "Detective Inspector",
        "Detective Chief Inspector",
        "Detective Superintendent",
        "Chief Superintendent",
    ),
    A.HOUSING: (
        "Housing Officer",
        "Housing Team Leader",
        "Tenancy Safeguarding Lead",
        "Head of Housing Services",
        "Director of Housing",
        "Chief Executive",
    ),
    A.SCHOOL_OR_EARLY_YEARS: (
        "Class Teacher",
        "Deputy Designated Safeguarding Lead",
        "Head Teacher and Designated Safeguarding Lead",
        "Education Safeguarding Lead",
        "Assistant Director, Education",
        "Chair of Governors",
    ),
    A.VOLUNTARY_SECTOR: (
        "Family Support Worker",
        "Team Leader",
        "Safeguarding Lead",
        "Operations Manager",
        "Director of Services",
        "Chief Executive",
    ),
    A.PROBATION: (
        "Probation Officer",
        "Senior Probation Officer",
        "Safeguarding Lead",
        "Head of Probation Delivery Unit",
        "Deputy Regional Probation Director",
        "Regional Probation Director",
    ),
}

# Invented names, combined in a fixed order: the same run gives the same people.
FIRST_NAMES = (
    "Amara", "Ben", "Carys", "Dev", "Elin", "Farah", "Gareth", "Hana", "Idris", "Jess",
    "Kofi", "Lena", "Marek", "Nia", "Owen", "Priya", "Quinn", "Rhian", "Sami", "Tess",
    "Umar", "Vera", "Wyn", "Xander", "Yasmin", "Zac", "Aled", "Bethan", "Cai", "Dana",
    "Eben", "Freya", "Gwen", "Hugo", "Isla", "Jonah", "Kiran", "Lowri", "Mira", "Nate",
)  # fmt: skip
SURNAMES = (
    "Ashdown", "Birchall", "Calloway", "Dunmore", "Elswick", "Fenwright", "Garside",
    "Holloway", "Ingleby", "Jessop", "Kettering", "Lindqvist", "Marlow", "Northcott",
    "Oakes", "Penhaligon", "Quarrie", "Redfern", "Stanway", "Thursby", "Underhill",
    "Varley", "Whitlock", "Yardley", "Ashworth", "Bramall", "Castell", "Daventry",
    "Eastwood", "Fairholme", "Greaves", "Hartigan", "Ibbotson", "Kershaw", "Lockwood",
    "Merriman", "Newbold", "Ormerod", "Pilling", "Rookwood", "Sallow",
)  # fmt: skip


def _names() -> Iterator[str]:
    """Distinct full names: surnames cycle faster than first names, never repeating a pair."""
    for i in itertools.count():
        yield f"{FIRST_NAMES[i % len(FIRST_NAMES)]} {SURNAMES[(i * 7) % len(SURNAMES)]}"


# ---------------------------------------------------------------------------------------
# Sign-ins


@dataclass(frozen=True)
class DemoSignIn:
    """One demo account, for the sign-in page and the command's summary."""

    partnership: str  # short name
    username: str
    person: str
    level: str  # the level's label, or "Business unit"
    agency: str
    job_title: str
    is_business_unit: bool


def demo_username(partnership_code: str, level: Level | str, agency_code: str) -> str:
    """``northmoor.practitioner.police``: partnership, level, agency."""
    return f"{partnership_code}.{Level(level).value}.{agency_code}"


def business_manager_username(partnership_code: str) -> str:
    return f"{partnership_code}.business-manager"


def demo_email(username: str) -> str:
    return f"{username}@{DEMO_EMAIL_DOMAIN}"


def demo_sign_ins() -> list[DemoSignIn]:
    """Every demo account that exists, by partnership, then business unit, agency and level.
    Empty unless demo mode is on."""
    if not settings.ESCALATE_DEMO:
        return []
    people = Person.objects.filter(
        agency__partnership__slug__startswith=DEMO_SLUG_PREFIX,
        user__email__endswith=f"@{DEMO_EMAIL_DOMAIN}",
        user__is_active=True,
        is_active=True,
    ).select_related("agency__partnership", "user")
    found = [
        DemoSignIn(
            partnership=p.agency.partnership.short_name,
            username=p.user.username if p.user else "",
            person=p.name,
            level="Business unit" if p.is_business_unit else p.get_level_display(),
            agency=p.agency.name,
            job_title=p.job_title,
            is_business_unit=p.is_business_unit,
        )
        for p in people
    ]
    order = {label: rank for rank, label in enumerate(LEVEL_LABELS.values())}
    found.sort(
        key=lambda s: (s.partnership, not s.is_business_unit, s.agency, order.get(s.level, -1))
    )
    return found


# ---------------------------------------------------------------------------------------
# Building


@dataclass
class DemoResult:
    built: list[str] = field(default_factory=list)  # short names
    skipped: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    agencies: int = 0
    people: int = 0
    users: int = 0
    stage_contacts: int = 0
    escalations: int = 0


def demo_load(*, reset: bool = False) -> DemoResult:
    """Build the demo partnerships that do not exist yet (with ``reset``: all of them, anew)."""
    if not settings.ESCALATE_DEMO:
        raise DemoDisabledError(DEMO_DISABLED)
    result = DemoResult()
    if reset:
        result.removed = demo_remove()
    password = make_password(DEMO_PASSWORD)  # hashed once: every account shares it
    names = _names()
    for spec in DEMO_PARTNERSHIPS:
        if Partnership.objects.filter(slug=spec.slug).exists():
            result.skipped.append(spec.short_name)
            for _ in range(len(spec.agencies) * len(LEVELS) + 1):
                next(names)  # the same people get the same names whatever was skipped
            continue
        with transaction.atomic():
            _Builder(spec, password, names, result).build()
        result.built.append(spec.short_name)
    return result


def demo_remove() -> list[str]:
    """Delete the demo partnerships with everything in them, and their demo accounts."""
    if not settings.ESCALATE_DEMO:
        raise DemoDisabledError(DEMO_DISABLED)
    removed: list[str] = []
    user_model = get_user_model()
    slugs = [s.slug for s in DEMO_PARTNERSHIPS]
    with transaction.atomic():
        for partnership in Partnership.objects.filter(slug__in=slugs):
            entries = Entry.objects.filter(escalation__partnership=partnership)
            # Corrections protect the entries they correct: remove the newest first.
            while entries.filter(corrects__isnull=False).exists():
                entries.filter(corrects__isnull=False, corrections__isnull=True).delete()
            Escalation.objects.filter(partnership=partnership).delete()
            people = Person.objects.filter(agency__partnership=partnership)
            user_ids = list(
                people.filter(user__email__endswith=f"@{DEMO_EMAIL_DOMAIN}").values_list(
                    "user_id", flat=True
                )
            )
            people.delete()
            user_model.objects.filter(pk__in=user_ids).delete()
            Agency.objects.filter(partnership=partnership).delete()
            removed.append(partnership.short_name)
            partnership.delete()
    return removed


class _Builder:
    def __init__(
        self, spec: DemoPartnership, password: str, names: Iterator[str], result: DemoResult
    ) -> None:
        self.spec = spec
        self.password = password
        self.names = names
        self.result = result
        # The version in the built-in definition file (not a newer one a partnership added).
        built_in = load_definition(BUILT_IN_DIR / f"{spec.procedure_id}.yaml")
        self.procedure: Procedure = rules.registry().get(spec.procedure_id, built_in.version)
        self.people: dict[tuple[str, Level], Person] = {}
        self.agencies: list[Agency] = []
        self.codes: dict[int, DemoAgency] = {}

    def build(self) -> None:
        spec = self.spec
        self.partnership = Partnership.objects.create(
            slug=spec.slug,
            name=spec.name,
            short_name=spec.short_name,
            procedure_id=self.procedure.id,
            procedure_version=self.procedure.version,
            division=Division.ENGLAND_AND_WALES,
        )
        for demo_agency in spec.agencies:
            agency = Agency.objects.create(
                partnership=self.partnership,
                name=demo_agency.name,
                agency_type=demo_agency.agency_type,
            )
            self.agencies.append(agency)
            self.codes[agency.pk] = demo_agency
            for level, title in zip(LEVELS, JOB_TITLES[demo_agency.agency_type], strict=True):
                username = demo_username(spec.code, level, demo_agency.code)
                self.people[(demo_agency.code, level)] = self._person(
                    agency, level, title, username
                )
            # Each person's line manager is the next level up in their agency: who hears when
            # they raise a concern, and when what they hold is overdue.
            ranked = [self.people[(demo_agency.code, level)] for level in LEVELS]
            for junior, senior in itertools.pairwise(ranked):
                junior.line_manager = senior
            Person.objects.bulk_update(ranked[:-1], ["line_manager"])
        self.unit = Agency.objects.create(
            partnership=self.partnership,
            name=spec.business_unit,
            agency_type=AgencyType.OTHER,
            is_partnership_body=True,
        )
        self.business_manager = self._person(
            self.unit,
            Level.SENIOR_MANAGER,
            f"Business Manager, {spec.name}",
            business_manager_username(spec.code),
            business_unit=True,
        )
        self.business_manager.board_role = BoardRole.BUSINESS_MANAGER
        self.business_manager.save(update_fields=["board_role"])
        self.result.agencies += len(self.agencies) + 1
        self._stage_contacts()
        self._panel_seats()
        _Stories(self).tell()

    def _person(
        self,
        agency: Agency,
        level: Level,
        job_title: str,
        username: str,
        *,
        business_unit: bool = False,
    ) -> Person:
        user_model = get_user_model()
        name = next(self.names)
        first, _, last = name.partition(" ")
        user, _ = user_model.objects.update_or_create(
            username=username,
            defaults={
                "email": demo_email(username),
                "first_name": first,
                "last_name": last,
                "password": self.password,
                "is_active": True,
                "is_staff": False,
                "is_superuser": False,
            },
        )
        self.result.people += 1
        self.result.users += 1
        return Person.objects.create(
            agency=agency,
            name=name,
            job_title=job_title,
            level=level,
            email=demo_email(username),
            phone="",
            is_business_unit=business_unit,
            user=user,
        )

    def _stage_contacts(self) -> None:
        """For each agency and stage: the procedure's role, and the person of that level. A
        stage held only by the board's chair or a panel is reached through the business unit."""
        rows: list[StageContact] = []
        for agency in self.agencies:
            code = self.codes[agency.pk].code
            for stage in self.procedure.stages:
                role = stage_role(self.procedure, stage.number, agency.agency_type)
                levels = _directory_levels(stage.levels)
                people = [self.people[(code, lv)] for lv in levels] or [self.business_manager]
                rows.extend(
                    StageContact(agency=agency, stage=stage.number, person=p, role=role)
                    for p in people
                )
        StageContact.objects.bulk_create(rows)
        self.result.stage_contacts += len(rows)

    def _panel_seats(self) -> None:
        """Who may sit on the procedure's panels (``escalate.panels``): each agency's
        assistant director and board representative, for their own agency, on every kind of
        panel the procedure convenes."""
        kinds = sorted(
            {p.kind.value for s in self.procedure.stages if s.panel for p in s.panel.options}
        )
        PanelSeat.objects.bulk_create(
            PanelSeat(
                partnership=self.partnership,
                kind=kind,
                person=self.people[(self.codes[agency.pk].code, level)],
                agency=agency,
            )
            for agency in self.agencies
            for level in (Level.ASSISTANT_DIRECTOR, Level.BOARD_REPRESENTATIVE)
            for kind in kinds
        )

    # -- who acts -------------------------------------------------------------------
    def person(self, agency: Agency, level: Level) -> Person:
        return self.people[(self.codes[agency.pk].code, level)]

    def holder(self, agency: Agency, stage: int) -> Person:
        """Who acts for the agency at a stage: the most senior level the stage names, or the
        business unit for a stage held only by the chair or a panel."""
        return self._stage_person(agency, stage, senior=True)

    def counterpart(self, agency: Agency, stage: int) -> Person:
        """Who the raiser speaks to in the other agency: the lowest level the stage names."""
        return self._stage_person(agency, stage, senior=False)

    def _stage_person(self, agency: Agency, stage: int, *, senior: bool) -> Person:
        """The agency's person at the most senior (or most junior) level the stage names, or
        the business unit when the stage names no directory level."""
        levels = _directory_levels(self.procedure.stage(stage).levels)
        if not levels:
            return self.business_manager
        ranked = sorted(levels, key=LEVEL_RANK.__getitem__)
        return self.person(agency, ranked[-1] if senior else ranked[0])


def _directory_levels(levels: Iterable[Level]) -> list[Level]:
    """The levels a stage names that people in the directory hold (not the chair or a panel),
    in the order the stage names them."""
    return [lv for lv in levels if lv in LEVEL_RANK]


# ---------------------------------------------------------------------------------------
# The escalations


@dataclass(frozen=True)
class Story:
    """A fictional disagreement: what it is about, between which kinds of agency, and how the
    conversations went. ``names`` are used in turn when a story is told more than once."""

    kind: SubjectKind
    names: tuple[str, ...]
    raising: tuple[AgencyType, ...]  # the first of these types the partnership has
    receiving: tuple[AgencyType, ...]
    issue: str
    risk: str
    aim: str
    source: Source
    categories: tuple[str, ...]  # preferred category ids, first match in the procedure wins
    discussion: str
    receiving_view: str


ADULT_STORIES = (
    Story(
        kind=SubjectKind.ADULT,
        names=("Doreen Fairweather", "Maureen Castleton", "Edith Brannigan"),
        raising=(A.PRIMARY_HEALTH, A.LOCAL_AUTHORITY_ADULTS),
        receiving=(A.SECONDARY_HEALTH,),
        issue="The hospital plans to discharge her home tomorrow without the package of care "
        "that the community team assessed as needed; she lives alone and fell twice last month.",
        risk="Without carers she cannot manage her medication or meals; a further fall is likely.",
        aim="Discharge delayed until the care package starts, or a short stay in a reablement bed.",
        source=Source.PLAN,
        categories=(
            "decision-or-action-not-safe",
            "response-to-safeguarding-concerns",
            "decisions-taken",
            "decision-or-course-of-action",
        ),
        discussion="Discussed the discharge plan and the community assessment.",
        receiving_view="The ward considers her medically fit and says that waiting for care is "
        "not a reason to keep her in hospital.",
    ),
    Story(
        kind=SubjectKind.ADULT,
        names=("Kenneth Oduya", "Clifford Amberley", "Stanley Rourke"),
        raising=(A.POLICE, A.PRIMARY_HEALTH, A.HOUSING),
        receiving=(A.LOCAL_AUTHORITY_ADULTS,),
        issue="Adult social care closed a safeguarding concern about financial abuse by a "
        "relative without a section 42 enquiry; the bank has since reported further withdrawals.",
        risk="He has lost most of his savings and his rent is now in arrears.",
        aim="A section 42 enquiry is opened and a crime report considered.",
        source=Source.REFERRAL,
        categories=(
            "decision-or-action-inappropriate",
            "response-to-safeguarding-concerns",
            "decisions-taken",
            "adult-protection-procedures",
        ),
        discussion="Went through the bank's report and the reasons the concern was closed, "
        "against the statutory criteria for an enquiry.",
        receiving_view="The team judged that he has capacity and chose to manage his own money.",
    ),
    Story(
        kind=SubjectKind.ADULT,
        names=("Shirley Pemberton", "Lorraine Whitby", "Pauline Greatorex"),
        raising=(A.LOCAL_AUTHORITY_ADULTS, A.PRIMARY_HEALTH),
        receiving=(A.HOUSING,),
        issue="The housing provider has served notice on her tenancy for hoarding while the "
        "self-neglect plan agreed by all agencies gives a six-month clearance programme.",
        risk="Eviction would leave her homeless; she has a long-term lung condition.",
        aim="The notice is paused while the agreed self-neglect plan is followed.",
        source=Source.MEETING,
        categories=(
            "creates-significant-issue",
            "practice-or-case-management",
            "handling-of-case",
            "provision-of-services",
        ),
        discussion="Reviewed the self-neglect plan, the notice and the fire risk assessment.",
        receiving_view="The provider says the fire risk to neighbours means it cannot wait six "
        "months.",
    ),
    Story(
        kind=SubjectKind.ADULT,
        names=("Arthur Lindley", "Bernard Okafor", "Dennis Hallam"),
        raising=(A.LOCAL_AUTHORITY_ADULTS, A.PRIMARY_HEALTH),
        receiving=(A.POLICE,),
        issue="A domestic abuse incident involving his son, who is also his carer, was not "
        "shared with adult social care, which learned of it a week later from his GP.",
        risk="He has dementia and depends on his son for personal care.",
        aim="Incidents involving him are shared with adult social care the same day.",
        source=Source.OTHER,
        categories=("information-sharing", "communication", "conflicting-views"),
        discussion="Talked through the incident log and the information-sharing agreement.",
        receiving_view="The attending officers recorded that he was not a victim of the "
        "incident, so no notification was made.",
    ),
    Story(
        kind=SubjectKind.ADULT,
        names=("Gloria Mensah", "Rosalind Achterberg", "Joyce Varga"),
        raising=(A.PRIMARY_HEALTH,),
        receiving=(A.SECONDARY_HEALTH,),
        issue="The community mental health team and her GP disagree about who reviews her "
        "medication after two missed depot injections.",
        risk="Her family report that she is not eating and has stopped going out.",
        aim="One named professional takes responsibility for the medication review this week.",
        source=Source.PLAN,
        categories=(
            "roles-and-responsibilities",
            "action-or-inaction",
            "conflicting-views",
            "decision-or-action-not-safe",
        ),
        discussion="Each service set out why it considers the review to be the other's.",
        receiving_view="The trust says the review belongs to the GP under the shared care "
        "agreement.",
    ),
    Story(
        kind=SubjectKind.ADULT,
        names=("Raymond Tulley", "Norman Ashby", "Cyril Featherstone"),
        raising=(A.LOCAL_AUTHORITY_ADULTS,),
        receiving=(A.PRIMARY_HEALTH,),
        issue="The care home reported unexplained bruising to him, but the visiting district "
        "nurse made no safeguarding referral.",
        risk="He cannot tell staff about pain or ill treatment.",
        aim="A safeguarding referral is made and the bruising is examined and recorded.",
        source=Source.REFERRAL,
        categories=(
            "action-or-inaction",
            "eligibility-and-access",
            "decisions-taken",
            "decision-or-action-inappropriate",
        ),
        discussion="Went through the body map and the nurse's record of the visit.",
        receiving_view="The nurse recorded the bruising as consistent with a recorded fall.",
    ),
    Story(
        kind=SubjectKind.ADULT,
        names=("Beverley Hanlon", "Tracey Delamere", "Nicola Prentice"),
        raising=(A.HOUSING, A.LOCAL_AUTHORITY_ADULTS),
        receiving=(A.PROBATION, A.POLICE),
        issue="The risk assessment held on her partner was not shared with the housing "
        "provider before the couple were offered a joint tenancy.",
        risk="Her partner has assaulted her before; the tenancy starts next week.",
        aim="The risk assessment is shared and the tenancy offer reviewed with her alone.",
        source=Source.OTHER,
        categories=(
            "information-sharing",
            "communication",
            "conflicting-views",
            "creates-significant-issue",
        ),
        discussion="Discussed what can lawfully be shared, with whom and when.",
        receiving_view="The agency says it needs the partner's consent or a clear risk of "
        "serious harm before it shares.",
    ),
)

CHILD_STORIES = (
    Story(
        kind=SubjectKind.CHILD,
        names=("Leo Hargreaves (aged 6)", "Oscar Pennington (aged 5)", "Alfie Drummond (aged 7)"),
        raising=(A.SCHOOL_OR_EARLY_YEARS, A.PRIMARY_HEALTH),
        receiving=(A.LOCAL_AUTHORITY_CHILDREN,),
        issue="The school's referral about repeated absences, poor hygiene and hunger was "
        "answered with advice only; the school believes it meets the threshold for an "
        "assessment.",
        risk="He has lost weight this term and has missed 30 per cent of school days.",
        aim="A child and family assessment is started.",
        source=Source.REFERRAL,
        categories=("thresholds-at-referral", "decision-or-action-inappropriate"),
        discussion="Compared the referral with the threshold document and the school's chronology.",
        receiving_view="The front door team found that the concerns did not meet the threshold "
        "for assessment.",
    ),
    Story(
        kind=SubjectKind.CHILD,
        names=("Maisie Kowalczyk (aged 14)", "Chloe Ridgeway (aged 15)", "Jade Okonjo (aged 14)"),
        raising=(A.POLICE, A.SCHOOL_OR_EARLY_YEARS),
        receiving=(A.LOCAL_AUTHORITY_CHILDREN,),
        issue="Children's services plan to close her child in need case while she is still "
        "going missing overnight and is linked to older men.",
        risk="Signs of child criminal and sexual exploitation.",
        aim="The case stays open and a strategy discussion is held about exploitation.",
        source=Source.MEETING,
        categories=("decision-or-course-of-action", "decision-or-action-not-safe"),
        discussion="Went through the missing episodes and the return home interviews.",
        receiving_view="The team considers that her mother is now engaging and the plan is "
        "complete.",
    ),
    Story(
        kind=SubjectKind.CHILD,
        names=("Ethan Doyle (aged 9 months)", "Noah Pilkington (aged 7 months)"),
        raising=(A.LOCAL_AUTHORITY_CHILDREN, A.POLICE),
        receiving=(A.SECONDARY_HEALTH,),
        issue="The hospital discharged him after an unexplained head injury without the child "
        "protection medical that the police and children's services expected.",
        risk="An unexplained injury in a baby who is not yet mobile.",
        aim="A child protection medical is done and the strategy discussion reconvened.",
        source=Source.OTHER,
        categories=("child-protection-procedures", "decision-or-action-not-safe"),
        discussion="Discussed the injury, the explanation given and the paediatric opinion.",
        receiving_view="The paediatrician accepted the parents' account of an accidental fall.",
    ),
    Story(
        kind=SubjectKind.CHILD,
        names=("Aisha and Bilal Rahman (aged 7 and 4)", "Ruby and Finn Calder (aged 8 and 5)"),
        raising=(A.SCHOOL_OR_EARLY_YEARS, A.VOLUNTARY_SECTOR),
        receiving=(A.POLICE,),
        issue="A domestic abuse incident at the children's home was not notified to the "
        "school, so no support was offered the next morning.",
        risk="The children witnessed the incident; their mother was injured.",
        aim="Incidents are notified to the school before the start of the next school day.",
        source=Source.OTHER,
        categories=("information-sharing", "creates-significant-issue"),
        discussion="Went through the notification process and why this incident was missed.",
        receiving_view="The incident was graded as standard risk and was not notified.",
    ),
    Story(
        kind=SubjectKind.CHILD,
        names=("Tyler Brennan (aged 12)", "Kai Threlfall (aged 11)", "Mason Idowu (aged 13)"),
        raising=(A.SCHOOL_OR_EARLY_YEARS, A.PRIMARY_HEALTH, A.VOLUNTARY_SECTOR),
        receiving=(A.LOCAL_AUTHORITY_CHILDREN,),
        issue="The child protection plan has had no core group meeting for ten weeks and the "
        "actions from the conference are not done.",
        risk="Drift while the concerns about neglect continue.",
        aim="A core group meeting this week and a named lead for each action.",
        source=Source.PLAN,
        categories=(
            "drift-or-delay",
            "child-protection-conference-or-plan",
            "creates-significant-issue",
        ),
        discussion="Reviewed the plan's actions and the record of core group meetings.",
        receiving_view="The social worker changed twice and the meetings were not rebooked.",
    ),
    Story(
        kind=SubjectKind.CHILD,
        names=("Freya Sutcliffe (aged 15)", "Poppy Engstrom (aged 16)", "Lily Marsden (aged 14)"),
        raising=(A.PRIMARY_HEALTH, A.SCHOOL_OR_EARLY_YEARS),
        receiving=(A.SECONDARY_HEALTH,),
        issue="The child and adolescent mental health service declined a referral after "
        "self-harm; the school and her GP believe she needs an urgent assessment.",
        risk="Escalating self-harm and talk of suicide.",
        aim="An urgent mental health assessment this week.",
        source=Source.REFERRAL,
        categories=("provision-of-services", "decision-or-action-not-safe"),
        discussion="Talked through the referral, the risk assessment and the service's criteria.",
        receiving_view="The service triaged the referral as routine on the information it had.",
    ),
)

METHODS = (ContactMethod.TELEPHONE, ContactMethod.MEETING, ContactMethod.EMAIL, ContactMethod.VIDEO)


def nhs_test_numbers() -> Iterator[str]:
    """Valid NHS numbers from the 999 range, which is never issued (for tests and demos)."""
    for n in itertools.count():
        digits = f"999{n:06d}"
        check = nhs_check_digit(digits)
        if check is None:
            continue
        yield format_nhs_number(f"{digits}{check}")


class _Stories:
    """The escalations of one partnership, each through the services, as the right people."""

    def __init__(self, builder: _Builder) -> None:
        self.b = builder
        self.procedure = builder.procedure
        self.today = timekeeping.today()
        self.calendar: WorkingCalendar = builder.partnership.calendar()
        self.nhs = nhs_test_numbers()
        self.pid = itertools.count(100234, 1117)
        self.count = 0
        self.stories = self._stories()

    def _stories(self) -> Iterator[tuple[Story, str]]:
        """The stories this partnership can tell (it protects their subjects and has the
        agencies they are between), in turn, each time with the next of its names."""
        protects = self.procedure.protects
        adults = [s for s in ADULT_STORIES if self._fits(s)]
        children = [s for s in CHILD_STORIES if self._fits(s)]
        if protects is Protects.ADULTS:
            pool = adults
        elif protects is Protects.CHILDREN:
            pool = children
        else:
            pool = [s for pair in itertools.zip_longest(children, adults) for s in pair if s]
        for round_ in itertools.count():
            for story in pool:
                yield story, story.names[round_ % len(story.names)]

    def _fits(self, story: Story) -> bool:
        types = {a.agency_type for a in self.b.agencies}
        return bool(types & set(story.raising)) and bool(types & set(story.receiving))

    # -- dates ----------------------------------------------------------------------
    def back(self, n: int) -> dt.date:
        """n working days before today (0: today, or the last working day)."""
        day = self.today
        while not self.calendar.is_working_day(day):
            day -= dt.timedelta(days=1)
        while n:
            day -= dt.timedelta(days=1)
            if self.calendar.is_working_day(day):
                n -= 1
        return day

    def after(self, day: dt.date, n: int) -> dt.date:
        return min(self.calendar.add_working_days(day, n), self.today)

    # -- the set --------------------------------------------------------------------
    def tell(self) -> None:
        top = self.procedure.top
        # Open at stage 1: one just raised, one overdue.
        self.escalation(outset=self.back(0), steps=[("contact", 0)])
        self.escalation(outset=self.back(15), steps=[("contact", 1)])
        # Open at every higher stage, the top included; the older ones overdue.
        for stage in range(2, top + 1):
            self.escalation(outset=self.back(4 * stage + 4), steps=self.climb(stage, gap=2))
        # Raised at stage 2 for immediate risk.
        self.escalation(outset=self.back(3), steps=[("contact", 1)], immediate_risk=True)
        # Resolved at stage 1 and confirmed in writing; resolved at stage 2, not yet confirmed.
        self.escalation(
            outset=self.back(20), steps=[("contact", 1), ("resolve", 1), ("confirm", 2)]
        )
        self.escalation(outset=self.back(12), steps=[*self.climb(2, gap=1), ("resolve", 2)])
        # Withdrawn by the raising agency.
        self.escalation(outset=self.back(9), steps=[("contact", 1), ("withdraw", 2)])
        # Decided at the top stage.
        self.escalation(outset=self.back(60), steps=[*self.climb(top, gap=3), ("decide", 8)])

    @staticmethod
    def climb(stage: int, gap: int) -> list[tuple[str, int]]:
        """Contacts and escalations from stage 1 up to ``stage``, ``gap`` working days apart."""
        steps: list[tuple[str, int]] = []
        for _ in range(1, stage):
            steps += [("contact", gap - 1 if gap > 1 else 0), ("escalate", 1)]
        steps.append(("contact", 1))
        return steps

    # -- one escalation --------------------------------------------------------------
    def escalation(
        self, *, outset: dt.date, steps: list[tuple[str, int]], immediate_risk: bool = False
    ) -> Escalation:
        story, name = next(self.stories)
        raising, receiving = self._parties(story)
        start = 2 if immediate_risk else 1
        if immediate_risk:
            raiser = self.b.holder(raising, start)
        else:
            raiser = self.b.person(raising, Level.PRACTITIONER)
        raised_on = outset if not immediate_risk else self.after(outset, 1)
        data = cs.NewEscalation(
            subject_kind=story.kind,
            subject_name=name,
            subject_reference_kind=self._reference_kind(),
            subject_reference=self._reference(),
            category=self._category(story),
            source=story.source,
            source_detail="" if story.source != Source.OTHER else "A report from another agency",
            receiving_agency_id=receiving.pk,
            receiving_practitioner=self.b.person(receiving, Level.PRACTITIONER).name,
            issue=story.issue,
            risk=story.risk,
            aim=story.aim,
            outset_on=outset,
            immediate_risk=immediate_risk,
            immediate_risk_reason=(
                f"{story.risk} The risk is immediate: the matter goes straight to stage 2."
                if immediate_risk
                else ""
            ),
            route_taken=(
                "Emergency services called and the safeguarding team told the same day."
                if immediate_risk
                else ""
            ),
            start_stage=start,
        )
        esc = cs.escalation_raise(actor=Actor.of(raiser.user), data=data, today=raised_on)
        day = raised_on
        for action, gap in steps:
            day = self.after(day, gap)
            esc = self._step(esc, action, day, story, raising, receiving)
        self.count += 1
        self.b.result.escalations += 1
        return esc

    def _parties(self, story: Story) -> tuple[Agency, Agency]:
        """The story's agencies: the first of its types that the partnership has."""
        by_type = {a.agency_type: a for a in reversed(self.b.agencies)}
        raising = next(by_type[t] for t in story.raising if t in by_type)
        receiving = next(
            by_type[t] for t in story.receiving if t in by_type and by_type[t] != raising
        )
        return raising, receiving

    def _category(self, story: Story) -> str:
        ids = [c.id for c in self.procedure.categories]
        for wanted in story.categories:
            if wanted in ids:
                return wanted
        return ids[self.count % len(ids)]

    def _reference_kind(self) -> str:
        return ReferenceKind.NHS_NUMBER if self.count % 2 else ReferenceKind.PID

    def _reference(self) -> str:
        return next(self.nhs) if self.count % 2 else f"PID-{next(self.pid)}"

    def _step(
        self,
        esc: Escalation,
        action: str,
        day: dt.date,
        story: Story,
        raising: Agency,
        receiving: Agency,
    ) -> Escalation:
        stage = esc.current_stage
        holder = self.b.holder(raising, stage)
        actions: dict[str, Callable[[], Escalation]] = {
            "contact": lambda: self._contact(esc, day, story, raising, receiving),
            "escalate": lambda: cs.escalation_escalate(
                actor=Actor.of(holder.user),
                escalation=esc,
                version=esc.version,
                today=day,
                on=day,
                reason=f"Not resolved at stage {stage}: {story.receiving_view} "
                f"{holder.name} escalates to stage {stage + 1} "
                f"({self.procedure.stage(stage + 1).name}).",
            ),
            "resolve": lambda: cs.escalation_resolve(
                actor=Actor.of(holder.user),
                escalation=esc,
                version=esc.version,
                today=day,
                on=day,
                outcome=f"Agreed: {story.aim} {holder.name} ({holder.job_title}) and "
                f"{self.b.counterpart(receiving, stage).name} will review progress in two weeks.",
            ),
            "confirm": lambda: self._confirm(esc, day, receiving),
            "withdraw": lambda: cs.escalation_withdraw(
                actor=Actor.of(self.b.person(raising, Level.PRACTITIONER).user),
                escalation=esc,
                version=esc.version,
                today=day,
                on=day,
                reason="New information from the family answered the concern: "
                "the disagreement no longer stands.",
            ),
            "decide": lambda: self._decide(esc, day, story),
        }
        return actions[action]()

    def _contact(
        self, esc: Escalation, day: dt.date, story: Story, raising: Agency, receiving: Agency
    ) -> Escalation:
        stage = esc.current_stage
        by = self.b.holder(raising, stage)
        with_ = self.b.counterpart(receiving, stage)
        if with_ == by:  # the business unit, at a stage held by the chair or a panel
            with_ = self.b.holder(receiving, stage - 1)
        esc = cs.escalation_record_contact(
            actor=Actor.of(by.user),
            escalation=esc,
            version=esc.version,
            today=day,
            occurred_on=day,
            method=METHODS[(self.count + stage) % len(METHODS)],
            contact_by=_who(by),
            contact_with=_who(with_),
            summary=f"Stage {stage} ({self.procedure.stage(stage).name}). {story.discussion} "
            f"{_agency_of(with_)}'s view: {story.receiving_view}",
            agreed=f"Each agency to record the discussion in its case record. {by.name} to "
            f"confirm the next step in writing by {self.after(day, 1):%-d %B %Y}.",
            decision_makers=f"{_who(by)}; {_who(with_)}",
        )
        return self._event(esc, day)

    def _event(self, esc: Escalation, day: dt.date) -> Escalation:
        """At the top stage, record the event its obligations count from (chair notified,
        committee meeting held), so that those duties have dates."""
        stage = esc.current_stage
        if stage != self.procedure.top:
            return esc
        known = {e.id for e in self.procedure.events}
        for ob in self.procedure.stage(stage).obligations:
            if ob.due and ob.due.after is Anchor.EVENT and ob.due.event in known:
                return cs.escalation_record_event(
                    actor=Actor.of(self.b.business_manager.user),
                    escalation=esc,
                    version=esc.version,
                    today=day,
                    on=day,
                    event=ob.due.event,
                )
        return esc

    def _confirm(self, esc: Escalation, day: dt.date, receiving: Agency) -> Escalation:
        stage = esc.current_stage
        who = self.b.holder(receiving, stage)
        esc = cs.escalation_confirm(
            actor=Actor.of(who.user),
            escalation=esc,
            version=esc.version,
            today=day,
            on=day,
            confirmed_by=f"{_who(who)}, by e-mail to the raiser and both line managers",
        )
        # The other duties that follow a resolution (feed back the agreed action) are done
        # with the written confirmation too; the confirm duty itself is met by confirming.
        for ob in self.procedure.stage(stage).obligations:
            after_resolution = (
                ob.due and ob.due.after is Anchor.EVENT and ob.due.event == "resolved"
            )
            if after_resolution and ob.met_by != "written-confirmation":
                esc = cs.escalation_meet_obligation(
                    actor=Actor.of(who.user),
                    escalation=esc,
                    version=esc.version,
                    today=day,
                    on=day,
                    obligation=ob.id,
                )
        return esc

    def _decide(self, esc: Escalation, day: dt.date, story: Story) -> Escalation:
        produces = self.procedure.top_stage.produces.value.replace("-", " ")
        return cs.escalation_decide(
            actor=Actor.of(self.b.business_manager.user),
            escalation=esc,
            version=esc.version,
            today=day,
            on=day,
            decision=f"The {self.procedure.stage(self.procedure.top).name} made its {produces}: "
            f"{story.aim} Both agencies to report progress to the business unit within four "
            "weeks; the learning is shared at the next board meeting.",
        )


def _who(person: Person) -> str:
    return f"{person.name}, {person.job_title}, {person.agency.name}"


def _agency_of(person: Person) -> str:
    return person.agency.name


def demo_status_counts() -> dict[str, int]:
    """Escalations in the demo partnerships, by status (for the command's summary)."""
    counts = dict.fromkeys(Status.values, 0)
    for status in Escalation.objects.filter(
        partnership__slug__in=[s.slug for s in DEMO_PARTNERSHIPS]
    ).values_list("status", flat=True):
        counts[status] += 1
    return counts
