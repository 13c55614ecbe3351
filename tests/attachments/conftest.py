"""Each test's uploads go to its own temporary directory, so "nothing stored" can be seen."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from django.test import override_settings

from escalate.cases.models import Escalation
from tests.attachments.fakes import EicarScanner
from tests.cases.conftest import World, make_world, raise_one


@pytest.fixture
def upload_root(tmp_path: Path) -> Iterator[Path]:
    root = tmp_path / "uploads"
    with override_settings(ESCALATE_UPLOAD_ROOT=root):
        yield root


def stored_files(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*") if p.is_file()) if root.exists() else []


@pytest.fixture
def world(db: None) -> World:
    return make_world("north-east-lincolnshire")


@pytest.fixture
def esc(world: World, upload_root: Path) -> Escalation:
    """Raised by agency a against b (c is not a party)."""
    return raise_one(world)


@pytest.fixture(autouse=True)
def _fresh_fake_scanner() -> None:
    EicarScanner.scanned = []
