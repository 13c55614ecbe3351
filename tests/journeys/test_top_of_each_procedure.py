"""Each of the five demo procedures taken to its top stage through the pages (issue 10).

For each demo partnership (one per procedure), an open demo escalation at stage 1 is escalated
stage by stage on the escalate page by the raising agency's people whose level holds each
stage. At every stage it reaches, each form the procedure uses there is completed on the edit
page, signed on the sign page by whoever its definition names, sent where the definition sends
it, and downloaded as a PDF whose text (read with pypdf) holds the values entered and the
signatures. At the top stage the business unit convenes the procedure's panel, if it has one,
and chooses its members from the demo's panel seats (a membership that breaks the rule is
refused first, with its message); the escalation's page shows the flowchart with the top stage
current; the outcome is recorded on the outcome page (a decision, recommendations answered by
each agency, or the sub-committee's feedback); and every party is told how it ended.

The demo is loaded once for the module; each journey runs in a transaction rolled back after
it. Everything is done as the demo's own people, through the pages, with Django's test client.
"""

from __future__ import annotations

import datetime as dt
import html
import io
import re
from collections.abc import Iterator
from dataclasses import dataclass
from html.parser import HTMLParser
from typing import TYPE_CHECKING, Any

import pytest
from django.test import Client
from pypdf import PdfReader
from pytest_django.plugin import DjangoDbBlocker

from escalate import timekeeping
from escalate.cases.models import Entry, Escalation, Party, Status
from escalate.cases.rules import registry
from escalate.demo import scenario as demo
from escalate.directory.models import LEVEL_RANK, Agency, PanelSeat, Partnership, Person
from escalate.documents.models import FormVersion, VersionStatus
from escalate.notifications.models import Kind, Notification
from escalate.panels.models import Panel, Recommendation, RecommendationResponse
from escalate.procedures import forms as core
from escalate.procedures import schema
from escalate.procedures.schema import FieldType, Form, FormField, Level, Side, SignerKind
from tests.audit.support import erase_trail
from tests.cases.test_flowchart_pages import marks, svg_of, text_marks
from tests.support import date_fields, signed_in

if TYPE_CHECKING:
    from django.test.client import _MonkeyPatchedWSGIResponse as Response

pytestmark = pytest.mark.django_db

#: How each procedure's panel is first given a membership that breaks its rule, and the message
#: the members page must answer with ({receiving}: the receiving agency's name; {person}: the
#: involved person's). Redbridge convenes no panel.
BREACHES: dict[str, tuple[str, str] | None] = {
    "north-somerset-sab": (
        "too-few",
        "The NSSAB mediation panel needs at least 3 members: 2 chosen",
    ),
    "south-gloucestershire-cp": (
        "party-missing",
        "The SGCP Resolution Panel must include the agencies in dispute: {receiving} not "
        "represented",
    ),
    "north-east-lincolnshire": (
        "chair-not-member",
        "The chair must be one of the members of the resolution panel",
    ),
    "redbridge-sab": None,
    "sunderland-sab": (
        "involved",
        "{person} is involved in this case, and nobody involved in the case may sit on the SSAB "
        "Quality Assurance sub-committee",
    ),
}

#: What ends an escalation, for everyone party to it.
ENDED = (Kind.CLOSED, Kind.OUTCOME)


@pytest.fixture(scope="module")
def loaded(django_db_setup: None, django_db_blocker: DjangoDbBlocker) -> Iterator[None]:
    """The demo, loaded once for this module and removed after it (as tests/demo does)."""
    with django_db_blocker.unblock():
        demo.demo_load()
    yield
    with django_db_blocker.unblock():
        demo.demo_remove()
        erase_trail()


# -- reading the pages -----------------------------------------------------------------------------


