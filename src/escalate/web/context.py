"""What every template knows: the service name, the viewer's partnership, whether they may
raise a concern (the business unit never does), how many of their notifications are unread
(for someone fully signed in: one indexed count), demo mode."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest

from escalate import timekeeping
from escalate.cases import access
from escalate.directory.models import Person
from escalate.notifications.selectors import unread_count


def site(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    person = (
        Person.objects.select_related("agency__partnership").filter(user_id=user.pk).first()
        if user is not None and user.is_authenticated
        else None
    )
    verified = getattr(user, "is_verified", None)  # set by django-otp's middleware
    return {
        "service_name": "Escalate",
        "viewer_partnership": person.agency.partnership if person is not None else None,
        "may_raise": access.may_raise(person if person is not None and person.is_active else None),
        "unread_notifications": (
            unread_count(person.pk, now=timekeeping.now())
            if person is not None and person.is_active and callable(verified) and verified()
            else None
        ),
        "demo_mode": settings.ESCALATE_DEMO,
    }
