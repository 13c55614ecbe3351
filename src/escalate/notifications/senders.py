"""Handing a rendered message to the mail server (Django's e-mail backends) or to GOV.UK Notify.

Every send has a *point of no return*: the moment after which the other side may have accepted
the message. The caller passes ``commit``, which records that moment in the database (the row
becomes ``committing``) and is called immediately before it; if ``commit`` raises, nothing is
handed over. A sender then ends in one of three ways:

- it returns: the message was accepted;
- :class:`NotSent`: the other side certainly does not have it (it refused, or the point of no
  return was never reached), so it may be sent again (``permanent``: not worth trying again);
- :class:`MaybeSent`: the point of no return was passed and no answer came, so the message may
  or may not have been accepted: it must never be sent again automatically.

With SMTP the point of no return is the end of the DATA command: :class:`SmtpEmailBackend`
uses an ``smtplib.SMTP`` whose ``data()`` calls ``commit`` after the message's lines and before
the final ``<CRLF>.<CRLF>``, so a server can never have accepted a message that was not first
recorded as ``committing``. With Notify it is the POST.

Failure reasons are short fixed phrases: never an address, never the content, never the
exception's text (smtplib's errors carry the recipients).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import re
import smtplib
import socket
import ssl
from collections.abc import Callable
from dataclasses import dataclass
from types import TracebackType
from typing import Any, Protocol, Self
from urllib.parse import urlsplit

from django.conf import settings
from django.core import mail
from django.core.mail import EmailMessage
from django.core.mail.backends.smtp import EmailBackend
from notifications_python_client.errors import HTTPError
from notifications_python_client.notifications import NotificationsAPIClient

from escalate.notifications.messages import Message
from escalate.procedures.words import long_date

#: Seconds any one network call may take (connect, each SMTP reply, the Notify request).
NETWORK_TIMEOUT_SECONDS = 20
#: The header that names the outbox rows a message carries (ids, never content).
OUTBOX_HEADER = "X-Escalate-Outbox"

NOTIFY_NOT_CONFIGURED = "Notify is not configured"
NOTIFY_NO_TEMPLATE = "no Notify template for this kind of message"


class NotSent(Exception):
    """The other side certainly does not have the message."""

    def __init__(self, reason: str, *, permanent: bool = False, unreachable: bool = False) -> None:
        super().__init__(reason)
        self.reason = reason
        self.permanent = permanent
        #: No connection could be made: the rest of the batch need not try.
        self.unreachable = unreachable


class MaybeSent(Exception):
    """The point of no return was passed without an answer: never send it again by itself."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class Envelope:
    """One message for one address, and the outbox rows it delivers."""

    to: str
    message: Message
    outbox_ids: tuple[int, ...]
    reference: str
    kind: str
    stage: int | None = None
    due_on: dt.date | None = None

    @property
    def outbox_ref(self) -> str:
        return ",".join(str(i) for i in self.outbox_ids)


class Sender(Protocol):
    channel: str

    def send(self, envelope: Envelope, *, commit: Callable[[], None]) -> None: ...

    def __enter__(self) -> Self: ...

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None: ...


# ---------------------------------------------------------------------------------------
# SMTP

_CRLF = b"\r\n"


def _fix_eols(data: str) -> str:
    return re.sub(r"(?:\r\n|\n|\r(?!\n))", "\r\n", data)


def _quote_periods(data: bytes) -> bytes:
    return re.sub(rb"(?m)^\.", b"..", data)


class CommittingSMTP(smtplib.SMTP):
    """``smtplib.SMTP`` whose DATA calls ``before_terminator`` just before the final
    ``<CRLF>.<CRLF>``: the server takes responsibility for a message only once it has the
    terminator, so until then nothing can have been delivered."""

    before_terminator: Callable[[], None] | None = None
    #: Whether the last DATA sent its terminator, and the server's answer to it (None: none).
    terminator_sent: bool = False
    final_reply: int | None = None

    def data(self, msg: Any) -> tuple[int, bytes]:
        self.terminator_sent = False
        self.final_reply = None
        self.putcmd("data")
        code, reply = self.getreply()
        if code != 354:
            raise smtplib.SMTPDataError(code, reply)
        if isinstance(msg, str):
            msg = _fix_eols(msg).encode("ascii")
        lines = _quote_periods(bytes(msg))
        if lines[-2:] != _CRLF:
            lines += _CRLF
        self.send(lines)
        if self.before_terminator is not None:
            try:
                self.before_terminator()
            except BaseException:
                # Drop the connection without a terminator: the server discards the message.
                self.close()
                raise
        self.terminator_sent = True
        self.send(b"." + _CRLF)
        code, reply = self.getreply()
        self.final_reply = code
        return code, reply


