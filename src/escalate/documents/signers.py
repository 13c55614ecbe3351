"""Who may sign a form, and so complete it: the procedure's ``signers`` matched to a person.

A form is completed and signed by the people its definition names, at the stage it is
completed at, never by anyone else (``Signer`` in ``escalate.procedures.schema``):

- ``raiser``: the person who raised the concern; ``receiver``: the receiving practitioner named
  on the record;
- ``stage-holder``: a person of a party agency (of the side named, if one is) whose level holds
  the stage (``escalate.cases.access.holds_stage``); at a stage the business unit records for a
  chair or panel, the business unit;
- ``level``: a person of a party agency (of the side named) at that level or above;
- ``business-unit``: the partnership's business unit;
- ``panel-chair``: the chair of a panel sitting on the escalation at the form's stage
  (:func:`panel_chairs`).

Everyone must also be able to see the escalation; the views load it through the selectors.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from escalate.cases.access import holds_stage
from escalate.cases.models import Escalation, Party, PartyRole
from escalate.directory.models import LEVEL_RANK, Person
from escalate.procedures import forms as core
from escalate.procedures.schema import (
    Form,
    FormField,
    Level,
    Procedure,
    Side,
    Signer,
    SignerKind,
)


@dataclass(frozen=True)
class Case:
    """An escalation as the signing rules read it: loaded once per page or service."""

    escalation: Escalation
    parties: tuple[Party, ...]
    procedure: Procedure
    #: (stage, person id) of the chairs of the panels sitting on it (:func:`panel_chairs`).
    chairs: frozenset[tuple[int, int]] = frozenset()

    @classmethod
    def of(cls, escalation: Escalation, procedure: Procedure) -> Case:
        return cls(
            escalation,
            tuple(escalation.parties.all()),
            procedure,
            panel_chairs(escalation),
        )


def panel_chairs(escalation: Escalation) -> frozenset[tuple[int, int]]:
    """(stage, person id) of everyone recorded as chair of a panel sitting on the escalation
    at that stage (``escalate.panels``, when installed: read through the app registry, so that
    forms do not depend on panels). Without it nobody is a chair here, and the business unit
    signs for the chair where the procedure says it may."""
    from django.apps import apps

    if not apps.is_installed("escalate.panels"):
        return frozenset()
    try:
        member = apps.get_model("panels", "PanelMember")
    except LookupError:  # pragma: no cover - the app without its members
        return frozenset()
    rows = member.objects.filter(
        panel__escalation_id=escalation.pk, role="chair", person__isnull=False
    ).values_list("panel__stage", "person_id")
    return frozenset((stage, person_id) for stage, person_id in rows)


def _side_ok(side: Side, person: Person, case: Case) -> bool:
    roles = {p.role for p in case.parties if p.agency_id == person.agency_id}
    if not roles:
        return False
    if side is Side.RAISING:
        return PartyRole.RAISING in roles
    if side is Side.RECEIVING:
        return PartyRole.RECEIVING in roles
    return True


def matches(signer: Signer, person: Person, case: Case, stage: int) -> bool:
    """Whether ``person`` is one of the people ``signer`` names, for a form at ``stage``."""
    esc = case.escalation
    if person.agency.partnership_id != esc.partnership_id or not person.is_active:
        return False
    match signer.who:
        case SignerKind.RAISER:
            return esc.raising_person_id == person.pk
        case SignerKind.RECEIVER:
            return esc.receiving_person_id == person.pk
        case SignerKind.BUSINESS_UNIT:
            return person.is_business_unit
        case SignerKind.PANEL_CHAIR:
            return (stage, person.pk) in case.chairs
        case SignerKind.STAGE_HOLDER:
            if not holds_stage(person, case.procedure, stage):
                return False
            return person.is_business_unit or _side_ok(signer.side, person, case)
        case SignerKind.LEVEL:
            wanted = signer.level
            if wanted is None or wanted not in LEVEL_RANK or person.is_business_unit:
                return False
            try:
                rank = LEVEL_RANK[Level(person.level)]
            except (KeyError, ValueError):
                return False
            return rank >= LEVEL_RANK[wanted] and _side_ok(signer.side, person, case)
    return False  # pragma: no cover


def signed_as(form: Form, slot: FormField, person: Person, case: Case, stage: int) -> str | None:
    """The signer (``stage-holder``, ``raiser``...) the person may sign ``slot`` as, if any."""
    for signer in form.signers_of(slot):
        if matches(signer, person, case, stage):
            return signer.who.value
    return None


def slots_for(
    form: Form, person: Person | None, case: Case, stage: int, *, signed: Iterable[str] = ()
) -> list[FormField]:
    """The signature fields at ``stage`` the person may sign, less those already signed."""
    if person is None:
        return []
    done = set(signed)
    return [
        slot
        for slot in core.signature_slots(form, stage)
        if slot.id not in done and signed_as(form, slot, person, case, stage) is not None
    ]


def may_complete(form: Form, person: Person | None, case: Case, stage: int) -> bool:
    """Whether the person may type in and sign the form at ``stage``: one of its signers
    there. A form is completed only at the stages it is used at."""
    return stage in form.used_at and bool(slots_for(form, person, case, stage))
