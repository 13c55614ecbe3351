"""Who is signed in, read in one query per request.

Every page needs the same facts about its viewer: their account, their directory person, that
person's agency and partnership, whether this session has passed the second factor, and how
many of their notifications are unread (the header shows it). Django and django-otp would read
these in four or five queries before the view runs; here they come from one:

- :class:`SignedInBackend` (in ``AUTHENTICATION_BACKENDS`` where Django's ``ModelBackend``
  was; single sign-on's backend loads its users the same way) loads the account with its
  person, agency and partnership joined, and annotates it with the unread count and, while
  :class:`SecondFactorMiddleware` asks, whether the device this session was verified with
  still exists, belongs to the account and is confirmed.
- :class:`SecondFactorMiddleware` (in ``MIDDLEWARE`` where django-otp's ``OTPMiddleware`` was)
  reads that answer instead of loading the device. ``user.otp_device`` is then the device,
  loaded only if something reads it. A user loaded any other way gets django-otp's own check.

Django's own session checks (the session's user, its backend, the hash of the password and
session epoch) are unchanged: :func:`django.contrib.auth.get_user` still makes them.
"""

from __future__ import annotations

import contextvars
import functools
from typing import Any

from django.apps import apps
from django.contrib.auth.backends import ModelBackend
from django.db.models import Count, Exists, IntegerField, OuterRef, Subquery, Value
from django.db.models.functions import Coalesce
from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.middleware import OTPMiddleware
from django_otp.models import Device

from escalate import timekeeping
from escalate.accounts.models import User
from escalate.notifications.models import Channel, Notification

#: The annotations a user loaded here carries.
SECOND_FACTOR_OK = "signed_in_second_factor_ok"
UNREAD = "signed_in_unread_notifications"

_NOT_ASKED = object()
#: Set by :class:`SecondFactorMiddleware` while it loads the user: the persistent id of the
#: device the session was verified with (or None).
_session_device: contextvars.ContextVar[object] = contextvars.ContextVar(
    "escalate_session_device", default=_NOT_ASKED
)


def _device_check(persistent_id: object) -> Exists | Value:
    """Whether the device named by ``persistent_id`` belongs to the user and is confirmed
    (django-otp's rule), as an expression on the user's row."""
    if not isinstance(persistent_id, str) or "/" not in persistent_id:
        return Value(False)
    label, _, pk = OTPMiddleware._normalize_persistent_id(persistent_id).rpartition("/")
    try:
        model = apps.get_model(label)
    except (LookupError, ValueError):
        return Value(False)
    if not issubclass(model, Device) or not pk.isdigit():
        return Value(False)
    return Exists(model.objects.filter(pk=int(pk), user_id=OuterRef("pk"), confirmed=True))


def _unread() -> Coalesce:
    """The unread in-application notifications of the user's person (the ``inbox`` index)."""
    count = (
        Notification.objects.filter(
            recipient_id=OuterRef("person__pk"),
            channel=Channel.APP,
            read_at__isnull=True,
            sent_at__lte=timekeeping.now(),
        )
        .order_by()
        .values("recipient_id")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return Coalesce(Subquery(count, output_field=IntegerField()), 0)


def load_user(user_id: Any) -> User | None:
    """The account ``user_id`` with everything a page needs of its viewer, in one query."""
    annotations: dict[str, Any] = {UNREAD: _unread()}
    asked = _session_device.get()
    if asked is not _NOT_ASKED:
        annotations[SECOND_FACTOR_OK] = _device_check(asked)
    try:
        return (
            User._default_manager.select_related("person__agency__partnership")
            .annotate(**annotations)
            .get(pk=user_id)
        )
    except (User.DoesNotExist, ValueError, TypeError):
        return None


class SignedInBackend(ModelBackend):
    """Django's ``ModelBackend`` (passwords, permissions, inactive users refused), loading the
    signed-in user with :func:`load_user`."""

    def get_user(self, user_id: Any) -> Any:
        user = load_user(user_id)
        return user if user is not None and self.user_can_authenticate(user) else None


def unread_notifications(user: object) -> int | None:
    """The unread count loaded with the user, or None if it was loaded some other way."""
    value = getattr(user, UNREAD, None)
    return value if isinstance(value, int) else None


class SecondFactorMiddleware(OTPMiddleware):  # type: ignore[misc]
    """django-otp's middleware, answering "is this session verified?" from the user's own
    query instead of a query of its own."""

    def _verify_user_sync(self, request: HttpRequest, user: Any) -> Any:
        token = _session_device.set(request.session.get(DEVICE_ID_SESSION_KEY))
        try:
            authenticated = user.is_authenticated  # loads the user, with the answer
        finally:
            _session_device.reset(token)
        ok = getattr(user, SECOND_FACTOR_OK, None) if authenticated else None
        if ok is None:  # anonymous, or loaded without the answer: django-otp decides
            return super()._verify_user_sync(request, user)
        self._init_user_fields(user)
        if ok:
            persistent_id = self._normalize_persistent_id(request.session[DEVICE_ID_SESSION_KEY])
            user.otp_device = SimpleLazyObject(
                functools.partial(Device.from_persistent_id, persistent_id)
            )
        else:
            request.session.pop(DEVICE_ID_SESSION_KEY, None)
        return user
