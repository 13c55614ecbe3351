"""The board's downloads (escalate.insights.exports, views_exports): the anonymised register
as CSV and XLSX holds exactly the escalations of the period, as the record says (rows built here
from the escalations, their parties and agencies and their stages, not from the facts);
streamed; for the business unit alone; audited; not cached; safe from formulas; and the
figures, published with small numbers hidden."""

from __future__ import annotations

import csv
import datetime as dt
import gc
import io
import tracemalloc
from collections.abc import Iterator
from typing import Any

import openpyxl
import pytest
from django.http import StreamingHttpResponse
from django.test import Client

from escalate import timekeeping
from escalate.audit.models import AuditAction, AuditEntry
from escalate.cases import services
from escalate.cases.actors import Actor
from escalate.cases.models import Escalation, Party, Stage
from escalate.directory.models import Agency
from escalate.insights import exports
from escalate.insights.models import EscalationFact
from escalate.insights.small_numbers import WITHHELD, fewer_than
from escalate.insights.tables import Table
from escalate.procedures.schema import Level
from tests.cases.conftest import World, highest, make_world, raise_one
from tests.support import signed_in

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.filterwarnings("ignore:No directory at:UserWarning"),
]

D = dt.date
TODAY = D(2026, 4, 30)
MARCH = {"from": "2026-03-01", "to": "2026-03-31"}
CSV_URL = "/board/export/register.csv"
XLSX_URL = "/board/export/register.xlsx"

# What the register says in words, written out here (the procedure's YAML and the models).
AGENCY_TYPE_WORDS = {
    "local-authority-adults": "Local authority (adults)",
    "secondary-health": "Secondary health",
    "police": "Police",
}
CATEGORY_WORDS = {"thresholds-at-referral": "Dispute at the point of referral about thresholds"}
STATUS_WORDS = {
    "open": "Open",
    "resolved": "Resolved",
    "withdrawn": "Withdrawn",
    "decided": "Decided at the top stage",
}
#: North East Lincolnshire's due dates: working days after the concern was identified.
DUE_AFTER_OUTSET = {1: 2, 2: 8}


def _working_days_after(start: dt.date, end: dt.date) -> int:
    """Weekdays in (start, end]: March 2026 has no bank holiday."""
    return sum(
        1 for n in range(1, (end - start).days + 1) if (start + dt.timedelta(days=n)).weekday() < 5
    )


def _add_working_days(start: dt.date, n: int) -> dt.date:
    day = start
    while n:
        day += dt.timedelta(days=1)
        n -= day.weekday() < 5
    return day


def expected_register(world: World, start: dt.date, end: dt.date) -> list[tuple[Any, ...]]:
    """The register as the record says it, row by row, from the escalations, their parties
    (and those agencies) and their stages."""
    rows = []
    escalations = Escalation.objects.filter(
        partnership=world.partnership, raised_on__gte=start, raised_on__lte=end
    ).order_by("raised_on", "id")
    for e in escalations:
        parties = {p.role: p.agency for p in Party.objects.filter(escalation=e)}
        raising, receiving = parties["raising"], parties["receiving"]
        stages = list(Stage.objects.filter(escalation=e).order_by("number"))
        ended = [s for s in stages if s.left_on is not None]
        within = [
            s
            for s in ended
            if s.left_on <= _add_working_days(e.outset_on, DUE_AFTER_OUTSET[s.number])  # type: ignore[operator]
        ]
        procedure_id, _, version = e.procedure_key.partition("@")
        rows.append(
            (
                e.reference,
                raising.name,
                AGENCY_TYPE_WORDS[raising.agency_type],
                receiving.name,
                AGENCY_TYPE_WORDS[receiving.agency_type],
                CATEGORY_WORDS[e.category],
                e.subject_kind.capitalize(),
                procedure_id,
                version,
                e.outset_on,
                e.raised_on,
                max(s.number for s in stages),
                "Yes" if e.immediate_risk else "No",
                STATUS_WORDS[e.status],
                e.closed_on,
                None if e.closed_on is None else _working_days_after(e.outset_on, e.closed_on),
                len(within),
                len(ended),
            )
        )
    return rows


