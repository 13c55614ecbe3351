"""System checks: the upload store is never public, and the scanner named exists."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.conf import settings
from django.core import checks

from escalate.attachments import scanning, storage

E001 = "attachments.E001"
E002 = "attachments.E002"


def _public_roots() -> list[Path]:
    roots = [Path(str(settings.STATIC_ROOT))] if getattr(settings, "STATIC_ROOT", None) else []
    roots += [Path(str(d[1] if isinstance(d, tuple) else d)) for d in settings.STATICFILES_DIRS]
    if getattr(settings, "MEDIA_ROOT", ""):
        roots.append(Path(str(settings.MEDIA_ROOT)))
    engines: list[dict[str, Any]] = list(settings.TEMPLATES)
    for engine in engines:
        roots += [Path(str(d)) for d in engine.get("DIRS", [])]
    return [r.resolve() for r in roots]


def check_upload_root(app_configs: Any = None, **kwargs: Any) -> list[checks.CheckMessage]:
    root = storage.upload_root()
    for public in _public_roots():
        if root == public or public in root.parents or root in public.parents:
            return [
                checks.Error(
                    f"ESCALATE_UPLOAD_ROOT ({root}) overlaps {public}, which is served or "
                    "rendered: uploads must be stored where only the download view reads them.",
                    hint="Point ESCALATE_UPLOAD_ROOT at a private directory.",
                    id=E001,
                )
            ]
    return []


def check_scanner(app_configs: Any = None, **kwargs: Any) -> list[checks.CheckMessage]:
    try:
        scanning.configured_scanner()
    except Exception as exc:  # an unknown path, or a scanner that cannot be set up
        return [
            checks.Error(
                f"ESCALATE_VIRUS_SCANNER names a scanner that cannot be loaded ({exc!r}).",
                hint='Use "" for no scanner, "clamav", or the dotted path of a scanner class.',
                id=E002,
            )
        ]
    return []


def register() -> None:
    checks.register(check_upload_root, "escalate")
    checks.register(check_scanner, "escalate")
