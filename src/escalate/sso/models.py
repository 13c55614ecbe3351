"""Which organisation account belongs to which Escalate account."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone


class OidcIdentity(models.Model):
    """An organisation account, named by its provider's issuer and the subject the provider gives
    it, linked to one Escalate user. Never found or made by e-mail address: addresses are
    reassigned, shared and editable at the provider, while (issuer, subject) is not."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="oidc_identities"
    )
    issuer = models.CharField(max_length=255)
    subject = models.CharField(max_length=255)
    created_at = models.DateTimeField(default=timezone.now)
    last_used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = "organisation account"
        ordering = ["created_at", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["issuer", "subject"], name="sso_identity_one_user_per_issuer_subject"
            ),
            models.CheckConstraint(
                condition=~Q(issuer="") & ~Q(subject=""),
                name="sso_identity_issuer_and_subject_present",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.issuer} account linked to user {self.user_id}"
