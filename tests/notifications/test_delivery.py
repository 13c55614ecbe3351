"""Delivering the outbox through a real SMTP server on loopback (aiosmtpd)."""

from __future__ import annotations

import datetime as dt
import json
import socket
import threading
from collections.abc import Iterator
from typing import Any

import pytest
from django.test import override_settings

from escalate.audit.models import AuditAction, AuditEntry
from escalate.notifications import delivery
from escalate.notifications.delivery import (
    MAX_ATTEMPTS,
    deliver_due,
    recover_expired,
    send_digests,
)
from escalate.notifications.models import Attempt, Channel, Kind, Notification, Status
from escalate.procedures.schema import Level
from tests.cases.conftest import World, make_world
from tests.notifications.rows import (
    SUBJECT_NAME,
    T0,
    TYPED,
    an_escalation,
    email_row,
    recipient,
)
from tests.notifications.smtp_server import OUTBOX_HEADER, SmtpServer, free_port

WORKER = "test-worker"
SITE = "https://escalate.example.org"


@pytest.fixture
def world(db: None) -> World:
    return make_world("north-east-lincolnshire")


@pytest.fixture
def server() -> Iterator[SmtpServer]:
    with SmtpServer() as running, override_settings(MAILERS=running.mailers()):
        yield running


def reload(row: Notification) -> Notification:
    row.refresh_from_db()
    return row


def audit_details(action: str) -> list[dict[str, Any]]:
    return [
        json.loads(e.detail) if isinstance(e.detail, str) else e.detail
        for e in AuditEntry.objects.filter(action=action).order_by("sequence")
    ]


@override_settings(ESCALATE_SITE_URL=SITE)
def test_messages_arrive_with_the_right_recipient_and_content(
    world: World, server: SmtpServer
) -> None:
    esc = an_escalation(world)
    to = recipient(world)
    to.email = "senior.manager@health.test.invalid"
    to.save()
    row = email_row(esc, to, kind=Kind.DUE_SOON, stage=1)

    report = deliver_due(now=T0, worker=WORKER)

    assert report.sent == 1
    [got] = server.received
    assert got.recipients == ["senior.manager@health.test.invalid"]
    assert got.message["To"] == "senior.manager@health.test.invalid"
    assert got.message[OUTBOX_HEADER] == str(row.pk)
    subject = str(got.message["Subject"])
    assert esc.reference in subject
    assert "5 March 2026" in subject
    assert "@" not in subject
    assert got.body.count(esc.reference) >= 1
    assert "stage 1" in got.body
    assert f"{SITE}/escalations/{esc.reference}/" in got.body
    raw = got.message.as_string()
    assert SUBJECT_NAME not in raw
    assert TYPED not in raw
    row = reload(row)
    assert row.status == Status.SENT
    assert row.sent_at == T0
    assert row.attempts == 1
    [attempt] = Attempt.objects.filter(notification=row)
    assert (attempt.outcome, attempt.worker, attempt.finished_at) == (Status.SENT, WORKER, T0)
    [detail] = audit_details(AuditAction.NOTIFICATION_SENT)
    assert detail == {
        "reference": esc.reference,
        "kind": "due-soon",
        "channel": "smtp",
        "actor": "system:worker",
    }
    # Nothing is sent twice: a second run finds nothing to do.
    assert deliver_due(now=T0 + dt.timedelta(hours=1), worker=WORKER).claimed == 0
    assert len(server.received) == 1


def test_the_account_address_is_used_when_the_directory_has_none(
    world: World, server: SmtpServer
) -> None:
    to = recipient(world)
    assert to.email == "" and to.user is not None
    email_row(an_escalation(world), to)
    deliver_due(now=T0, worker=WORKER)
    assert server.received[0].recipients == [to.user.email]


