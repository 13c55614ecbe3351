"""The panel services: convening, choosing members against the procedure's rule, the outcome
as the procedure says, and each agency's response; every change audited and notified."""

from __future__ import annotations

import pytest

from escalate.audit.models import AuditEntry, AuditResult
from escalate.cases.actors import Actor
from escalate.cases.models import Escalation, Status
from escalate.directory.models import Agency, PanelSeat
from escalate.notifications.models import Channel, Kind, Notification
from escalate.panels import services
from escalate.panels.models import Outcome, Panel, Recommendation, RecommendationResponse
from escalate.panels.services import NewRecommendation, PanelError
from escalate.procedures.schema import Level
from tests.cases.conftest import World
from tests.panels.support import SITS_ON, TODAY, D, at_top, bu, convened, person, seat

pytestmark = pytest.mark.django_db


def told(esc: Escalation, kind: Kind) -> set[str]:
    """Who was told (in the application), by the name of their directory entry."""
    rows = Notification.objects.filter(escalation=esc, kind=kind, channel=Channel.APP)
    return {n.recipient.name for n in rows.select_related("recipient")}


def refusals(esc: Escalation, service: str) -> list[AuditEntry]:
    return [
        a
        for a in AuditEntry.objects.filter(object_ref=esc.reference, result=AuditResult.REFUSED)
        if a.detail.get("service") == service
    ]


def set_members(
    world: World, panel: Panel, seats: list[PanelSeat], chair: PanelSeat | None
) -> Panel:
    return services.panel_set_members(
        actor=bu(world),
        panel=panel,
        version=panel.version,
        today=TODAY,
        sits_on=SITS_ON,
        members=[s.pk for s in seats],
        chair=chair.pk if chair is not None else None,
    )


# -- convening ------------------------------------------------------------------------------


def test_the_business_unit_convenes_the_panel_and_every_party_hears_when_it_sits() -> None:
    world, esc = at_top("north-somerset-sab", receiving_practitioner="b practitioner")
    panel = convened(world, esc)
    assert (panel.stage, panel.kind, panel.name, panel.sits_on) == (
        5,
        "resolution-panel",
        "NSSAB mediation panel",
        SITS_ON,
    )
    # the raiser, the receiving practitioner, b's contact at stage 5, a's board representative
    # (who escalated it): each party hears, never the business unit who acted
    assert told(esc, Kind.PANEL) == {
        "a practitioner",
        "b practitioner",
        "b senior-manager",
        "a board-representative",
    }
    rows = Notification.objects.filter(escalation=esc, kind=Kind.PANEL)
    assert {n.due_on for n in rows} == {SITS_ON}
    last = AuditEntry.objects.filter(object_ref=esc.reference).last()
    assert last is not None and last.detail["service"] == "panel_convene"


@pytest.mark.parametrize(
    ("who", "message"),
    [
        (("a", Level.BOARD_REPRESENTATIVE), services.NOT_BUSINESS_UNIT),
        (("c", Level.SENIOR_MANAGER), services.NOT_BUSINESS_UNIT),
    ],
)
def test_nobody_but_the_business_unit_convenes(who: tuple[str, Level], message: str) -> None:
    world, esc = at_top("north-somerset-sab")
    with pytest.raises(PanelError, match=message):
        services.panel_convene(
            actor=Actor.of(world.user(*who)),
            escalation=esc,
            today=TODAY,
            kind="resolution-panel",
            sits_on=SITS_ON,
        )
    assert not Panel.objects.exists()
    assert len(refusals(esc, "panel_convene")) == 1


def test_a_panel_only_where_and_of_the_kind_the_procedure_convenes() -> None:
    world, esc = at_top("north-somerset-sab")
    with pytest.raises(PanelError) as caught:
        convened(world, esc, kind="mediation")
    assert (caught.value.message, caught.value.field) == (
        "The procedure convenes no panel of this kind at stage 5.",
        "kind",
    )
    with pytest.raises(PanelError, match="cannot sit before the escalation reached stage 5"):
        services.panel_convene(
            actor=bu(world),
            escalation=esc,
            today=TODAY,
            kind="resolution-panel",
            sits_on=D(2026, 3, 1),
        )
    redbridge, at_four = at_top("redbridge-sab")
    with pytest.raises(PanelError, match="convenes no panel"):
        convened(redbridge, at_four, kind="resolution-panel")
    assert not Panel.objects.exists()


