"""Who sees the board's view: the business unit of a partnership, its own partnership's
figures only (``cases.access.business_unit_person``). Anyone else gets a 404, as for the
business unit's other pages (the outbox, the directory import)."""

from __future__ import annotations

from django.http import Http404, HttpRequest

from escalate.cases.access import business_unit_person
from escalate.directory.models import Person


def board_person_or_404(request: HttpRequest) -> Person:
    person = business_unit_person(request.user)
    if person is None:
        raise Http404
    return person
