"""Issue 15 §1 in a real browser (ADR 0123): on the clerk's form, the applicant's online
form and the kiosk, a submission missing the delivery address is stopped in the browser
(the rule rendered from the submission's own definition), and when the server refuses it
every value, tick and chosen file is still there, the field is marked (aria-invalid,
aria-describedby) and has the focus; fixed, the case opens with the files."""

from __future__ import annotations

import pytest

from tongban.attachments.models import Attachment, HeldUpload
from tongban.cases.models import Case
from tongban.testing.world import PASSWORD
from tongban.web.tests.browser import Journey, browser, log_in  # noqa: F401
from tongban.web.tests.conftest import PDF_BYTES, PNG_BYTES

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PDF = {"name": "章程.pdf", "mimeType": "application/pdf", "buffer": PDF_BYTES}
PNG = {"name": "申请书.png", "mimeType": "image/png", "buffer": PNG_BYTES}
ADDRESS = "湖北省黄冈市黄州区东门路1号"


@pytest.fixture
def journey(request, browser, live_server, world, today, pki):  # noqa: F811
    trip = Journey(browser, live_server.url, request.node.name.removeprefix("test_"))
    yield trip
    trip.close()


def _expect():
    from playwright.sync_api import expect

    return expect


def _focused(page) -> str:
    return str(page.evaluate("document.activeElement && document.activeElement.id"))


def _refused_then_fixed(journey, page, submit: str, label: str, held: int) -> None:
    """Submit without the address: stopped in the browser; then without the browser's
    check (as a browser without scripts would): refused by the server with everything
    kept; then with the address."""
    expect = _expect()
    address = page.locator("#delivery_address")
    url = page.url
    page.get_by_role("button", name=submit, exact=True).click()
    expect(address).to_have_attribute("aria-invalid", "true")
    expect(address).to_have_attribute("aria-describedby", "err-delivery_address")
    expect(page.locator("#err-delivery_address")).to_have_text("请填写寄递地址。")
    assert _focused(page) == "delivery_address" and page.url == url
    journey.shot(page, f"{label}-stopped-in-browser")

    # the server is the authority: without the browser's check it refuses the same way
    address.evaluate("e => e.removeAttribute('data-required-when')")
    page.get_by_role("button", name=submit, exact=True).click()
    expect(page.locator("#form-error")).to_be_visible()
    address = page.locator("#delivery_address")
    expect(address).to_have_attribute("aria-invalid", "true")
    expect(address).to_have_attribute("aria-describedby", "err-delivery_address")
    assert _focused(page) == "delivery_address"
    expect(page.get_by_test_id("held-upload")).to_have_count(held)
    assert HeldUpload.objects.count() == held and not Case.objects.exists()
    journey.shot(page, f"{label}-refused-everything-kept")
    return None


