"""Panels sitting on an escalation, and the top stage's outcome as the procedure says.

- :class:`Panel`: a body that sits on one escalation at a stage whose definition convenes one
  (a resolution panel, mediation, a sub-committee, the executive): its kind, the procedure's
  name for it, the day it sits, and its members (:class:`PanelMember`), each with the agency
  they represent and their role. The membership is checked against the procedure's rule
  (``escalate.procedures.panels``) on every change, by ``services.panel_set_members``.
- :class:`Outcome`: what the top stage produced (``top_stage.produces``): a binding decision,
  recommendations or the sub-committee's feedback, and the panel that made it. Its words are
  the record's ``decided`` entry (``cases.services.escalation_decide``); this row sits beside
  it, with :class:`Recommendation` rows (one agency each, with its own due date) and each
  agency's :class:`RecommendationResponse` (never edited: a later response is added beside).

Every row is written by the services, in a transaction with its audit entry and outbox rows.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

from escalate.cases.models import Escalation
from escalate.directory.models import Agency, Person
from escalate.procedures.panels import Role
from escalate.procedures.schema import PANEL_KIND_NAMES, TopOutcome


class Panel(models.Model):
    escalation = models.ForeignKey(Escalation, on_delete=models.CASCADE, related_name="panels")
    stage = models.PositiveSmallIntegerField()
    kind = models.CharField(
        max_length=40, choices=[(k.value, v) for k, v in PANEL_KIND_NAMES.items()]
    )
    #: The procedure's name for this body ("SSAB Quality Assurance sub-committee").
    name = models.CharField(max_length=200)
    sits_on = models.DateField()
    #: Moves on with every change, so that a form opened before someone else's is refused.
    version = models.PositiveIntegerField(default=1)
    convened_at = models.DateTimeField()
    convened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["sits_on", "id"]

    def __str__(self) -> str:
        return f"{self.escalation_id} {self.kind} {self.sits_on}"


class PanelMember(models.Model):
    panel = models.ForeignKey(Panel, on_delete=models.CASCADE, related_name="members")
    #: None once the directory entry is gone; ``name`` keeps who sat.
    person = models.ForeignKey(Person, null=True, on_delete=models.SET_NULL, related_name="+")
    name = models.CharField(max_length=200)
    #: The agency they represent on the panel.
    agency = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="+")
    role = models.CharField(max_length=10, choices=[(r.value, r.value.title()) for r in Role])

    class Meta:
        ordering = ["role", "name", "id"]  # the chair first ("chair" < "member")
        constraints = [
            models.UniqueConstraint(fields=["panel", "person"], name="panel_member_once"),
            models.UniqueConstraint(
                fields=["panel"], condition=Q(role="chair"), name="panel_one_chair"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.panel_id}: {self.role} {self.person_id}"


class Outcome(models.Model):
    escalation = models.OneToOneField(
        Escalation, on_delete=models.CASCADE, related_name="top_outcome"
    )
    produces = models.CharField(
        max_length=30, choices=[(t.value, t.value.replace("-", " ")) for t in TopOutcome]
    )
    #: The panel that made it, when one sat.
    panel = models.ForeignKey(
        Panel, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_on = models.DateField()
    #: The record's ``decided`` entry, which holds the words.
    entry_sequence = models.PositiveIntegerField()
    recorded_at = models.DateTimeField()
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )

    def __str__(self) -> str:
        return f"{self.escalation_id} {self.produces} {self.decided_on}"


class Recommendation(models.Model):
    outcome = models.ForeignKey(Outcome, on_delete=models.CASCADE, related_name="recommendations")
    escalation = models.ForeignKey(
        Escalation, on_delete=models.CASCADE, related_name="recommendations"
    )
    #: The agency it is addressed to: a party to the escalation.
    agency = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="+")
    text = models.TextField()
    #: By when the agency is to respond.
    due_on = models.DateField()

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["outcome", "agency"], name="recommendation_per_agency")
        ]

    def __str__(self) -> str:
        return f"{self.escalation_id} to {self.agency_id} by {self.due_on}"


class Answer(models.TextChoices):
    ACCEPTED = "accepted", "Accepted"
    IN_PART = "accepted-in-part", "Accepted in part"
    NOT_ACCEPTED = "not-accepted", "Not accepted"


class RecommendationResponse(models.Model):
    recommendation = models.ForeignKey(
        Recommendation, on_delete=models.CASCADE, related_name="responses"
    )
    answer = models.CharField(max_length=20, choices=Answer.choices)
    text = models.TextField()
    responded_on = models.DateField()
    recorded_at = models.DateTimeField()
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    author_name = models.CharField(max_length=200)
    author_agency = models.CharField(max_length=200)

    class Meta:
        ordering = ["recorded_at", "id"]

    def __str__(self) -> str:
        return f"{self.recommendation_id}: {self.answer}"