def test_south_gloucestershire_convenes_mediation_or_its_resolution_panel() -> None:
    world, esc = at_top("south-gloucestershire-cp")
    mediation = convened(world, esc, kind="mediation")
    panel = convened(world, esc, kind="resolution-panel")
    assert (mediation.name, panel.name) == (
        "Mediation offered by the Children's Partnership Executive",
        "SGCP Resolution Panel",
    )


# -- the members, against the procedure's rule ---------------------------------------------


def test_north_somerset_three_statutory_members_from_three_agencies() -> None:
    world, esc = at_top("north-somerset-sab")
    panel = convened(world, esc)
    council, health, police = (seat(person(world, k), "resolution-panel") for k in "abc")
    council_too = seat(person(world, "a", Level.ASSISTANT_DIRECTOR), "resolution-panel")
    with pytest.raises(PanelError) as caught:
        set_members(world, panel, [council, council_too, health], chair=council)
    assert [(p.message, p.field) for p in caught.value.problems] == [
        (
            "The NSSAB mediation panel needs at least 3 statutory members, each from a different "
            "statutory agency: 2 chosen",
            "members",
        )
    ]
    assert caught.value.field == "members"
    assert not panel.members.exists()
    assert len(refusals(esc, "panel_set_members")) == 1

    saved = set_members(world, panel, [council, health, police], chair=police)
    assert saved.version == 2
    assert sorted((m.name, m.agency.name, m.role) for m in saved.members.all()) == [
        ("a senior-manager", world.a.name, "member"),
        ("b senior-manager", world.b.name, "member"),
        ("c senior-manager", world.c.name, "chair"),
    ]
    # the members (c's manager is told as a member) and every party
    assert "c senior-manager" in told(esc, Kind.PANEL)


def test_the_chair_must_be_chosen_and_be_a_member() -> None:
    world, esc = at_top("north-somerset-sab")
    panel = convened(world, esc)
    seats = [seat(person(world, k), "resolution-panel") for k in "abc"]
    with pytest.raises(PanelError) as caught:
        set_members(world, panel, seats, chair=None)
    assert [(p.message, p.field) for p in caught.value.problems] == [
        ("Choose who chairs the NSSAB mediation panel", "chair")
    ]
    outsider = seat(person(world, "c", Level.ASSISTANT_DIRECTOR), "resolution-panel")
    with pytest.raises(PanelError, match="The chair must be one of the members"):
        set_members(world, panel, seats, chair=outsider)


def test_only_the_partnerships_seats_for_that_kind_of_panel() -> None:
    world, esc = at_top("north-somerset-sab")
    panel = convened(world, esc)
    seats = [seat(person(world, k), "resolution-panel") for k in "ab"]
    wrong_kind = seat(person(world, "c"), "mediation")
    with pytest.raises(PanelError) as caught:
        set_members(world, panel, [*seats, wrong_kind], chair=seats[0])
    assert (caught.value.message, caught.value.field) == (services.NOT_A_SEAT, "members")
    other, _ = at_top("sunderland-sab")
    elsewhere = seat(person(other, "c"), "resolution-panel")
    with pytest.raises(PanelError, match="directory's list"):
        set_members(world, panel, [*seats, elsewhere], chair=seats[0])


