"""The virus-scan hook: which scanner (if any) checks each upload before it is stored.

``ESCALATE_VIRUS_SCANNER`` names the scanner: ``""`` for none (uploads are stored marked "not
scanned", and the pages say so), ``"clamav"`` for :class:`ClamAVScanner`, or the dotted path of
any class that takes no arguments and has a ``name`` and a ``scan(data) -> ScanReport`` (the
tests use a fake one). The setting is read each time, never at import.

A scanner answers clean or infected, or raises :class:`ScannerUnavailableError` when it cannot
answer: the upload is then refused (fail closed), never stored unscanned behind the
installation's back.

ClamAV: ``clamav-client`` (maintained; a typed fork of ``clamd``) streams the bytes to the
``clamd`` daemon with INSTREAM, so nothing is written to disk before it answers. Its address is
``ESCALATE_CLAMAV_ADDRESS``: a Unix socket path (``/var/run/clamav/clamd.ctl``, the default, or
``unix:///...``) or ``host:port``; every call has the time-out
``ESCALATE_CLAMAV_TIMEOUT_SECONDS`` (30). clamd's ``StreamMaxLength`` must be at least the upload
limit (``ESCALATE_UPLOAD_MAX_MB``), or every larger upload is refused as not checked.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol

from django.conf import settings
from django.utils.module_loading import import_string

#: Short names for ``ESCALATE_VIRUS_SCANNER``.
SCANNERS = {"clamav": "escalate.attachments.scanning.ClamAVScanner"}


class Verdict(StrEnum):
    CLEAN = "clean"
    INFECTED = "infected"


@dataclass(frozen=True)
class ScanReport:
    verdict: Verdict
    #: What the scanner calls what it found ("Eicar-Test-Signature"); blank when clean.
    signature: str = ""


class ScannerUnavailableError(Exception):
    """The scanner gave no answer (not running, timed out, refused the stream)."""


class VirusScanner(Protocol):
    #: Recorded with each file it passes ("ClamAV").
    name: str

    def scan(self, data: bytes) -> ScanReport: ...


def scanner_path() -> str:
    """The dotted path the setting names, or "" for no scanner."""
    named = str(getattr(settings, "ESCALATE_VIRUS_SCANNER", "") or "").strip()
    return SCANNERS.get(named.lower(), named)


def configured_scanner() -> VirusScanner | None:
    """The scanner the installation names, or None. An unknown name raises ImportError (the
    system check ``attachments.E002`` reports it at start-up)."""
    path = scanner_path()
    if not path:
        return None
    scanner: VirusScanner = import_string(path)()
    return scanner


class ClamAVScanner:
    """ClamAV's daemon, through ``clamav_client.clamd``."""

    name = "ClamAV"

    def __init__(self) -> None:
        from clamav_client.clamd import ClamdNetworkSocket, ClamdUnixSocket

        address = str(getattr(settings, "ESCALATE_CLAMAV_ADDRESS", "/var/run/clamav/clamd.ctl"))
        timeout = float(getattr(settings, "ESCALATE_CLAMAV_TIMEOUT_SECONDS", 30))
        host, _, port = address.rpartition(":")
        self.client: ClamdNetworkSocket
        if not address.startswith(("/", "unix://")) and host and port.isdigit():
            self.client = ClamdNetworkSocket(host=host.strip("[]"), port=int(port), timeout=timeout)
        else:
            self.client = ClamdUnixSocket(path=address, timeout=int(max(timeout, 1)))

    def scan(self, data: bytes) -> ScanReport:
        from clamav_client.clamd import ClamdError

        try:
            results = self.client.instream(io.BytesIO(data))
        except (ClamdError, OSError) as exc:
            raise ScannerUnavailableError(type(exc).__name__) from exc
        status, found = results.get("stream", ("", None))
        if status == "OK":
            return ScanReport(Verdict.CLEAN)
        if status == "FOUND":
            return ScanReport(Verdict.INFECTED, signature=found or "")
        raise ScannerUnavailableError(f"clamd answered {status or 'nothing'}")
