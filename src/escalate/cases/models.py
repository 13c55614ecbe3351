"""The shared record of each escalation.

``Entry`` rows are the record: append-only, never edited or deleted; a correction is a new
entry pointing at the one it corrects. ``Escalation`` and ``Stage`` are the projection of the
entries that lists and pages read, kept in step by the services in one transaction, with a
``version`` checked on every write so that a second, concurrent change is refused.
"""

from __future__ import annotations

import re
import secrets

from django.conf import settings
from django.db import models
from django.db.models import F, Q

from escalate.directory.models import Agency, Partnership, Person

# Crockford's base32 without I, L, O, U: easy to read aloud, no look-alikes.
_REFERENCE_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"


#: What every reference looks like (``new_reference``). Anything else names no escalation.
REFERENCE_RE = re.compile(r"^ESC-[0-9A-Z]{4}-[0-9A-Z]{4}$")


def new_reference() -> str:
    """ESC-XXXX-XXXX: 40 random bits, so one reference says nothing about another."""
    chars = "".join(secrets.choice(_REFERENCE_ALPHABET) for _ in range(8))
    return f"ESC-{chars[:4]}-{chars[4:]}"


class SubjectKind(models.TextChoices):
    CHILD = "child", "Child"
    ADULT = "adult", "Adult"


class ReferenceKind(models.TextChoices):
    NHS_NUMBER = "nhs-number", "NHS number"
    PID = "pid", "PID (case system number)"
    OTHER = "other", "Another case reference"


class Source(models.TextChoices):
    REFERRAL = "referral", "A referral"
    MEETING = "meeting", "A decision at a meeting"
    PLAN = "plan", "A plan for the child or adult"
    OTHER = "other", "Something else"


class Status(models.TextChoices):
    OPEN = "open", "Open"
    RESOLVED = "resolved", "Resolved"
    WITHDRAWN = "withdrawn", "Withdrawn"
    DECIDED = "decided", "Decided at the top stage"


#: The lists' two orders, as index fields: next due (nothing due last), then newest raised.
_BY_DUE = ["partnership", "next_due_on", "-raised_on", "id"]
_BY_RAISED = ["partnership", "-raised_on", "-id"]