def test_sunderland_refuses_anyone_involved_in_the_case() -> None:
    """The receiving practitioner named at raise, and the manager who escalated it (wrote in
    the record), cannot sit on the sub-committee; an uninvolved member can."""
    world, esc = at_top("sunderland-sab", receiving_practitioner="b practitioner, nurse")
    panel = convened(world, esc)
    receiver = seat(person(world, "b", Level.PRACTITIONER), "sub-committee")
    escalator = seat(person(world, "a", Level.BOARD_REPRESENTATIVE), "sub-committee")
    free = seat(person(world, "c"), "sub-committee")
    with pytest.raises(PanelError) as caught:
        set_members(world, panel, [free, receiver, escalator], chair=free)
    assert [p.message for p in caught.value.problems] == [
        "b practitioner is involved in this case, and nobody involved in the case may sit on the "
        "SSAB Quality Assurance sub-committee",
        "a board-representative is involved in this case, and nobody involved in the case may "
        "sit on the SSAB Quality Assurance sub-committee",
    ]
    assert not panel.members.exists()
    set_members(world, panel, [free], chair=free)
    assert [m.name for m in panel.members.all()] == ["c senior-manager"]


def test_involved_people_may_sit_where_the_procedure_does_not_exclude_them() -> None:
    world, esc = at_top("north-somerset-sab", receiving_practitioner="b practitioner")
    panel = convened(world, esc)
    seats = [
        seat(person(world, "a", Level.BOARD_REPRESENTATIVE), "resolution-panel"),
        seat(person(world, "b", Level.PRACTITIONER), "resolution-panel"),
        seat(person(world, "c"), "resolution-panel"),
    ]
    assert set_members(world, panel, seats, chair=seats[2]).members.count() == 3


def test_south_gloucestershire_includes_the_agencies_in_dispute() -> None:
    world, esc = at_top("south-gloucestershire-cp")
    panel = convened(world, esc, kind="resolution-panel")
    children = Agency.objects.create(
        partnership=world.partnership,
        name="Children's services",
        agency_type="local-authority-children",
    )
    social_worker = seat(person(world, "c", Level.ASSISTANT_DIRECTOR), "resolution-panel", children)
    health, police = (
        seat(person(world, "b"), "resolution-panel"),
        seat(person(world, "c"), "resolution-panel"),
    )
    with pytest.raises(PanelError) as caught:
        set_members(world, panel, [social_worker, health, police], chair=police)
    assert [p.message for p in caught.value.problems] == [
        f"The SGCP Resolution Panel must include the agencies in dispute: {world.a.name} not "
        "represented"
    ]
    council = seat(person(world, "a"), "resolution-panel")
    assert set_members(world, panel, [council, health, police], chair=police).members.count() == 3


def test_a_form_opened_before_someone_elses_change_is_refused() -> None:
    world, esc = at_top("north-somerset-sab")
    panel = convened(world, esc)
    seats = [seat(person(world, k), "resolution-panel") for k in "abc"]
    set_members(world, panel, seats, chair=seats[0])
    with pytest.raises(PanelError, match="Someone else changed this panel"):
        services.panel_set_members(
            actor=bu(world),
            panel=panel,
            version=1,
            today=TODAY,
            sits_on=SITS_ON,
            members=[s.pk for s in seats],
            chair=seats[1].pk,
        )


def test_a_panel_cannot_change_once_the_escalation_is_decided() -> None:
    world, esc = at_top("north-somerset-sab")
    panel = convened(world, esc)
    seats = [seat(person(world, k), "resolution-panel") for k in "abc"]
    panel = set_members(world, panel, seats, chair=seats[0])
    services.outcome_record(
        actor=bu(world),
        escalation=esc,
        version=esc.version,
        today=TODAY,
        on=D(2026, 3, 20),
        decision="The council reopens the case",
        panel_id=panel.pk,
    )
    with pytest.raises(PanelError, match="no longer open"):
        set_members(world, panel, seats, chair=seats[1])


# -- the outcome -----------------------------------------------------------------------------


def _decide(world: World, esc: Escalation, **kwargs: object) -> Escalation:
    values: dict[str, object] = {
        "actor": bu(world),
        "escalation": esc,
        "version": esc.version,
        "today": TODAY,
        "on": D(2026, 3, 20),
        "decision": "The decision",
    }
    values.update(kwargs)
    return services.outcome_record(**values)  # type: ignore[arg-type]


