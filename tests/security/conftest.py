"""The security tests' own settings for pytest."""

from __future__ import annotations

import pytest


def pytest_configure(config: pytest.Config) -> None:
    # Also registered by tests/browser/conftest.py; here too, so that running tests/security on
    # its own knows the marker (`-m "not browser"` leaves test_csp_browser.py out).
    config.addinivalue_line(
        "markers", "browser: drives a real browser (Chromium via Playwright) against live_server"
    )
