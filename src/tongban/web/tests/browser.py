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
# axe-core from npm (package-lock.json), installed by `make assets`; only the tests load it
AXE = Path(__file__).resolve().parents[4] / "node_modules" / "axe-core" / "axe.min.js"
# the gate of issue 15 §9: every WCAG 2.0, 2.1 and 2.2 rule of levels A and AA
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]


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


def _axe_source() -> str:
    if not AXE.exists():
        pytest.fail(
            f"{AXE} is absent: the accessibility check of the browser journeys needs "
            "axe-core from npm; run `make assets`",
            pytrace=False,
        )
    return AXE.read_text(encoding="utf-8")


def axe_violations(page: Any, tags: list[str] | None = None) -> list[dict[str, Any]]:
    """axe-core's violations on the page as it is now. The script is evaluated through
    the DevTools protocol, which the pages' Content-Security-Policy does not restrict, so
    the journeys keep the real CSP."""
    if not page.evaluate("() => typeof window.axe === 'object'"):
        page.evaluate("() => {\n" + _axe_source() + "\n}")
    return list(
        page.evaluate(
            """async (tags) => {
                const result = await window.axe.run(document, {
                    runOnly: {type: "tag", values: tags},
                    resultTypes: ["violations"],
                });
                return result.violations.map(v => ({
                    id: v.id, impact: v.impact, help: v.help,
                    nodes: v.nodes.map(n => ({
                        target: n.target.join(" "),
                        summary: (n.failureSummary || "").split("\\n").slice(1).join("; "),
                    })),
                }));
            }""",
            tags or AXE_TAGS,
        )
    )


def describe_violations(violations: list[dict[str, Any]]) -> str:
    lines = []
    for violation in violations:
        lines.append(f"- {violation['id']} ({violation['impact']}): {violation['help']}")
        for node in violation["nodes"][:8]:
            lines.append(f"    {node['target']}: {node['summary']}")
        if len(violation["nodes"]) > 8:
            lines.append(f"    ... and {len(violation['nodes']) - 8} more")
    return "\n".join(lines)


def assert_accessible(page: Any, label: str) -> None:
    """Fail with a readable list when axe-core finds a WCAG 2.2 A/AA violation."""
    violations = axe_violations(page)
    if violations:
        pytest.fail(
            f"axe-core: WCAG 2.2 A/AA violations on {label} ({page.url}):\n"
            + describe_violations(violations),
            pytrace=False,
        )


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
        """A screenshot of a page state, which must also pass the accessibility gate."""
        assert_accessible(page, f"{self.folder.name}/{label}")
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
