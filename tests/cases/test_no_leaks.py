"""A marker written into every free-text field never reaches logs, e-mail subjects or URLs."""

from __future__ import annotations

import datetime as dt
import logging
import re

import pytest
from django.core import mail
from django.test import Client

from escalate import timekeeping
from escalate.audit.models import AuditEntry
from escalate.cases.models import Escalation
from escalate.procedures.schema import Level
from tests.cases.conftest import World
from tests.support import date_fields, signed_in

pytestmark = pytest.mark.django_db
MARKER = "ZZMARKER7731"
D = dt.date


def _check(response: object, seen_urls: list[str]) -> None:
    location = getattr(response, "headers", {}).get("Location", "")
    if location:
        seen_urls.append(location)
    content = getattr(response, "content", b"").decode(errors="replace")
    seen_urls.extend(re.findall(r'(?:href|action|src)="([^"]*)"', content))


def test_marker_never_reaches_logs_subjects_or_urls(
    world: World, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    urls: list[str] = []
    from escalate.cases.rules import registry

    proc = registry().get(world.partnership.procedure_id)
    client = signed_in(world.user("a", Level.PRACTITIONER))
    steps = [
        ("immediate-risk", {"immediate_risk": "yes"}),
        ("start-stage", {"route_taken": MARKER, "start_stage": "1", "reason": MARKER}),
        (
            "about",
            {
                "subject_kind": "adult",
                "subject_reference_kind": "pid",
                "subject_reference": MARKER,
                "subject_name": MARKER,
            },
        ),
        ("agency", {"receiving_agency": str(world.b.pk), "receiving_practitioner": MARKER}),
        ("category", {"category": proc.categories[0].id}),
        ("source", {"source": "other", "source_detail": MARKER}),
        ("disagreement", {"issue": MARKER, "risk": MARKER, "aim": MARKER}),
        ("identified", date_fields("outset_on", D(2026, 3, 2))),
    ]
    for step, data in steps:
        _check(client.get(f"/raise/{step}/"), urls)
        _check(response := client.post(f"/raise/{step}/", data), urls)
    if response["Location"] == "/raise/confirm-identified/":  # once 2 March 2026 is a year ago
        _check(response := client.post(response["Location"], {"outset_confirmed": "yes"}), urls)
    assert response["Location"] == "/raise/due/"  # immediate risk: by when the stage must act
    _check(client.get("/raise/due/"), urls)
    _check(client.post("/raise/due/", date_fields("due_on", timekeeping.today())), urls)
    _check(client.get("/raise/check/"), urls)
    _check(client.post("/raise/check/"), urls)
    esc = Escalation.objects.get()
    assert esc.issue == MARKER

    def act(user_client: Client, action: str, data: dict[str, str]) -> None:
        esc.refresh_from_db()
        url = f"/escalations/{esc.reference}/{action}/"
        _check(user_client.get(url), urls)
        _check(user_client.post(url, {"version": esc.version, **data}), urls)

    receiver = signed_in(world.user("b", Level.PRACTITIONER))
    act(
        receiver,
        "contact",
        {
            **date_fields("occurred_on", D(2026, 3, 3)),
            "method": "other",
            "contact_by": MARKER,
            "contact_with": MARKER,
            "summary": MARKER,
            "agreed": MARKER,
            "decision_makers": MARKER,
        },
    )
    act(receiver, "view", {"view": MARKER})
    act(receiver, "entries/2/correct", {"text": MARKER})
    act(client, "escalate", {**date_fields("on", D(2026, 3, 3)), "reason": MARKER})
    manager = signed_in(world.user("b", Level.SENIOR_MANAGER))
    act(manager, "resolve", {**date_fields("on", D(2026, 3, 4)), "outcome": MARKER})
    act(manager, "confirm", {**date_fields("on", D(2026, 3, 5)), "confirmed_by": MARKER})
    _check(client.get(f"/escalations/{esc.reference}/"), urls)
    _check(client.get(f"/escalations/?reference={MARKER}"), urls)
    Client().post("/account/password-reset/", {"email": world.user("a", Level.PRACTITIONER).email})

    assert esc.entries.filter(text=MARKER).exists()  # it was all stored
    assert urls, "no URLs were seen"
    assert not [u for u in urls if MARKER in u]
    assert MARKER not in caplog.text
    assert len(mail.outbox) == 1  # the reset e-mail was sent
    assert all(MARKER not in m.subject for m in mail.outbox)
    assert not [e for e in AuditEntry.objects.all() if MARKER in repr(e.__dict__)]