@pytest.fixture
def world() -> World:
    """Escalations of North East Lincolnshire in March 2026 (one resolved at stage 1, one
    escalated late and resolved at stage 2, one withdrawn, one at immediate risk and open),
    one in February, and one of another partnership; the receiving agency's name starts
    like a formula."""
    world = make_world("north-east-lincolnshire", "nel")
    Agency.objects.filter(pk=world.b.pk).update(name="=2+5 Health & Care")
    raiser = Actor.of(world.user("a", Level.PRACTITIONER))
    boss = Actor.of(highest(world))

    e1 = raise_one(world, D(2026, 3, 2), outset_on=D(2026, 3, 2))
    services.escalation_resolve(actor=raiser, escalation=e1, version=e1.version, today=TODAY,
                                on=D(2026, 3, 3), outcome="Agreed")  # fmt: skip
    e2 = raise_one(world, D(2026, 3, 2), outset_on=D(2026, 3, 2), subject_kind="child")
    e2 = services.escalation_escalate(actor=boss, escalation=e2, version=e2.version,
                                      today=TODAY, on=D(2026, 3, 9), reason="No reply")  # fmt: skip
    services.escalation_resolve(actor=boss, escalation=e2, version=e2.version, today=TODAY,
                                on=D(2026, 3, 10), outcome="Agreed")  # fmt: skip
    e3 = raise_one(world, D(2026, 3, 4), outset_on=D(2026, 3, 4))
    services.escalation_withdraw(actor=raiser, escalation=e3, version=e3.version, today=TODAY,
                                 on=D(2026, 3, 6), reason="Sorted")  # fmt: skip
    raise_one(world, D(2026, 3, 5), outset_on=D(2026, 3, 5), immediate_risk=True,
              immediate_risk_reason="Tonight")  # fmt: skip
    raise_one(world, D(2026, 2, 2), outset_on=D(2026, 2, 2))  # before the period
    other = make_world("north-east-lincolnshire", "other")
    raise_one(other, D(2026, 3, 3), outset_on=D(2026, 3, 3))
    return world


def _bu(world: World) -> Client:
    return signed_in(world.bu_user)


def _body(response: Any) -> bytes:
    """A download's bytes (it is streamed: a response has no ``content``)."""
    assert response.streaming
    return b"".join(response.streaming_content)


def _csv_rows(response: Any) -> list[list[str]]:
    return list(csv.reader(io.StringIO(_body(response).decode("utf-8-sig"))))


def _as_csv(row: tuple[Any, ...]) -> list[str]:
    def cell(v: Any) -> str:
        if v is None:
            return ""
        if isinstance(v, dt.date):
            return v.isoformat()
        if isinstance(v, str) and v.startswith("="):
            return "'" + v
        return str(v)

    return [cell(v) for v in row]


def test_the_facts_are_written_by_the_services(world: World) -> None:
    """The register reads the facts: they must exist for every escalation raised."""
    assert EscalationFact.objects.filter(partnership=world.partnership).count() == 5


def test_csv_holds_exactly_the_register(world: World) -> None:
    expected = expected_register(world, D(2026, 3, 1), D(2026, 3, 31))
    assert len(expected) == 4  # February's and the other partnership's are not in it
    response = _bu(world).get(CSV_URL, MARCH)
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Cache-Control"].startswith("no-store")
    disposition = response["Content-Disposition"]
    assert disposition == (
        'attachment; filename="escalations-register-nel-2026-03-01-to-2026-03-31.csv"'
    )
    rows = _csv_rows(response)
    assert rows[0] == list(exports.REGISTER_HEADERS)
    assert rows[1:] == [_as_csv(row) for row in expected]
    # The scenario, once more in plain values: highest stage, immediate risk, status, closed,
    # working days taken, stages ended within their due dates, stages ended.
    assert [row[11:] for row in rows[1:]] == [
        ["1", "No", "Resolved", "2026-03-03", "1", "1", "1"],
        ["2", "No", "Resolved", "2026-03-10", "6", "1", "2"],  # stage 1 ended late
        ["1", "No", "Withdrawn", "2026-03-06", "2", "1", "1"],
        ["1", "Yes", "Open", "", "", "0", "0"],
    ]
    assert rows[1][3] == "'=2+5 Health & Care"  # neutralised: not a formula


