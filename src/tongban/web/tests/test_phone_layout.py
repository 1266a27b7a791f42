"""Every page works on a phone (issue 15 §7): at 390 × 844 no page scrolls sideways
(`document.documentElement.scrollWidth <= window.innerWidth`), signed in as the role
the page is for. The list of pages is checked against web/urls.py, so a new page is
either visited here or excluded with its reason. Screenshots of the applicant's phone
flow go to test-output/browser/phone_layout/."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import URLPattern, URLResolver

from tongban.consultations.actions import record_consultation
from tongban.documents.links import notice_verification_url
from tongban.licences import actions as licence_actions
from tongban.stats.refresh import refresh
from tongban.testing.licences import issue_signed, make_case
from tongban.testing.world import PASSWORD
from tongban.web import urls as web_urls
from tongban.web.tests.browser import Journey, browser  # noqa: F401
from tongban.web.tests.conftest import online_case, proxy_case

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 390, "height": 844}

# pages that are not visited, and why (anything else in web/urls.py must be)
NOT_PAGES = {
    "web:logout": "POST only, redirects",
    "web:clerk-applicant": "htmx POST fragment inside /clerk/cases/new/",
    "web:clerk-identifier": "htmx POST fragment inside /clerk/cases/new/",
    "web:case-action": "dialog fragment, opened on the case page",
    "web:case-upload": "POST only",
    "web:notice": "a PDF",
    "web:printed-licence": "a PDF",
    "web:download": "a file",
    "web:licence-pdf": "a PDF",
    "web:share-licence": "POST only, answers with the my-licences page",
    "web:revoke-licence-share": "POST only",
    "web:pickup": "POST only",
    "web:cancel-appointment": "POST only",
    "web:kiosk-end": "POST only",
    "web:kiosk-done": "reached only by a kiosk submission (tested in test_kiosk_session)",
    "web:hall-window-action": "POST only",
    "ratings:task-step": "POST only",
    "ratings:publish": "POST only",
    "consultations:step": "POST only",
    "ratings:rate": "needs a completed case; same form as ratings:link",
    "ratings:rate-consultation": "needs a closed consultation; same form as ratings:link",
    "ratings:pad-case": "needs a served case; same form as ratings:pad",
    "ratings:pad-consultation": "needs a served consultation; same form as ratings:pad",
    "ratings:task": "needs a bad rating under rectification; same layout as ratings:tasks",
}


def _names(patterns: list[URLPattern | URLResolver], namespace: str = "") -> set[str]:
    names: set[str] = set()
    for entry in patterns:
        if isinstance(entry, URLResolver):
            inner = entry.namespace or namespace
            names |= _names(list(entry.url_patterns), inner)
        elif entry.name:
            names.add(f"{namespace}:{entry.name}")
    return names


def _pages(world: Any) -> dict[str | None, list[tuple[str, str]]]:
    """user (None: anonymous, "kiosk": the terminal session) → (URL name, path)."""
    received = proxy_case(world)
    mine = online_case(world)
    person_impl = world.implementations[("marriage", "420100Z01")]
    person_impl.result_type = "licence"
    person_impl.licence_type_code = "11100000000000016"
    person_impl.save()
    licensed = make_case(world, item="marriage", status="approved", applicant="person")
    # signed, as after the worker's turn (ADR 0121)
    licence = issue_signed(licensed, None)
    issue_signed(make_case(world, status="approved"), world.user("420100Z01-officer"))
    consultation = record_consultation(
        world.user("421102-clerk"),
        jurisdiction="421102",
        channel="window",
        topic="企业设立登记需要哪些材料",
        question="在黄州办理东湖的企业设立登记,需要带哪些材料?",
    )
    shared = licence_actions.share_licence(world.user("applicant-1"), licence.identifier).token
    refresh()  # the dashboard draws its charts only once the statistics exist
    window = world.windows["421102"]
    centre = window.centre_id
    agreement = world.agreement
    assert agreement is not None
    notice_url = notice_verification_url(received.number, "transfer_slip", "2026-01-05")
    notice = notice_url.split("/verify/")[1]
    new_case = "/clerk/cases/new/?item=ITEM-COMPANY&handling=420100Z01&mode=proxy"
    return {
        None: [
            ("web:home", "/"),
            ("web:login", "/login/"),
            ("web:register", "/register/"),
            ("web:lookup", "/lookup/"),
            ("licences:verify-index", "/verify/"),
            ("licences:verify", f"/verify/{licence.identifier}"),
            ("documents:verify-notice", f"/verify/{notice}"),
            ("web:guides", "/guides/"),
            ("web:guide-item", "/guides/items/ITEM-COMPANY/"),
            ("web:guide-agreement", f"/guides/agreements/{agreement.code}/"),
            ("web:guide-centre", f"/guides/centres/{centre}/"),
            ("web:hall-kiosk", f"/hall/{centre}/ticket/"),
            ("web:hall-display", f"/hall/{centre}/display/"),
            ("ratings:link", "/rate/not-a-token/"),
        ],
        "applicant-1": [
            ("web:my-cases", "/my/"),
            ("web:apply", "/my/apply/"),
            ("web:apply-form", "/my/apply/ITEM-COMPANY/420100Z01/"),
            ("web:case", f"/cases/{mine.number}/"),
            ("web:my-licences", "/my/licences/"),
            ("web:my-data-reads", "/my/data-reads/"),
            ("web:my-appointments", "/my/appointments/"),
            ("ratings:mine", "/ratings/my/"),
        ],
        "enterprise-1": [
            ("web:my-cases", "/my/"),
            ("web:my-licences", "/my/licences/"),
            ("web:case", f"/cases/{received.number}/"),
        ],
        "421102-clerk": [
            ("web:clerk", "/clerk/"),
            ("web:clerk-routes", "/clerk/items/ITEM-COMPANY/"),
            ("web:clerk-new-case", new_case),
            ("web:queue", "/queue/"),
            ("web:case", f"/cases/{received.number}/"),
            ("web:receipt", f"/cases/{received.number}/receipt/"),
            ("web:delivery", "/delivery/"),
            ("web:hall", "/hall/"),
            ("web:hall-window", f"/hall/windows/{window.pk}/"),
            ("web:hall-day", f"/hall/{centre}/day/"),
            ("consultations:list", "/consultations/"),
            ("consultations:new", "/consultations/new/"),
            ("consultations:detail", f"/consultations/{consultation.pk}/"),
            ("ratings:pad", "/ratings/pad/"),
            ("assistance:record", f"/assistance/case/{received.number}/"),
            ("web:shared-licence", f"/licences/shared/{shared}/"),
        ],
        "420100Z01-officer": [
            ("web:queue", "/queue/"),
            ("web:case", f"/cases/{received.number}/"),
        ],
        "420100Z01-head": [
            ("web:queue", "/queue/?overdue=red"),
            ("ratings:tasks", "/ratings/tasks/"),
        ],
        "421102-supervisor": [
            ("web:overview", "/overview/"),
            ("stats:dashboard", "/stats/"),
            ("stats:agreement", f"/stats/agreements/{agreement.pk}/"),
            ("ratings:summaries", "/ratings/summaries/"),
        ],
        "kiosk": [
            ("web:kiosk-start", "/kiosk/{terminal}/"),
            ("web:kiosk-login", "/kiosk/{terminal}/login/"),
            ("web:kiosk-book", "/kiosk/{terminal}/book/"),
            ("web:kiosk-items", "/kiosk/{terminal}/items/"),
            ("web:kiosk-item", "/kiosk/{terminal}/items/ITEM-COMPANY/"),
            ("web:kiosk-apply", "/kiosk/{terminal}/apply/ITEM-COMPANY/420100Z01/"),
        ],
    }


def _overflow(page: Any) -> int:
    """How far the page reaches beyond the screen's right edge, in CSS pixels."""
    return int(page.evaluate("document.documentElement.scrollWidth - window.innerWidth"))


