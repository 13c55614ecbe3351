"""A real SMTP server on loopback (aiosmtpd), collecting what it accepts."""

from __future__ import annotations

import asyncio
import socket
import threading
from collections import Counter
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any

from aiosmtpd.controller import Controller

OUTBOX_HEADER = "X-Escalate-Outbox"


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Received:
    sender: str
    recipients: list[str]
    message: EmailMessage

    @property
    def body(self) -> str:
        part = self.message.get_body(preferencelist=("plain",))
        assert part is not None
        return str(part.get_content())


@dataclass
class Collector:
    """The aiosmtpd handler: keeps every message it receives; ``rcpt_delay``/``data_delay``
    make the server slow (seconds before answering RCPT TO, and before answering the end of
    DATA: the message is kept as soon as it is received, before that answer)."""

    rcpt_delay: float = 0.0
    data_delay: float = 0.0
    received: list[Received] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, rcpt_options: Any
    ) -> str:
        if self.rcpt_delay:
            await asyncio.sleep(self.rcpt_delay)
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        message = message_from_bytes(envelope.original_content, policy=policy.default)
        assert isinstance(message, EmailMessage)
        with self.lock:
            self.received.append(Received(envelope.mail_from, list(envelope.rcpt_tos), message))
        if self.data_delay:
            # Like a server that has queued the message but is slow to say so: a client that
            # stops listening now cannot know that it arrived.
            await asyncio.sleep(self.data_delay)
        return "250 Message accepted for delivery"

    def outbox_counts(self) -> Counter[int]:
        """How many times the server accepted each outbox row (by the row id header)."""
        with self.lock:
            return Counter(int(r.message[OUTBOX_HEADER]) for r in self.received)

    def __len__(self) -> int:
        with self.lock:
            return len(self.received)


class SmtpServer:
    """``with SmtpServer(port) as server:`` serves on 127.0.0.1:port until the block ends."""

    def __init__(self, port: int | None = None, collector: Collector | None = None) -> None:
        self.port = port or free_port()
        self.collector = collector if collector is not None else Collector()
        self.controller = Controller(self.collector, hostname="127.0.0.1", port=self.port)

    @property
    def received(self) -> list[Received]:
        return self.collector.received

    def __enter__(self) -> SmtpServer:
        self.controller.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.controller.stop()

    def mailers(self) -> dict[str, Any]:
        """The MAILERS setting that sends to this server through Escalate's SMTP backend."""
        return {
            "default": {
                "BACKEND": "escalate.notifications.senders.SmtpEmailBackend",
                "OPTIONS": {"host": "127.0.0.1", "port": self.port, "timeout": 5},
            }
        }
