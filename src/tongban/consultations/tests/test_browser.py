"""Browser journey (Debian's Chromium driven by Playwright, the web app's fixtures): a
hotline consultation recorded at 黄州, forwarded to 东湖 under the first-contact rule,
answered there and closed by 黄州. Screenshots go to test-output/browser/<journey>/."""

from __future__ import annotations

import pytest

from tongban.consultations.models import Consultation
from tongban.stats.tests.helpers import DONGHU, HUANGZHOU
from tongban.web.tests.browser import browser, journey, sign_in  # noqa: F401

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _expect():
    from playwright.sync_api import expect

    return expect


def test_hotline_consultation_recorded_and_forwarded(journey, world):  # noqa: F811
    expect = _expect()
    clerk = journey.page()
    sign_in(clerk, f"{HUANGZHOU}-clerk", "/consultations/")
    clerk.get_by_role("link", name="咨询登记").first.click()
    clerk.get_by_test_id("record-link").click()
    expect(clerk.get_by_role("heading", name="登记咨询")).to_be_visible()

    form = clerk.get_by_test_id("record-form")
    form.get_by_label("热线电话").check()
    form.get_by_label("查找事项:名称、编码或拼音首字母").fill("qysl")  # htmx narrows the items
    item = form.get_by_label("事项(可选)")
    expect(item.locator("option")).to_have_count(2)
    item.select_option("ITEM-COMPANY")
    form.get_by_label("主题", exact=True).fill("在黄州办理东湖的营业执照")
    form.get_by_label("咨询内容").fill("我人在黄州,能否在黄州窗口申请东湖的企业设立登记?")
    form.get_by_label("咨询人姓名(可选)").fill("王小二")
    form.get_by_label("联系电话(可选)").fill("13700001111")
    journey.shot(clerk, "clerk-records-hotline-call")
    form.get_by_test_id("submit-consultation").click()
    expect(clerk.get_by_test_id("consultation-status")).to_have_attribute("data-status", "open")
    consultation = Consultation.objects.get()
    assert (consultation.channel, consultation.item) == ("hotline", world.items["company"])

    forward = clerk.get_by_test_id("form-forward")
    forward.get_by_label("转办至管辖地").select_option(DONGHU)
    forward.get_by_label("转办理由").fill("收件条件以东湖为准,请东湖答复")
    forward.get_by_role("button", name="转办").click()
    expect(clerk.get_by_test_id("consultation-status")).to_have_attribute(
        "data-status", "forwarded"
    )
    expect(clerk.get_by_test_id("forwarded-to")).to_contain_text("武汉东湖新技术开发区")
    journey.shot(clerk, "clerk-forwarded")

    officer = journey.page()
    sign_in(officer, f"{DONGHU}-officer", "/consultations/?awaiting=1")
    officer.get_by_test_id(f"consultation-{consultation.pk}").click()
    expect(officer.get_by_test_id("form-forward")).to_have_count(0)
    answer = officer.get_by_test_id("form-answer")
    answer.get_by_label("答复内容").fill("可以,黄州跨域通办专窗代收,执照邮寄到家。")
    answer.get_by_role("button", name="保存答复").click()
    expect(officer.get_by_test_id("consultation-status")).to_have_attribute(
        "data-status", "answered"
    )
    journey.shot(officer, "officer-answered")

    clerk.reload()
    close = clerk.get_by_test_id("form-close")
    close.get_by_role("button", name="办结").click()
    expect(clerk.get_by_test_id("consultation-status")).to_have_attribute("data-status", "closed")
    expect(clerk.get_by_test_id("events").locator("li")).to_have_count(4)
    journey.shot(clerk, "clerk-closed")
    for page in (clerk, officer):
        assert page.js_errors == []