class _Inputs(HTMLParser):
    """Every named input of a page with the value it would post: text inputs and hidden ones,
    textareas, checked radios and the selected option of a select."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.values: dict[str, str] = {}
        self._textarea: str | None = None
        self._select: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        name = a.get("name")
        if tag == "input" and name:
            kind = a.get("type") or "text"
            if kind in ("radio", "checkbox"):
                if "checked" in a:
                    self.values[name] = a.get("value") or ""
            elif kind != "submit":
                self.values.setdefault(name, a.get("value") or "")
        elif tag == "textarea" and name:
            self._textarea = name
            self.values[name] = ""
        elif tag == "select" and name:
            self._select = name
        elif tag == "option" and self._select and "selected" in a:
            self.values[self._select] = a.get("value") or ""

    def handle_endtag(self, tag: str) -> None:
        if tag == "textarea":
            self._textarea = None
        elif tag == "select":
            self._select = None

    def handle_data(self, data: str) -> None:
        if self._textarea:
            self.values[self._textarea] += data


def inputs(page: str) -> dict[str, str]:
    parser = _Inputs()
    parser.feed(page)
    # A textarea's first newline is not part of its value.
    return {k: v.removeprefix("\r\n").removeprefix("\n") for k, v in parser.values.items()}


def text(response: Response) -> str:
    return html.unescape(response.content.decode())


def problems(response: Response) -> str:
    """The error summary of a page that was expected to redirect, for the failure message."""
    found = re.findall(r'<div class="govuk-error-summary".*?</div>\s*</div>', text(response), re.S)
    return f"{response.status_code}: " + " ".join(re.sub(r"<[^>]+>", " ", f) for f in found)


def flat(value: str) -> str:
    return " ".join(value.split())


def pdf_text(response: Response) -> str:
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    reader = PdfReader(io.BytesIO(response.content))
    # A line broken after a hyphen ("north-" / "somerset") is one word again.
    return flat(" ".join(page.extract_text() for page in reader.pages).replace("-\n", "-"))


# -- one journey -----------------------------------------------------------------------------------


@dataclass
class Journey:
    """One demo partnership's escalation, taken to its top stage through the pages."""

    partnership: Partnership
    procedure: schema.Procedure
    esc: Escalation
    business_manager: Person
    today: dt.date
    chair: Person | None = None

    def __post_init__(self) -> None:
        self._clients: dict[int, Client] = {}

    @classmethod
    def of(cls, spec: demo.DemoPartnership) -> Journey:
        partnership = Partnership.objects.get(slug=spec.slug)
        procedure = registry().get(partnership.procedure_id, partnership.procedure_version)
        esc = (
            Escalation.objects.filter(
                partnership=partnership, status=Status.OPEN, current_stage=1, immediate_risk=False
            )
            .order_by("pk")
            .first()
        )
        assert esc is not None, f"the demo has no open escalation at stage 1 in {spec.short_name}"
        return cls(
            partnership=partnership,
            procedure=procedure,
            esc=esc,
            business_manager=Person.objects.get(
                agency__partnership=partnership, is_business_unit=True
            ),
            today=timekeeping.today(),
        )

    # -- who -----------------------------------------------------------------------------------

    @property
    def raising(self) -> Agency:
        return self.esc.raising_agency

    @property
    def receiving(self) -> Agency:
        return self.esc.receiving_agency

    def parties(self) -> list[Party]:
        return list(self.esc.parties.select_related("agency").order_by("pk"))

    def person(self, agency: Agency, level: Level) -> Person:
        return Person.objects.get(agency=agency, level=level, is_business_unit=False)

    def holder(self, agency: Agency, stage: int) -> Person:
        """Who acts for the agency at a stage: its person at the most senior directory level
        the stage names (the demo's own rule); the business unit where the stage is the chair's
        or a panel's, or the top stage whose outcome the business unit records."""
        levels = [lv for lv in self.procedure.stage(stage).levels if lv in LEVEL_RANK]
        by_unit = stage == self.procedure.top and (
            self.procedure.top_stage.recorded_by == "business-unit"
        )
        if not levels or by_unit:
            return self.business_manager
        return self.person(agency, max(levels, key=LEVEL_RANK.__getitem__))

    def signer(self, form: Form, slot: FormField, stage: int) -> Person:
        """The first of the people the definition names for a signature whom the record has."""
        for named in form.signers_of(slot):
            agency = self.receiving if named.side is Side.RECEIVING else self.raising
            match named.who:
                case SignerKind.RAISER if self.esc.raising_person is not None:
                    return self.esc.raising_person
                case SignerKind.RECEIVER if self.esc.receiving_person is not None:
                    return self.esc.receiving_person
                case SignerKind.BUSINESS_UNIT:
                    return self.business_manager
                case SignerKind.PANEL_CHAIR if self.chair is not None:
                    return self.chair
                case SignerKind.STAGE_HOLDER:
                    return self.holder(agency, stage)
                case SignerKind.LEVEL if named.level is not None:
                    return self.person(agency, named.level)
        raise AssertionError(f"nobody to sign {slot.id} of {form.id} at stage {stage}")

    def client(self, person: Person) -> Client:
        if person.pk not in self._clients:
            self._clients[person.pk] = signed_in(person.user)
        return self._clients[person.pk]

    def url(self, rest: str = "") -> str:
        return f"/escalations/{self.esc.reference}/{rest}"

    # -- the stages ----------------------------------------------------------------------------

    def escalate(self) -> None:
        """Escalate to the next stage on the escalate page, as the raising agency's holder."""
        stage = self.esc.current_stage
        client = self.client(self.holder(self.raising, stage))
        assert client.get(self.url("escalate/")).status_code == 200
        response = client.post(
            self.url("escalate/"),
            {
                "version": self.esc.version,
                **date_fields("on", self.today),
                "reason": f"Not resolved at stage {stage}: the agencies still disagree.",
            },
        )
        assert response.status_code == 302, problems(response)
        self.esc.refresh_from_db()
        assert self.esc.current_stage == stage + 1

    # -- the forms -----------------------------------------------------------------------------

    def latest(self, form: Form) -> FormVersion | None:
        return (
            FormVersion.objects.filter(record__escalation=self.esc, record__form_id=form.id)
            .order_by("-number")
            .first()
        )

    def answer(self, fld: FormField, n: int, stage: int) -> str:
        """What is typed into a question the record did not answer."""
        match fld.type:
            case FieldType.CHOICE:
                return fld.options[0].value
            case FieldType.YES_NO:
                return "yes"
            case FieldType.NUMBER:
                return "7"
            case FieldType.AGENCY:
                return self.raising.name
        return f"Typed at stage {stage}, answer {n}, for {self.partnership.short_name}"

    def complete(self, form: Form, stage: int) -> None:
        """Complete the form at this stage on the edit page, sign it on the sign page as each
        signer the definition names, send it where it is sent, and check its PDF."""
        form_url = self.url(f"forms/{form.id}/")
        slots = core.signature_slots(form, stage)
        signers = [self.signer(form, slot, stage) for slot in slots]
        editor = self.client(signers[0])

        earlier = self.latest(form)
        if earlier is not None:  # signed at an earlier stage: carried on in a new version
            assert not earlier.is_draft
            response = editor.post(
                f"{form_url}new-version/", {"number": earlier.number, "reason": ""}
            )
            assert response.status_code == 302, problems(response)
            assert response["Location"] == f"{form_url}edit/"

        page = editor.get(f"{form_url}edit/")
        assert page.status_code == 200
        shown = inputs(page.content.decode())
        data = {"form_revision": shown["form_revision"], "then": "sign"}
        typed: dict[str, str] = {}
        for n, fld in enumerate(core.answerable(form, stage), 1):
            if fld.type is FieldType.DATE:
                parts = [shown.get(f"{fld.id}_{p}", "") for p in ("day", "month", "year")]
                on = dt.date(*map(int, reversed(parts))) if all(parts) else self.today
                data.update(date_fields(fld.id, on))
                typed[fld.id] = on.isoformat()
            else:
                # What the record already holds is kept; the rest is typed.
                data[fld.id] = typed[fld.id] = shown.get(fld.id) or self.answer(fld, n, stage)
        response = editor.post(f"{form_url}edit/", data)
        assert response.status_code == 302, problems(response)
        assert response["Location"] == f"{form_url}sign/"

        version = self.latest(form)
        assert version is not None and version.stage == stage and version.is_draft
        assert {k: flat(v) for k, v in version.values.items() if k in typed} == {
            k: flat(v) for k, v in typed.items()
        }
        for slot, person in zip(slots, signers, strict=True):
            client = self.client(person)
            assert client.get(f"{form_url}sign/").status_code == 200, (slot.id, person)
            mine = [s for s, p in zip(slots, signers, strict=True) if p == person]
            posted: dict[str, Any] = {"number": version.number}
            if len(mine) > 1:
                posted["field_id"] = slot.id
            response = client.post(f"{form_url}sign/", posted)
            assert response.status_code == 302, problems(response)
        version.refresh_from_db()
        assert version.status == VersionStatus.SIGNED
        assert {s.field_id for s in version.signatures.all()} == {s.id for s in slots}

        if form.send_to:
            response = editor.post(f"{form_url}send/", {"number": version.number})
            assert response.status_code == 302, problems(response)
            version.refresh_from_db()
            assert version.status == VersionStatus.SUBMITTED
            assert Notification.objects.filter(
                escalation=self.esc, kind=Kind.FORM, obligation=form.id
            ).exists()

        pdf = pdf_text(editor.get(f"{form_url}versions/{version.number}/pdf/"))
        assert self.esc.reference in pdf
        for fld in core.answerable(form, stage):
            value = core.display(fld, version.values[fld.id])
            assert flat(value) in pdf, (form.id, stage, fld.id, value)
        for person in signers:
            assert f"Signed by {person.name}, {person.job_title}, {person.agency.name}" in pdf

    # -- the top stage ---------------------------------------------------------------------------

    def seats(self, kind: str) -> list[PanelSeat]:
        return list(
            PanelSeat.objects.filter(partnership=self.partnership, kind=kind)
            .select_related("person", "agency")
            .order_by("pk")
        )

    def involved(self) -> set[int]:
        """The people the record shows involved: raiser, receiver, and whoever wrote in it."""
        authors = Entry.objects.filter(escalation=self.esc).values_list("author_id", flat=True)
        wrote = Person.objects.filter(user_id__in=authors, is_business_unit=False)
        found = set(wrote.values_list("pk", flat=True))
        found |= {p.pk for p in (self.esc.raising_person, self.esc.receiving_person) if p}
        return found

    def choose(self, rule: schema.Panel, seats: list[PanelSeat]) -> list[PanelSeat]:
        """Members from the seats who meet the rule: the agencies in dispute where they must
        sit, one of each kind of agency the rule names, enough statutory agencies and enough
        members, one seat an agency; nobody involved where the rule excludes them."""
        involved = self.involved() if rule.exclude_involved else set()
        usable = [s for s in seats if s.person_id not in involved]
        offered = list(dict.fromkeys(s.agency for s in usable))
        agencies: list[Agency] = []
        if rule.includes_parties:
            agencies += [p.agency for p in self.parties()]
        for needed in rule.must_represent:
            agencies += _one_more(agencies, offered, needed.agency_types, 1)
        if rule.statutory_members is not None:
            statutory = rule.statutory_members
            agencies += _one_more(agencies, offered, statutory.agency_types, statutory.at_least)
        agencies += _one_more(agencies, offered, tuple(schema.AgencyType), rule.min_members or 1)
        return [next(s for s in usable if s.agency_id == a.pk) for a in agencies]

    def post_members(
        self, panel: Panel, members: list[PanelSeat], chair: PanelSeat | None
    ) -> Response:
        panel.refresh_from_db()
        return self.client(self.business_manager).post(
            self.url(f"panels/{panel.pk}/members/"),
            {
                "version": panel.version,
                **date_fields("sits_on", self.today),
                "members": [s.pk for s in members],
                **({"chair": chair.pk} if chair is not None else {}),
            },
        )

    def convene(self) -> Panel | None:
        """The business unit convenes the top stage's panel and chooses its members: first a
        membership that breaks the procedure's rule (refused with its message), then one that
        meets it. None where the procedure convenes no panel."""
        rule = self.procedure.stage(self.procedure.top).panel
        breach = BREACHES[self.procedure.id]
        if rule is None:
            assert breach is None
            return None
        assert breach is not None
        how, message = breach
        bu = self.client(self.business_manager)
        assert bu.get(self.url("panels/convene/")).status_code == 200
        response = bu.post(
            self.url("panels/convene/"),
            {"kind": rule.kind.value, **date_fields("sits_on", self.today)},
        )
        panel = Panel.objects.get(escalation=self.esc)
        assert response.status_code == 302, problems(response)
        assert response["Location"] == self.url(f"panels/{panel.pk}/members/")
        seats = self.seats(panel.kind)
        assert seats, f"the demo has no seats on {panel.name}"

        if how == "involved":
            # The raising agency's assistant director, who has a seat, gives its view: they are
            # now involved in the case, and cannot sit on a panel that excludes the involved.
            writer = self.person(self.raising, Level.ASSISTANT_DIRECTOR)
            response = self.client(writer).post(
                self.url("view/"),
                {"version": self.esc.version, "view": "We stand by our concern."},
            )
            assert response.status_code == 302, problems(response)
            self.esc.refresh_from_db()
        chosen = self.choose(rule, seats)
        assert chosen

        members, chair = list(chosen), chosen[0]
        values = {"receiving": self.receiving.name, "person": ""}
        if how == "too-few":
            members = chosen[: (rule.min_members or 1) - 1]
        elif how == "party-missing":
            members = [s for s in chosen if s.agency_id != self.receiving.pk]
        elif how == "chair-not-member":
            chair = next(s for s in seats if s.agency_id not in {c.agency_id for c in chosen})
        elif how == "involved":
            seat = next(s for s in seats if s.person == writer)
            members = [*chosen, seat]
            values["person"] = writer.name
        refused = self.post_members(panel, members, chair)
        assert refused.status_code == 200, problems(refused)
        assert message.format(**values) in text(refused)
        assert not panel.members.exists()

        response = self.post_members(panel, chosen, chosen[0])
        assert response.status_code == 302, problems(response)
        assert response["Location"] == self.url("panels/")
        assert "Meets the procedure's rule" in text(bu.get(self.url("panels/")))
        self.chair = chosen[0].person
        return panel

    def flowchart(self) -> None:
        """The escalation's page draws the procedure with the top stage current and every stage
        below it reached, in the picture and its text version alike."""
        top = self.procedure.top
        assert self.esc.raising_person is not None
        page = self.client(self.esc.raising_person).get(self.url())
        assert page.status_code == 200
        body = page.content.decode()
        below = dict.fromkeys(range(1, top), "reached")
        assert marks(svg_of(body)) == {**below, top: "current"}
        assert text_marks(body) == {**dict.fromkeys(range(1, top), "Reached"), top: "Current stage"}

    def decide(self, panel: Panel | None) -> None:
        """The business unit records the outcome on the outcome page; where it is
        recommendations, each agency answers its own."""
        bu = self.client(self.business_manager)
        assert bu.get(self.url("outcome/")).status_code == 200
        produces = self.procedure.top_stage.produces
        words = {
            schema.TopOutcome.BINDING_DECISION: "The panel decided: a joint review this week.",
            schema.TopOutcome.RECOMMENDATIONS: "The Chair recommends a joint review.",
            schema.TopOutcome.FEEDBACK: "The sub-committee's feedback: share the learning.",
        }[produces]
        data: dict[str, Any] = {
            "version": self.esc.version,
            "decision": words,
            **date_fields("on", self.today),
        }
        if panel is not None:
            data["panel"] = panel.pk
        parties = self.parties()
        recommending = produces is schema.TopOutcome.RECOMMENDATIONS
        if recommending:
            for party in parties:
                data[f"recommendation_{party.agency_id}"] = f"{party.agency.name}: review it."
                data.update(
                    date_fields(f"due_on_{party.agency_id}", self.today + dt.timedelta(days=14))
                )
        response = bu.post(self.url("outcome/"), data)
        assert response.status_code == 302, problems(response)
        assert response["Location"] == self.url("panels/")
        self.esc.refresh_from_db()
        assert (self.esc.status, self.esc.outcome) == (Status.DECIDED, words)
        assert words in text(bu.get(self.url("panels/")))

        recommendations = list(Recommendation.objects.filter(escalation=self.esc))
        assert len(recommendations) == (len(parties) if recommending else 0)
        for rec in recommendations:
            answerer = self.client(self.holder(rec.agency, self.procedure.top - 1))
            response = answerer.post(
                self.url(f"recommendations/{rec.pk}/respond/"),
                {
                    "answer": "accepted",
                    "text": f"{rec.agency.name} accepts and will review it.",
                    **date_fields("on", self.today),
                },
            )
            assert response.status_code == 302, problems(response)
        assert RecommendationResponse.objects.filter(
            recommendation__escalation=self.esc
        ).count() == len(recommendations)

    def everyone_told(self) -> None:
        """Every party agency, and the raiser, heard how it ended; each agency recommended to
        heard of its recommendation, and every party of each response."""
        rows = Notification.objects.filter(escalation=self.esc)
        ended = rows.filter(kind__in=ENDED)
        told = set(ended.values_list("recipient__agency_id", flat=True))
        for party in self.parties():
            assert party.agency_id in told, party.agency.name
        assert ended.filter(recipient=self.esc.raising_person).exists()
        for rec in Recommendation.objects.filter(escalation=self.esc):
            assert rows.filter(kind=Kind.RECOMMENDATION, recipient__agency=rec.agency).exists()
            assert rows.filter(kind=Kind.RESPONSE).exists()


