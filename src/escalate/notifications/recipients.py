"""Who is told what: from the procedure definition and the directory, never from code that
names a procedure.

- **Raised** (``EscalationRaised``): the practitioner named on the record as receiving it
  (``Escalation.receiving_person``), else the receiving agency's contacts for the stage it
  starts at; and the raiser's line manager (``Person.line_manager``).
- **A stage begins** (``StageEntered``): whoever holds the stage (below), kind
  ``stage-entered``; and the copies the stage's duties name (their ``recipients``), kind
  ``copy``, for the duties that are not tied to the resolution (those go out when it comes).
- **Due soon and overdue** (the deadline sweep): whoever holds the stage; on the day it
  becomes overdue also the next level up in each of those agencies (their contacts at the next
  stage; at the top stage the partnership's business manager) and the line managers of the
  people holding it, kind ``overdue-next-level``. For a duty, "those agencies" are the agency
  that does it when its ``who`` says so (it names the raising side: *raising*, *raised*, *with
  the concern(s)*; or the receiving side: *receiving*), else every party. The overall bound
  (stage 0) goes to whoever holds the current stage.
- **How it ended** (``StageResolved``, ``EscalationWithdrawn``, ``TopStageDecided``): the raiser,
  the receiving practitioner and whoever holds the stage it ended at, kind ``closed``; on a
  resolution or top-stage decision also the copies named by the stage's duties that are tied to
  the resolution (confirm in writing, send the monitoring form), kind ``copy``.

**Whoever holds a stage**: each party agency's stage contacts at that stage (``StageContact``
rows with a person), and at stage 1 the raising and receiving people themselves.

**Copies** (``Recipient`` in a definition): *raiser*, the raising person; *receiver*, the
receiving person, else the receiving agency's contacts at the stage; *all-parties*, whoever
holds the stage; *line-managers*, the raiser's and the receiver's line managers, and the party
agencies' contacts at the first stage the line-manager level acts at; *senior-managers*, the
party agencies' contacts at the first stage the senior-manager level acts at;
*stage-4-representative*, the party agencies' contacts at stage 4; *business-manager*,
*board-chair*, *strategic-safeguarding-team*, the people of the partnership with that
``Person.board_role``.

Nobody inactive is told, nor the person who acted about their own action, and nobody twice
for one change (the first reason found is the one given).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from escalate.cases.models import Escalation, Party, PartyRole
from escalate.directory.models import Person, StageContact
from escalate.notifications.models import Kind
from escalate.procedures import events as ev
from escalate.procedures.schema import Level, Obligation, Procedure, Recipient

#: Words in a duty's ``who`` that say which side does it.
RAISING_WORDS = ("raising", "raised", "with the concern", "with concerns")
RECEIVING_WORDS = ("receiving",)


@dataclass(frozen=True)
class Addressee:
    """One person to tell, why, and about which stage and duty."""

    person: Person
    kind: Kind
    stage: int
    obligation: str = ""


class Directory:
    """The directory as notifications read it: each agency's stage contacts and each
    partnership's board roles, read once (a sweep shares one across its batches)."""

    def __init__(self) -> None:
        self._contacts: dict[int, dict[int, list[Person]]] = {}
        self._board: dict[int, dict[str, list[Person]]] = {}

    def load(self, agency_ids: Iterable[int]) -> None:
        """Read the stage contacts of the agencies not read yet (one query)."""
        wanted = {a for a in agency_ids if a not in self._contacts}
        if not wanted:
            return
        for agency_id in wanted:
            self._contacts[agency_id] = defaultdict(list)
        rows = (
            StageContact.objects.filter(agency_id__in=wanted, person__isnull=False)
            .select_related("person__line_manager")
            .order_by("agency_id", "stage", "pk")
        )
        for row in rows:
            if row.person is not None:
                self._contacts[row.agency_id][row.stage].append(row.person)

    def contacts(self, agency_id: int, stage: int) -> list[Person]:
        self.load([agency_id])
        return list(self._contacts[agency_id].get(stage, ()))

    def board(self, partnership_id: int, role: str) -> list[Person]:
        if partnership_id not in self._board:
            found: dict[str, list[Person]] = defaultdict(list)
            people = Person.objects.filter(
                agency__partnership_id=partnership_id, is_active=True
            ).exclude(board_role="")
            for person in people.order_by("pk"):
                found[person.board_role].append(person)
            self._board[partnership_id] = found
        return list(self._board[partnership_id].get(role, ()))