def test_xlsx_holds_exactly_the_register(world: World) -> None:
    expected = expected_register(world, D(2026, 3, 1), D(2026, 3, 31))
    response = _bu(world).get(XLSX_URL, MARCH)
    assert response.status_code == 200
    assert response["Content-Type"] == exports.XLSX_TYPE
    assert response["Cache-Control"].startswith("no-store")
    assert (
        "escalations-register-nel-2026-03-01-to-2026-03-31.xlsx" in response["Content-Disposition"]
    )
    book = openpyxl.load_workbook(io.BytesIO(_body(response)))
    sheet = book["Register"]
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0] == exports.REGISTER_HEADERS

    def as_read(v: Any) -> Any:  # openpyxl reads a date back as a midnight datetime
        return dt.datetime.combine(v, dt.time()) if isinstance(v, dt.date) else v

    assert rows[1:] == [tuple(as_read(v) for v in row) for row in expected]
    assert sheet["D2"].value == "=2+5 Health & Care"
    assert sheet["D2"].data_type == "s"  # text, not a formula


def test_the_period_bounds_are_included(world: World) -> None:
    response = _bu(world).get(CSV_URL, {"from": "2026-03-05", "to": "2026-03-05"})
    rows = _csv_rows(response)
    assert [r[10] for r in rows[1:]] == ["2026-03-05"]


def test_without_a_period_the_last_12_months(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(timekeeping, "today", lambda: D(2027, 3, 1))
    rows = _csv_rows(_bu(world).get(CSV_URL))
    assert sorted(r[10] for r in rows[1:]) == ["2026-03-02", "2026-03-02", "2026-03-04",
                                              "2026-03-05"]  # fmt: skip


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ({"from": "2026-02-30"}, "The start date must be a real date"),
        ({"from": "1 March 2026"}, "The start date must be a real date"),
        ({"to": "2026-13-01"}, "The end date must be a real date"),
        ({"from": "2026-03-31", "to": "2026-03-01"}, "must be the same as or before its end"),
        ({"from": "\x00"}, "The start date must be a real date"),
    ],
)
@pytest.mark.parametrize("url", [CSV_URL, XLSX_URL])
def test_a_bad_period_is_a_400_page_that_says_why(
    world: World, url: str, query: dict[str, str], message: str
) -> None:
    before = AuditEntry.objects.filter(action=AuditAction.EXPORT).count()
    response = _bu(world).get(url, query)
    assert response.status_code == 400
    assert response["Content-Type"].startswith("text/html")
    assert message in response.content.decode()
    assert AuditEntry.objects.filter(action=AuditAction.EXPORT).count() == before


def test_each_download_is_audited(world: World) -> None:
    client = _bu(world)
    client.get(CSV_URL, MARCH)
    client.get(XLSX_URL, MARCH)
    entries = list(AuditEntry.objects.filter(action=AuditAction.EXPORT).order_by("sequence"))
    assert [
        (e.object_ref, e.detail["format"], e.detail["from"], e.detail["to"]) for e in entries
    ] == [
        ("register", "csv", "2026-03-01", "2026-03-31"),
        ("register", "xlsx", "2026-03-01", "2026-03-31"),
    ]
    assert all(e.partnership_id == world.partnership.pk for e in entries)
    assert all(e.actor_id == world.bu_user.pk for e in entries)


