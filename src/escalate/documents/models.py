"""The procedures' forms as completed on an escalation.

One :class:`FormRecord` per escalation and form of its procedure; its :class:`FormVersion` rows
are the form's history. A version is a **draft** until someone the procedure names signs it;
from the first signature its values never change (further signatures may still be added to its
other signature fields, and it may be **submitted**, which sends it). A correction, or the
form's continuation at a later stage, is a new version that starts from the old one's values and
keeps the old one. Signatures carry the signer's name, role and agency as they were when they
signed, their account and the moment.

Changes go through ``escalate.documents.services`` only.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q


class FormRecord(models.Model):
    #: Deleted with its escalation (retention).
    escalation = models.ForeignKey(
        "cases.Escalation", on_delete=models.CASCADE, related_name="form_records"
    )
    form_id = models.SlugField(max_length=80, help_text="The form's id in the procedure.")
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["escalation", "form_id"]
        constraints = [
            models.UniqueConstraint(fields=["escalation", "form_id"], name="form_record_once")
        ]

    def __str__(self) -> str:
        return f"{self.escalation_id}: {self.form_id}"


class VersionStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    SIGNED = "signed", "Signed"
    SUBMITTED = "submitted", "Signed and sent"


class FormVersion(models.Model):
    record = models.ForeignKey(FormRecord, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveSmallIntegerField()
    #: The stage it is completed at: the fields of this stage are the ones typed in.
    stage = models.PositiveSmallIntegerField()
    #: Field id -> value (dates ``YYYY-MM-DD``, numbers as digits, a choice as its value).
    values = models.JSONField(default=dict)
    status = models.CharField(
        max_length=20, choices=VersionStatus.choices, default=VersionStatus.DRAFT
    )
    #: Why a correction was needed (blank for the first version and a later stage's).
    reason = models.TextField(blank=True)
    #: Goes up by one at every save of a draft: a save from a page opened at an older
    #: revision is refused, so nobody overwrites someone else's typing unseen.
    revision = models.PositiveIntegerField(default=1)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_by_name = models.CharField(max_length=200)
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()
    signed_at = models.DateTimeField(null=True, blank=True)
    submitted_at = models.DateTimeField(null=True, blank=True)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    submitted_by_name = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["record", "number"]
        constraints = [
            models.UniqueConstraint(fields=["record", "number"], name="form_version_once"),
            models.UniqueConstraint(
                fields=["record"], condition=Q(status="draft"), name="one_draft_per_form"
            ),
            models.CheckConstraint(
                condition=Q(status="draft") | Q(signed_at__isnull=False),
                name="signed_version_has_signed_at",
            ),
            models.CheckConstraint(
                condition=~Q(status="submitted") | Q(submitted_at__isnull=False),
                name="submitted_version_has_submitted_at",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.record_id} v{self.number} ({self.status})"

    @property
    def is_draft(self) -> bool:
        return self.status == VersionStatus.DRAFT


class Signature(models.Model):
    """One signature field of a version, signed."""

    version = models.ForeignKey(FormVersion, on_delete=models.CASCADE, related_name="signatures")
    field_id = models.SlugField(max_length=80)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    #: The signer as they were when they signed.
    name = models.CharField(max_length=200)
    role = models.CharField(max_length=200)
    agency = models.CharField(max_length=200)
    #: Which of the procedure's signers they signed as (``stage-holder``, ``raiser``...).
    signed_as = models.CharField(max_length=40)
    signed_at = models.DateTimeField()

    class Meta:
        ordering = ["version", "signed_at", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["version", "field_id"], name="signature_once")
        ]

    def __str__(self) -> str:
        return f"{self.version_id}: {self.field_id}"