def test_north_somerset_decides_only_through_a_panel_that_meets_its_rule() -> None:
    world, esc = at_top("north-somerset-sab")
    with pytest.raises(PanelError) as caught:
        _decide(world, esc)
    assert (caught.value.message, caught.value.field) == (
        "Convene the NSSAB mediation panel and choose its members before recording its binding "
        "decision: the procedure says it decides.",
        "panel",
    )
    panel = convened(world, esc)
    with pytest.raises(PanelError, match="Choose the panel that made this binding decision"):
        _decide(world, esc)
    seats = [seat(person(world, k), "resolution-panel") for k in "ab"]
    with pytest.raises(PanelError) as caught:
        _decide(world, esc, panel_id=panel.pk)
    assert caught.value.message == (
        "NSSAB mediation panel does not meet the procedure's rule: Choose the members of the "
        "NSSAB mediation panel"
    )
    panel = set_members(
        world, panel, [*seats, seat(person(world, "c"), "resolution-panel")], chair=seats[0]
    )
    with pytest.raises(PanelError, match="cannot be before the panel sat on 20 March 2026"):
        _decide(world, esc, panel_id=panel.pk, on=D(2026, 3, 19))
    assert Escalation.objects.get(pk=esc.pk).status == Status.OPEN
    assert len(refusals(esc, "outcome_record")) == 4

    decided = _decide(world, esc, panel_id=panel.pk, decision="The council reopens the case")
    assert (decided.status, decided.outcome) == (Status.DECIDED, "The council reopens the case")
    outcome = Outcome.objects.get(escalation=esc)
    assert (outcome.produces, outcome.panel, outcome.decided_on) == (
        "binding-decision",
        panel,
        D(2026, 3, 20),
    )
    entry = decided.entries.get(sequence=outcome.entry_sequence)
    assert (entry.kind, entry.text) == ("decided", "The council reopens the case")
    # "how it ended" (the decision's own message) and the outcome reach every party, once each
    closed, outcome_told = told(esc, Kind.CLOSED), told(esc, Kind.OUTCOME)
    assert not closed & outcome_told
    assert closed | outcome_told >= {"a practitioner", "b senior-manager", "a board-representative"}


def test_recommendations_each_to_an_agency_with_its_own_date() -> None:
    world, esc = at_top("redbridge-sab", receiving_practitioner="b practitioner")
    with pytest.raises(PanelError, match="Enter at least one recommendation"):
        _decide(world, esc, recommendations=[NewRecommendation(world.a.pk, "  ", D(2026, 4, 1))])
    with pytest.raises(PanelError) as caught:
        _decide(world, esc, recommendations=[NewRecommendation(world.b.pk, "Review", None)])
    assert (caught.value.message, caught.value.field) == (
        f"Enter the date {world.b.name} must respond by.",
        f"due_on_{world.b.pk}",
    )
    with pytest.raises(PanelError, match="same as or after the date of the recommendations"):
        _decide(
            world, esc, recommendations=[NewRecommendation(world.b.pk, "Review", D(2026, 3, 1))]
        )
    with pytest.raises(PanelError, match="party to this escalation"):
        _decide(
            world, esc, recommendations=[NewRecommendation(world.c.pk, "Review", D(2026, 4, 1))]
        )
    _decide(
        world,
        esc,
        decision="Both agencies meet within the week",
        recommendations=[
            NewRecommendation(world.a.pk, "Share the assessment", D(2026, 3, 27)),
            NewRecommendation(world.b.pk, "Review the discharge", D(2026, 4, 3)),
        ],
    )
    recs = {r.agency_id: r for r in Recommendation.objects.filter(escalation=esc)}
    assert (recs[world.a.pk].text, recs[world.a.pk].due_on) == (
        "Share the assessment",
        D(2026, 3, 27),
    )
    assert recs[world.b.pk].due_on == D(2026, 4, 3)
    assert Outcome.objects.get(escalation=esc).panel is None  # the Independent Chair, no panel
    # each agency hears of its own recommendation, with its own date
    to_b = Notification.objects.filter(escalation=esc, kind=Kind.RECOMMENDATION, channel="app")
    assert {(n.recipient.agency_id, n.due_on) for n in to_b} == {
        (world.a.pk, D(2026, 3, 27)),
        (world.b.pk, D(2026, 4, 3)),
    }
    assert "b practitioner" in {n.recipient.name for n in to_b}