def test_clerk_form_keeps_everything(journey, world):
    expect = _expect()
    enterprise = world.applicants["enterprise"]
    impl = world.implementations[("company", "420100Z01")]
    form, articles, domicile = impl.materials.order_by("position")
    clerk = journey.page()
    log_in(clerk, "421102-clerk", PASSWORD)
    clerk.goto("/clerk/cases/new/?at=421102&item=ITEM-COMPANY&handling=420100Z01&mode=proxy")
    clerk.get_by_label("法人/企业(经办人代办)").check()
    clerk.get_by_label("查询已登记申请人:公民身份号码或统一社会信用代码").fill(enterprise.uscc)
    clerk.get_by_role("button", name="查询", exact=True).click()
    expect(clerk.get_by_test_id("found-applicant")).to_contain_text(enterprise.name)
    clerk.get_by_role("button", name="全部已收取").click()
    clerk.locator(f"#m{domicile.pk}_missing").check()
    clerk.locator(f"#m{form.pk}_posted").check()
    clerk.locator(f"#m{form.pk}_file").set_input_files(PNG)
    clerk.locator(f"#m{articles.pk}_file").set_input_files(PDF)
    clerk.get_by_label("送达方式").select_option("post")
    clerk.get_by_label("联系电话").fill("13700137000")
    _refused_then_fixed(journey, clerk, "确认收件", "clerk", held=2)
    # every tick, choice and value is still there, and the applicant found
    expect(clerk.locator(f"#m{form.pk}_provided")).to_be_checked()
    expect(clerk.locator(f"#m{domicile.pk}_missing")).to_be_checked()
    expect(clerk.locator(f"#m{form.pk}_posted")).to_be_checked()
    expect(clerk.get_by_label("送达方式")).to_have_value("post")
    expect(clerk.get_by_label("联系电话")).to_have_value("13700137000")
    expect(clerk.get_by_test_id("found-applicant")).to_contain_text(enterprise.name)
    expect(clerk.get_by_test_id("held-upload").first).to_contain_text("申请书.png")

    clerk.get_by_label("寄递地址(邮政寄递时必填)").fill(ADDRESS)
    clerk.get_by_role("button", name="确认收件", exact=True).click()
    expect(clerk.get_by_test_id("receipt-number")).to_be_visible()
    journey.shot(clerk, "clerk-receipt")
    case = Case.objects.get(number=clerk.get_by_test_id("receipt-number").inner_text())
    assert case.applicant == enterprise and case.delivery_address == ADDRESS
    names = set(Attachment.objects.filter(case=case).values_list("original_name", flat=True))
    assert names == {"申请书.png", "章程.pdf"} and not HeldUpload.objects.exists()
    assert clerk.js_errors == []


def test_applicant_form_keeps_everything(journey, world):
    expect = _expect()
    impl = world.implementations[("company", "420100Z01")]
    first, second, _third = impl.materials.order_by("position")
    applicant = journey.page(width=390, height=844)  # a phone
    log_in(applicant, "applicant-1", PASSWORD)
    applicant.goto("/my/apply/ITEM-COMPANY/420100Z01/")
    applicant.locator(f"#m{first.pk}_file").set_input_files(PDF)
    applicant.locator(f"#m{second.pk}_file").set_input_files(PNG)
    applicant.get_by_label("送达方式").select_option("post")
    _refused_then_fixed(journey, applicant, "提交申请", "applicant", held=2)
    expect(applicant.get_by_label("送达方式")).to_have_value("post")

    applicant.locator("#delivery_address").fill(ADDRESS)
    applicant.get_by_role("button", name="提交申请").click()
    expect(applicant.get_by_test_id("case-number")).to_be_visible()
    journey.shot(applicant, "applicant-submitted")
    case = Case.objects.get(number=applicant.get_by_test_id("case-number").inner_text())
    assert Attachment.objects.filter(case=case).count() == 2
    assert applicant.js_errors == []


def test_kiosk_form_keeps_everything(journey, world, terminal):
    expect = _expect()
    kiosk = journey.page(width=1080, height=1400)
    kiosk.goto(f"/kiosk/{terminal.pk}/")
    kiosk.get_by_test_id("kiosk-login").click()
    kiosk.get_by_label("用户名").fill("applicant-1")
    kiosk.get_by_label("密码").fill(PASSWORD)
    kiosk.get_by_role("button", name="登录").click()
    kiosk.get_by_test_id("kiosk-items").get_by_role("link", name="企业设立登记").click()
    kiosk.locator('[data-handling="420100Z01"]').click()
    files = kiosk.locator("input[type=file]").all()
    files[0].set_input_files(PDF)
    files[1].set_input_files(PNG)
    kiosk.get_by_label("送达方式").select_option("post")
    _refused_then_fixed(journey, kiosk, "提交", "kiosk", held=2)
    kiosk.locator("#delivery_address").fill(ADDRESS)
    kiosk.get_by_role("button", name="提交", exact=True).click()
    number = kiosk.get_by_test_id("kiosk-number").inner_text()
    journey.shot(kiosk, "kiosk-done")
    case = Case.objects.get(number=number)
    assert case.channel == "terminal" and Attachment.objects.filter(case=case).count() == 2
    expect(kiosk.get_by_test_id("kiosk-number")).to_be_visible()
    assert kiosk.js_errors == []