def _widest(page: Any) -> str:
    """The deepest elements that stick out on the right: what to fix."""
    return str(
        page.evaluate(
            """() => Array.from(document.querySelectorAll('body *'))
              .filter(e => e.getBoundingClientRect().right > window.innerWidth + 1)
              .filter(e => !Array.from(e.children).some(
                  c => c.getBoundingClientRect().right > window.innerWidth + 1))
              .slice(0, 5)
              .map(e => e.tagName.toLowerCase() + (e.className ? '.' + e.className : '')
                   + ' ' + Math.round(e.getBoundingClientRect().right) + 'px')"""
        )
    )


def _sign_in(page: Any, username: str) -> None:
    page.goto("/login/")
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(PASSWORD)
    page.locator("main form button[type=submit]").click()
    page.wait_for_load_state()
    assert "/login/" not in page.url, username


@pytest.fixture
def pages(world: Any, today: Any, pki: Any) -> dict[str | None, list[tuple[str, str]]]:
    # built before the browser starts: signing a licence PDF runs its own event loop
    return _pages(world)


def _share_on_a_phone(journey: Journey) -> list[str]:
    """The applicant's phone flow on 我的证照: show the QR code, share a licence for a
    case; the shared link, its QR code and the open share fit the screen too."""
    from playwright.sync_api import expect

    page = journey.page(**PHONE)
    _sign_in(page, "applicant-1")
    page.goto("/my/licences/")
    page.get_by_test_id("licence-qr").first.locator("summary").click()
    expect(page.locator("svg.qr").first).to_be_visible()
    journey.shot(page, "applicant-1-licence-qr")
    page.get_by_test_id("licence-share").first.locator("summary").click()
    page.get_by_label("用途(可选,如办件编号)").first.fill("421102-20260101-000001")
    page.get_by_role("button", name="生成分享链接").first.click()
    expect(page.get_by_test_id("new-share-url")).to_be_visible()
    journey.shot(page, "applicant-1-licence-shared")
    wide = [f"applicant-1 share: +{_overflow(page)}px {_widest(page)}"] if _overflow(page) else []
    assert page.js_errors == []
    return wide


