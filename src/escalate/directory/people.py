"""Who a signed-in account is in the directory: the access rules build on these two."""

from __future__ import annotations

from escalate.directory.models import Person


def person_of(user: object) -> Person | None:
    if not getattr(user, "is_authenticated", False) or not getattr(user, "is_active", False):
        return None
    try:
        person: Person = user.person  # type: ignore[attr-defined]
    except Person.DoesNotExist:
        return None
    return person if person.is_active else None


def business_unit_person(user: object) -> Person | None:
    """The user's person if they are their partnership's business unit (who alone import the
    directory, export a subject's records and read an escalation's audit trail), else None."""
    person = person_of(user)
    return person if person is not None and person.is_business_unit else None
