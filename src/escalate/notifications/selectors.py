"""Every read of the outbox for a page or the calendar feed goes through here.

A person reads only their own in-application rows; the business unit reads the e-mail rows of
its own partnership; the calendar feed holds the due dates of what a person holds now, by the
same access rules as the "Awaiting my action" list (``escalate.cases.access`` and
``escalate.cases.selectors.awaiting_q``), never a second copy of them.
"""

from __future__ import annotations

import datetime as dt
import hashlib

from django.db.models import Count, Q, QuerySet

from escalate.cases import access
from escalate.cases import selectors as cases_selectors
from escalate.cases.models import Deadline, Escalation
from escalate.directory.models import Person
from escalate.notifications.models import Channel, Notification, Preference, Status


class NotificationNotFound(LookupError):
    """No such row for this person (whether or not it exists)."""


# -- the person's own notifications -----------------------------------------------------------


def inbox_for(person: Person, *, now: dt.datetime) -> QuerySet[Notification]:
    """The person's in-application rows delivered by ``now`` (a reminder the sweep found at
    night appears with the working day, as its e-mail does), newest first, with what rendering
    them needs."""
    return (
        Notification.objects.filter(recipient=person, channel=Channel.APP, sent_at__lte=now)
        .select_related("escalation", "partnership")
        .order_by("-created_at", "-id")
    )


def unread_count(person_id: int, *, now: dt.datetime) -> int:
    """How many of the person's in-application rows delivered by ``now`` are unread (one
    indexed count: ``inbox``)."""
    return Notification.objects.filter(
        recipient_id=person_id, channel=Channel.APP, read_at__isnull=True, sent_at__lte=now
    ).count()


def inbox_item_for(person: Person, notification_id: int, *, now: dt.datetime) -> Notification:
    """One of the person's own in-application rows, or :class:`NotificationNotFound`."""
    found = inbox_for(person, now=now).filter(pk=notification_id).first()
    if found is None:
        raise NotificationNotFound(notification_id)
    return found


def preference_of(person: Person) -> Preference:
    """The person's preference, or the default (immediate, no feed) unsaved."""
    return Preference.objects.filter(person=person).first() or Preference(person=person)


# -- the business unit's outbox ---------------------------------------------------------------


def outbox_for(person: Person, status: str | None = None) -> QuerySet[Notification]:
    """The e-mail rows of the business unit's partnership (matches nothing for anyone else),
    newest first, optionally of one status."""
    if not person.is_business_unit:
        return Notification.objects.none()
    qs = Notification.objects.filter(
        partnership_id=person.agency.partnership_id, channel=Channel.EMAIL
    )
    if status:
        qs = qs.filter(status=status)
    return qs.select_related("recipient__agency").order_by("-created_at", "-id")


def outbox_counts(person: Person) -> dict[str, int]:
    """How many of the partnership's e-mails failed and stopped while sending (one query)."""
    return outbox_for(person).aggregate(
        failed=Count("pk", filter=Q(status=Status.FAILED)),
        uncertain=Count("pk", filter=Q(status=Status.UNCERTAIN)),
    )


def outbox_row_for(person: Person, notification_id: int) -> Notification:
    """One e-mail row of the business unit's partnership, or :class:`NotificationNotFound`."""
    found = outbox_for(person).filter(pk=notification_id).first()
    if found is None:
        raise NotificationNotFound(notification_id)
    return found


# -- the calendar feed ------------------------------------------------------------------------


def feed_secret_hash(secret: str) -> str:
    """What is stored for a feed's secret: its SHA-256, never the secret."""
    return hashlib.sha256(secret.encode()).hexdigest()


def feed_owner(secret: str) -> Person | None:
    """The active person whose current feed secret this is, else None (unknown, reset, or
    someone who may no longer sign in)."""
    if not secret:
        return None
    pref = (
        Preference.objects.filter(feed_secret_hash=feed_secret_hash(secret))
        .select_related("person__agency__partnership", "person__user")
        .first()
    )
    if pref is None:
        return None
    owner = pref.person
    return owner if access.person_of(owner.user) is not None else None


def held_escalations(person: Person) -> QuerySet[Escalation]:
    """Open escalations the person can see whose current stage they hold: their "Awaiting my
    action" list."""
    return Escalation.objects.filter(access.visible_q(person)).filter(
        cases_selectors.awaiting_q(person)
    )


def held_deadlines(person: Person) -> QuerySet[Deadline]:
    """Every live due date of what the person holds, earliest first."""
    return (
        Deadline.objects.filter(escalation__in=held_escalations(person))
        .select_related("escalation")
        .order_by("due_on", "escalation__reference", "stage", "obligation")
    )
