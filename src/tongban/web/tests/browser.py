"""Helpers of the browser journeys: Debian's Chromium driven by Playwright for Python
against pytest-django's live server. `playwright install` is never run: the browser is
the distribution's /usr/bin/chromium (apt-get install chromium)."""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = Path(os.environ.get("TONGBAN_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]
OUTPUT = Path(os.environ.get("TONGBAN_HOME", Path.cwd())) / "test-output" / "browser"


# `make test` sets this: it installs Chromium, so a missing browser there is an error, not a
# silent skip (issue 11); a bare `pytest` on a machine without it still skips
REQUIRE_BROWSER = os.environ.get("TONGBAN_REQUIRE_BROWSER") == "1"


def skip_without_chromium() -> None:
    if CHROMIUM.exists():
        return
    message = (
        f"{CHROMIUM} is absent: browser journeys need Debian's Chromium "
        "(apt-get install -y chromium)"
    )
    if REQUIRE_BROWSER:
        pytest.fail(
            f"{message}; `make test` installs it (`make chromium`). To run without the "
            "browser journeys, deselect them: make test PYTEST_ARGS='-m \"not browser\"'",
            pytrace=False,
        )
    pytest.skip(message)


@pytest.fixture
def browser(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """A headless Chromium for one test. Playwright's sync API runs an event loop in the
    test thread, so Django's async-safety check must be told that the ORM calls the test
    itself makes (fixtures, assertions) are synchronous."""
    skip_without_chromium()
    from playwright.sync_api import sync_playwright

    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        try:
            yield chromium
        finally:
            chromium.close()


class Journey:
    """One test's browser sessions (one per user) and its numbered screenshots."""

    def __init__(self, browser: Any, base_url: str, name: str) -> None:
        self.browser = browser
        self.base_url = base_url.rstrip("/")
        self.folder = OUTPUT / name
        self.folder.mkdir(parents=True, exist_ok=True)
        for old in self.folder.glob("*.png"):
            old.unlink()
        self.shots = 0
        self.contexts: list[Any] = []

    def page(self, width: int = 1280, height: int = 900) -> Any:
        context = self.browser.new_context(
            base_url=self.base_url,
            locale="zh-CN",
            timezone_id="Asia/Shanghai",
            viewport={"width": width, "height": height},
        )
        context.set_default_timeout(15_000)
        self.contexts.append(context)
        page = context.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda error: errors.append(str(error)))
        page.js_errors = errors
        return page

    def shot(self, page: Any, label: str) -> Path:
        self.shots += 1
        path = self.folder / f"{self.shots:02d}-{label}.png"
        page.screenshot(path=str(path), full_page=True)
        return path

    def close(self) -> None:
        for context in self.contexts:
            context.close()


@pytest.fixture
def journey(request: Any, browser: Any, live_server: Any, world: Any) -> Iterator[Journey]:
    """A journey on the live server, named after the test (its screenshot folder)."""
    trip = Journey(browser, live_server.url, request.node.name.removeprefix("test_"))
    yield trip
    trip.close()


def sign_in(page: Any, username: str, then: str) -> None:
    """Log in with the test world's password through the login page and land on `then`."""
    from tongban.testing.world import PASSWORD

    page.goto(f"/login/?next={then}")
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(PASSWORD)
    page.locator("main form button[type=submit]").click()
    page.wait_for_url(re.compile(re.escape(then) + "$"))


def log_in(page: Any, username: str, password: str) -> None:
    page.goto("/login/")
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(password)
    page.locator("main form button[type=submit]").click()
    page.wait_for_url(re.compile(r".*/(clerk|queue|overview|my)/.*"))


def act(page: Any, action: str, expect_status: str | None = None, **fields: str) -> None:
    """Click an action button on the case page, fill its dialog, confirm, and wait for
    the case page to show the new state."""
    from playwright.sync_api import expect

    page.locator(f'[data-testid="actions"] [data-action="{action}"]').click()
    dialog = page.locator("dialog[open]")
    expect(dialog).to_be_visible()
    for name, value in fields.items():
        field = dialog.locator(f'[name="{name}"]')
        if field.evaluate("e => e.tagName") == "SELECT":
            field.select_option(value)
        else:
            field.fill(value)
    # a step that cannot be undone is confirmed explicitly (issue 15 §5)
    confirm = dialog.get_by_test_id("confirm-irreversible")
    if confirm.count():
        confirm.check()
    dialog.get_by_test_id("confirm").click()
    if expect_status:
        expect(page.get_by_test_id("case-status")).to_have_attribute("data-status", expect_status)


def status_of(page: Any) -> str:
    return str(page.get_by_test_id("case-status").get_attribute("data-status"))
