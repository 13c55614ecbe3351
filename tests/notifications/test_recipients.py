"""Who is told what: read from the definitions and the directory (helper B)."""

from __future__ import annotations

import datetime as dt

import pytest
from pytest_django import DjangoAssertNumQueries

from escalate.cases.models import Escalation
from escalate.directory.models import Person, StageContact
from escalate.notifications import recipients as r
from escalate.notifications.models import Kind
from escalate.procedures import events as ev
from escalate.procedures.schema import Recipient, TopOutcome
from tests.notifications.sweep_world import NotifyWorld, bare_escalation, make_notify_world

D = dt.date(2026, 4, 27)


def _case(esc: Escalation) -> r.Case:
    esc = Escalation.objects.select_related(
        "raising_person__line_manager", "receiving_person__line_manager"
    ).get(pk=esc.pk)
    return r.Case.of(esc)


def told(found: list[r.Addressee]) -> dict[Person, Kind]:
    out = {a.person: a.kind for a in found}
    assert len(out) == len(found), "someone was told twice"
    return out


@pytest.fixture
def nel(db: None) -> NotifyWorld:
    return make_notify_world("north-east-lincolnshire")


def test_raise_tells_the_receiving_practitioner_and_the_raisers_line_manager(
    nel: NotifyWorld,
) -> None:
    case = _case(bare_escalation(nel, outset_on=D))
    found = r.for_event(
        case, ev.EscalationRaised("k", D, D, 1, None), r.Directory(), actor=nel.practitioner["a"]
    )
    assert told(found) == {
        nel.practitioner["b"]: Kind.RAISED,
        nel.line_manager["a"]: Kind.RAISED,
    }


def test_raise_with_nobody_named_tells_the_receiving_agencys_contacts_at_the_start_stage(
    nel: NotifyWorld,
) -> None:
    case = _case(bare_escalation(nel, outset_on=D, stage=3, receiving_person=False))
    found = r.for_event(case, ev.EscalationRaised("k", D, D, 3, "risk"), r.Directory(), actor=None)
    assert told(found) == {nel.contact[("b", 3)]: Kind.RAISED, nel.line_manager["a"]: Kind.RAISED}


def test_a_stage_begins_for_its_holders_in_every_party_agency_with_the_copies_named(
    nel: NotifyWorld,
) -> None:
    """NEL stage 3: copies to the line managers (notify-line-managers) and the business
    manager (report-procedural-change). Agency d is no party: never told."""
    case = _case(bare_escalation(nel, outset_on=D, stage=3))
    found = r.for_events(case, [ev.StageEntered(3, D)], r.Directory(), actor=nel.director["a"])
    assert {i for i, _ in found} == {0}
    got = told([a for _, a in found])
    holders = nel.contacts_at(3)
    line_managers = {nel.line_manager["a"], nel.line_manager["b"]} | nel.contacts_at(1)
    assert got == {
        **dict.fromkeys(holders, Kind.STAGE_ENTERED),
        **dict.fromkeys(line_managers, Kind.COPY),
        nel.bm: Kind.COPY,
    }
    copies = {a.person: a.obligation for _, a in found if a.kind is Kind.COPY}
    assert copies[nel.bm] == "report-procedural-change"
    assert copies[nel.line_manager["a"]] == "notify-line-managers"
    assert not any(p.agency == nel.agencies["d"] for p in got)


def test_at_stage_1_the_raising_and_receiving_people_hold_the_stage(nel: NotifyWorld) -> None:
    case = _case(bare_escalation(nel, outset_on=D))
    got = told(r.for_event(case, ev.StageEntered(1, D), r.Directory(), actor=None))
    assert set(got) == nel.contacts_at(1) | {nel.practitioner["a"], nel.practitioner["b"]}


def test_one_change_tells_each_person_once_and_never_the_actor(nel: NotifyWorld) -> None:
    case = _case(bare_escalation(nel, outset_on=D))
    events: list[ev.Event] = [ev.EscalationRaised("k", D, D, 1, None), ev.StageEntered(1, D)]
    found = r.for_events(case, events, r.Directory(), actor=nel.practitioner["a"])
    got = told([a for _, a in found])
    assert nel.practitioner["a"] not in got
    # the receiving practitioner heard of the raise (event 0), not again of the stage
    assert got[nel.practitioner["b"]] is Kind.RAISED
    assert dict((a.person, i) for i, a in found)[nel.contact[("a", 1)]] == 1


def test_inactive_people_are_not_told(nel: NotifyWorld) -> None:
    Person.objects.filter(pk=nel.contact[("b", 2)].pk).update(is_active=False)
    case = _case(bare_escalation(nel, outset_on=D, stage=2))
    got = told(r.for_event(case, ev.StageEntered(2, D), r.Directory(), actor=None))
    assert nel.contact[("b", 2)] not in {p for p in got}
    assert nel.contact[("a", 2)] in got


