"""What every template knows: the service name, the viewer's partnership, demo mode."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest

from escalate.directory.models import Partnership


def site(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    partnership = (
        Partnership.objects.filter(agencies__people__user_id=user.pk).first()
        if user is not None and user.is_authenticated
        else None
    )
    return {
        "service_name": "Escalate",
        "viewer_partnership": partnership,
        "demo_mode": settings.ESCALATE_DEMO,
    }
