"""Partnerships, agencies, people, and who is the contact at each stage for each agency."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models

from escalate.procedures.calendar import WorkingCalendar, working_calendar
from escalate.procedures.schema import AGENCY_TYPE_NAMES, PANEL_KIND_NAMES, Division, Level

#: The least small-number threshold a partnership may set: "fewer than 2" could only mean 1.
SMALL_NUMBER_THRESHOLD_MIN = 3


class Partnership(models.Model):
    """A safeguarding partnership or board. Runs one procedure version and one calendar."""

    slug = models.SlugField(unique=True, max_length=80)
    name = models.CharField(max_length=200)
    short_name = models.CharField(max_length=40)
    procedure_id = models.SlugField(max_length=80)
    procedure_version = models.CharField(max_length=20)
    division = models.CharField(
        max_length=30,
        choices=[(d.value, d.value) for d in Division],
        default=Division.ENGLAND_AND_WALES,
    )
    retention_years = models.PositiveSmallIntegerField(
        default=6, help_text="Years a closed escalation is kept before it is deleted."
    )
    record_subject_names = models.BooleanField(
        default=True,
        help_text="Off: escalations record only a case reference, never the person's name.",
    )
    outset_confirm_after_days = models.PositiveSmallIntegerField(
        "confirm concerns identified more than this many days ago",
        default=365,
        help_text=(
            "Days: a concern identified longer ago than this is confirmed on its own page "
            "before it is raised (365 is a year)."
        ),
    )

    # When reminders go out (section "Who is told what, and when" of the README).
    remind_working_days_before = models.PositiveSmallIntegerField(
        "remind this many working days before a due date",
        default=1,
        help_text="Working days before a stage or duty falls due that whoever holds it is "
        "reminded (0: on the day only).",
    )
    working_hours_start = models.TimeField(
        default=dt.time(9, 0),
        help_text="Reminders are sent on working days from this time (local time).",
    )
    working_hours_end = models.TimeField(
        default=dt.time(17, 0),
        help_text="... and until this time: never at night, at a weekend or on a bank holiday.",
    )
    #: Published figures (escalate.insights.small_numbers): a count above 0 and below this is
    #: shown as "fewer than N".
    small_number_threshold = models.PositiveSmallIntegerField(
        "small-number threshold",
        default=5,
        validators=[MinValueValidator(SMALL_NUMBER_THRESHOLD_MIN)],
        help_text="In figures published outside the partnership, a count above 0 and below this "
        'is shown as "fewer than" this number, so that nobody can be identified (at least 3).',
    )

    class Meta:
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(working_hours_start__lt=models.F("working_hours_end")),
                name="working_hours_in_order",
            ),
            models.CheckConstraint(
                condition=models.Q(small_number_threshold__gte=SMALL_NUMBER_THRESHOLD_MIN),
                name="small_number_threshold_at_least_3",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def procedure_key(self) -> str:
        return f"{self.procedure_id}@{self.procedure_version}"

    def calendar(self) -> WorkingCalendar:
        closures = frozenset(self.closures.values_list("on", flat=True))
        return working_calendar(Division(self.division), closures)


class ClosureDay(models.Model):
    partnership = models.ForeignKey(Partnership, on_delete=models.CASCADE, related_name="closures")
    on = models.DateField()
    reason = models.CharField(max_length=200)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["partnership", "on"], name="one_closure_a_day")
        ]
        ordering = ["on"]

    def __str__(self) -> str:
        return f"{self.on}: {self.reason}"


class Agency(models.Model):
    partnership = models.ForeignKey(Partnership, on_delete=models.PROTECT, related_name="agencies")
    name = models.CharField(max_length=200)
    agency_type = models.CharField(
        max_length=40, choices=[(k.value, v) for k, v in AGENCY_TYPE_NAMES.items()]
    )
    is_active = models.BooleanField(default=True)
    is_partnership_body = models.BooleanField(
        default=False,
        help_text="The partnership's own business unit or board: never a party to a disagreement.",
    )

    class Meta:
        ordering = ["name"]
        verbose_name_plural = "agencies"
        constraints = [
            models.UniqueConstraint(fields=["partnership", "name"], name="agency_name_unique")
        ]

    def __str__(self) -> str:
        return self.name


LEVEL_LABELS = {
    Level.PRACTITIONER: "Practitioner",
    Level.LINE_MANAGER: "Line manager",
    Level.SECOND_TIER_MANAGER: "Second-tier manager or safeguarding representative",
    Level.SENIOR_MANAGER: "Senior manager or head of service",
    Level.ASSISTANT_DIRECTOR: "Assistant director or executive",
    Level.BOARD_REPRESENTATIVE: "Board representative",
}
#: Levels in order of seniority; a person holds the stages whose levels are at or below theirs.
LEVEL_RANK = {level: rank for rank, level in enumerate(LEVEL_LABELS)}


class BoardRole(models.TextChoices):
    """A part a person plays for the whole partnership: who the procedures' copies go to
    (the ``recipients`` of a stage's obligations)."""

    NONE = "", "None"
    BUSINESS_MANAGER = "business-manager", "Business manager"
    BOARD_CHAIR = "board-chair", "Board or partnership chair"
    STRATEGIC_SAFEGUARDING_TEAM = "strategic-safeguarding-team", "Strategic safeguarding team"


class Person(models.Model):
    """Someone in the directory: a contact, and (when ``user`` is set) someone who signs in."""

    agency = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="people")
    name = models.CharField(max_length=200)
    job_title = models.CharField(max_length=200)
    level = models.CharField(max_length=40, choices=[(k.value, v) for k, v in LEVEL_LABELS.items()])
    email = models.EmailField(blank=True)
    phone = models.CharField(max_length=40, blank=True)
    is_business_unit = models.BooleanField(
        default=False, help_text="Member of the partnership's business unit: sees every escalation."
    )
    board_role = models.CharField(
        max_length=40,
        choices=BoardRole.choices,
        blank=True,
        default=BoardRole.NONE,
        help_text="Receives the copies the procedure sends to this role.",
    )
    line_manager = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="reports",
        help_text="Told when this person raises a concern, and when what they hold is overdue.",
    )
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="person",
    )
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["name"]
        verbose_name_plural = "people"

    def __str__(self) -> str:
        return f"{self.name}, {self.job_title}"

    @property
    def partnership_id(self) -> int:
        return self.agency.partnership_id