@pytest.mark.parametrize("url", [CSV_URL, XLSX_URL, "/board/export/figures.csv",
                                 "/board/export/figures.xlsx"])  # fmt: skip
def test_only_the_business_unit_downloads(world: World, url: str) -> None:
    practitioner = signed_in(world.user("a", Level.PRACTITIONER))
    board_rep = signed_in(world.user("b", Level.BOARD_REPRESENTATIVE))
    assert practitioner.get(url, MARCH).status_code == 404
    assert board_rep.get(url, MARCH).status_code == 404
    anonymous = Client().get(url, MARCH)
    assert anonymous.status_code == 302 and anonymous["Location"].startswith("/account/sign-in/")
    assert _bu(world).post(url, MARCH).status_code == 405


def test_another_partnerships_business_unit_downloads_only_its_own(world: World) -> None:
    third = make_world("north-east-lincolnshire", "third")
    rows = _csv_rows(signed_in(third.bu_user).get(CSV_URL, MARCH))
    assert rows == [list(exports.REGISTER_HEADERS)]  # none of "nel"'s four


# -- streaming --------------------------------------------------------------------------------


def _bulk(world: World, first: int, end: int) -> None:
    """Escalations ``first`` to ``end`` - 1 with their facts, written directly (the register
    reads the facts), raised from April 2025 to January 2026."""
    p, a, b = world.partnership, world.a, world.b
    start = D(2025, 4, 1)
    n = end
    for offset in range(first, end, 2_000):
        batch = [
            Escalation(
                reference=f"ESC-B{i:07d}",
                partnership=p,
                procedure_key="north-east-lincolnshire@1",
                subject_kind="adult",
                subject_reference_kind="pid",
                subject_reference=f"PID-{i}",
                category="thresholds-at-referral",
                source="referral",
                raising_agency=a,
                receiving_agency=b,
                issue="-",
                risk="-",
                aim="-",
                outset_on=start + dt.timedelta(days=i % 300),
                raised_on=start + dt.timedelta(days=i % 300),
            )
            for i in range(offset, min(n, offset + 2_000))
        ]
        Escalation.objects.bulk_create(batch)
        EscalationFact.objects.bulk_create(
            EscalationFact(
                escalation=e,
                partnership=p,
                procedure_id="north-east-lincolnshire",
                procedure_version="1",
                category=e.category,
                subject_kind="adult",
                raising_agency=a,
                raising_agency_type=a.agency_type,
                receiving_agency=b,
                receiving_agency_type=b.agency_type,
                outset_on=e.outset_on,
                raised_on=e.raised_on,
                immediate_risk=False,
                start_stage=1,
                stage_reached=1,
                status="open",
            )
            for e in batch
        )


def _peak_while_streaming(client: Client, query: dict[str, str]) -> tuple[int, int]:
    """(rows, peak bytes allocated) while the register's CSV is asked for and read to its
    end."""
    gc.collect()
    tracemalloc.start()
    try:
        response = client.get(CSV_URL, query)
        assert isinstance(response, StreamingHttpResponse)
        content: Iterator[bytes] = iter(response.streaming_content)
        assert iter(content) is content  # an iterator, read as it comes: not a list
        lines = sum(chunk.count(b"\n") for chunk in content)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return lines - 1, peak


def test_the_csv_is_streamed_in_constant_memory(world: World) -> None:
    """10 times the rows need nowhere near 10 times the memory (the figures: run with -s)."""
    client = _bu(world)
    year = {"from": "2025-04-01", "to": "2026-03-31"}
    _body(client.get(CSV_URL, MARCH))  # what is loaded once (modules, templates), first
    _bulk(world, 0, 1_000)
    small = _peak_while_streaming(client, year)
    _bulk(world, 1_000, 10_000)
    large = _peak_while_streaming(client, year)
    print(f"\nregister CSV: {small[0]:,} rows, peak {small[1]:,} B; "
          f"{large[0]:,} rows, peak {large[1]:,} B")  # fmt: skip
    assert small[0] == 1_000 + 5 and large[0] == 10_000 + 5  # and February's and March's
    assert large[1] < 3 * small[1]