def test_a_contact_row_without_a_person_tells_nobody(nel: NotifyWorld) -> None:
    StageContact.objects.create(agency=nel.agencies["b"], stage=2, role="Named role only")
    case = _case(bare_escalation(nel, outset_on=D, stage=2))
    got = told(r.for_event(case, ev.StageEntered(2, D), r.Directory(), actor=None))
    assert set(got) == nel.contacts_at(2)


@pytest.mark.parametrize(
    "event",
    [
        ev.StageResolved(2, D, "Agreed"),
        ev.EscalationWithdrawn(2, D, "No longer needed"),
    ],
)
def test_closing_the_loop_tells_the_raiser_receiver_and_every_party(
    nel: NotifyWorld, event: ev.Event
) -> None:
    case = _case(bare_escalation(nel, outset_on=D, stage=2))
    got = told(r.for_event(case, event, r.Directory(), actor=nel.director["a"]))
    expected = nel.contacts_at(2) | {nel.practitioner["a"], nel.practitioner["b"]}
    assert got == dict.fromkeys(expected, Kind.CLOSED)


def test_the_raiser_hears_how_it_ended_even_when_someone_else_closed_it(nel: NotifyWorld) -> None:
    case = _case(bare_escalation(nel, outset_on=D, stage=5))
    decided = ev.TopStageDecided(5, D, TopOutcome.RECOMMENDATIONS, "Do this")
    got = told(r.for_event(case, decided, r.Directory(), actor=nel.bm))
    assert got[nel.practitioner["a"]] is Kind.CLOSED
    assert nel.bm not in got


def test_resolution_sends_the_copies_tied_to_it(db: None) -> None:
    """North Somerset stage 3: once resolved, the monitoring form goes to each agency's
    stage 4 representative and the business manager (send-monitoring-form)."""
    ns = make_notify_world("north-somerset-sab")
    case = _case(bare_escalation(ns, outset_on=D, stage=3))
    entered = told(r.for_event(case, ev.StageEntered(3, D), r.Directory(), actor=None))
    assert ns.bm not in entered  # tied to the resolution: not copied when the stage begins
    found = r.for_event(case, ev.StageResolved(3, D, "Agreed"), r.Directory(), actor=None)
    got = told(found)
    assert {p for p, k in got.items() if k is Kind.COPY} == ns.contacts_at(4) | {ns.bm}
    assert {a.obligation for a in found if a.kind is Kind.COPY} == {"send-monitoring-form"}


@pytest.mark.parametrize(
    ("procedure_id", "stage", "recipient", "expected"),
    [
        ("redbridge-sab", 4, Recipient.BOARD_CHAIR, "board_chair"),
        ("redbridge-sab", 4, Recipient.BUSINESS_MANAGER, "business_manager"),
        ("sunderland-sab", 4, Recipient.STRATEGIC_SAFEGUARDING_TEAM, "safeguarding_team"),
    ],
)
def test_board_roles_come_from_the_directory(
    db: None, procedure_id: str, stage: int, recipient: Recipient, expected: str
) -> None:
    world = make_notify_world(procedure_id)
    case = _case(bare_escalation(world, outset_on=D, stage=stage))
    assert r.copies(case, recipient, stage, r.Directory()) == [getattr(world, expected)]


def test_board_roles_of_another_partnership_are_not_used(db: None) -> None:
    ours = make_notify_world("redbridge-sab")
    make_notify_world("redbridge-sab", slug="another")
    case = _case(bare_escalation(ours, outset_on=D, stage=4))
    assert r.copies(case, Recipient.BOARD_CHAIR, 4, r.Directory()) == [ours.board_chair]


def test_senior_managers_are_the_contacts_where_senior_managers_act(db: None) -> None:
    """Sunderland: senior managers act at stage 3, so a copy at stage 2 goes to stage 3's."""
    sl = make_notify_world("sunderland-sab")
    case = _case(bare_escalation(sl, outset_on=D, stage=2))
    got = r.copies(case, Recipient.SENIOR_MANAGERS, 2, r.Directory())
    assert set(got) == sl.contacts_at(3)


def test_stage_4_representatives_and_the_receiver(nel: NotifyWorld) -> None:
    case = _case(bare_escalation(nel, outset_on=D, stage=2))
    d = r.Directory()
    assert set(r.copies(case, Recipient.STAGE_4_REPRESENTATIVE, 2, d)) == nel.contacts_at(4)
    assert r.copies(case, Recipient.RECEIVER, 2, d) == [nel.practitioner["b"]]
    assert r.copies(case, Recipient.RAISER, 2, d) == [nel.practitioner["a"]]
    unnamed = _case(bare_escalation(nel, outset_on=D, stage=2, receiving_person=False))
    assert r.copies(unnamed, Recipient.RECEIVER, 2, d) == [nel.contact[("b", 2)]]