class Escalation(models.Model):
    reference = models.CharField(max_length=20, unique=True, default=new_reference, editable=False)
    partnership = models.ForeignKey(Partnership, on_delete=models.PROTECT, related_name="+")
    procedure_key = models.CharField(max_length=120, help_text="id@version, kept for life")

    subject_kind = models.CharField(max_length=10, choices=SubjectKind.choices)
    subject_name = models.CharField(max_length=200, blank=True)
    subject_reference_kind = models.CharField(max_length=20, choices=ReferenceKind.choices)
    subject_reference = models.CharField(max_length=40)
    #: ``references.reference_key(subject_reference)``: what a search compares, so that
    #: "PID-IR-1", "pid ir 1" and "PIDIR1" name the same subject (set by the raise service).
    subject_reference_key = models.CharField(
        max_length=80, blank=True, db_index=True, editable=False
    )

    category = models.SlugField(max_length=80)
    source = models.CharField(max_length=20, choices=Source.choices)
    source_detail = models.TextField(blank=True)

    raising_agency = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="+")
    raising_person = models.ForeignKey(
        Person, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    receiving_agency = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="+")
    receiving_person = models.ForeignKey(
        Person, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    receiving_practitioner = models.CharField(max_length=200, blank=True)

    issue = models.TextField()
    risk = models.TextField()
    aim = models.TextField()

    immediate_risk = models.BooleanField(default=False)
    immediate_risk_reason = models.TextField(blank=True)
    route_taken = models.TextField(blank=True)

    outset_on = models.DateField()
    raised_on = models.DateField()
    raised_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )

    status = models.CharField(max_length=20, choices=Status.choices, default=Status.OPEN)
    start_stage = models.PositiveSmallIntegerField(default=1)
    current_stage = models.PositiveSmallIntegerField(default=1)
    outcome = models.TextField(blank=True)
    closed_on = models.DateField(null=True, blank=True)
    confirmed_on = models.DateField(null=True, blank=True)
    confirmed_by = models.CharField(max_length=200, blank=True)

    # Derived from the rules core on every write, for lists and the overdue filter.
    current_due_on = models.DateField(null=True, blank=True)
    next_due_on = models.DateField(null=True, blank=True)

    version = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-raised_on", "-id"]
        # The lists' orders (escalate.cases.selectors, ListSort), each ending on the id, with
        # the columns the lists filter on after them, so that a page's ids and a list's count
        # are read from the index alone (docs/performance.md, "Lists").
        indexes = [
            models.Index(fields=["partnership", "status"]),
            models.Index(fields=["status", "next_due_on"]),
            models.Index(
                fields=[*_BY_DUE, "status", "current_stage", "immediate_risk"],
                name="esc_list_by_due",
            ),
            models.Index(
                fields=[*_BY_RAISED, "status", "current_stage", "immediate_risk", "next_due_on"],
                name="esc_list_by_raised",
            ),
            # Open escalations only: the overdue and awaiting lists and the home page's counts.
            models.Index(
                fields=[*_BY_DUE, "current_stage", "immediate_risk"],
                condition=Q(status="open"),
                name="esc_open_by_due",
            ),
            models.Index(
                fields=_BY_DUE, condition=Q(status="open", immediate_risk=True), name="esc_at_risk"
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(raised_on__gte=F("outset_on")), name="raised_not_before_outset"
            ),
            models.CheckConstraint(
                condition=Q(closed_on__isnull=True) | Q(closed_on__gte=F("outset_on")),
                name="closed_not_before_outset",
            ),
            models.CheckConstraint(
                condition=Q(status="open", closed_on__isnull=True)
                | (~Q(status="open") & Q(closed_on__isnull=False)),
                name="closed_iff_not_open",
            ),
            models.CheckConstraint(
                condition=Q(current_stage__gte=F("start_stage")), name="stage_not_below_start"
            ),
            models.CheckConstraint(
                condition=~Q(raising_agency=F("receiving_agency")), name="two_different_agencies"
            ),
        ]

    def __str__(self) -> str:
        return self.reference


class PartyRole(models.TextChoices):
    RAISING = "raising", "Raising agency"
    RECEIVING = "receiving", "Receiving agency"
    OTHER = "other", "Other agency involved"


class Party(models.Model):
    """An agency party to an escalation. Access to the record follows these rows."""

    escalation = models.ForeignKey(Escalation, on_delete=models.CASCADE, related_name="parties")
    # Indexed with the escalation (``party_by_agency``): an agency's escalations, read from
    # the index alone for the lists and counts of everyone but the business unit.
    agency = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="+", db_index=False)
    role = models.CharField(max_length=20, choices=PartyRole.choices)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["escalation", "agency"], name="agency_party_once")
        ]
        indexes = [models.Index(fields=["agency", "escalation"], name="party_by_agency")]

    def __str__(self) -> str:
        return f"{self.escalation_id}: {self.role} {self.agency_id}"


