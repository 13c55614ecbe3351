"""The upload store can never be a public directory."""

from __future__ import annotations

from pathlib import Path

from django.conf import settings
from django.test import override_settings

from escalate.attachments.checks import E001, check_upload_root


def test_the_default_root_is_private_and_passes() -> None:
    # The default (var/uploads in the repository or install root), whatever tests override.
    from escalate.config.settings import base

    assert base.ESCALATE_UPLOAD_ROOT == base.BASE_DIR / "var" / "uploads"
    with override_settings(ESCALATE_UPLOAD_ROOT=base.ESCALATE_UPLOAD_ROOT):
        assert check_upload_root() == []


def test_a_root_inside_the_static_files_is_an_error() -> None:
    for public in (Path(settings.STATIC_ROOT), Path(settings.STATICFILES_DIRS[0])):
        with override_settings(ESCALATE_UPLOAD_ROOT=public / "uploads"):
            [error] = check_upload_root()
            assert error.id == E001


def test_a_root_inside_the_templates_is_an_error() -> None:
    from escalate.config.settings.base import SRC_DIR

    templates = SRC_DIR / "templates"
    assert templates in [Path(d) for d in settings.TEMPLATES[0]["DIRS"]]  # type: ignore[attr-defined]
    with override_settings(ESCALATE_UPLOAD_ROOT=templates):
        assert [e.id for e in check_upload_root()] == [E001]