class CommittingSMTPSSL(CommittingSMTP, smtplib.SMTP_SSL):
    pass


class SmtpEmailBackend(EmailBackend):
    """Django's SMTP backend, with a point of no return (see the module) and a time-out on
    every network call. Sends everything else (password resets) exactly as Django's does."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.timeout is None:
            self.timeout = NETWORK_TIMEOUT_SECONDS

    @property
    def connection_class(self) -> type[smtplib.SMTP]:
        return CommittingSMTPSSL if self.use_ssl else CommittingSMTP

    def send_committing(self, message: EmailMessage, *, commit: Callable[[], None]) -> None:
        """Send one message over this backend's connection (opened if need be, left open),
        calling ``commit`` at the point of no return. Raises :class:`NotSent` or
        :class:`MaybeSent`."""
        with self._lock:
            try:
                self.open()
            except Exception as error:
                self._abort()
                raise NotSent(failure_reason(error), unreachable=True) from None
            conn = self.connection
            if not isinstance(conn, CommittingSMTP):
                raise NotSent("the SMTP connection did not open")
            refused: list[BaseException] = []

            def guarded_commit() -> None:
                try:
                    commit()
                except BaseException as error:
                    refused.append(error)
                    raise

            conn.before_terminator = guarded_commit
            conn.terminator_sent = False
            conn.final_reply = None
            try:
                self.send_messages([message])
            except Exception as error:
                self._abort()
                if refused:
                    raise  # the caller's own refusal: nothing was handed over
                if conn.terminator_sent and conn.final_reply is None:
                    raise MaybeSent(failure_reason(error)) from None
                if isinstance(error, (NotSent, MaybeSent)):
                    raise
                raise NotSent(failure_reason(error), permanent=_permanent_smtp(error)) from None
            finally:
                conn.before_terminator = None

    def _abort(self) -> None:
        """Forget the connection without QUIT (it may be in the middle of DATA)."""
        partial: smtplib.SMTP | None = getattr(self, "_partial_connection", None)
        for conn in (self.connection, partial):
            if conn is not None:
                with contextlib.suppress(OSError):
                    conn.close()
        self.connection = None
        self._partial_connection = None


def _permanent_smtp(error: BaseException) -> bool:
    """A 5xx refusal of every recipient: the address does not work; trying again will not."""
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        return all(code >= 500 for code, _ in error.recipients.values())
    return False


#: Failures in the words the business unit reads, most specific first.
_REASONS: tuple[tuple[type[BaseException] | tuple[type[BaseException], ...], str], ...] = (
    (ConnectionRefusedError, "connection refused"),
    ((TimeoutError, socket.timeout), "timed out"),
    (socket.gaierror, "mail server name not found"),
    (smtplib.SMTPServerDisconnected, "the server closed the connection"),
    (smtplib.SMTPRecipientsRefused, "recipient refused"),
    (smtplib.SMTPAuthenticationError, "SMTP sign-in refused"),
    (ssl.SSLError, "TLS failed"),
    (ConnectionError, "connection lost"),
    (ValueError, "not a valid address"),
)


def failure_reason(error: BaseException) -> str:
    """A short, fixed description of a failure: never the exception's text."""
    if isinstance(error, NotSent | MaybeSent):
        return error.reason
    for kinds, reason in _REASONS:
        if isinstance(error, kinds):
            return reason
    if isinstance(error, smtplib.SMTPResponseException):
        return f"the server answered {error.smtp_code}"
    if isinstance(error, OSError):
        return "network error"
    return f"unexpected error ({type(error).__name__})"


def _domain() -> str:
    return urlsplit(settings.ESCALATE_SITE_URL).hostname or "escalate.invalid"


