"""The facts kept for counting: what the board's view reads instead of the record.

Written by the services in the transaction of every change (``insights.facts``), from what the
rules core says of the escalation after the change; ``escalate-manage recompute_facts`` rebuilds
them from the record and reports any difference. One :class:`EscalationFact` per escalation and
one :class:`StageFact` per stage it has entered. Nothing here is personal data or free text:
references, agencies, dates, stages, categories and outcomes only (the register exports it).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.db.models.functions import Length
from django.db.models.lookups import LessThanOrEqual

from escalate.cases.models import Escalation, Status
from escalate.directory.models import Agency, Partnership


class StageEnd(models.TextChoices):
    """How a stage ended (``open`` while it has not)."""

    OPEN = "open", "Still open"
    RESOLVED = "resolved", "Resolved"
    ESCALATED = "escalated", "Escalated"
    WITHDRAWN = "withdrawn", "Withdrawn"
    DECIDED = "decided", "Decided"


class EscalationFact(models.Model):
    """One escalation, as counted: who, what, when, how far it went and how it ended.

    The agencies' types are those when the escalation was raised, so that a year's figures do not
    change when an agency is reclassified.
    """

    escalation = models.OneToOneField(
        Escalation, on_delete=models.CASCADE, primary_key=True, related_name="fact"
    )
    partnership = models.ForeignKey(Partnership, on_delete=models.PROTECT, related_name="+")
    procedure_id = models.SlugField(max_length=80)
    procedure_version = models.CharField(max_length=20)
    category = models.SlugField(max_length=80)
    subject_kind = models.CharField(max_length=10)
    raising_agency = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="+")
    raising_agency_type = models.CharField(max_length=40)
    receiving_agency = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="+")
    receiving_agency_type = models.CharField(max_length=40)
    outset_on = models.DateField()
    raised_on = models.DateField()
    immediate_risk = models.BooleanField()
    start_stage = models.PositiveSmallIntegerField()
    #: The highest stage entered.
    stage_reached = models.PositiveSmallIntegerField()
    status = models.CharField(max_length=20, choices=Status.choices)
    closed_on = models.DateField(null=True, blank=True)
    #: Working days from the outset to the close, by the partnership's calendar; None while open.
    working_days_taken = models.PositiveIntegerField(null=True, blank=True)
    #: Stages ended so far, and of those how many ended by their due date.
    stages_ended = models.PositiveSmallIntegerField(default=0)
    stages_ended_within_due = models.PositiveSmallIntegerField(default=0)

    class Meta:
        indexes = [
            models.Index(fields=["partnership", "raised_on"], name="fact_by_raised"),
            models.Index(fields=["partnership", "closed_on"], name="fact_by_closed"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(status="open", closed_on__isnull=True, working_days_taken__isnull=True)
                | (
                    ~Q(status="open") & Q(closed_on__isnull=False, working_days_taken__isnull=False)
                ),
                name="fact_closed_has_a_close",
            ),
            models.CheckConstraint(
                condition=Q(stages_ended_within_due__lte=models.F("stages_ended")),
                name="fact_within_due_of_ended",
            ),
        ]

    def __str__(self) -> str:
        return f"facts of escalation {self.escalation_id}"


class StageFact(models.Model):
    """One stage of one escalation: entered, due (after any protective timescale), ended, how,
    and whether by its due date (None while open, or when the stage has no due date)."""

    escalation = models.ForeignKey(Escalation, on_delete=models.CASCADE, related_name="stage_facts")
    partnership = models.ForeignKey(Partnership, on_delete=models.PROTECT, related_name="+")
    number = models.PositiveSmallIntegerField()
    entered_on = models.DateField()
    due_on = models.DateField(null=True, blank=True)
    left_on = models.DateField(null=True, blank=True)
    ended = models.CharField(max_length=20, choices=StageEnd.choices, default=StageEnd.OPEN)
    within_due = models.BooleanField(null=True, blank=True)

    class Meta:
        ordering = ["escalation", "number"]
        indexes = [
            models.Index(fields=["partnership", "entered_on"], name="stagefact_by_entered"),
        ]
        constraints = [
            models.UniqueConstraint(fields=["escalation", "number"], name="stagefact_once"),
            models.CheckConstraint(
                condition=Q(ended="open", left_on__isnull=True, within_due__isnull=True)
                | (~Q(ended="open") & Q(left_on__isnull=False)),
                name="stagefact_ended_has_a_left",
            ),
        ]

    def __str__(self) -> str:
        return f"facts of escalation {self.escalation_id} stage {self.number}"


#: The longest narrative an annual report may carry, in characters.
NARRATIVE_LIMIT = 10_000


class AnnualReport(models.Model):
    """What the business unit writes for the board's annual report on escalations, for one
    financial year (April to March): a few paragraphs of plain text. The figures are not
    stored: the report reads them from the facts each time it is shown.

    ``version`` goes up by one at each save, so that a save from a page opened before someone
    else's is refused instead of overwriting it (``insights.reports``).
    """

    partnership = models.ForeignKey(Partnership, on_delete=models.PROTECT, related_name="+")
    #: The financial year's first calendar year: 2025 is 1 April 2025 to 31 March 2026.
    year = models.PositiveSmallIntegerField()
    narrative = models.TextField(blank=True, default="")
    version = models.PositiveIntegerField(default=1)
    updated_at = models.DateTimeField()
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["partnership", "year"], name="annual_report_once"),
            models.CheckConstraint(
                condition=LessThanOrEqual(Length("narrative"), NARRATIVE_LIMIT),
                name="annual_report_narrative_limit",
            ),
        ]

    def __str__(self) -> str:
        return f"annual report {self.year} of partnership {self.partnership_id}"
