"""Who a service acts for: a person signed in to the application, or the system.

Every service takes an :class:`Actor`. A person acts through their user account and their
directory entry; the system (the deadline sweep, a command, later an agency's API client) acts
with no account and is named instead. The audit entry records which.
"""

from __future__ import annotations

from dataclasses import dataclass

from escalate.accounts.models import User
from escalate.directory.models import Person


class NoPersonError(Exception):
    """The account is not linked to anyone in the directory, so it cannot act on a record."""


@dataclass(frozen=True)
class Actor:
    #: The account a person acts through; None for the system.
    user: User | None
    #: Their directory entry; None for the system.
    person: Person | None
    #: For the system: what acts ("sweep", "demo", a command's name).
    system: str = ""

    @classmethod
    def of(cls, user: object) -> Actor:
        """The person behind a signed-in account. :class:`NoPersonError` if there is none."""
        from escalate.cases.access import person_of

        person = person_of(user)
        if person is None or not isinstance(user, User):
            raise NoPersonError
        return cls(user=user, person=person)

    @classmethod
    def for_system(cls, name: str) -> Actor:
        return cls(user=None, person=None, system=name)

    @property
    def is_system(self) -> bool:
        return self.person is None

    @property
    def name(self) -> str:
        """What the record shows as the author."""
        return self.person.name if self.person is not None else "Escalate"

    @property
    def agency_name(self) -> str:
        return self.person.agency.name if self.person is not None else f"System ({self.system})"

    def audit_detail(self) -> dict[str, str]:
        """What the audit entry adds to say who acted."""
        return {"actor": f"system:{self.system}" if self.is_system else "person"}
