"""Browser journeys of issue 15 §5 and §6: the clerk's walk of the article's case counted
(clicks, typed fields, page loads; printed), steps that cannot be undone set apart,
confirmed and busy while they run, the routes by handling place, and the queue's search,
"待我处理" and counts. Screenshots under test-output/browser/<journey>/."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

from tongban.accounts.models import RoleAssignment
from tongban.agreements.selectors import routes
from tongban.cases import deadlines
from tongban.cases.models import Case
from tongban.catalog.models import ServiceItem
from tongban.testing.world import PASSWORD
from tongban.web.tests.browser import Journey, act, browser, log_in  # noqa: F401
from tongban.web.tests.conftest import PDF_BYTES, advance, online_case, proxy_case

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PDF = {"name": "scan.pdf", "mimeType": "application/pdf", "buffer": PDF_BYTES}
# issue 15 §6: the clerk's walk of the article's case in at most this many clicks
MAX_CLICKS = 12


@pytest.fixture
def journey(request, browser, live_server, world, today, pki):  # noqa: F811
    trip = Journey(browser, live_server.url, request.node.name.removeprefix("test_"))
    yield trip
    trip.close()


def _expect():
    from playwright.sync_api import expect

    return expect


class Walk:
    """What a person does on the page, counted: a click (a button, a link, a tick, a
    choice in a list, opening the file chooser), a typed field, and the page loads."""

    def __init__(self, page: Any) -> None:
        self.page = page
        self.clicks = 0
        self.typed: list[str] = []
        self.loads = 0
        # a whole document loaded (htmx swaps and pushed URLs are not page loads)
        page.on("load", self._loaded)

    def _loaded(self, _page: Any) -> None:
        self.loads += 1

    def click(self, locator: Any) -> None:
        self.clicks += 1
        locator.click()

    def tick(self, locator: Any) -> None:
        self.clicks += 1
        locator.check()

    def choose(self, locator: Any, value: str) -> None:
        self.clicks += 1
        locator.select_option(value)

    def attach(self, locator: Any, files: Any) -> None:
        self.clicks += 1
        locator.set_input_files(files)

    def type(self, locator: Any, value: str) -> None:
        self.typed.append(value)
        locator.fill(value)

    def report(self, identifier: str) -> dict[str, int]:
        return {
            "clicks": self.clicks,
            "typed_fields": len(self.typed),
            "identifier_typed": self.typed.count(identifier),
            "page_loads": self.loads,
        }


def test_clerk_walk_of_the_articles_case_is_counted(journey, world):
    """窗口收件 of the company registration by proxy at 黄州 for 东湖 (test_examples.py,
    example 1), the clerk's part: from the workbench to the file in transfer with the
    originals posted. Whatever the pages offer is used (the same walk measured the pages
    before issue 15: see docs/adr/0124)."""
    expect = _expect()
    RoleAssignment.objects.filter(user=world.user("421102-clerk")).update(
        window=world.windows["421102"]
    )
    enterprise = world.applicants["enterprise"]
    impl = world.implementations[("company", "420100Z01")]
    form, articles, _ = impl.materials.order_by("position")
    clerk = journey.page()
    log_in(clerk, "421102-clerk", PASSWORD)
    expect(clerk.get_by_test_id("who")).to_contain_text("黄州")
    walk = Walk(clerk)

    walk.type(clerk.get_by_label("查找事项:名称、编码或拼音首字母"), "qysl")
    walk.click(clerk.get_by_test_id("item-ITEM-COMPANY"))
    route = clerk.get_by_test_id("route-420100Z01-proxy")
    journey.shot(clerk, "routes")
    walk.click(route.get_by_role("link", name="开始收件"))
    enterprise_kind = clerk.get_by_label("法人/企业(经办人代办)")
    if not enterprise_kind.is_checked():
        walk.tick(enterprise_kind)
    walk.type(
        clerk.get_by_label("查询已登记申请人:公民身份号码或统一社会信用代码"), enterprise.uscc
    )
    found = clerk.get_by_test_id("found-applicant")
    try:
        found.wait_for(timeout=2_000)
    except Exception:  # the pages before issue 15 looked up only on 查询
        walk.click(clerk.get_by_role("button", name="查询", exact=True))
    expect(found).to_contain_text(enterprise.name)
    walk.click(clerk.get_by_role("button", name="全部已收取"))
    walk.tick(clerk.locator(f"#m{form.pk}_posted"))
    walk.attach(clerk.locator(f"#m{articles.pk}_file"), PDF)
    walk.choose(clerk.get_by_label("送达方式"), "post")
    address = clerk.get_by_label("寄递地址(邮政寄递时必填)")
    if not address.input_value():
        walk.type(address, "湖北省黄冈市黄州区东门路1号")
    journey.shot(clerk, "new-case")
    combined = clerk.get_by_test_id("receive-and-check")
    if combined.count():
        walk.click(combined)
    else:
        walk.click(clerk.get_by_role("button", name="确认收件", exact=True))
    expect(clerk.get_by_test_id("receipt-number")).to_be_visible()
    number = clerk.get_by_test_id("receipt-number").inner_text()
    journey.shot(clerk, "receipt")

    transfer = clerk.locator('[data-testid="receipt-next"] [data-action="transfer"]')
    if not transfer.count():
        walk.click(clerk.get_by_role("link", name="查看办件"))
        walk.click(clerk.locator('[data-testid="actions"] [data-action="check"]'))
        walk.click(clerk.locator("dialog[open]").get_by_test_id("confirm"))
        expect(clerk.get_by_test_id("case-status")).to_have_attribute("data-status", "checked")
        transfer = clerk.locator('[data-testid="actions"] [data-action="transfer"]')
    walk.click(transfer)
    dialog = clerk.locator("dialog[open]")
    expect(dialog).to_be_visible()
    assert dialog.locator('[name="carrier"]').input_value() == "EMS"
    walk.type(dialog.locator('[name="waybill_number"]'), "EMS1001")
    sure = dialog.get_by_test_id("confirm-irreversible")
    if sure.count():
        walk.tick(sure)
    journey.shot(clerk, "transfer-dialog")
    walk.click(dialog.get_by_test_id("confirm"))
    expect(clerk.get_by_test_id("case-status")).to_have_attribute("data-status", "in_transfer")
    journey.shot(clerk, "in-transfer")

    counts = walk.report(enterprise.uscc)
    print(f"\nclerk walk of the article's case (issue 15 §6): {json.dumps(counts)}")
    (journey.folder / "counts.json").write_text(json.dumps(counts, indent=1))
    case = Case.objects.get(number=number)
    events = list(case.events.order_by("seq").values_list("action", flat=True))
    assert events == ["submit", "check", "transfer"]
    assert counts["clicks"] <= MAX_CLICKS, counts
    assert counts["identifier_typed"] == 1, counts
    assert clerk.js_errors == []


def test_steps_that_cannot_be_undone_are_set_apart_confirmed_and_busy(journey, world):
    expect = _expect()
    case = proxy_case(world)
    advance(
        world,
        case.number,
        ("421102-clerk", "check", {}),
        ("421102-clerk", "transfer", {"carrier": "EMS", "waybill_number": "EMS1"}),
        ("420100Z01-officer", "receive_transfer", {}),
    )
    officer = journey.page()
    log_in(officer, "420100Z01-officer", PASSWORD)
    officer.goto(f"/cases/{case.number}/")
    everyday = officer.get_by_test_id("everyday-actions")
    final = officer.get_by_test_id("final-actions")
    expect(everyday.locator('[data-action="request_supplement"]')).to_be_visible()
    for action in ("accept", "accept_with_commitment", "refuse"):
        expect(final.locator(f'[data-action="{action}"]')).to_be_visible()
    expect(final).to_contain_text("不可撤销")
    # the set-apart steps are not filled buttons; a refusal is marked as one
    white = "rgb(255, 255, 255)"
    refuse = final.locator('[data-action="refuse"]')
    assert refuse.evaluate("e => getComputedStyle(e).backgroundColor") == white
    assert refuse.get_attribute("data-destructive") is not None
    journey.shot(officer, "officer-pending")

    # a dialog: one Enter does not commit it, the confirm button is not focused first
    officer.locator('[data-action="accept"]').click()
    dialog = officer.locator("dialog[open]")
    expect(dialog).to_contain_text("不能撤销")
    assert dialog.get_by_test_id("confirm").evaluate("e => e !== document.activeElement")
    officer.keyboard.press("Enter")
    officer.wait_for_timeout(500)
    expect(dialog).to_be_visible()
    case.refresh_from_db()
    assert case.status == "pending_acceptance"
    journey.shot(officer, "accept-dialog")
    # the confirmation ticked, the step is taken
    dialog.get_by_test_id("confirm-irreversible").check()
    dialog.get_by_test_id("confirm").click()
    expect(officer.get_by_test_id("case-status")).to_have_attribute("data-status", "accepted")
    act(officer, "approve", "approved")

    # 出证 takes a while: the button says so and a second submit sends nothing
    held: list[Any] = []
    posts: list[str] = []
    officer.route(
        re.compile(r".*/act/issue_result/$"),
        # the dialog itself (GET) comes at once; the step's POST waits until released
        lambda r: held.append(r) if r.request.method == "POST" else r.continue_(),
    )
    officer.on(
        "request",
        lambda r: posts.append(r.url) if r.method == "POST" and "issue_result" in r.url else None,
    )
    officer.locator('[data-action="issue_result"]').click()
    dialog = officer.locator("dialog[open]")
    dialog.get_by_test_id("confirm-irreversible").check()
    confirm = dialog.get_by_test_id("confirm")
    confirm.click()
    expect(confirm).to_be_disabled()
    expect(confirm).to_contain_text("正在处理")
    expect(dialog.locator("form")).to_have_attribute("aria-busy", "true")
    journey.shot(officer, "issue-result-busy")
    dialog.locator("form").evaluate("f => f.requestSubmit()")
    officer.wait_for_timeout(300)
    assert len(posts) == 1 and len(held) == 1
    held[0].continue_()
    expect(officer.get_by_test_id("case-status")).to_have_attribute("data-status", "result_issued")
    journey.shot(officer, "issued")
    assert officer.js_errors == []


def test_the_applicants_withdrawal_is_not_the_red_button(journey, world):
    expect = _expect()
    case = online_case(world)
    applicant = journey.page(width=390, height=844)
    log_in(applicant, "applicant-1", PASSWORD)
    applicant.goto(f"/cases/{case.number}/")
    withdraw = applicant.get_by_test_id("final-actions").locator('[data-action="withdraw"]')
    expect(withdraw).to_be_visible()
    assert withdraw.evaluate("e => getComputedStyle(e).backgroundColor") == "rgb(255, 255, 255)"
    # no filled button of the actions is the withdrawal
    filled = applicant.locator('[data-testid="everyday-actions"] [data-action="withdraw"]')
    expect(filled).to_have_count(0)
    journey.shot(applicant, "applicant-case")
    withdraw.click()
    dialog = applicant.locator("dialog[open]")
    dialog.get_by_test_id("confirm").click()  # not confirmed: the browser asks for the tick
    case.refresh_from_db()
    assert case.status == "pending_acceptance"
    dialog.get_by_test_id("confirm-irreversible").check()
    dialog.get_by_test_id("confirm").click()
    expect(applicant.get_by_test_id("case-status")).to_have_attribute("data-status", "withdrawn")
    assert applicant.js_errors == []


def test_routes_grouped_and_filtered_by_handling_place(journey, world):
    expect = _expect()
    item = ServiceItem.objects.get(code="ITEM-COMPANY")
    found = routes(item, world.jurisdictions["421102"], deadlines.local_today())
    places = sorted({r.handling.code for r in found})
    assert len(places) >= 2, "the test world offers more than one handling place"
    clerk = journey.page()
    log_in(clerk, "421102-clerk", PASSWORD)
    clerk.get_by_label("查找事项:名称、编码或拼音首字母").fill("qysl")
    clerk.get_by_test_id("item-ITEM-COMPANY").click()
    groups = clerk.locator('[data-testid^="route-group-"]')
    expect(groups).to_have_count(len(places))
    # every online-only place is marked and still offers something to do
    for group in groups.all():
        if group.get_attribute("data-online-only") == "1":
            expect(group.get_by_test_id("online-only")).to_be_visible()
            expect(group.get_by_test_id("guide-link").first).to_be_visible()
    journey.shot(clerk, "routes-grouped")
    clerk.get_by_test_id("route-place").select_option("420100Z01")
    expect(groups).to_have_count(1)
    expect(clerk.get_by_test_id("route-group-420100Z01")).to_be_visible()
    journey.shot(clerk, "routes-one-place")
    assert clerk.js_errors == []


def test_queue_search_awaiting_me_and_counts(journey, world):
    expect = _expect()
    first, second = proxy_case(world), proxy_case(world)
    advance(
        world,
        second.number,
        ("421102-clerk", "check", {}),
        ("421102-clerk", "transfer", {"carrier": "EMS", "waybill_number": "EMS2"}),
    )
    Case.objects.filter(pk=first.pk).update(overdue_on="2024-09-20", warn_on="2024-09-18")
    officer = journey.page()
    log_in(officer, "420100Z01-officer", PASSWORD)
    officer.goto("/queue/")
    expect(officer.get_by_test_id("count-awaiting")).to_contain_text("1")
    expect(officer.get_by_test_id("count-overdue")).to_contain_text("0")
    journey.shot(officer, "queue-counts")
    officer.get_by_test_id("count-awaiting").click()
    table = officer.get_by_test_id("queue")
    expect(table.locator("tr[data-number]")).to_have_count(1)
    expect(table.locator(f'tr[data-number="{second.number}"]')).to_be_visible()
    # the search by the number's beginning, across states
    officer.goto("/queue/")
    officer.get_by_label("办件编号").fill(first.number)
    expect(officer.locator("#queue-table tr[data-number]")).to_have_count(1)
    expect(officer.locator(f'#queue-table tr[data-number="{first.number}"]')).to_be_visible()
    journey.shot(officer, "queue-number-search")
    # the status filter: a few stages, the states grouped under them
    expect(officer.locator("#f-stage option")).to_have_count(6)
    expect(officer.locator("#f-status optgroup")).to_have_count(5)

    clerk = journey.page()
    log_in(clerk, "421102-clerk", PASSWORD)
    expect(clerk.get_by_test_id("count-awaiting")).to_contain_text("1")
    expect(clerk.get_by_test_id("count-overdue")).to_contain_text("1")
    journey.shot(clerk, "clerk-counts")
    assert officer.js_errors == [] and clerk.js_errors == []