def test_every_page_fits_a_390_px_phone(
    pages: dict[str | None, list[tuple[str, str]]],
    terminal: Any,
    browser: Any,  # noqa: F811
    live_server: Any,
) -> None:
    journey = Journey(browser, live_server.url, "phone_layout")
    visited = {name for entries in pages.values() for name, _ in entries}
    unlisted = _names(web_urls.urlpatterns) - visited - set(NOT_PAGES)
    assert not unlisted, f"pages neither visited nor excluded: {sorted(unlisted)}"

    too_wide: list[str] = []
    try:
        for user, entries in pages.items():
            page = journey.page(**PHONE)
            if user == "kiosk":
                page.goto(f"/kiosk/{terminal.pk}/login/")
                page.get_by_label("用户名").fill("applicant-1")
                page.get_by_label("密码").fill(PASSWORD)
                page.get_by_role("button", name="登录").click()
                page.wait_for_url(f"**/kiosk/{terminal.pk}/items/")
            elif user is not None:
                _sign_in(page, user)
            for name, path in entries:
                path = path.replace("{terminal}", str(terminal.pk))
                response = page.goto(path)
                # a bad rating link answers its own 404 page, every other page 200
                expected = 404 if name == "ratings:link" else 200
                assert response is not None and response.status == expected, (user, path)
                if user in (None, "applicant-1", "enterprise-1"):
                    journey.shot(page, f"{user or 'public'}-{name.split(':')[1]}")
                over = _overflow(page)
                if over > 0:
                    too_wide.append(f"{user or 'anonymous'} {path}: +{over}px {_widest(page)}")
            assert page.js_errors == [], (user, page.js_errors)
        too_wide += _share_on_a_phone(journey)
    finally:
        journey.close()
    assert not too_wide, "pages wider than a 390 px phone:\n" + "\n".join(too_wide)
