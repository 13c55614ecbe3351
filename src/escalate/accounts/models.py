"""Accounts. A user signs in; what they may see comes from their directory ``person``.

Signing in takes a password and a second factor (see ``escalate.accounts.mfa``). An account
with no authenticator app sets one up only while ``set_up_allowed_until`` is in the future.
Every session of a user carries a hash of their password and their ``session_epoch``: changing
either (a new password, or "sign out everywhere") ends every session they have.
"""

from __future__ import annotations

from collections.abc import Iterator

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils.crypto import salted_hmac

SESSION_HASH_SALT = "escalate.accounts.models.User.get_session_auth_hash"


class User(AbstractUser):
    email = models.EmailField(unique=True)
    #: Raised by one to sign the user out of every session ("sign out everywhere").
    session_epoch = models.PositiveIntegerField(default=0, editable=False)
    #: Until when this account may set up an authenticator app (``mfa.allow_set_up``): opened
    #: by a password chosen from an e-mailed link or by an administrator, closed once set up.
    set_up_allowed_until = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["username"]

    def _session_hash(self, secret: str | bytes | None = None) -> str:
        value = f"{self.password}:{self.session_epoch}"
        return salted_hmac(SESSION_HASH_SALT, value, secret=secret, algorithm="sha256").hexdigest()

    def get_session_auth_hash(self) -> str:
        """What Django checks a session against on every request (see ``auth.get_user``): a
        session made before the password or the epoch changed no longer matches."""
        return self._session_hash()

    def get_session_auth_fallback_hash(self) -> Iterator[str]:
        for fallback_secret in settings.SECRET_KEY_FALLBACKS:
            yield self._session_hash(secret=fallback_secret)