@dataclass(frozen=True)
class Case:
    """One escalation as its notifications need it: parties, people and procedure."""

    escalation: Escalation
    procedure: Procedure
    parties: tuple[Party, ...]

    @classmethod
    def of(cls, escalation: Escalation, procedure: Procedure | None = None) -> Case:
        """Uses the escalation's prefetched parties when it has them."""
        from escalate.cases.rules import procedure_of

        parties = tuple(sorted(escalation.parties.all(), key=lambda p: p.pk))
        return cls(escalation, procedure or procedure_of(escalation), parties)

    @property
    def agency_ids(self) -> list[int]:
        return [p.agency_id for p in self.parties]

    def agencies_of(self, role: PartyRole) -> list[int]:
        return [p.agency_id for p in self.parties if p.role == role]


def _side_of(obligation: Obligation) -> PartyRole | None:
    who = (obligation.who or "").casefold()
    raising = any(w in who for w in RAISING_WORDS)
    receiving = any(w in who for w in RECEIVING_WORDS)
    if raising and not receiving:
        return PartyRole.RAISING
    if receiving and not raising:
        return PartyRole.RECEIVING
    return None


def holders(
    case: Case, stage: int, directory: Directory, agencies: Sequence[int] | None = None
) -> list[Person]:
    """Whoever holds a stage in the given party agencies (every party by default)."""
    esc = case.escalation
    wanted = case.agency_ids if agencies is None else list(agencies)
    people: list[Person] = []
    if stage == 1:
        if esc.raising_person is not None and esc.raising_agency_id in wanted:
            people.append(esc.raising_person)
        if esc.receiving_person is not None and esc.receiving_agency_id in wanted:
            people.append(esc.receiving_person)
    for agency_id in wanted:
        people.extend(directory.contacts(agency_id, stage))
    return people


def next_level(
    case: Case, stage: int, directory: Directory, held_by: Sequence[Person], agencies: Sequence[int]
) -> list[Person]:
    """The next level up: the agencies' contacts at the next stage (at the top stage, the
    partnership's business manager) and the line managers of those holding the stage."""
    people: list[Person] = []
    if stage < case.procedure.top:
        for agency_id in agencies:
            people.extend(directory.contacts(agency_id, stage + 1))
    else:
        people.extend(directory.board(case.escalation.partnership_id, Recipient.BUSINESS_MANAGER))
    people.extend(p.line_manager for p in held_by if p.line_manager is not None)
    return people


def _first_stage_of(procedure: Procedure, level: Level) -> int | None:
    return next((s.number for s in procedure.stages if level in s.levels), None)


def _managers(case: Case, recipient: Recipient, directory: Directory) -> list[Person]:
    """line-managers: the raiser's and receiver's line managers; both kinds: the party
    agencies' contacts at the first stage the level acts at."""
    esc = case.escalation
    people: list[Person] = []
    level = Level.SENIOR_MANAGER
    if recipient is Recipient.LINE_MANAGERS:
        level = Level.LINE_MANAGER
        for person in (esc.raising_person, esc.receiving_person):
            if person is not None and person.line_manager is not None:
                people.append(person.line_manager)
    at = _first_stage_of(case.procedure, level)
    if at is not None:
        people.extend(p for a in case.agency_ids for p in directory.contacts(a, at))
    return people


_BOARD_ROLES = frozenset(
    {Recipient.BUSINESS_MANAGER, Recipient.BOARD_CHAIR, Recipient.STRATEGIC_SAFEGUARDING_TEAM}
)


def copies(case: Case, recipient: Recipient, stage: int, directory: Directory) -> list[Person]:
    """Who a copy named in the definition goes to (see the module's docstring)."""
    esc = case.escalation
    if recipient in _BOARD_ROLES:
        return directory.board(esc.partnership_id, recipient.value)
    if recipient in (Recipient.LINE_MANAGERS, Recipient.SENIOR_MANAGERS):
        return _managers(case, recipient, directory)
    if recipient is Recipient.RAISER:
        return [esc.raising_person] if esc.raising_person is not None else []
    if recipient is Recipient.RECEIVER:
        if esc.receiving_person is not None:
            return [esc.receiving_person]
        return directory.contacts(esc.receiving_agency_id, stage)
    if recipient is Recipient.STAGE_4_REPRESENTATIVE:
        if case.procedure.top < 4:
            return []
        return [p for a in case.agency_ids for p in directory.contacts(a, 4)]
    return holders(case, stage, directory)  # all-parties


