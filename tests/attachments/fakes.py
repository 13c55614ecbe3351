"""Scanners for the tests, named by ``ESCALATE_VIRUS_SCANNER``."""

from __future__ import annotations

from escalate.attachments.scanning import ScannerUnavailableError, ScanReport, Verdict
from tests.attachments.samples import EICAR

EICAR_SCANNER = "tests.attachments.fakes.EicarScanner"
BROKEN_SCANNER = "tests.attachments.fakes.BrokenScanner"


class EicarScanner:
    """Finds the EICAR test string anywhere in a file; everything else is clean."""

    name = "Fake scanner"
    scanned: list[int] = []  # the size of each file it was shown

    def scan(self, data: bytes) -> ScanReport:
        EicarScanner.scanned.append(len(data))
        if EICAR in data:
            return ScanReport(Verdict.INFECTED, signature="Eicar-Test-Signature")
        return ScanReport(Verdict.CLEAN)


class BrokenScanner:
    """A scanner that never answers (clamd stopped)."""

    name = "Broken scanner"

    def scan(self, data: bytes) -> ScanReport:
        raise ScannerUnavailableError("not running")