def test_only_due_email_rows_are_sent(world: World, server: SmtpServer) -> None:
    esc = an_escalation(world)
    later = email_row(esc, recipient(world), next_attempt_at=T0 + dt.timedelta(minutes=5))
    app = email_row(esc, recipient(world))
    Notification.objects.filter(pk=app.pk).update(channel=Channel.APP)
    held = email_row(esc, recipient(world), status=Status.HELD)
    deliver_due(now=T0, worker=WORKER)
    assert server.received == []
    assert reload(later).status == Status.QUEUED
    assert reload(app).status == Status.QUEUED
    assert reload(held).status == Status.HELD
    deliver_due(now=T0 + dt.timedelta(minutes=5), worker=WORKER)
    assert [int(r.message[OUTBOX_HEADER]) for r in server.received] == [later.pk]


def test_with_the_server_down_messages_wait_and_go_once_it_returns(world: World) -> None:
    esc = an_escalation(world)
    rows = [email_row(esc, recipient(world)), email_row(esc, recipient(world, "a"))]
    port = free_port()  # nothing listens here yet
    down = SmtpServer(port)
    with override_settings(MAILERS=down.mailers()):
        report = deliver_due(now=T0, worker=WORKER)
        assert (report.sent, report.retrying) == (0, 2)
        first, second = (reload(r) for r in rows)
        assert first.status == second.status == Status.QUEUED
        assert first.failure == "connection refused"
        assert second.failure == "not tried: connection refused"
        assert first.next_attempt_at == T0 + dt.timedelta(minutes=1)
        assert first.attempts == 1

        # Before the back-off ends nothing is tried, even with the server back.
        with down:
            assert deliver_due(now=T0 + dt.timedelta(seconds=30), worker=WORKER).claimed == 0
            assert down.received == []
            report = deliver_due(now=T0 + dt.timedelta(minutes=1), worker=WORKER)
        assert report.sent == 2
        assert sorted(int(r.message[OUTBOX_HEADER]) for r in down.received) == sorted(
            r.pk for r in rows
        )
        assert all(reload(r).status == Status.SENT for r in rows)
        assert all(reload(r).failure == "" for r in rows)


def test_back_off_doubles_and_gives_up_after_the_last_attempt(world: World) -> None:
    row = email_row(an_escalation(world), recipient(world))
    now = T0
    with override_settings(MAILERS=SmtpServer(free_port()).mailers()):
        for attempt in range(1, MAX_ATTEMPTS + 1):
            deliver_due(now=now, worker=WORKER)
            row = reload(row)
            assert row.attempts == attempt
            if attempt < MAX_ATTEMPTS:
                assert row.status == Status.QUEUED
                delay = row.next_attempt_at - now
                assert delay == min(dt.timedelta(minutes=2 ** (attempt - 1)), dt.timedelta(hours=4))
                now = row.next_attempt_at
    assert row.status == Status.FAILED
    assert row.failure == "connection refused"
    [detail] = audit_details(AuditAction.NOTIFICATION_FAILED)
    assert detail["reference"] == row.reference
    assert detail["failure"] == "connection refused"
    assert "@" not in json.dumps(detail)
    assert Attempt.objects.filter(notification=row).count() == MAX_ATTEMPTS


def test_a_recipient_with_no_address_is_failed_with_the_reason(
    world: World, server: SmtpServer
) -> None:
    to = recipient(world)
    assert to.user is not None
    to.user.email = ""
    to.user.save()
    row = email_row(an_escalation(world), to)
    report = deliver_due(now=T0, worker=WORKER)
    assert report.failed == 1
    row = reload(row)
    assert (row.status, row.failure) == (Status.FAILED, "no e-mail address")
    assert server.received == []