# -- due soon and overdue ------------------------------------------------------------------


def test_due_soon_goes_to_whoever_holds_the_stage(nel: NotifyWorld) -> None:
    case = _case(bare_escalation(nel, outset_on=D, stage=2))
    got = told(r.for_deadline(case, stage=2, obligation="", overdue=False, directory=r.Directory()))
    assert got == dict.fromkeys(nel.contacts_at(2), Kind.DUE_SOON)


def test_overdue_also_goes_to_the_next_level_up_in_each_agency(nel: NotifyWorld) -> None:
    case = _case(bare_escalation(nel, outset_on=D))
    got = told(r.for_deadline(case, stage=1, obligation="", overdue=True, directory=r.Directory()))
    holders = nel.contacts_at(1) | {nel.practitioner["a"], nel.practitioner["b"]}
    next_level = nel.contacts_at(2) | {nel.line_manager["a"], nel.line_manager["b"]}
    assert got == {
        **dict.fromkeys(holders, Kind.OVERDUE),
        **dict.fromkeys(next_level, Kind.OVERDUE_NEXT_LEVEL),
    }


def test_overdue_at_the_top_stage_goes_up_to_the_business_manager(nel: NotifyWorld) -> None:
    case = _case(bare_escalation(nel, outset_on=D, stage=5))
    found = r.for_deadline(case, stage=5, obligation="", overdue=True, directory=r.Directory())
    got = told(found)
    assert got[nel.bm] is Kind.OVERDUE_NEXT_LEVEL
    assert {p for p, k in got.items() if k is Kind.OVERDUE} == nel.contacts_at(5)


def test_the_overall_bound_goes_to_whoever_holds_the_current_stage(nel: NotifyWorld) -> None:
    case = _case(bare_escalation(nel, outset_on=D, stage=3))
    found = r.for_deadline(case, stage=0, obligation="", overdue=False, directory=r.Directory())
    assert set(told(found)) == nel.contacts_at(3)
    assert {a.stage for a in found} == {0}


def test_a_duty_goes_to_the_side_its_who_names(db: None) -> None:
    """Redbridge stage 1: 'The receiving professional' reviews the file; 'The professional
    with concerns' raises the matter."""
    rb = make_notify_world("redbridge-sab")
    case = _case(bare_escalation(rb, outset_on=D))
    d = r.Directory()
    review = told(
        r.for_deadline(
            case, stage=1, obligation="review-file-and-speak-to-raiser", overdue=True, directory=d
        )
    )
    assert review == {
        rb.practitioner["b"]: Kind.OVERDUE,
        rb.contact[("b", 1)]: Kind.OVERDUE,
        rb.contact[("b", 2)]: Kind.OVERDUE_NEXT_LEVEL,
        rb.line_manager["b"]: Kind.OVERDUE_NEXT_LEVEL,
    }
    raise_matter = told(
        r.for_deadline(case, stage=1, obligation="raise-matter", overdue=False, directory=d)
    )
    assert raise_matter == {
        rb.practitioner["a"]: Kind.DUE_SOON,
        rb.contact[("a", 1)]: Kind.DUE_SOON,
    }


def test_a_duty_whose_who_names_no_side_goes_to_whoever_holds_the_stage(nel: NotifyWorld) -> None:
    case = _case(bare_escalation(nel, outset_on=D, stage=3))
    found = r.for_deadline(
        case, stage=3, obligation="notify-line-managers", overdue=False, directory=r.Directory()
    )
    assert set(told(found)) == nel.contacts_at(3)
    assert {a.obligation for a in found} == {"notify-line-managers"}


def test_the_directory_reads_each_agency_once(
    nel: NotifyWorld, django_assert_num_queries: DjangoAssertNumQueries
) -> None:
    directory = r.Directory()
    directory.load(a.pk for a in nel.agencies.values())
    with django_assert_num_queries(0):
        for stage in range(1, 6):
            directory.contacts(nel.agencies["a"].pk, stage)


def test_a_withdrawal_sends_no_copies(db: None) -> None:
    """North Somerset stage 3's monitoring form follows a resolution, not a withdrawal."""
    ns = make_notify_world("north-somerset-sab")
    case = _case(bare_escalation(ns, outset_on=D, stage=3))
    found = r.for_event(case, ev.EscalationWithdrawn(3, D, "No"), r.Directory(), actor=None)
    assert {a.kind for a in found} == {Kind.CLOSED}
    assert ns.bm not in told(found)
