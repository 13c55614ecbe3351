"""What every template knows: the service name, the viewer's partnership, demo mode."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest


def site(request: HttpRequest) -> dict[str, Any]:
    person = (
        getattr(getattr(request, "user", None), "person", None)
        if request.user.is_authenticated
        else None
    )
    partnership = person.agency.partnership if person is not None else None
    return {
        "service_name": "Escalate",
        "viewer_person": person,
        "viewer_partnership": partnership,
        "demo_mode": settings.ESCALATE_DEMO,
    }