def test_expired_sending_claims_are_sent_again_and_committing_ones_become_uncertain(
    world: World, server: SmtpServer
) -> None:
    esc = an_escalation(world)
    long_ago = T0 - dt.timedelta(minutes=10)
    stalled = email_row(esc, recipient(world), status=Status.SENDING)
    handed_over = email_row(esc, recipient(world, "a"), status=Status.COMMITTING)
    fresh = email_row(esc, recipient(world, "c"), status=Status.SENDING)
    Notification.objects.filter(pk__in=[stalled.pk, handed_over.pk]).update(
        claimed_by="dead-worker", claimed_at=long_ago, attempts=1
    )
    Notification.objects.filter(pk=fresh.pk).update(
        claimed_by="live-worker", claimed_at=T0 - dt.timedelta(seconds=30)
    )

    report = deliver_due(now=T0, worker=WORKER)

    assert (report.requeued, report.uncertain, report.sent) == (1, 1, 1)
    assert [int(r.message[OUTBOX_HEADER]) for r in server.received] == [stalled.pk]
    assert reload(stalled).status == Status.SENT
    handed_over = reload(handed_over)
    assert handed_over.status == Status.UNCERTAIN
    assert "may have arrived" in handed_over.failure
    assert reload(fresh).status == Status.SENDING  # another worker is still on it
    # Uncertain is never sent again by itself.
    deliver_due(now=T0 + dt.timedelta(days=1), worker=WORKER)
    counts = server.collector.outbox_counts()
    assert counts[handed_over.pk] == 0
    assert counts[stalled.pk] == 1
    [detail] = audit_details(AuditAction.NOTIFICATION_FAILED)
    assert detail["outcome"] == "uncertain"


