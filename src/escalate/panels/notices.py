"""Who hears about a panel and the top stage's outcome, written to the outbox.

- **Every party**: the raiser and the receiving practitioner named on the record; each party
  agency's contacts at the escalation's current stage (an agency with nobody named there: its
  contacts at the latest stage before it that names someone); and everyone of a party agency
  who wrote in the record.
- **An agency** (a recommendation addressed to it): the same, for that one agency.
- **A panel's members**: each member still in the directory.

Nobody inactive is told, nor the person who acted, nor anyone twice for one change. Rows carry
the reference, stage, kind and a date (the day a panel sits; the day a response is due), never
anything typed (``notifications.messages`` renders them).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from escalate.cases.actors import Actor
from escalate.cases.models import Escalation
from escalate.directory.models import Person
from escalate.notifications import outbox, recipients
from escalate.notifications.models import Kind
from escalate.panels.selectors import people_involved


class Told:
    """The addressees of one change, each person once, never the actor or anyone inactive."""

    def __init__(self, actor: Actor, *, already: Iterable[int] = ()) -> None:
        self.actor_id = actor.person.pk if actor.person is not None else None
        self.seen: set[int] = set(already)
        self.found: list[tuple[recipients.Addressee, dt.date | None]] = []

    def add(
        self, people: Iterable[Person | None], kind: Kind, stage: int, due_on: dt.date | None
    ) -> None:
        for person in people:
            if person is None or person.pk in self.seen or person.pk == self.actor_id:
                continue
            if not person.is_active:
                continue
            self.seen.add(person.pk)
            self.found.append((recipients.Addressee(person, kind, stage), due_on))

    def write(self, escalation: Escalation, cause: str, now: dt.datetime) -> int:
        return outbox.write_to(escalation=escalation, cause=cause, addressed=self.found, now=now)


def party_people(escalation: Escalation, agencies: Iterable[int] | None = None) -> list[Person]:
    """Every party's people (see the module's docstring), or only those of ``agencies``."""
    case = recipients.Case.of(escalation)
    wanted = case.agency_ids if agencies is None else [a for a in agencies]
    directory = recipients.Directory()
    directory.load(wanted)
    people: list[Person] = [
        p
        for p in (escalation.raising_person, escalation.receiving_person)
        if p is not None and p.agency_id in wanted
    ]
    for agency_id in wanted:
        for stage in range(escalation.current_stage, 0, -1):
            found = directory.contacts(agency_id, stage)
            if found:
                people.extend(found)
                break
    people.extend(i.person for i in people_involved(escalation) if i.person.agency_id in wanted)
    return people