# -- the figures ------------------------------------------------------------------------------

FIGURES = [
    Table(
        title="Escalations by agency",
        headers=("Agency", "Raised", "Received"),
        rows=(("=Council", 3, 12), ("Health", 20, 9), ("Police", 8, 10)),
        count_columns=frozenset({1, 2}),
        summary="3 raised by the council.",
    ),
    Table(
        title="Escalations by agency",  # the same title: the sheets' names must differ
        headers=("Month", "Median days"),
        rows=(("March 2026", 4.5),),
    ),
]


def _csv_blocks(text: str) -> list[list[list[str]]]:
    blocks: list[list[list[str]]] = [[]]
    for row in csv.reader(io.StringIO(text.removeprefix("\ufeff"))):
        if row:
            blocks[-1].append(row)
        else:
            blocks.append([])
    return blocks


def test_figures_as_csv_a_block_a_table() -> None:
    blocks = _csv_blocks("".join(exports.figures_csv(FIGURES)))
    assert blocks == [
        [
            ["Escalations by agency"],
            ["Agency", "Raised", "Received"],
            ["'=Council", "3", "12"],
            ["Health", "20", "9"],
            ["Police", "8", "10"],
            ["3 raised by the council."],
        ],
        [["Escalations by agency"], ["Month", "Median days"], ["March 2026", "4.5"]],
    ]


def test_figures_published_hide_small_numbers_as_csv_and_xlsx() -> None:
    blocks = _csv_blocks("".join(exports.figures_csv(FIGURES, publish=True, threshold=5)))
    first = blocks[0]
    assert first[2][:2] == ["'=Council", fewer_than(5)]
    assert WITHHELD in first[3] + first[4]  # 3 cannot be worked back from its column's total
    assert not any("3 raised" in cell for row in first for cell in row)
    book = openpyxl.load_workbook(exports.figures_xlsx(FIGURES, publish=True, threshold=5))
    assert len(book.sheetnames) == 2 and len(set(book.sheetnames)) == 2
    sheet = book[book.sheetnames[0]]
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][0] == "Escalations by agency"
    assert rows[1] == ("Agency", "Raised", "Received")
    assert rows[2][:2] == ("=Council", "fewer than 5")
    assert sheet["A3"].data_type == "s"


def test_figures_unpublished_keep_every_count() -> None:
    book = openpyxl.load_workbook(exports.figures_xlsx(FIGURES))
    rows = list(book[book.sheetnames[0]].iter_rows(values_only=True))
    assert rows[2:5] == [("=Council", 3, 12), ("Health", 20, 9), ("Police", 8, 10)]


def test_the_dashboards_figures_download_published(world: World) -> None:
    client = _bu(world)
    query = {"start_day": "1", "start_month": "3", "start_year": "2026", "end_day": "31",
             "end_month": "3", "end_year": "2026"}  # fmt: skip
    inside = client.get("/board/export/figures.csv", query)
    published = client.get("/board/export/figures.csv", {**query, "publish": "1"})
    assert inside.status_code == published.status_code == 200
    text = _body(inside).decode("utf-8-sig")
    shown = _body(published).decode("utf-8-sig")
    assert "Escalations" in text
    assert "what the forms said" not in text  # no free text: not the feedback
    assert fewer_than(5) not in text and fewer_than(5) in shown  # 4 escalations: all small
    assert "figures-published-nel-2026-03-01-to-2026-03-31.csv" in published["Content-Disposition"]
    xlsx = client.get("/board/export/figures.xlsx", {**query, "publish": "1"})
    book = openpyxl.load_workbook(io.BytesIO(_body(xlsx)))
    assert len(book.sheetnames) > 3
    bad = client.get("/board/export/figures.csv", {**query, "end_month": "13"})
    assert bad.status_code == 400
