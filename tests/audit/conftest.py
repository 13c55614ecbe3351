"""Fixtures for the audit trail's tests."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.audit.support import erase_trail
from tests.cases.conftest import World, make_world


@pytest.fixture
def world(db: None) -> World:
    return make_world("north-east-lincolnshire")


@pytest.fixture
def other_world(db: None) -> World:
    return make_world("north-east-lincolnshire", slug="elsewhere")


@pytest.fixture
def erase_trail_after(transactional_db: None) -> Iterator[None]:
    """A transactional test's teardown flushes every table, and the triggers refuse to empty
    a non-empty audit table: empty it first (this teardown runs before the flush)."""
    yield
    erase_trail()


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Run this directory's browser tests before tests/browser opens its session-long browser
    (two Playwright sync browsers cannot be open at once in one thread)."""
    ours = [i for i in items if i.nodeid.startswith("tests/audit/test_browser.py")]
    if ours:
        items[:] = ours + [i for i in items if i not in ours]