class StageContact(models.Model):
    """Who acts for an agency at a stage (the published procedures' stage-by-agency tables,
    with names)."""

    agency = models.ForeignKey(Agency, on_delete=models.CASCADE, related_name="stage_contacts")
    stage = models.PositiveSmallIntegerField()
    person = models.ForeignKey(
        Person, null=True, blank=True, on_delete=models.SET_NULL, related_name="stage_contacts"
    )
    role = models.TextField(help_text="The role, as the procedure names it.")

    class Meta:
        ordering = ["agency", "stage"]
        constraints = [
            models.UniqueConstraint(fields=["agency", "stage", "person"], name="stage_contact_once")
        ]

    def __str__(self) -> str:
        return f"{self.agency} stage {self.stage}: {self.role}"


class PanelSeat(models.Model):
    """Who may sit on a partnership's panels, of which kind, and for which agency: the
    directory's list the business unit chooses a panel's members from (a person may hold
    several seats). A seat holder also reads the escalations referred to a panel of that kind,
    except, where the procedure excludes anyone involved, those they were involved in
    (``escalate.cases.access``)."""

    partnership = models.ForeignKey(
        Partnership, on_delete=models.CASCADE, related_name="panel_seats"
    )
    kind = models.CharField(
        max_length=40,
        choices=[(k.value, v) for k, v in PANEL_KIND_NAMES.items()],
        help_text="The kind of panel: a resolution panel, mediation, a sub-committee or the "
        "executive.",
    )
    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="panel_seats")
    agency = models.ForeignKey(
        Agency,
        on_delete=models.PROTECT,
        related_name="panel_seats",
        help_text="The agency they represent on the panel (usually their own).",
    )

    class Meta:
        ordering = ["partnership", "kind", "agency", "person"]
        constraints = [
            models.UniqueConstraint(
                fields=["partnership", "kind", "person", "agency"], name="panel_seat_once"
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.person_id} for {self.agency_id}"

    def clean(self) -> None:
        from django.core.exceptions import ValidationError

        errors = {}
        if not self.partnership_id:
            return
        if self.person_id and self.person.agency.partnership_id != self.partnership_id:
            errors["person"] = "Choose someone in this partnership."
        if self.agency_id and self.agency.partnership_id != self.partnership_id:
            errors["agency"] = "Choose an agency in this partnership."
        if errors:
            raise ValidationError(errors)
