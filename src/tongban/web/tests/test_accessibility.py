"""Accessibility as a gate (issue 15 §9, ADR 0126): axe-core, from npm, checks every page
state a browser journey screenshots (`Journey.shot`); this tour adds the pages of each role
that the journeys do not stop at, so that every kind of page passes WCAG 2.2 A and AA
(tags wcag2a, wcag2aa, wcag21a, wcag21aa, wcag22aa) in both languages."""

from __future__ import annotations

import re
from typing import Any

import pytest

from tongban.stats import refresh
from tongban.testing.world import PASSWORD
from tongban.web.tests.browser import (  # noqa: F401
    AXE_TAGS,
    Journey,
    assert_accessible,
    axe_violations,
    browser,
    describe_violations,
    sign_in,
)
from tongban.web.tests.conftest import online_case, proxy_case

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def journey(request, browser, live_server, world, today, pki):  # noqa: F811
    trip = Journey(browser, live_server.url, request.node.name.removeprefix("test_"))
    yield trip
    trip.close()


def _expect():
    from playwright.sync_api import expect

    return expect


def test_the_gate_fails_on_a_violation_with_a_readable_list(journey):
    """The check itself: a page with an unlabelled field, an image without text and grey
    on grey text is refused, and the message names each rule and element."""
    page = journey.page()
    page.set_content(
        '<!doctype html><html lang="zh-Hans"><head><title>t</title></head><body><main>'
        '<img src="data:image/gif;base64,R0lGODlhAQABAAAAACw=" id="logo">'
        '<input type="text" id="bare"><p style="color:#aaa;background:#bbb">淡字</p>'
        "</main></body></html>"
    )
    found = {violation["id"] for violation in axe_violations(page)}
    assert {"image-alt", "label", "color-contrast"} <= found
    with pytest.raises(pytest.fail.Exception) as failure:
        assert_accessible(page, "a bad page")
    message = str(failure.value)
    assert "WCAG 2.2 A/AA violations on a bad page" in message
    assert "- image-alt (critical)" in message
    assert "#bare" in message


def test_every_kind_of_page_passes_wcag_a_and_aa(journey, world, terminal):
    """The 24+ page states of issue 15 (public pages, applicant, window clerk, handling
    officer, delivery desk, supervisor, kiosk, hall display), each checked by axe-core."""
    expect = _expect()
    received = proxy_case(world)
    online = online_case(world)
    refresh.refresh()
    checked: list[str] = []
    aaa: dict[str, str] = {}

    def check(page: Any, label: str) -> None:
        page.wait_for_load_state("load")
        assert_accessible(page, label)
        enhanced = axe_violations(page, ["wcag2aaa"])
        if enhanced:
            aaa[label] = describe_violations(enhanced)
        journey.shot(page, label)
        checked.append(label)

    public = journey.page()
    for path, label in [
        ("/", "home"),
        ("/login/", "login"),
        ("/register/", "register"),
        ("/lookup/", "lookup"),
        ("/guides/", "guides"),
        ("/guides/items/ITEM-COMPANY/", "guide-item"),
        ("/verify/", "verify"),
        ("/hall/", "hall"),
    ]:
        public.goto(path)
        check(public, label)
    public.goto("/login/")
    public.locator("main form button[type=submit]").click()
    check(public, "login-errors")
    public.goto("/register/")
    public.locator("main form button[type=submit]").click()
    check(public, "register-errors")

    applicant = journey.page(width=390, height=844)
    sign_in(applicant, "applicant-1", "/my/")
    check(applicant, "applicant-my-cases")
    for path, label in [
        ("/my/apply/", "applicant-apply-list"),
        ("/my/apply/ITEM-COMPANY/420100Z01/", "applicant-apply-form"),
        ("/my/licences/", "applicant-my-licences"),
        ("/my/data-reads/", "applicant-data-reads"),
        (f"/cases/{online.number}/", "applicant-case"),
    ]:
        applicant.goto(path)
        check(applicant, label)

    clerk = journey.page()
    sign_in(clerk, "421102-clerk", "/clerk/")
    check(clerk, "clerk-workbench")
    for path, label in [
        ("/clerk/items/ITEM-COMPANY/", "clerk-routes"),
        ("/queue/", "clerk-queue"),
        (f"/cases/{received.number}/", "clerk-case"),
        (f"/cases/{received.number}/receipt/", "clerk-receipt"),
        ("/consultations/", "clerk-consultations"),
        ("/consultations/new/", "clerk-consultation-form"),
    ]:
        clerk.goto(path)
        check(clerk, label)
    clerk.goto("/clerk/items/ITEM-COMPANY/")
    clerk.get_by_test_id("route-420100Z01-proxy").get_by_role("link").first.click()
    check(clerk, "clerk-new-case-form")

    officer = journey.page()
    sign_in(officer, "420100Z01-officer", "/queue/")
    check(officer, "officer-queue")
    officer.goto(f"/cases/{received.number}/")
    check(officer, "officer-case-received-elsewhere")
    officer.goto(f"/cases/{online.number}/")
    check(officer, "officer-case-online")
    officer.locator('[data-testid="actions"] [data-action]').first.click()
    expect(officer.locator("dialog[open]")).to_be_visible()
    check(officer, "officer-action-dialog")
    officer.goto("/delivery/")
    check(officer, "officer-delivery-desk")

    supervisor = journey.page(width=1280, height=1000)
    sign_in(supervisor, "420100Z01-supervisor", "/stats/")
    expect(supervisor.locator("[data-chart]:not(.chart-hidden)").first).to_have_attribute(
        "data-rendered", "true"
    )
    check(supervisor, "supervisor-stats")

    kiosk = journey.page(width=1080, height=1400)
    kiosk.goto(f"/kiosk/{terminal.pk}/")
    check(kiosk, "kiosk-start")
    kiosk.goto(f"/hall/{terminal.centre_id}/display/")
    check(kiosk, "hall-display")

    english = journey.page()
    english.goto("/login/")
    english.get_by_role("button", name="English").click()
    expect(english.locator("html")).to_have_attribute("lang", "en")
    check(english, "login-english")
    english.locator("#id_username").fill("421102-clerk")
    english.locator("#id_password").fill(PASSWORD)
    english.locator("main form button[type=submit]").click()
    english.wait_for_url(re.compile(r".*/clerk/$"))
    check(english, "clerk-workbench-english")
    english.goto(f"/cases/{received.number}/")
    check(english, "clerk-case-english")

    print(f"\naxe-core WCAG 2.2 A/AA: {len(checked)} page states, no violation")
    for label, text in aaa.items():
        print(f"AAA (not gating) on {label}:\n{text}")
    assert len(checked) >= 24
    # AAA does not gate, but the two colour pairs issue 15 found below 7:1 stay fixed
    reported = "\n".join(aaa.values())
    assert "#176b34" not in reported and "#666666" not in reported, reported
