"""Browser tests: Playwright (sync API) driving Debian's Chromium against pytest-django's
live_server.

Needs ``/usr/bin/chromium`` (``scripts/ensure-chromium``), the built front end
(``npm ci && npm run build``) and axe-core in ``node_modules`` (from ``npm ci``). Playwright's
own browser downloads are not used. Every test here is marked ``browser``: leave them out with
``pytest -m "not browser"``.

Screenshots go to ``artifacts/screenshots/<name>.png`` (git-ignored).
"""

from __future__ import annotations

import os
import weakref
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, ConsoleMessage, Dialog, Page

# Playwright's sync API runs an event loop in this thread, and Django refuses database calls
# from a thread with a running loop unless told that is fine. live_server and the test share
# this one process, so it is fine here (and only in tests).
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

REPO_ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = Path("/usr/bin/chromium")
AXE_JS = REPO_ROOT / "node_modules" / "axe-core" / "axe.min.js"
BUILT_CSS = REPO_ROOT / "src" / "escalate" / "static" / "build" / "app.css"
SCREENSHOTS = REPO_ROOT / "artifacts" / "screenshots"
THIS_DIR = Path(__file__).resolve().parent

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]

#: Pages opened with JavaScript off: axe (itself JavaScript) cannot run in them.
_NO_JS_PAGES: weakref.WeakSet[Page] = weakref.WeakSet()
#: What each page's browser complained about.
_PROBLEMS: weakref.WeakKeyDictionary[Page, list[str]] = weakref.WeakKeyDictionary()


def problems(page: Page) -> list[str]:
    """Page errors, console errors and dialogs seen so far on ``page``: an ``alert()`` dialog
    would mean injected script ran; a console error may mean a script or asset did not load."""
    return list(_PROBLEMS.get(page, []))


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if THIS_DIR in Path(str(item.path)).resolve().parents:
            item.add_marker(pytest.mark.browser)


def _new_page(browser: Browser, *, javascript: bool) -> tuple[Any, Page]:
    context = browser.new_context(
        java_script_enabled=javascript,
        # check_axe injects axe-core as an inline script, which a strict Content-Security-Policy
        # would block. The pages' own freedom from inline script and style is asserted on the
        # DOM instead (see test_smoke.py).
        bypass_csp=True,
        viewport={"width": 1024, "height": 768},
        locale="en-GB",
        timezone_id="Europe/London",
    )
    context.set_default_timeout(15_000)
    page = context.new_page()
    # Collect what the browser complains about, for tests to assert on (see problems()).
    found: list[str] = []
    _PROBLEMS[page] = found

    def on_page_error(error: Any) -> None:
        found.append(f"page error: {error}")

    def on_console(message: ConsoleMessage) -> None:
        if message.type == "error":
            found.append(f"console error: {message.text}")

    def on_dialog(dialog: Dialog) -> None:
        found.append(f"dialog: {dialog.message}")
        dialog.dismiss()

    page.on("pageerror", on_page_error)
    page.on("console", on_console)
    page.on("dialog", on_dialog)
    return context, page


@pytest.fixture
def page(browser: Browser, live_server: Any, transactional_db: None) -> Iterator[Page]:
    """A fresh browser context (JavaScript on) for each test; see also ``problems(page)``."""
    context, new_page = _new_page(browser, javascript=True)
    yield new_page
    context.close()


@pytest.fixture
def page_nojs(browser: Browser, live_server: Any, transactional_db: None) -> Iterator[Page]:
    """Like ``page`` with JavaScript turned off: what a user without JavaScript sees."""
    context, new_page = _new_page(browser, javascript=False)
    _NO_JS_PAGES.add(new_page)
    yield new_page
    context.close()


def screenshot(page: Page, name: str) -> Path:
    """Save a full-page screenshot to artifacts/screenshots/<name>.png and return its path."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def _format_violations(violations: list[dict[str, Any]]) -> str:
    lines = []
    for violation in violations:
        lines.append(
            f"- {violation['id']} ({violation.get('impact') or 'unknown impact'}): "
            f"{violation['help']} <{violation.get('helpUrl', '')}>"
        )
        for node in violation.get("nodes", []):
            target = " ".join(str(part) for part in node.get("target", []))
            lines.append(f"    at {target}")
    return "\n".join(lines)


def check_axe(page: Page, name: str) -> dict[str, Any] | None:
    """Screenshot the page, run axe-core's WCAG 2.2 AA rules on it and fail on any violation.

    The screenshot is saved first (artifacts/screenshots/<name>.png), so a failing page can be
    looked at. axe-core is JavaScript injected into the page, so it cannot run where JavaScript
    is off (the ``page_nojs`` fixture): there only the screenshot is taken and None returned.
    Check such pages with JavaScript on as well; the markup is the same.
    """
    screenshot(page, name)
    if page in _NO_JS_PAGES:
        return None
    if not AXE_JS.exists():
        pytest.fail(f"{AXE_JS} is missing: run `npm ci`")
    page.add_script_tag(path=str(AXE_JS))
    results: dict[str, Any] = page.evaluate(
        """async (tags) => await axe.run(document, {
            runOnly: {type: 'tag', values: tags},
            resultTypes: ['violations'],
        })""",
        AXE_TAGS,
    )
    violations = results.get("violations", [])
    assert not violations, (
        f"axe found {len(violations)} accessibility problem(s) on {name} ({page.url}):\n"
        + _format_violations(violations)
    )
    return results
