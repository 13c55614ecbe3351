"""What a person does with their notifications, and the business unit with its outbox.

Every service takes the :class:`~escalate.cases.actors.Actor` who acts (a person: the system
has no notifications page) and the moment it acts, ``now``, as keyword arguments; none reads
the clock. Audit entries carry ids, references and enum values: never an address, a message's
content or a feed's secret.
"""

from __future__ import annotations

import datetime as dt
import secrets

from django.db import transaction

from escalate.audit.models import AuditAction, ObjectType
from escalate.audit.services import audit_record
from escalate.cases.actors import Actor
from escalate.directory.models import Person
from escalate.notifications import selectors
from escalate.notifications.models import Delivery, Notification, Preference, Status
from escalate.notifications.selectors import NotificationNotFound

__all__ = [
    "NOT_A_PERSON",
    "NOT_RETRYABLE",
    "UNKNOWN_DELIVERY",
    "NotRetryable",
    "NotificationNotFound",
    "calendar_feed_reset",
    "notification_mark_read",
    "notification_retry",
    "notifications_mark_all_read",
    "preference_set_delivery",
]

NOT_A_PERSON = "Only a person in the directory has notifications."
UNKNOWN_DELIVERY = "Choose immediate delivery or a daily digest."
NOT_RETRYABLE = (
    "That message has not failed or stopped while sending, so it cannot be sent again. "
    "Someone may have sent it again already."
)
#: Rows the business unit may send again.
RETRYABLE = (Status.FAILED, Status.UNCERTAIN)
#: 32 random bytes: a feed's secret, in the URL alphabet (43 characters).
FEED_SECRET_BYTES = 32


class NotRetryable(Exception):
    """The row is not failed or uncertain (perhaps someone sent it again meanwhile)."""

    def __init__(self) -> None:
        super().__init__(NOT_RETRYABLE)
        self.message = NOT_RETRYABLE


def _person(actor: Actor) -> Person:
    if actor.person is None:
        raise ValueError(NOT_A_PERSON)
    return actor.person


# -- the person's own notifications -----------------------------------------------------------


def notification_mark_read(*, actor: Actor, notification_id: int, now: dt.datetime) -> Notification:
    """Mark one of the actor's own in-application rows read (the first time it was read is
    kept). :class:`NotificationNotFound` for anyone else's row."""
    n = selectors.inbox_item_for(_person(actor), notification_id, now=now)
    if n.read_at is None:
        Notification.objects.filter(pk=n.pk, read_at__isnull=True).update(read_at=now)
        n.refresh_from_db(fields=["read_at"])
    return n


def notifications_mark_all_read(*, actor: Actor, now: dt.datetime) -> int:
    """Mark every unread in-application row of the actor read; how many were unread."""
    unread = selectors.inbox_for(_person(actor), now=now)
    return unread.filter(read_at__isnull=True).update(read_at=now)


# -- how they hear ----------------------------------------------------------------------------


def preference_set_delivery(*, actor: Actor, delivery: str) -> Preference:
    """Immediate delivery or a daily digest for non-urgent e-mail (overdue and immediate-risk
    messages are always immediate, whatever is chosen). Audited when it changes."""
    person = _person(actor)
    if delivery not in Delivery.values:
        raise ValueError(UNKNOWN_DELIVERY)
    with transaction.atomic():
        pref, _ = Preference.objects.select_for_update().get_or_create(person=person)
        if pref.delivery == delivery:
            return pref
        pref.delivery = delivery
        pref.save(update_fields=["delivery"])
        audit_record(
            actor=actor.user,
            action=AuditAction.NOTIFICATION_PREFERENCE_CHANGED,
            object_type=ObjectType.PERSON,
            object_ref=str(person.pk),
            partnership_id=person.agency.partnership_id,
            detail={**actor.audit_detail(), "delivery": delivery},
        )
    return pref


def calendar_feed_reset(*, actor: Actor, now: dt.datetime) -> str:
    """Give the actor a new calendar feed secret and return it: the only time it is known.
    Only its SHA-256 is stored, so the old address stops working at once."""
    person = _person(actor)
    secret = secrets.token_urlsafe(FEED_SECRET_BYTES)
    with transaction.atomic():
        pref, _ = Preference.objects.select_for_update().get_or_create(person=person)
        had_feed = bool(pref.feed_secret_hash)
        pref.feed_secret_hash = selectors.feed_secret_hash(secret)
        pref.feed_reset_at = now
        pref.save(update_fields=["feed_secret_hash", "feed_reset_at"])
        audit_record(
            actor=actor.user,
            action=AuditAction.CALENDAR_FEED_RESET,
            object_type=ObjectType.PERSON,
            object_ref=str(person.pk),
            partnership_id=person.agency.partnership_id,
            detail={**actor.audit_detail(), "replaced": had_feed},
        )
    return secret


# -- the business unit's outbox ---------------------------------------------------------------


def notification_retry(*, actor: Actor, notification_id: int, now: dt.datetime) -> Notification:
    """Send a failed or uncertain e-mail of the business unit's partnership again: queued, due
    ``now``, its attempts kept and any stale claim cleared. :class:`NotificationNotFound` for
    anyone but that business unit; :class:`NotRetryable` for a row in any other state."""
    person = _person(actor)
    with transaction.atomic():
        n = (
            selectors.outbox_for(person)
            .select_for_update(of=("self",))
            .filter(pk=notification_id)
            .first()
        )
        if n is None:
            raise NotificationNotFound(notification_id)
        was = n.status
        if was not in RETRYABLE:
            raise NotRetryable
        n.status = Status.QUEUED
        n.next_attempt_at = now
        n.claimed_by = ""
        n.claimed_at = None
        n.save(update_fields=["status", "next_attempt_at", "claimed_by", "claimed_at"])
        audit_record(
            actor=actor.user,
            action=AuditAction.NOTIFICATION_RETRIED,
            object_type=ObjectType.NOTIFICATION,
            object_ref=str(n.pk),
            partnership_id=n.partnership_id,
            detail={**actor.audit_detail(), "reference": n.reference, "was": was},
        )
    return n
