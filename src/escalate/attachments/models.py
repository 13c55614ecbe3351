"""Written representations: documents each party agency uploads on an escalation.

A row describes one stored file: which party agency gave it, who uploaded it, what it is (its
type as found from its content, never from its name), its size, its digest, whether a virus
scanner passed it, and when. The file itself lives in the private upload store
(``escalate.attachments.storage``) under a random name; the name it was uploaded with is kept
here only as a description, never used to store or serve it.
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q

from escalate.cases.models import Escalation
from escalate.directory.models import Agency, Person


class FileKind(models.TextChoices):
    """The types accepted, found from the file's content."""

    PDF = "pdf", "PDF"
    DOCX = "docx", "Word document"
    DOC = "doc", "Word 97-2003 document"
    PNG = "png", "PNG image"
    JPEG = "jpeg", "JPEG image"


#: What each kind is served as, and the extension of the name it is served with.
MIME_TYPES = {
    FileKind.PDF: "application/pdf",
    FileKind.DOCX: "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    FileKind.DOC: "application/msword",
    FileKind.PNG: "image/png",
    FileKind.JPEG: "image/jpeg",
}
EXTENSIONS = {
    FileKind.PDF: "pdf",
    FileKind.DOCX: "docx",
    FileKind.DOC: "doc",
    FileKind.PNG: "png",
    FileKind.JPEG: "jpg",
}


class ScanStatus(models.TextChoices):
    """An infected file is never stored, so it has no status here."""

    CLEAN = "clean", "No virus found"
    NOT_SCANNED = "not-scanned", "Not scanned"


class Representation(models.Model):
    escalation = models.ForeignKey(
        Escalation, on_delete=models.CASCADE, related_name="representations"
    )
    #: The party agency whose representation this is (the uploader's agency).
    agency = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="+")
    uploaded_by = models.ForeignKey(
        Person, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    #: The uploader's name when they uploaded it, as the record's entries keep their author's.
    uploaded_by_name = models.CharField(max_length=200)
    uploaded_at = models.DateTimeField()
    #: The escalation's stage when it was uploaded.
    stage = models.PositiveSmallIntegerField()

    original_name = models.CharField(
        max_length=255, help_text="The name it was uploaded with: a description only."
    )
    size = models.PositiveIntegerField(help_text="In bytes.")
    kind = models.CharField(max_length=10, choices=FileKind.choices)
    sha256 = models.CharField(max_length=64)
    scan_status = models.CharField(max_length=20, choices=ScanStatus.choices)
    #: Which scanner passed it (blank when not scanned).
    scanner = models.CharField(max_length=80, blank=True)
    #: Where it is in the private upload store: random, and nothing else.
    stored_name = models.CharField(max_length=80, unique=True, editable=False)

    class Meta:
        ordering = ["uploaded_at", "id"]
        indexes = [
            models.Index(fields=["escalation", "uploaded_at"], name="representation_by_case")
        ]
        constraints = [
            models.CheckConstraint(condition=Q(size__gt=0), name="representation_not_empty"),
            models.CheckConstraint(
                condition=Q(scan_status="not-scanned", scanner="")
                | (Q(scan_status="clean") & ~Q(scanner="")),
                name="representation_scanner_named_iff_scanned",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.escalation_id} representation {self.pk} ({self.kind})"

    @property
    def mime_type(self) -> str:
        return MIME_TYPES[FileKind(self.kind)]

    @property
    def extension(self) -> str:
        return EXTENSIONS[FileKind(self.kind)]