def test_a_binding_decision_or_feedback_takes_no_recommendations() -> None:
    world, esc = at_top("sunderland-sab")
    panel = convened(world, esc)
    member = seat(person(world, "c"), "sub-committee")
    panel = set_members(world, panel, [member], chair=member)
    with pytest.raises(PanelError, match="makes no recommendations"):
        _decide(
            world,
            esc,
            panel_id=panel.pk,
            recommendations=[NewRecommendation(world.a.pk, "x", D(2026, 4, 1))],
        )
    _decide(world, esc, panel_id=panel.pk, decision="The feedback of the sub-committee")
    assert Outcome.objects.get(escalation=esc).produces == "feedback"


def test_a_panel_that_no_longer_meets_its_rule_cannot_decide() -> None:
    """Someone who sat became involved afterwards (they wrote in the record): Sunderland's
    sub-committee no longer meets its rule, and its feedback is refused."""
    from escalate.cases import services as case_services

    world, esc = at_top("sunderland-sab")
    panel = convened(world, esc)
    member = seat(person(world, "a", Level.ASSISTANT_DIRECTOR), "sub-committee")
    panel = set_members(world, panel, [member], chair=member)
    esc = case_services.escalation_record_view(
        actor=Actor.of(world.user("a", Level.ASSISTANT_DIRECTOR)),
        escalation=esc,
        version=esc.version,
        today=TODAY,
        view="Our view",
    )
    with pytest.raises(
        PanelError, match="does not meet the procedure's rule: a assistant-director is involved"
    ):
        _decide(world, esc, panel_id=panel.pk)


# -- responses ------------------------------------------------------------------------------


def _recommended() -> tuple[World, Escalation, Recommendation]:
    world, esc = at_top("north-east-lincolnshire")
    _decide(
        world,
        esc,
        recommendations=[NewRecommendation(world.b.pk, "Review the discharge", D(2026, 4, 3))],
    )
    return world, Escalation.objects.get(pk=esc.pk), Recommendation.objects.get(escalation=esc)


def _respond(actor: Actor, rec: Recommendation, **kwargs: object) -> RecommendationResponse:
    values: dict[str, object] = {
        "actor": actor,
        "recommendation": rec,
        "today": TODAY,
        "on": D(2026, 3, 30),
        "answer": "accepted",
        "text": "We will review it",
    }
    values.update(kwargs)
    return services.recommendation_respond(**values)  # type: ignore[arg-type]


def test_the_agency_recommended_to_responds_and_every_party_hears() -> None:
    world, esc, rec = _recommended()
    response = _respond(Actor.of(world.user("b", Level.LINE_MANAGER)), rec)
    assert (response.answer, response.author_agency) == ("accepted", world.b.name)
    assert "a practitioner" in told(esc, Kind.RESPONSE)
    later = _respond(bu(world), rec, answer="accepted-in-part", text="Part done")
    assert list(rec.responses.all()) == [response, later]  # added beside, never replacing


def test_another_agency_cannot_respond_for_it() -> None:
    world, esc, rec = _recommended()
    with pytest.raises(PanelError, match=f"Only {world.b.name} or the business unit"):
        _respond(Actor.of(world.user("a", Level.BOARD_REPRESENTATIVE)), rec)
    with pytest.raises(PanelError) as caught:
        _respond(Actor.of(world.user("b", Level.PRACTITIONER)), rec, answer="maybe")
    assert caught.value.field == "answer"
    with pytest.raises(PanelError, match="cannot be before the recommendations were made"):
        _respond(Actor.of(world.user("b", Level.PRACTITIONER)), rec, on=D(2026, 3, 19))
    assert not RecommendationResponse.objects.exists()
    assert len(refusals(esc, "recommendation_respond")) == 3
