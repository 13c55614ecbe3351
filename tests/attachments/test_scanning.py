"""The scanner setting, and the ClamAV scanner against a stand-in clamd on a Unix socket."""

from __future__ import annotations

import contextlib
import socket
import struct
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.test import override_settings

from escalate.attachments import scanning
from escalate.attachments.checks import E002, check_scanner
from tests.attachments import samples
from tests.attachments.fakes import EICAR_SCANNER, EicarScanner


def test_no_scanner_by_default() -> None:
    assert scanning.configured_scanner() is None


@override_settings(ESCALATE_VIRUS_SCANNER="clamav", ESCALATE_CLAMAV_ADDRESS="127.0.0.1:3310")
def test_clamav_by_its_short_name_over_tcp() -> None:
    from clamav_client.clamd import ClamdNetworkSocket, ClamdUnixSocket

    scanner = scanning.configured_scanner()
    assert isinstance(scanner, scanning.ClamAVScanner)
    assert isinstance(scanner.client, ClamdNetworkSocket)
    assert not isinstance(scanner.client, ClamdUnixSocket)
    assert (scanner.client.host, scanner.client.port) == ("127.0.0.1", 3310)


@override_settings(ESCALATE_VIRUS_SCANNER="clamav", ESCALATE_CLAMAV_ADDRESS="unix:///run/c.ctl")
def test_clamav_over_a_unix_socket() -> None:
    from clamav_client.clamd import ClamdUnixSocket

    scanner = scanning.configured_scanner()
    assert isinstance(scanner, scanning.ClamAVScanner)
    assert isinstance(scanner.client, ClamdUnixSocket)
    assert scanner.client.unix_socket == "/run/c.ctl"


@override_settings(ESCALATE_VIRUS_SCANNER=EICAR_SCANNER)
def test_any_scanner_by_its_dotted_path() -> None:
    assert isinstance(scanning.configured_scanner(), EicarScanner)
    assert check_scanner() == []


@override_settings(ESCALATE_VIRUS_SCANNER="no.such.Scanner")
def test_an_unknown_scanner_fails_the_system_checks() -> None:
    with pytest.raises(ImportError):
        scanning.configured_scanner()
    [message] = check_scanner()
    assert message.id == E002
    assert "ESCALATE_VIRUS_SCANNER" in message.msg


# -- ClamAV, against a stand-in for clamd ----------------------------------------------------


class FakeClamd:
    """Answers clamd's INSTREAM over a Unix socket: FOUND for EICAR, ERROR for a stream over
    ``max_stream`` bytes, OK otherwise. Serves a bounded number of connections."""

    def __init__(self, path: Path, *, max_stream: int = 10_000_000) -> None:
        self.path, self.max_stream = path, max_stream
        self.server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.server.bind(str(path))
        self.server.listen(4)
        self.server.settimeout(5)
        self.received: list[bytes] = []
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        for _ in range(8):
            try:
                conn, _addr = self.server.accept()
            except OSError:
                return
            with conn:
                self._answer(conn)

    def _answer(self, conn: socket.socket) -> None:
        reader = conn.makefile("rb")
        command = reader.readline()
        assert command == b"nINSTREAM\n"
        data = b""
        while True:
            (size,) = struct.unpack("!L", reader.read(4))
            if size == 0:
                break
            data += reader.read(size)
        self.received.append(data)
        if len(data) > self.max_stream:
            conn.sendall(b"INSTREAM size limit exceeded. ERROR\n")
        elif samples.EICAR in data:
            conn.sendall(b"stream: Eicar-Test-Signature FOUND\n")
        else:
            conn.sendall(b"stream: OK\n")

    def close(self) -> None:
        with contextlib.suppress(OSError):  # shutting down wakes the thread's accept()
            self.server.shutdown(socket.SHUT_RDWR)
        self.server.close()
        self.thread.join(timeout=5)


@pytest.fixture
def clamd(tmp_path: Path) -> Iterator[FakeClamd]:
    fake = FakeClamd(tmp_path / "clamd.ctl", max_stream=100_000)
    with override_settings(
        ESCALATE_VIRUS_SCANNER="clamav",
        ESCALATE_CLAMAV_ADDRESS=str(fake.path),
        ESCALATE_CLAMAV_TIMEOUT_SECONDS=5,
    ):
        yield fake
    fake.close()


def test_clamav_passes_a_clean_file(clamd: FakeClamd) -> None:
    data = samples.pdf_bytes()
    scanner = scanning.configured_scanner()
    assert scanner is not None and scanner.name == "ClamAV"
    assert scanner.scan(data) == scanning.ScanReport(scanning.Verdict.CLEAN)
    assert clamd.received == [data]


def test_clamav_finds_eicar(clamd: FakeClamd) -> None:
    scanner = scanning.configured_scanner()
    assert scanner is not None
    report = scanner.scan(samples.EICAR)
    assert report == scanning.ScanReport(scanning.Verdict.INFECTED, "Eicar-Test-Signature")


def test_clamav_refusing_a_long_stream_is_no_answer(clamd: FakeClamd) -> None:
    scanner = scanning.configured_scanner()
    assert scanner is not None
    with pytest.raises(scanning.ScannerUnavailableError):
        scanner.scan(samples.pdf_bytes(pad=200_000))


@override_settings(ESCALATE_VIRUS_SCANNER="clamav")
def test_clamav_not_running_is_no_answer(tmp_path: Path) -> None:
    with override_settings(ESCALATE_CLAMAV_ADDRESS=str(tmp_path / "nobody-listens.ctl")):
        scanner = scanning.configured_scanner()
        assert scanner is not None
        with pytest.raises(scanning.ScannerUnavailableError):
            scanner.scan(samples.pdf_bytes())
