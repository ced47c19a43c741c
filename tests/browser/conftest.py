"""A real browser on the Wagtail admin: Playwright driving Debian's Chromium against pytest-django's
``live_server``, with the runner and events worker of ``tests/e2e`` when a test needs them.

Chromium is the system one (``/usr/bin/chromium``); Playwright's own browser download is never used.
"""

from __future__ import annotations

import io
import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.db import connections

# The S3 server and the running stack of the end-to-end tests, shared rather than copied.
from tests.e2e.conftest import e2e_s3_endpoint, stack  # noqa: F401
from tests.stack import Stack, running_stack

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--headless",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]
ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts" / "browser"
# Per frame of the still renderer (25 fps), so a render of a few seconds of speech lasts long enough to be
# seen running, and to be cancelled, in the browser.
SLOW_FRAME_DELAY_S = "0.08"
# Wagtail's sticky header and action footer would cover part of the panel in a screenshot; hidden, not moved,
# so the page's layout is what the editor sees.
SCREENSHOT_STYLE = ".w-sticky, .w-slim-header, footer.footer { visibility: hidden !important; }"

# Playwright's sync API runs an event loop in this thread; Django's ORM refuses to run beside one unless told
# that the test knows the calls are synchronous (they are: the loop only drives the browser).
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


@pytest.fixture
def browser_page(transactional_db: None) -> Iterator[Any]:
    """Debian's Chromium, headless, with a fresh context (no cookies) 1280 px wide like an editor's laptop.

    Started per test, after the database is ready: Playwright's sync API leaves an event loop in this thread,
    and Django's connections are then per-context, so a session-wide browser would hide the test database's
    serialized rows from the next test's restore.
    """
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing; install Debian's chromium package (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        context = browser.new_context(viewport={"width": 1280, "height": 900})
        context.set_default_timeout(20_000)
        yield context.new_page()
        context.close()
        browser.close()
        # Connections opened while the loop ran belong to its context; left open they block the database's
        # teardown at the end of the session.
        connections.close_all()


@pytest.fixture
def slow_stack(
    transactional_db: None,
    stub_broker: Any,
    e2e_s3_endpoint: str,  # noqa: F811 - the fixture imported above, requested by name
    settings: Any,
    tmp_path: Path,
) -> Iterator[Stack]:
    """The end-to-end stack with a still renderer slowed to :data:`SLOW_FRAME_DELAY_S` per frame."""
    with running_stack(
        settings,
        settings.REDIS_URL,
        e2e_s3_endpoint,
        tmp_path,
        GPU_RUNNER_TEST_FRAME_DELAY_S=SLOW_FRAME_DELAY_S,
    ) as running:
        yield running


@pytest.fixture
def artifacts(request: pytest.FixtureRequest) -> Path:
    """This test's screenshot folder under ``test-artifacts/browser/`` (git-ignored), emptied first."""
    folder = ARTIFACTS / request.node.name
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    return folder


@pytest.fixture
def catalogue(django_db_serialized_rollback: None) -> None:
    """The demo shop: organizations acme and bluebird, members ``<role>-<org>`` with ``demo-<role>-<org>``.

    Committed rows (the live server and the runner's processes see no others), restored between tests by a
    serialized rollback, without which Wagtail's root page would not survive the first test's flush.
    """
    call_command("seed_demo", stdout=io.StringIO())


def log_in(page: Any, base_url: str, username: str, password: str) -> None:
    """Sign in through Wagtail's login form, as an editor does."""
    page.goto(f"{base_url}/admin/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    page.click("button[type=submit]")
    page.wait_for_url(lambda url: "/admin/login/" not in url)


def panel_state(page: Any) -> str:
    """The state the panel shows: none, queued, running, succeeded, failed or cancelled."""
    return page.get_attribute(".aivideo-panel__state", "data-state")


def wait_for_panel_state(page: Any, *states: str, timeout_ms: int = 20_000) -> str:
    """Wait until the panel shows one of ``states`` (its live polling, no reload) and return it."""
    page.wait_for_function(
        "states => states.includes(document.querySelector('.aivideo-panel__state')?.dataset.state)",
        arg=list(states),
        timeout=timeout_ms,
    )
    return panel_state(page)


def screenshot_panel(page: Any, path: Path) -> None:
    """The whole video panel, however tall, with nothing of Wagtail's sticky chrome over it.

    The window is made taller than the panel for the shot: Chromium paints nothing of an element outside the
    viewport of Wagtail's scrolling layout, which left the top of a tall panel blank.
    """
    panel = page.locator(".aivideo-panel")
    viewport = page.viewport_size
    page.set_viewport_size(
        {"width": viewport["width"], "height": round(panel.bounding_box()["height"]) + 400}
    )
    try:
        panel.screenshot(path=path, style=SCREENSHOT_STYLE, animations="disabled")
    finally:
        page.set_viewport_size(viewport)


def forged_post(page: Any, url: str) -> dict[str, Any]:
    """POST from the page's own session with its CSRF cookie, as a forged request from a tampered page."""
    return page.evaluate(
        """async (url) => {
            const token = (document.cookie.match(/csrftoken=([^;]+)/) || [])[1] || '';
            const response = await fetch(url, {
                method: 'POST', credentials: 'same-origin',
                headers: {'X-CSRFToken': token, 'Content-Type': 'application/json'}, body: '{}',
            });
            return {status: response.status, body: await response.text()};
        }""",
        url,
    )
