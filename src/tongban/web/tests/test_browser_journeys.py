"""Journeys in a real browser (Debian's Chromium, Playwright for Python) against the live
server. Each journey saves numbered screenshots under test-output/browser/<journey>/."""

from __future__ import annotations

import re

import pytest

from tongban.accounts.models import RoleAssignment, User
from tongban.attachments.models import Attachment
from tongban.cases.models import Case
from tongban.testing.world import PASSWORD
from tongban.web.tests.browser import Journey, act, browser, log_in  # noqa: F401
from tongban.web.tests.conftest import PDF_BYTES, PNG_BYTES

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PDF = {"name": "scan.pdf", "mimeType": "application/pdf", "buffer": PDF_BYTES}


@pytest.fixture
def journey(request, browser, live_server, world, today, pki):  # noqa: F811
    trip = Journey(browser, live_server.url, request.node.name.removeprefix("test_"))
    yield trip
    trip.close()


def _expect():
    from playwright.sync_api import expect

    return expect


def test_huangzhou_receives_company_registration_for_donghu(journey, world):
    """The first example case of the domain notes, walked by three people: the 黄州
    window clerk receives and posts the originals, the 东湖 officer accepts and decides,
    the 东湖 delivery desk mails the licence and records it as signed for."""
    expect = _expect()
    RoleAssignment.objects.filter(user=world.user("421102-clerk")).update(
        window=world.windows["421102"]
    )
    desk_user = User.objects.create_user(
        "420100Z01-delivery", password=PASSWORD, display_name="东湖寄递台"
    )
    RoleAssignment.objects.create(user=desk_user, role="officer", jurisdiction=world.donghu)
    enterprise = world.applicants["enterprise"]

    # -- 1. the clerk in 黄州 finds the item by its pinyin initials and sees the routes
    clerk = journey.page()
    log_in(clerk, "421102-clerk", PASSWORD)
    expect(clerk.get_by_test_id("who")).to_contain_text("窗口收件人员")
    expect(clerk.get_by_test_id("who")).to_contain_text("黄州")
    clerk.get_by_label("查找事项:名称、编码或拼音首字母").fill("qysl")
    clerk.get_by_test_id("item-ITEM-COMPANY").click()
    # the routes are grouped by handling place (issue 15 §6)
    expect(clerk.get_by_test_id("route-group-420100Z01")).to_contain_text("武汉东湖新技术开发区")
    route = clerk.get_by_test_id("route-420100Z01-proxy")
    journey.shot(clerk, "clerk-routes")
    route.get_by_role("link", name="开始收件").click()

    # -- 2. applicant look-up, the handling place's checklist, one scan, submission
    clerk.get_by_label("法人/企业(经办人代办)").check()
    clerk.get_by_label("查询已登记申请人:公民身份号码或统一社会信用代码").fill(enterprise.uscc)
    clerk.get_by_role("button", name="查询", exact=True).click()
    expect(clerk.get_by_test_id("found-applicant")).to_contain_text(enterprise.name)
    impl = world.implementations[("company", "420100Z01")]
    form, articles, _ = impl.materials.order_by("position")
    # nothing is ticked until the clerk looks; here everything was received
    expect(clerk.locator(f"#m{form.pk}_provided")).not_to_be_checked()
    clerk.get_by_role("button", name="全部已收取").click()
    expect(clerk.locator(f"#m{form.pk}_provided")).to_be_checked()
    clerk.locator(f"#m{form.pk}_posted").check()
    clerk.locator(f"#m{articles.pk}_file").set_input_files(PDF)
    clerk.get_by_label("送达方式").select_option("post")
    clerk.get_by_label("寄递地址(邮政寄递时必填)").fill("湖北省黄冈市黄州区东门路1号")
    journey.shot(clerk, "clerk-new-case")
    clerk.get_by_role("button", name="确认收件", exact=True).click()
    expect(clerk.get_by_test_id("receipt-number")).to_be_visible()
    number = clerk.get_by_test_id("receipt-number").inner_text()
    assert number.startswith("421102-20240927-")
    # the originals go with the transfer: not posted yet
    expect(clerk.get_by_role("main")).to_contain_text("原件待寄出")
    journey.shot(clerk, "clerk-receipt")
    case = Case.objects.get(number=number)
    assert not case.assisted and case.applicant == enterprise and case.status == "received"
    assert Attachment.objects.filter(case=case).count() == 1

    # -- 3. formal check, then the originals leave from the delivery desk with a waybill
    clerk.get_by_role("link", name="查看办件").click()
    act(clerk, "check", "checked")
    clerk.get_by_role("link", name="寄递台").click()
    section = clerk.locator('[data-section="originals_out"]')
    expect(section).to_contain_text(number)
    journey.shot(clerk, "clerk-delivery-desk")
    section.get_by_role("link", name="办理").click()
    act(clerk, "transfer", "in_transfer", carrier="EMS", waybill_number="EMS1001")
    expect(clerk.get_by_test_id("waybill")).to_have_text("EMS1001")

    # -- 4. the officer in 东湖 receives the electronic file and accepts on it the same
    #       day; the paper originals are signed for when the post brings them
    officer = journey.page()
    log_in(officer, "420100Z01-officer", PASSWORD)
    expect(officer.get_by_test_id("queue")).to_contain_text(number)
    officer.get_by_label("收件地").select_option("421102")
    expect(officer.locator(f'tr[data-number="{number}"]')).to_be_visible()
    journey.shot(officer, "officer-queue")
    officer.get_by_role("link", name=number).click()
    act(officer, "receive_transfer", "pending_acceptance")
    act(officer, "accept", "accepted")
    expect(officer.get_by_test_id("due-date")).to_have_text("2024-10-08")
    act(officer, "receive_originals", "accepted")
    expect(officer.get_by_test_id("shipment-state").first).to_have_text("已签收")
    act(officer, "approve", "approved")
    act(officer, "issue_result", "result_issued")
    journey.shot(officer, "officer-case")

    # -- 5. the 东湖 delivery desk mails the licence and records the signature
    desk = journey.page()
    log_in(desk, "420100Z01-delivery", PASSWORD)
    desk.goto("/delivery/")
    section = desk.locator('[data-section="results_out"]')
    expect(section).to_contain_text(number)
    section.get_by_role("link", name="办理").click()
    act(desk, "ship", "in_delivery", method="post", carrier="EMS", waybill_number="EMS2002")
    act(desk, "sign_for", "delivered")
    journey.shot(desk, "desk-signed-for")

    # -- 6. the officer closes the case
    officer.reload()
    act(officer, "complete", "completed")
    expect(officer.get_by_test_id("timeline")).to_contain_text("办结")
    journey.shot(officer, "officer-completed")
    actions = list(case.events.order_by("seq").values_list("action", flat=True))
    assert actions == [
        "submit",
        "check",
        "transfer",
        "receive_transfer",
        "accept",
        "receive_originals",
        "approve",
        "issue_result",
        "ship",
        "sign_for",
        "complete",
    ]
    for page in (clerk, officer, desk):
        assert page.js_errors == []