class SmtpSender:
    """E-mail through Django's default mailer (``MAILERS['default']``).

    With :class:`SmtpEmailBackend` the point of no return is the end of DATA; with any other
    backend (the console or memory ones used locally and in tests) it is the call itself."""

    channel = "smtp"

    def __init__(self) -> None:
        self.backend: Any = None

    def __enter__(self) -> Self:
        self.backend = mail.mailers.default
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        backend, self.backend = self.backend, None
        if backend is None:
            return
        # The messages are recorded; an untidy goodbye changes nothing.
        with contextlib.suppress(OSError, smtplib.SMTPException):
            backend.close()

    def email(self, envelope: Envelope) -> EmailMessage:
        ids = "-".join(str(i) for i in envelope.outbox_ids)
        return EmailMessage(
            subject=envelope.message.subject,
            body=envelope.message.body,
            from_email=settings.DEFAULT_FROM_EMAIL,
            to=[envelope.to],
            headers={
                # The same for every try: a receiving server can tell a repeat.
                "Message-ID": f"<escalate.outbox.{ids}@{_domain()}>",
                OUTBOX_HEADER: envelope.outbox_ref,
                "Auto-Submitted": "auto-generated",
            },
        )

    def send(self, envelope: Envelope, *, commit: Callable[[], None]) -> None:
        if self.backend is None:
            self.__enter__()
        email = self.email(envelope)
        if isinstance(self.backend, SmtpEmailBackend):
            self.backend.send_committing(email, commit=commit)
            return
        commit()
        try:
            sent = self.backend.send_messages([email])
        except (
            smtplib.SMTPConnectError,
            smtplib.SMTPHeloError,
            smtplib.SMTPAuthenticationError,
            smtplib.SMTPSenderRefused,
            smtplib.SMTPRecipientsRefused,
            ConnectionRefusedError,
            socket.gaierror,
        ) as error:  # all before DATA: the server has nothing
            raise NotSent(failure_reason(error), permanent=_permanent_smtp(error)) from None
        except Exception as error:
            raise MaybeSent(failure_reason(error)) from None
        if not sent:
            raise NotSent("the mail backend sent nothing")


# ---------------------------------------------------------------------------------------
# GOV.UK Notify


def _never_connected(error: BaseException) -> bool:
    """Whether a failed request never reached Notify (no connection was made)."""
    import requests  # comes with the Notify client

    seen: set[int] = set()
    todo: list[object] = [error]
    while todo:
        item = todo.pop()
        if id(item) in seen or not isinstance(item, BaseException):
            continue
        seen.add(id(item))
        if isinstance(item, requests.ConnectTimeout | ConnectionRefusedError | socket.gaierror):
            return True
        if type(item).__name__ in {"NewConnectionError", "NameResolutionError"}:
            return True
        todo += [item.__cause__, item.__context__, getattr(item, "reason", None), *item.args]
    return False


class NotifySender:
    """E-mail through GOV.UK Notify's official client: one template per kind of message
    (``ESCALATE_NOTIFY_TEMPLATES``, with a ``default``), the content in its personalisation."""

    channel = "notify"

    def __init__(self) -> None:
        self.client: NotificationsAPIClient | None = None

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self.client is not None:
            self.client.request_session.close()
            self.client = None

    def _client(self) -> NotificationsAPIClient:
        if self.client is None:
            key = settings.ESCALATE_NOTIFY_API_KEY
            if len(key) < 74:  # name-<service id>-<secret>, two UUIDs
                raise NotSent(NOTIFY_NOT_CONFIGURED, permanent=True)
            self.client = NotificationsAPIClient(  # type: ignore[no-untyped-call]
                key,
                base_url=settings.ESCALATE_NOTIFY_BASE_URL,
                timeout=NETWORK_TIMEOUT_SECONDS,
            )
        return self.client

    @staticmethod
    def template_for(kind: str) -> str:
        templates = settings.ESCALATE_NOTIFY_TEMPLATES
        template = templates.get(kind) or templates.get("default") or ""
        if not template:
            raise NotSent(NOTIFY_NO_TEMPLATE, permanent=True)
        return template

    def send(self, envelope: Envelope, *, commit: Callable[[], None]) -> None:
        client = self._client()
        template = self.template_for(envelope.kind)
        message = envelope.message
        personalisation = {
            "subject": message.subject,
            "body": message.body,
            "reference": envelope.reference,
            "stage": str(envelope.stage or ""),
            "due_date": long_date(envelope.due_on) if envelope.due_on else "",
            "link": message.link,
        }
        commit()
        try:
            client.send_email_notification(  # type: ignore[no-untyped-call]
                email_address=envelope.to,
                template_id=template,
                personalisation=personalisation,
                # Notify's reference: ours, never personal data.
                reference=f"escalate-outbox-{envelope.outbox_ref.replace(',', '-')}",
            )
        except HTTPError as error:
            if error.response is not None:
                status = error.status_code
                # Notify answered: it did not take the message. 429 and 5xx pass; the rest
                # (a bad template, a refused address) will not get better by trying again.
                raise NotSent(
                    f"Notify answered {status}", permanent=status < 500 and status != 429
                ) from None
            if _never_connected(error):
                raise NotSent("could not reach Notify", unreachable=True) from None
            raise MaybeSent("no answer from Notify") from None
        except Exception as error:
            raise MaybeSent(f"Notify call failed ({type(error).__name__})") from None


def sender_for_settings() -> Sender:
    """The sender ``ESCALATE_EMAIL_CHANNEL`` names ("smtp" or "notify")."""
    if settings.ESCALATE_EMAIL_CHANNEL == "notify":
        return NotifySender()
    return SmtpSender()
