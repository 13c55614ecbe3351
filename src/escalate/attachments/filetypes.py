"""What a file is, from its content alone: the name it was uploaded with plays no part.

``puremagic`` (pure Python, maintained) matches the file's magic numbers and, for containers,
looks inside: a ZIP's ``[Content_Types].xml`` tells a Word document from a spreadsheet or a
macro-enabled document, and a compound file's directory tells a Word 97-2003 document from an
Excel or Outlook one. Its deeper look needs the bytes in a file, so :func:`detect` writes them to
a private temporary file with no extension (so that no name can hint at a type) and removes it.

Before that look, a ZIP is checked for what it claims to hold: ``zipfile`` never inflates a
member past its declared size, so refusing large declared members bounds what a crafted
archive (a "zip bomb") can cost.
"""

from __future__ import annotations

import io
import os
import tempfile
import zipfile

import puremagic

from escalate.attachments.models import FileKind

#: The detected MIME type of each accepted kind. Anything else, a macro-enabled Word document
#: included, is refused.
KIND_OF_MIME = {
    "application/pdf": FileKind.PDF,
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": FileKind.DOCX,
    "application/msword": FileKind.DOC,
    "image/png": FileKind.PNG,
    "image/jpeg": FileKind.JPEG,
}

ZIP_MAGIC = b"PK\x03\x04"
#: The most a ZIP member may claim to hold (uncompressed), and the most members.
ZIP_MEMBER_LIMIT = 100 * 1024 * 1024
ZIP_MEMBERS_LIMIT = 10_000


def _zip_within_limits(data: bytes) -> bool:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            members = archive.infolist()
    except (zipfile.BadZipFile, ValueError, OSError):
        return True  # not a readable archive: the type check refuses it on its own
    return len(members) <= ZIP_MEMBERS_LIMIT and all(
        m.file_size <= ZIP_MEMBER_LIMIT for m in members
    )


def detect(data: bytes) -> FileKind | None:
    """The accepted kind this content is, or None for anything else."""
    if not data:
        return None
    if data.startswith(ZIP_MAGIC) and not _zip_within_limits(data):
        return None
    handle, path = tempfile.mkstemp(prefix="escalate-type-")
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(data)
        matches = puremagic.magic_file(path)
    except Exception:  # a parser of untrusted content: whatever it trips on is "not accepted"
        return None
    finally:
        os.unlink(path)
    if not matches:
        return None
    return KIND_OF_MIME.get(matches[0].mime_type)