def test_online_application_with_a_supplement_round(journey, world):
    expect = _expect()
    applicant = journey.page(width=420, height=860)  # a phone-sized screen
    log_in(applicant, "applicant-1", PASSWORD)
    applicant.get_by_role("link", name="在线申报新事项").click()
    applicant.get_by_label("事项名称、编码或拼音首字母").fill("企业")
    applicant.get_by_role("link", name="武汉东湖新技术开发区").click()
    impl = world.implementations[("company", "420100Z01")]
    first = impl.materials.order_by("position").first()
    applicant.locator(f"#m{first.pk}_file").set_input_files(PDF)
    applicant.get_by_label("送达方式").select_option("electronic")
    journey.shot(applicant, "applicant-form")
    applicant.get_by_role("button", name="提交申请").click()
    expect(applicant.get_by_test_id("case-status")).to_have_attribute(
        "data-status", "pending_acceptance"
    )
    number = applicant.get_by_test_id("case-number").inner_text()
    journey.shot(applicant, "applicant-submitted")

    officer = journey.page()
    log_in(officer, "420100Z01-officer", PASSWORD)
    officer.goto(f"/cases/{number}/")
    officer.locator('[data-action="request_supplement"]').click()
    dialog = officer.locator("dialog[open]")
    # every missing material is ticked already: one notice lists them all
    expect(dialog.locator("input[name=missing]:checked")).to_have_count(2)
    journey.shot(officer, "officer-one-time-notice")
    dialog.get_by_test_id("confirm").click()
    expect(officer.get_by_test_id("case-status")).to_have_attribute(
        "data-status", "supplement_before_acceptance"
    )

    applicant.reload()
    expect(applicant.get_by_text("补正")).not_to_have_count(0)
    applicant.locator('[data-testid="actions"] [data-action="supplement"]').click()
    dialog = applicant.locator("dialog[open]")
    expect(dialog.locator("input[type=file]")).to_have_count(2)
    for input_ in dialog.locator("input[type=file]").all():
        input_.set_input_files(PDF)
    journey.shot(applicant, "applicant-supplement")
    dialog.get_by_test_id("confirm").click()
    expect(applicant.get_by_test_id("case-status")).to_have_attribute(
        "data-status", "pending_acceptance"
    )
    journey.shot(applicant, "applicant-supplemented")

    officer.reload()
    act(officer, "accept", "accepted")
    journey.shot(officer, "officer-accepted")
    case = Case.objects.get(number=number)
    assert case.mode == "online" and Attachment.objects.filter(case=case).count() == 3
    assert applicant.js_errors == [] and officer.js_errors == []


