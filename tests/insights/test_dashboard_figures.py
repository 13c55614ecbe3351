"""The dashboard's figures over a generated data set (``escalate.demo.scale``, 5 partnerships,
one per procedure) equal the figures worked out a second way from the record
(``tests.insights.dashboard_oracle``), for several periods and filters; each figure's link
lists exactly the escalations it counts; and the effectiveness feedback the forms collected is
collated as the forms say.

The facts the dashboard reads are those the generator writes (as the services do); nothing
here writes or recomputes them."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest
from django.db import transaction
from pytest_django.plugin import DjangoDbBlocker

from escalate import timekeeping
from escalate.cases.models import Escalation
from escalate.demo import scale
from escalate.directory.models import Partnership
from escalate.documents.models import FormRecord, FormVersion
from escalate.insights.models import EscalationFact
from tests.insights.dashboard_checks import (
    assert_links,
    assert_partnership,
    bu_client,
    choices,
    tables_of,
    year_before,
)
from tests.insights.dashboard_oracle import Choice, records

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.filterwarnings("ignore:No directory at:UserWarning"),
]

SEED = 12
N = 250
TODAY = timekeeping.today()  # the pages count "overdue" as of the real today


@pytest.fixture(scope="module")
def generated(
    django_db_setup: None, django_db_blocker: DjangoDbBlocker
) -> Iterator[list[Partnership]]:
    """250 escalations in five partnerships, one per procedure, made once for the module in a
    transaction rolled back after it."""
    with django_db_blocker.unblock(), transaction.atomic():
        scale.generate(escalations=N, partnerships=5, seed=SEED, today=TODAY)
        partnerships = list(
            Partnership.objects.filter(slug__startswith=f"scale-{SEED}-").order_by("pk")
        )
        # The generator wrote the facts, as the services would have.
        assert EscalationFact.objects.count() == Escalation.objects.count() == N
        yield partnerships
        transaction.set_rollback(True)


def test_the_figures_equal_the_records(generated: list[Partnership]) -> None:
    counted = 0
    for partnership in generated:
        recs = records(partnership, TODAY)
        counted += assert_partnership(partnership, TODAY, choices(partnership, recs, TODAY))
    assert counted > N  # the periods held escalations to count


@pytest.mark.parametrize("which", [0, 3])
def test_each_figures_link_lists_exactly_the_escalations_it_counts(
    generated: list[Partnership], which: int
) -> None:
    """All of one partnership's links over two years, and another's for one agency."""
    partnership = generated[which]
    choice = choices(partnership, records(partnership, TODAY), TODAY)[1 if which == 0 else 2]
    assert assert_links(partnership, TODAY, choice) > 60


@pytest.fixture
def feedback(generated: list[Partnership]) -> tuple[Partnership, Choice, list[tuple[str, str]]]:
    """Forms sent with feedback on escalations of the partnership whose procedure asks for it
    (North Somerset's monitoring form): what the dashboard should show, newest sent first."""
    partnership = next(p for p in generated if p.procedure_id == "north-somerset-sab")
    choice = Choice(year_before(TODAY), TODAY)
    escalations = list(Escalation.objects.filter(partnership=partnership).order_by("pk"))
    inside = [e for e in escalations if choice.start <= e.raised_on <= choice.end]
    outside = [e for e in escalations if e.raised_on < choice.start]
    at = dt.datetime(2026, 1, 5, 9, 0, tzinfo=dt.UTC)
    # The generator's own forms out of the way: these cases (superseded versions, blank
    # answers, escalations outside the period) are the test's.
    FormRecord.objects.filter(escalation__partnership=partnership).delete()
    wanted: list[tuple[dt.datetime, str, str]] = []

    def form(esc: Escalation, versions: list[tuple[str, dict[str, str]]]) -> None:
        record = FormRecord.objects.create(escalation=esc, form_id="monitoring-form", created_at=at)
        made = FormRecord.objects.count()  # each form's versions a day apart from the others'
        sent: list[tuple[dt.datetime, dict[str, str]]] = []
        for number, (status, values) in enumerate(versions, start=1):
            when = at + dt.timedelta(days=made, hours=number)
            FormVersion.objects.create(
                record=record,
                number=number,
                stage=3,
                values=values,
                status=status,
                created_by_name="Someone",
                created_at=when,
                updated_at=when,
                signed_at=None if status == "draft" else when,
                submitted_at=when if status == "submitted" else None,
            )
            if status == "submitted":
                sent.append((when, values))
        in_period = choice.start <= esc.raised_on <= choice.end
        if in_period and sent and sent[-1][1].get("effectiveness", "").strip():
            when, values = sent[-1]
            wanted.append((when, esc.reference, " ".join(values["effectiveness"].split())))

    form(inside[0], [("submitted", {"effectiveness": "Worked well"})])
    early, final = (
        {"effectiveness": "Early view"},
        {"effectiveness": "Final  view,\nafter the panel"},
    )
    form(inside[1], [("submitted", early), ("submitted", final)])
    form(
        inside[2],
        [("submitted", {"effectiveness": "Superseded"}), ("submitted", {"effectiveness": ""})],
    )
    form(inside[3], [("submitted", {"comments": "No feedback field"})])
    form(
        inside[4], [("submitted", {"effectiveness": "Sent"}), ("draft", {"effectiveness": "Draft"})]
    )
    form(inside[5], [("draft", {"effectiveness": "Never sent"})])
    form(inside[6], [("submitted", {"effectiveness": "  \n "})])  # says nothing
    form(outside[0], [("submitted", {"effectiveness": "Raised before the period"})])
    shown = [(ref, text) for _, ref, text in sorted(wanted, reverse=True)]
    return partnership, choice, shown


def test_the_effectiveness_feedback_is_collated_from_the_forms_sent(
    feedback: tuple[Partnership, Choice, list[tuple[str, str]]],
) -> None:
    partnership, choice, shown = feedback
    assert [text for _, text in shown] == ["Sent", "Final view, after the panel", "Worked well"]
    tables = tables_of(bu_client(partnership), choice)
    table = tables["feedback"]
    assert [(row[0], row[3]) for row in table.rows] == shown
    for r, (reference, _) in enumerate(shown):
        assert table.links[(r, 0)] == f"/escalations/{reference}/"
    assert {row[1] for row in table.rows} == {
        "Monitoring form - a tool to record decisions and to monitor the Resolution of "
        "Professional Differences policy (appendix 2)"
    }
    assert table.count_columns == frozenset()
