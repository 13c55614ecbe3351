"""The type of a file comes from its content, never its name (there is no name to give)."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable

import pytest

from escalate.attachments import filetypes
from escalate.attachments.models import FileKind
from tests.attachments import samples


@pytest.mark.parametrize(
    ("make", "kind"),
    [
        (samples.pdf_bytes, FileKind.PDF),
        (samples.docx_bytes, FileKind.DOCX),
        (samples.doc_bytes, FileKind.DOC),
        (samples.png_bytes, FileKind.PNG),
        (samples.jpeg_bytes, FileKind.JPEG),
    ],
)
def test_accepted_kinds(make: Callable[[], bytes], kind: FileKind) -> None:
    assert filetypes.detect(make()) == kind


@pytest.mark.parametrize(
    "data",
    [
        b"",
        samples.text_bytes(),
        samples.EICAR,
        samples.docm_bytes(),
        samples.xlsx_bytes(),
        samples.xls_bytes(),
        b"<!DOCTYPE html><html><script>alert(1)</script></html>",
        b"MZ\x90\x00" + bytes(200),  # a Windows program
        b"%PD",  # not quite
        samples.zip_claiming(filetypes.ZIP_MEMBER_LIMIT + 1),
    ],
    ids=[
        "empty",
        "text",
        "eicar",
        "macro-word",
        "xlsx",
        "xls",
        "html",
        "exe",
        "pdf-stub",
        "zip-bomb-claim",
    ],
)
def test_everything_else_is_refused(data: bytes) -> None:
    assert filetypes.detect(data) is None


def test_a_zip_member_within_the_limit_is_looked_at() -> None:
    assert filetypes.detect(samples.zip_claiming(filetypes.ZIP_MEMBER_LIMIT)) == FileKind.DOCX


def test_the_temporary_copy_is_removed(monkeypatch: pytest.MonkeyPatch) -> None:
    made: list[str] = []
    real = tempfile.mkstemp

    def spy(*args: object, **kwargs: object) -> tuple[int, str]:
        handle, path = real(*args, **kwargs)  # type: ignore[call-overload]
        made.append(path)
        return handle, path

    monkeypatch.setattr(tempfile, "mkstemp", spy)
    filetypes.detect(samples.pdf_bytes())
    filetypes.detect(samples.text_bytes())
    assert len(made) == 2 and not any(os.path.exists(p) for p in made)