def test_kiosk_session(journey, world, terminal, settings):
    expect = _expect()
    settings.TONGBAN_KIOSK_IDLE_SECONDS = 4
    kiosk = journey.page(width=1080, height=1400)
    kiosk.goto(f"/kiosk/{terminal.pk}/")
    journey.shot(kiosk, "kiosk-start")
    # no free navigation: the workbench sends the kiosk back to its start page
    kiosk.goto("/queue/")
    assert kiosk.url.endswith(f"/kiosk/{terminal.pk}/")
    kiosk.get_by_test_id("kiosk-login").click()
    kiosk.get_by_label("用户名").fill("applicant-1")
    kiosk.get_by_label("密码").fill(PASSWORD)
    kiosk.get_by_role("button", name="登录").click()
    tiles = kiosk.get_by_test_id("kiosk-items")
    expect(tiles).to_contain_text("企业设立登记")
    expect(tiles).not_to_contain_text("内地居民结婚登记")
    journey.shot(kiosk, "kiosk-items")
    tiles.get_by_role("link", name="企业设立登记").click()
    kiosk.locator('[data-handling="420100Z01"]').click()
    expect(kiosk.locator("input[type=file]")).to_have_count(3)
    for input_ in kiosk.locator("input[type=file]").all()[:2]:
        input_.set_input_files(PDF)
    kiosk.get_by_label("送达方式").select_option("window")
    journey.shot(kiosk, "kiosk-apply")
    kiosk.get_by_role("button", name="提交", exact=True).click()
    number = kiosk.get_by_test_id("kiosk-number").inner_text()
    journey.shot(kiosk, "kiosk-done")
    case = Case.objects.get(number=number)
    assert case.channel == "terminal" and case.receiving_window == terminal
    # idle: the page ends the session by itself and returns to the start page
    kiosk.wait_for_url(re.compile(rf".*/kiosk/{terminal.pk}/$"), timeout=20_000)
    expect(kiosk.get_by_test_id("kiosk-login")).to_be_visible()
    kiosk.goto(f"/kiosk/{terminal.pk}/items/")
    expect(kiosk.get_by_test_id("kiosk-login")).to_be_visible()
    journey.shot(kiosk, "kiosk-after-idle")
    assert kiosk.js_errors == []


def test_refused_upload(journey, world):
    from tongban.web.tests.conftest import proxy_case

    expect = _expect()
    case = proxy_case(world)
    clerk = journey.page()
    log_in(clerk, "421102-clerk", PASSWORD)
    clerk.goto(f"/cases/{case.number}/")
    material = case.materials.order_by("id").first()
    row = clerk.locator(f'tr[data-material="{material.pk}"]')
    row.locator("input[type=file]").set_input_files(
        {"name": "申请书.pdf", "mimeType": "application/pdf", "buffer": b"not really a pdf\n"}
    )
    row.get_by_role("button", name="上传", exact=True).click()
    error = row.get_by_test_id("upload-error")
    expect(error).to_contain_text("不是允许的类型")
    journey.shot(clerk, "upload-refused")
    assert Attachment.objects.count() == 0
    row.locator("input[type=file]").set_input_files(
        {"name": "申请书.png", "mimeType": "image/png", "buffer": PNG_BYTES}
    )
    row.get_by_role("button", name="上传", exact=True).click()
    expect(clerk.locator(f'tr[data-material="{material.pk}"]')).to_contain_text("申请书.png")
    expect(clerk.locator(".message-success")).to_contain_text("已上传")
    journey.shot(clerk, "upload-accepted")
    assert Attachment.objects.get().content_type == "image/png"
    # the same page in English
    clerk.get_by_role("button", name="English").click()
    expect(clerk.get_by_test_id("case-status")).to_have_text("Received")
    journey.shot(clerk, "case-in-english")
    assert clerk.js_errors == []