class Stage(models.Model):
    escalation = models.ForeignKey(Escalation, on_delete=models.CASCADE, related_name="stages")
    number = models.PositiveSmallIntegerField()
    entered_on = models.DateField()
    left_on = models.DateField(null=True, blank=True)

    class Meta:
        ordering = ["number"]
        constraints = [
            models.UniqueConstraint(fields=["escalation", "number"], name="stage_once"),
            models.UniqueConstraint(
                fields=["escalation"], condition=Q(left_on__isnull=True), name="one_open_stage"
            ),
            models.CheckConstraint(
                condition=Q(left_on__isnull=True) | Q(left_on__gte=F("entered_on")),
                name="left_not_before_entered",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.escalation_id} stage {self.number}"


class EntryKind(models.TextChoices):
    RAISED = "raised", "Raised"
    CONTACT = "contact", "Contact or meeting"
    EVENT = "event", "Procedure event"
    OBLIGATION = "obligation", "Duty done"
    PROTECTIVE = "protective", "Due date brought forward"
    ESCALATED = "escalated", "Escalated"
    RESOLVED = "resolved", "Resolved"
    CONFIRMED = "confirmed", "Outcome confirmed in writing"
    WITHDRAWN = "withdrawn", "Withdrawn"
    DECIDED = "decided", "Top stage decision"
    CORRECTION = "correction", "Correction"
    VIEW = "view", "An agency's view"


#: The entries that change an escalation's stage or status. Only these conflict with a change
#: someone else was making at the same time; any other entry is simply added beside theirs.
STATE_CHANGING_KINDS = frozenset(
    {EntryKind.ESCALATED, EntryKind.RESOLVED, EntryKind.WITHDRAWN, EntryKind.DECIDED}
)


class ContactMethod(models.TextChoices):
    TELEPHONE = "telephone", "Telephone"
    MEETING = "meeting", "Meeting"
    VIDEO = "video", "Video call"
    EMAIL = "email", "E-mail"
    LETTER = "letter", "Letter"
    OTHER = "other", "Other"


class Entry(models.Model):
    """One line of the timeline. Never updated or deleted."""

    escalation = models.ForeignKey(Escalation, on_delete=models.CASCADE, related_name="entries")
    sequence = models.PositiveIntegerField()
    #: The escalation's version after the change that added this entry: what someone who
    #: opened a form at an earlier version has not seen (see services, "conflicts").
    version = models.PositiveIntegerField(default=1)
    kind = models.CharField(max_length=20, choices=EntryKind.choices)
    stage = models.PositiveSmallIntegerField()
    occurred_on = models.DateField()
    recorded_at = models.DateTimeField(auto_now_add=True)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    author_name = models.CharField(max_length=200)
    author_agency = models.CharField(max_length=200)

    # The recording template's headings (North East Lincolnshire), for contacts.
    contact_method = models.CharField(max_length=20, choices=ContactMethod.choices, blank=True)
    contact_by = models.TextField(blank=True)
    contact_with = models.TextField(blank=True)
    summary = models.TextField(blank=True)
    agreed = models.TextField(blank=True)
    decision_makers = models.TextField(blank=True)

    text = models.TextField(blank=True, help_text="Reason, outcome, decision or correction")
    event = models.SlugField(max_length=80, blank=True)
    obligation = models.SlugField(max_length=80, blank=True)
    due_on = models.DateField(null=True, blank=True)
    corrects = models.ForeignKey(
        # Entries are deleted only with their escalation (retention), so corrections go too.
        "self",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="corrections",
    )

    class Meta:
        ordering = ["sequence"]
        verbose_name_plural = "entries"
        constraints = [
            models.UniqueConstraint(fields=["escalation", "sequence"], name="entry_sequence_once")
        ]

    def __str__(self) -> str:
        return f"{self.escalation_id} #{self.sequence} {self.kind}"


class Deadline(models.Model):
    """One date something on an escalation is still due: the open stage, an unmet duty, the
    overall bound (``stage`` 0). Kept in step with the record by the services, in the same
    transaction (the rules core's ``live_items``): what the deadline sweep reads, so that it
    finds everything due soon or overdue with an indexed query instead of planning every
    escalation. A due date that moves is a new row; a row whose item is no longer live goes.

    ``reminded_on`` and ``overdue_on`` say when the sweep wrote its messages about this date,
    so that it writes each once.
    """

    escalation = models.ForeignKey(Escalation, on_delete=models.CASCADE, related_name="deadlines")
    partnership = models.ForeignKey(Partnership, on_delete=models.CASCADE, related_name="+")
    #: 0 for the procedure's overall bound.
    stage = models.PositiveSmallIntegerField()
    obligation = models.SlugField(max_length=80, blank=True)
    due_on = models.DateField()
    reminded_on = models.DateField(null=True, blank=True)
    overdue_on = models.DateField(null=True, blank=True)

    class Meta:
        ordering = ["due_on", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["escalation", "stage", "obligation", "due_on"], name="deadline_once"
            )
        ]
        indexes = [
            models.Index(
                fields=["due_on"], condition=Q(reminded_on__isnull=True), name="deadline_to_remind"
            ),
            models.Index(
                fields=["due_on"], condition=Q(overdue_on__isnull=True), name="deadline_to_chase"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.escalation_id} stage {self.stage} {self.obligation or ''} {self.due_on}"
