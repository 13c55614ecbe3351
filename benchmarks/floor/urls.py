from django.conf import settings
from django.contrib.sessions.backends.db import SessionStore
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.urls import path

from escalate.audit.models import AuditAction, ObjectType
from escalate.audit.services import audit_record


def floor(request: HttpRequest, partnership: int, reference: str) -> HttpResponse:
    session = SessionStore(request.COOKIES.get(settings.SESSION_COOKIE_NAME))
    if session.get("_auth_user_id") is None:
        return HttpResponse("Not signed in.", status=403, content_type="text/plain")
    with transaction.atomic():
        audit_record(
            actor=None,
            action=AuditAction.ESCALATION_VIEWED,
            object_type=ObjectType.ESCALATION,
            object_ref=reference,
            partnership_id=partnership,
            detail={"benchmark": "floor"},
        )
    return HttpResponse(f"Viewed {reference}.", content_type="text/plain")


urlpatterns = [path("<int:partnership>/<str:reference>/", floor)]
