"""What a person may do on the panel pages: asked by the views to offer an action or answer
"not found"; the services check again.

Reading the panels and the outcome follows the escalation: whoever may see it (the parties,
the business unit, the panel members it is referred to) reads them. Convening a panel and
choosing its members: the partnership's business unit, while the escalation is open at a stage
that convenes one. Recording the outcome: whoever may decide the escalation
(``cases.access.Action.DECIDE``). Responding to a recommendation: the agency it is addressed
to, or the business unit on its behalf, once the outcome is recorded.
"""

from __future__ import annotations

from escalate.cases import access, rules
from escalate.cases.access import Action
from escalate.cases.models import Escalation, Status
from escalate.directory.models import Person
from escalate.panels.models import Panel, Recommendation
from escalate.procedures import schema


def stage_panel(escalation: Escalation) -> schema.Panel | None:
    """What the procedure convenes at the escalation's current stage, if anything."""
    return rules.procedure_of(escalation).stage(escalation.current_stage).panel


def business_unit_of(person: Person | None, escalation: Escalation) -> bool:
    """The business unit of the escalation's own partnership."""
    return (
        person is not None
        and person.is_business_unit
        and person.agency.partnership_id == escalation.partnership_id
    )


def may_convene(person: Person | None, escalation: Escalation) -> bool:
    return (
        business_unit_of(person, escalation)
        and escalation.status == Status.OPEN
        and stage_panel(escalation) is not None
    )


def may_change(person: Person | None, escalation: Escalation, panel: Panel) -> bool:
    return (
        business_unit_of(person, escalation)
        and escalation.status == Status.OPEN
        and escalation.current_stage == panel.stage
    )


def may_record_outcome(person: Person | None, escalation: Escalation) -> bool:
    procedure = rules.procedure_of(escalation)
    parties = list(escalation.parties.all())
    return Action.DECIDE in access.allowed_actions(person, escalation, parties, procedure)


def may_respond(person: Person | None, escalation: Escalation, rec: Recommendation) -> bool:
    if person is None or escalation.status != Status.DECIDED:
        return False
    if person.agency.partnership_id != escalation.partnership_id:
        return False
    return person.agency_id == rec.agency_id or business_unit_of(person, escalation)