def _one_more(
    agencies: list[Agency],
    offered: list[Agency],
    types: tuple[schema.AgencyType, ...],
    at_least: int,
) -> list[Agency]:
    """The offered agencies (in turn, none already chosen) to add so that at least
    ``at_least`` chosen agencies are of one of these types."""
    have = sum(a.agency_type in types for a in agencies)
    more = [a for a in offered if a not in agencies and a.agency_type in types]
    return more[: max(0, at_least - have)]


def _forms_at(procedure: schema.Procedure, stage: int) -> list[Form]:
    return [f for f in procedure.forms if stage in f.used_at]


@pytest.mark.parametrize("spec", demo.DEMO_PARTNERSHIPS, ids=lambda s: s.procedure_id)
def test_a_demo_escalation_taken_to_the_top_stage_and_decided_through_the_pages(
    loaded: None, spec: demo.DemoPartnership
) -> None:
    journey = Journey.of(spec)
    top = journey.procedure.top
    while journey.esc.current_stage < top:
        for form in _forms_at(journey.procedure, journey.esc.current_stage):
            journey.complete(form, journey.esc.current_stage)
        journey.escalate()

    panel = journey.convene()
    for form in _forms_at(journey.procedure, top):
        journey.complete(form, top)
    journey.flowchart()
    journey.decide(panel)
    journey.everyone_told()
    assert journey.esc.status == Status.DECIDED