class _Collect:
    """Addressees in order, each person once, never the actor, never anyone inactive."""

    def __init__(self, actor: Person | None, seen: set[int] | None = None) -> None:
        self.actor_id = actor.pk if actor is not None else None
        self.seen: set[int] = set() if seen is None else seen
        self.found: list[Addressee] = []

    def add(self, people: Iterable[Person], kind: Kind, stage: int, obligation: str = "") -> None:
        for person in people:
            if person.pk in self.seen or person.pk == self.actor_id or not person.is_active:
                continue
            self.seen.add(person.pk)
            self.found.append(Addressee(person, kind, stage, obligation))


def _copy_all(
    case: Case, collect: _Collect, stage: int, directory: Directory, *, tied: bool
) -> None:
    for ob in case.procedure.stage(stage).obligations:
        if ob.tied_to_resolution is not tied:
            continue
        for recipient in ob.recipients:
            collect.add(copies(case, recipient, stage, directory), Kind.COPY, stage, ob.id)


def for_event(
    case: Case,
    event: ev.Event,
    directory: Directory,
    *,
    actor: Person | None,
    seen: set[int] | None = None,
) -> list[Addressee]:
    """Who is told about one event. ``seen``: people already told about the same change."""
    esc = case.escalation
    collect = _Collect(actor, seen)
    match event:
        case ev.EscalationRaised():
            stage = event.at_stage
            if esc.receiving_person is not None:
                collect.add([esc.receiving_person], Kind.RAISED, stage)
            else:
                collect.add(directory.contacts(esc.receiving_agency_id, stage), Kind.RAISED, stage)
            raiser = esc.raising_person
            if raiser is not None and raiser.line_manager is not None:
                collect.add([raiser.line_manager], Kind.RAISED, stage)
        case ev.StageEntered():
            collect.add(holders(case, event.stage, directory), Kind.STAGE_ENTERED, event.stage)
            _copy_all(case, collect, event.stage, directory, tied=False)
        case ev.StageResolved() | ev.TopStageDecided() | ev.EscalationWithdrawn():
            told = [p for p in (esc.raising_person, esc.receiving_person) if p is not None]
            collect.add(told, Kind.CLOSED, event.stage)
            collect.add(holders(case, event.stage, directory), Kind.CLOSED, event.stage)
            if not isinstance(event, ev.EscalationWithdrawn):
                _copy_all(case, collect, event.stage, directory, tied=True)
        case _:
            pass
    return collect.found


def for_events(
    case: Case, events: Sequence[ev.Event], directory: Directory, *, actor: Person | None
) -> list[tuple[int, Addressee]]:
    """Who is told about one change (its events, in order), each person once: ``(index of
    the event, addressee)``."""
    directory.load(case.agency_ids)
    seen: set[int] = set()
    return [
        (index, a)
        for index, event in enumerate(events)
        for a in for_event(case, event, directory, actor=actor, seen=seen)
    ]


def for_form(
    case: Case,
    *,
    form_id: str,
    send_to: Sequence[Recipient],
    stage: int,
    directory: Directory,
    actor: Person | None,
) -> list[Addressee]:
    """Who a signed form is sent to: its definition's ``send_to`` recipients, read as copies
    are (:func:`copies`), each once, never the person who sent it. Kind ``form``; the form's id
    travels in ``obligation``."""
    directory.load(case.agency_ids)
    collect = _Collect(actor)
    for recipient in send_to:
        collect.add(copies(case, recipient, stage, directory), Kind.FORM, stage, form_id)
    return collect.found


def for_deadline(
    case: Case, *, stage: int, obligation: str, overdue: bool, directory: Directory
) -> list[Addressee]:
    """Who is told that a date is near (``overdue`` False) or has passed. ``stage`` 0 is the
    overall bound, told to whoever holds the current stage."""
    at = stage or case.escalation.current_stage
    agencies = case.agency_ids
    if obligation:
        found = [o for o in case.procedure.stage(at).obligations if o.id == obligation]
        side = _side_of(found[0]) if found else None
        if side is not None:
            agencies = case.agencies_of(side)
    held = holders(case, at, directory, agencies)
    collect = _Collect(actor=None)
    collect.add(held, Kind.OVERDUE if overdue else Kind.DUE_SOON, stage, obligation)
    if overdue:
        up = next_level(case, at, directory, held, agencies)
        collect.add(up, Kind.OVERDUE_NEXT_LEVEL, stage, obligation)
    return collect.found
