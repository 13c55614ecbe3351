"""The outbox: every message Escalate sends, written in the same transaction as its cause.

A :class:`Notification` is one (cause, recipient, channel). ``key`` names the cause: an event
on the record (``event:<escalation id>:<version>:<n>``) or a reminder the sweep found
(``remind:<escalation id>:<what>:<stage>:<obligation>:<due date>:<kind>``), so a second
sweep, a retried job or a second worker writing the same message again hits the unique
constraint and writes nothing. Rows carry references and dates, never the person at risk or
anything a user typed: the message is rendered from them when it is sent.

E-mail rows move ``queued`` -> ``sending`` (claimed by one worker, committed before anything
leaves) -> ``sent``; a failure puts the row back to ``queued`` with a later
``next_attempt_at`` (back-off) until ``MAX_ATTEMPTS``, then ``failed``. A worker that dies
while a row is ``sending`` leaves a claim that expires: the row is sent again only if the mail
server cannot have accepted it (see ``delivery``), otherwise it is marked ``uncertain`` for the
business unit to check, never sent twice. In-application rows are delivered when written.
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q

from escalate.directory.models import Partnership, Person


class Channel(models.TextChoices):
    EMAIL = "email", "E-mail"
    APP = "app", "In Escalate"


class Kind(models.TextChoices):
    RAISED = "raised", "A concern was raised"
    STAGE_ENTERED = "stage-entered", "A stage began"
    COPY = "copy", "A copy the procedure asks for"
    DUE_SOON = "due-soon", "Due soon"
    OVERDUE = "overdue", "Overdue"
    OVERDUE_NEXT_LEVEL = "overdue-next-level", "Overdue: now with the next level"
    CLOSED = "closed", "How it ended"
    #: A signed form sent to the recipients its definition names (``obligation`` holds the
    #: form's id).
    FORM = "form", "A form sent to you"
    #: A panel convened on an escalation, or its members or date changed (``due_on``: the day
    #: it sits); to its members and to every party.
    PANEL = "panel", "A panel was convened"
    #: The top stage's outcome, to every party not told already that it ended.
    OUTCOME = "outcome", "The top stage's outcome"
    #: A recommendation to the recipient's agency (``due_on``: its response date).
    RECOMMENDATION = "recommendation", "A recommendation to your agency"
    #: An agency's response to a recommendation, to every party.
    RESPONSE = "response", "A response to a recommendation"


class Status(models.TextChoices):
    QUEUED = "queued", "Queued"
    SENDING = "sending", "Sending"
    #: The message was handed over past the point where the server may have accepted it.
    COMMITTING = "committing", "Handed over"
    SENT = "sent", "Sent"
    FAILED = "failed", "Failed"
    UNCERTAIN = "uncertain", "Stopped while sending"
    #: Non-urgent e-mail held for the recipient's daily digest.
    HELD = "held", "Held for the daily digest"


class Notification(models.Model):
    partnership = models.ForeignKey(Partnership, on_delete=models.CASCADE, related_name="+")
    #: Deleted with its escalation (retention).
    escalation = models.ForeignKey(
        "cases.Escalation", null=True, on_delete=models.CASCADE, related_name="notifications"
    )
    reference = models.CharField(max_length=20)
    key = models.CharField(max_length=200, help_text="The cause: one message per cause.")
    kind = models.CharField(max_length=30, choices=Kind.choices)
    stage = models.PositiveSmallIntegerField(null=True, blank=True)
    obligation = models.SlugField(max_length=80, blank=True)
    due_on = models.DateField(null=True, blank=True)
    #: Always immediate (overdue, immediate risk), whatever the recipient prefers.
    urgent = models.BooleanField(default=False)

    recipient = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="notifications")
    channel = models.CharField(max_length=10, choices=Channel.choices)

    status = models.CharField(max_length=20, choices=Status.choices, default=Status.QUEUED)
    #: Not sent before this moment (working hours, back-off).
    next_attempt_at = models.DateTimeField()
    attempts = models.PositiveSmallIntegerField(default=0)
    claimed_by = models.CharField(max_length=100, blank=True)
    claimed_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    #: Why the last attempt failed: a short reason, never an address or the content.
    failure = models.CharField(max_length=200, blank=True)
    read_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["key", "recipient", "channel"], name="one_message_per_cause"
            )
        ]
        indexes = [
            models.Index(
                fields=["status", "next_attempt_at"],
                condition=Q(channel="email", status__in=["queued", "sending", "committing"]),
                name="outbox_due",
            ),
            models.Index(fields=["recipient", "channel", "read_at"], name="inbox"),
            models.Index(fields=["partnership", "status"], name="outbox_by_partnership"),
        ]

    def __str__(self) -> str:
        return f"{self.reference} {self.kind} {self.channel} {self.status}"


class Attempt(models.Model):
    """One try at sending one e-mail row, kept for the business unit's view."""

    notification = models.ForeignKey(
        Notification, on_delete=models.CASCADE, related_name="attempt_log"
    )
    started_at = models.DateTimeField()
    finished_at = models.DateTimeField(null=True, blank=True)
    worker = models.CharField(max_length=100)
    outcome = models.CharField(max_length=20, choices=Status.choices)
    failure = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["started_at", "id"]

    def __str__(self) -> str:
        return f"{self.notification_id} at {self.started_at}: {self.outcome}"


class Delivery(models.TextChoices):
    IMMEDIATE = "immediate", "Send each message as it happens"
    DIGEST = "digest", "One e-mail a day with everything that is not urgent"


class Preference(models.Model):
    """How one person wants to hear, and their calendar feed's secret (stored hashed)."""

    person = models.OneToOneField(Person, on_delete=models.CASCADE, related_name="preference")
    delivery = models.CharField(max_length=20, choices=Delivery.choices, default=Delivery.IMMEDIATE)
    feed_secret_hash = models.CharField(max_length=64, blank=True, db_index=True)
    feed_reset_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.person_id}: {self.delivery}"


class ScheduledRun(models.Model):
    """A periodic job's slot, claimed once: any number of workers tick, one enqueues."""

    name = models.CharField(max_length=40)
    slot = models.DateTimeField()
    claimed_by = models.CharField(max_length=100)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["name", "slot"], name="one_run_per_slot")]

    def __str__(self) -> str:
        return f"{self.name} {self.slot}"