def test_a_panel_chosen_without_a_chair_is_refused_at_the_field(loaded: None) -> None:
    partnership = Partnership.objects.get(slug="demo-eastmarsh-scp-sab")
    procedure = registry().get(partnership.procedure_id, partnership.procedure_version)
    esc = (
        Escalation.objects.filter(
            partnership=partnership, status=Status.OPEN, current_stage=procedure.top
        )
        .order_by("pk")
        .first()
    )
    assert esc is not None
    bu = signed_in(Person.objects.get(agency__partnership=partnership, is_business_unit=True).user)
    today = timekeeping.today()
    convened = bu.post(
        f"/escalations/{esc.reference}/panels/convene/",
        {"kind": "resolution-panel", **date_fields("sits_on", today)},
    )
    assert convened.status_code == 302, problems(convened)
    panel = Panel.objects.get(escalation=esc)
    seat = PanelSeat.objects.filter(partnership=partnership, kind=panel.kind).order_by("pk")[0]
    response = bu.post(
        f"/escalations/{esc.reference}/panels/{panel.pk}/members/",
        {"version": panel.version, **date_fields("sits_on", today), "members": [seat.pk]},
    )
    assert response.status_code == 200
    assert "Choose who chairs the resolution panel" in text(response)
    assert not panel.members.exists()
