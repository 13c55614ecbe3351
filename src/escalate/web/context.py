"""What every template knows: the service name, the viewer's partnership, whether they may
raise a concern (the business unit never does), whether they see the board's view (the
business unit alone does), how many of their notifications are unread (for someone fully
signed in), demo mode. Read from what ``escalate.web.signed_in`` loaded
with the user: no query of its own."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest

from escalate import timekeeping
from escalate.cases import access
from escalate.directory.models import Person
from escalate.notifications.selectors import unread_count
from escalate.web.signed_in import unread_notifications


def site(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    person = _person(user)
    verified = getattr(user, "is_verified", None)  # set by django-otp's middleware
    unread = None
    if person is not None and person.is_active and callable(verified) and verified():
        unread = unread_notifications(user)
        if unread is None:  # a user not loaded by escalate.web.signed_in
            unread = unread_count(person.pk, now=timekeeping.now())
    return {
        "service_name": "Escalate",
        "viewer_partnership": person.agency.partnership if person is not None else None,
        "may_raise": access.may_raise(person if person is not None and person.is_active else None),
        # The board's view is the business unit's (insights.access): the same rule, no query.
        "sees_board": access.business_unit_person(user) is not None,
        "unread_notifications": unread,
        "demo_mode": settings.ESCALATE_DEMO,
    }


def _person(user: object) -> Person | None:
    """The viewer's person, active or not, as loaded with the user (no query when the user
    came from escalate.web.signed_in)."""
    if user is None or not getattr(user, "is_authenticated", False):
        return None
    try:
        person: Person = user.person  # type: ignore[attr-defined]
    except Person.DoesNotExist:
        return None
    return person
