"""Fixtures shared by every test directory."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.test import override_settings
from playwright.sync_api import Browser, sync_playwright

from tests.browser.conftest import BUILT_CSS, CHROMIUM, CHROMIUM_ARGS


@pytest.fixture(scope="session", autouse=True)
def _uploads_in_a_temporary_directory(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[None]:
    """No test writes an uploaded file into the repository's var/uploads: the private upload
    store (escalate.attachments) is a temporary directory for the whole run."""
    with override_settings(ESCALATE_UPLOAD_ROOT=tmp_path_factory.mktemp("uploads")):
        yield


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} is missing: run scripts/ensure-chromium")
    if not BUILT_CSS.exists():
        pytest.fail("The front end is not built: run `npm ci && npm run build`")
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        yield launched
        launched.close()
