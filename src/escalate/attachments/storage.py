"""The private upload store: files under ``ESCALATE_UPLOAD_ROOT``, never under a static or
public path, each under a random name. Nothing here makes a URL: a file leaves the store only
through the download view, after the access rules.

The root is read from the settings on every call (tests point it at a temporary directory). A
system check (``attachments.E001``) refuses a root inside the static files or the templates.
"""

from __future__ import annotations

import secrets
from pathlib import Path
from typing import IO, Any

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import FileSystemStorage
from django.db import transaction


def upload_root() -> Path:
    return Path(settings.ESCALATE_UPLOAD_ROOT).resolve()


def _store() -> FileSystemStorage:
    # Owner-only: no other account on the machine reads what a party uploaded.
    return FileSystemStorage(
        location=upload_root(), file_permissions_mode=0o600, directory_permissions_mode=0o700
    )


def new_name() -> str:
    """128 random bits, in a directory named by the first two characters (so no directory
    grows past a few thousand files). Says nothing about the file or the escalation."""
    token = secrets.token_hex(16)
    return f"{token[:2]}/{token}"


def save(name: str, data: bytes) -> str:
    """Write a new file; returns the name it was stored under."""
    return _store().save(name, ContentFile(data))


def open_for_reading(name: str) -> IO[bytes]:
    """The stored file, opened for reading; FileNotFoundError if it is not there."""
    handle: IO[bytes] = _store().open(name, "rb")
    return handle


def exists(name: str) -> bool:
    return _store().exists(name)


def delete(name: str) -> None:
    _store().delete(name)


def delete_with_row(sender: type, instance: Any, **kwargs: Any) -> None:
    """``post_delete`` of a representation: remove its file once the deletion commits."""
    name = str(instance.stored_name)
    transaction.on_commit(lambda: delete(name))
