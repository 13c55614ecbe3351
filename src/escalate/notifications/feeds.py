"""A person's calendar feed (iCalendar, RFC 5545, built with ``icalendar``).

One all-day event per live due date of what they hold. An event says only the escalation's
reference and which stage (or a duty within it, or the whole procedure) is due, with a link to
the escalation: no names, nothing anyone typed, not even the procedure's words for the duty, so
that a calendar shared or synced somewhere else tells no one anything about the person at risk.
Each event's UID is built from the reference, the stage, the duty and the date, so the same due
date keeps its UID from one fetch to the next and a moved date is a new event.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

import icalendar
from django.conf import settings
from django.urls import reverse

from escalate.cases.models import Deadline

PRODID = "-//Escalate//Due dates//EN"
CALENDAR_NAME = "Escalate: due dates"
#: How often calendar applications are asked to fetch the feed again.
REFRESH = dt.timedelta(hours=1)
UID_DOMAIN = "escalate"


def summary_for(deadline: Deadline) -> str:
    reference = deadline.escalation.reference
    if deadline.stage == 0:
        return f"{reference}: whole procedure due"
    if deadline.obligation:
        return f"{reference}: a stage {deadline.stage} task due"
    return f"{reference}: stage {deadline.stage} due"


def uid_for(deadline: Deadline) -> str:
    what = deadline.obligation or "stage"
    return (
        f"{deadline.escalation.reference}.{deadline.stage}.{what}."
        f"{deadline.due_on:%Y%m%d}@{UID_DOMAIN}"
    )


def _link(reference: str) -> str:
    return f"{settings.ESCALATE_SITE_URL}{reverse('cases:detail', args=[reference])}"


def calendar_for(deadlines: Iterable[Deadline], *, now: dt.datetime) -> bytes:
    """The feed for these due dates (each with its escalation loaded), stamped ``now``."""
    calendar = icalendar.Calendar.new(prodid=PRODID, name=CALENDAR_NAME, refresh_interval=REFRESH)
    calendar.pop("UID", None)  # a fresh random one on every fetch would mean nothing
    calendar.add("X-PUBLISHED-TTL", REFRESH)
    for deadline in deadlines:
        calendar.add_component(
            icalendar.Event.new(
                uid=uid_for(deadline),
                summary=summary_for(deadline),
                start=deadline.due_on,
                end=deadline.due_on + dt.timedelta(days=1),
                stamp=now,
                url=_link(deadline.escalation.reference),
                classification=icalendar.CLASS.PRIVATE,
                transparency=icalendar.TRANSP.TRANSPARENT,
            )
        )
    body: bytes = calendar.to_ical()
    return body