def test_nothing_reaches_the_server_before_committing_is_recorded(
    world: World, server: SmtpServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    row = email_row(an_escalation(world), recipient(world))
    seen: list[tuple[str, int]] = []
    real = delivery._commit_point

    def watching(pks: Any, worker: str) -> Any:
        commit = real(pks, worker)

        def watched() -> None:
            seen.append(("before", len(server.received)))
            commit()
            seen.append((Notification.objects.get(pk=row.pk).status, len(server.received)))

        return watched

    monkeypatch.setattr(delivery, "_commit_point", watching)
    deliver_due(now=T0, worker=WORKER)
    assert seen == [("before", 0), (Status.COMMITTING, 0)]
    assert len(server.received) == 1


def test_a_claim_taken_over_is_never_handed_over(
    world: World, server: SmtpServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    esc = an_escalation(world)
    rows = [email_row(esc, recipient(world)), email_row(esc, recipient(world, "a"))]
    real = delivery._commit_point

    def taken_over_first(pks: Any, worker: str) -> Any:
        if list(pks) == [rows[0].pk]:
            # Another worker settled this row (this one was too slow) and claimed it.
            Notification.objects.filter(pk=rows[0].pk).update(claimed_by="other-worker")
        return real(pks, worker)

    monkeypatch.setattr(delivery, "_commit_point", taken_over_first)
    report = deliver_due(now=T0, worker=WORKER)
    assert (report.lost, report.sent) == (1, 1)
    # The first message was abandoned before its terminator; the connection was dropped and
    # the second went out on a new one.
    assert [int(r.message[OUTBOX_HEADER]) for r in server.received] == [rows[1].pk]
    assert reload(rows[0]).status == Status.SENDING
    assert reload(rows[0]).claimed_by == "other-worker"


def _rejecting_server(final: bytes | None) -> tuple[int, threading.Thread]:
    """One SMTP session that accepts everything up to the end of DATA, then answers
    ``final`` (e.g. a 554) or, for None, hangs up without a word."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)
    port = listener.getsockname()[1]

    def serve() -> None:
        conn, _ = listener.accept()
        with conn, listener:
            reader = conn.makefile("rb")
            conn.sendall(b"220 test ESMTP\r\n")
            while line := reader.readline():
                command = line.strip().upper()
                if command.startswith(b"EHLO"):
                    conn.sendall(b"250 test\r\n")
                elif command == b"DATA":
                    conn.sendall(b"354 go on\r\n")
                    while reader.readline() != b".\r\n":
                        pass
                    if final is None:
                        return
                    conn.sendall(final)
                elif command == b"QUIT":
                    conn.sendall(b"221 bye\r\n")
                    return
                else:
                    conn.sendall(b"250 OK\r\n")

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    return port, thread


@pytest.mark.parametrize(
    ("final", "status", "failure"),
    [
        (b"451 try later\r\n", Status.QUEUED, "the server answered 451"),
        (None, Status.UNCERTAIN, "the server closed the connection"),
    ],
    ids=["refused-at-the-end", "hung-up-after-the-terminator"],
)
def test_after_the_terminator_only_a_refusal_is_tried_again(
    world: World, final: bytes | None, status: str, failure: str
) -> None:
    row = email_row(an_escalation(world), recipient(world))
    port, thread = _rejecting_server(final)
    with override_settings(MAILERS=SmtpServer(port).mailers()):
        report = deliver_due(now=T0, worker=WORKER)
    thread.join(5)
    row = reload(row)
    assert (row.status, row.failure) == (status, failure)
    assert report.uncertain == (1 if status == Status.UNCERTAIN else 0)


# -- digests ---------------------------------------------------------------------------

#: Local (London, GMT in March) times on Tuesday 3 March 2026 and Saturday 7 March 2026.
TUESDAY_0800 = dt.datetime(2026, 3, 3, 8, 0, tzinfo=dt.UTC)
TUESDAY_0905 = dt.datetime(2026, 3, 3, 9, 5, tzinfo=dt.UTC)
SATURDAY_1000 = dt.datetime(2026, 3, 7, 10, 0, tzinfo=dt.UTC)


def _held(world: World, *, created_at: dt.datetime, **kwargs: Any) -> Notification:
    """A row held for the digest, as the outbox writes it: first sendable at ``created_at``
    (or the next working-hours moment)."""
    return email_row(
        an_escalation(world),
        recipient(world),
        status=Status.HELD,
        next_attempt_at=created_at,
        **kwargs,
    )


def test_held_rows_go_as_one_digest_at_the_start_of_the_working_day(
    world: World, server: SmtpServer
) -> None:
    monday = dt.datetime(2026, 3, 2, 15, 0, tzinfo=dt.UTC)
    rows = [_held(world, created_at=monday), _held(world, created_at=monday, kind=Kind.CLOSED)]
    after_nine = _held(world, created_at=dt.datetime(2026, 3, 3, 9, 1, tzinfo=dt.UTC))
    email_row(
        an_escalation(world),
        recipient(world, "a", Level.LINE_MANAGER),
        status=Status.HELD,
        next_attempt_at=monday,
    )

    assert send_digests(now=TUESDAY_0800, worker=WORKER).claimed == 0
    assert server.received == []

    report = send_digests(now=TUESDAY_0905, worker=WORKER)

    assert report.sent == 3
    assert len(server.received) == 2  # one e-mail per person
    by_rows = {r.message[OUTBOX_HEADER]: r for r in server.received}
    mine = by_rows[f"{rows[0].pk},{rows[1].pk}"]
    assert "daily summary" in str(mine.message["Subject"])
    for row in rows:
        assert row.reference in mine.body
        assert reload(row).status == Status.SENT
    assert SUBJECT_NAME not in mine.message.as_string()
    assert reload(after_nine).status == Status.HELD  # tomorrow's
    assert send_digests(now=TUESDAY_0905 + dt.timedelta(minutes=5), worker=WORKER).sent == 0
    assert len(server.received) == 2
    details = audit_details(AuditAction.NOTIFICATION_SENT)
    assert len(details) == 3
    assert all(d["digest"] is True for d in details)


def test_no_digest_at_a_weekend(world: World, server: SmtpServer) -> None:
    _held(world, created_at=dt.datetime(2026, 3, 6, 15, 0, tzinfo=dt.UTC))
    assert send_digests(now=SATURDAY_1000, worker=WORKER).claimed == 0
    assert server.received == []


def test_a_digest_that_fails_waits_held_and_an_expired_digest_claim_goes_back_to_held(
    world: World,
) -> None:
    row = _held(world, created_at=dt.datetime(2026, 3, 2, 15, 0, tzinfo=dt.UTC))
    with override_settings(MAILERS=SmtpServer(free_port()).mailers()):
        report = send_digests(now=TUESDAY_0905, worker=WORKER)
    assert report.retrying == 1
    row = reload(row)
    assert (row.status, row.failure) == (Status.HELD, "connection refused")
    assert row.next_attempt_at == TUESDAY_0905 + dt.timedelta(minutes=1)

    Notification.objects.filter(pk=row.pk).update(
        status=Status.SENDING,
        claimed_by=f"{delivery.DIGEST_CLAIM}dead",
        claimed_at=TUESDAY_0905 - dt.timedelta(hours=1),
    )
    assert recover_expired(now=TUESDAY_0905).requeued == 1
    assert reload(row).status == Status.HELD
