"""The hall in a real browser (Debian's Chromium, Playwright): a person books a slot in
the portal, checks in at the hall's ticket kiosk, is called on the hall display (which
says the call through the browser's speech synthesis), is served at the window, and
rates the service on the window's rating pad. Screenshots: test-output/browser/."""

from __future__ import annotations

import datetime as dt
import re

import pytest

from tongban.hall.models import Appointment, Ticket
from tongban.ratings.models import Rating
from tongban.web.tests.browser import browser, journey, sign_in  # noqa: F401

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

FRIDAY = dt.date(2024, 9, 27)
# wraps (does not replace) speechSynthesis.speak, so the test can read what was said
RECORD_SPEECH = """
window.__spoken = [];
if (window.speechSynthesis) {
  const speak = window.speechSynthesis.speak.bind(window.speechSynthesis);
  window.speechSynthesis.speak = (u) => { window.__spoken.push(u.text + "|" + u.lang); speak(u); };
}
"""


def test_book_check_in_be_called_served_and_rate(journey, world, hall, clock):  # noqa: F811
    from playwright.sync_api import expect

    centre, k01 = hall["421102"]["centre"], hall["421102"]["k01"]
    person = world.applicants["person"]

    # -- 1. the person books 9:30 at the 黄州 centre in the portal
    clock.set(FRIDAY, 8)
    portal = journey.page()
    sign_in(portal, "applicant-1", "/my/appointments/")
    portal.locator("#book-centre").select_option(label=centre.name)
    portal.locator("#book-item").select_option(label="企业设立登记")
    portal.locator("#book-day").fill(FRIDAY.isoformat())
    portal.get_by_role("button", name="查看可预约时段").click()
    portal.get_by_test_id("slot-0930").click()
    expect(portal.locator("#messages")).to_contain_text("预约成功")
    booking = Appointment.objects.get()
    expect(portal.get_by_test_id(f"appointment-{booking.pk}")).to_contain_text("已预约")
    journey.shot(portal, "booked")

    # -- 2. the hall display is switched on, speech enabled by the hall staff
    clock.set(FRIDAY, 9, 15)
    display = journey.page(1280, 720)
    display.add_init_script(RECORD_SPEECH)
    display.goto(f"/hall/{centre.pk}/display/")
    display.locator("#hall-speech").click()

    # -- 3. at the kiosk: booking number and identity number give a ticket
    kiosk = journey.page(1024, 768)
    kiosk.goto(f"/hall/{centre.pk}/ticket/")
    kiosk.get_by_label("预约号").fill(str(booking.pk))
    kiosk.get_by_label("身份号码或统一社会信用代码").fill(person.id_number)
    kiosk.get_by_role("button", name="签到取号").click()
    expect(kiosk.get_by_test_id("ticket-code")).to_have_text("A001")
    journey.shot(kiosk, "ticket")

    # -- 4. the clerk at K01 calls it; the display shows and says it
    clerk = journey.page()
    sign_in(clerk, "421102-clerk", f"/hall/windows/{k01.pk}/")
    clerk.get_by_test_id("call-next").click()
    expect(clerk.get_by_test_id("current-ticket")).to_have_text("A001")
    expect(display.locator('[data-testid="calls"] .ticket-code').first).to_have_text("A001")
    expect(display.locator("#hall-calls")).to_have_attribute(
        "data-last-spoken", re.compile("请 A 0 0 1 号,到 K 0 1 号窗口办理")
    )
    spoken = display.evaluate("window.__spoken")
    if spoken is not None and display.evaluate("!!window.speechSynthesis"):
        assert "请 A 0 0 1 号,到 K 0 1 号窗口办理|zh-CN" in spoken
    journey.shot(display, "display")

    # -- 5. served: the clerk answers the question and finishes the ticket
    clerk.get_by_label("咨询答复(仅咨询时填写,登记为窗口咨询)").fill("材料以办事指南为准。")
    clerk.get_by_role("button", name="办理完毕").click()
    expect(clerk.locator("#messages")).to_contain_text("办理完毕:A001")
    ticket = Ticket.objects.get()
    assert ticket.status == "done" and ticket.consultation is not None
    journey.shot(clerk, "served")

    # -- 6. the window's rating pad offers the service just given; the person rates it
    pad = journey.page()
    sign_in(pad, "421102-clerk", "/ratings/pad/")
    pad.get_by_test_id(f"pad-consultation-{ticket.consultation_id}").click()
    expect(pad.get_by_test_id("rating-form")).to_be_visible()
    for name in ("overall", "ind_efficiency", "ind_competence", "ind_attitude"):
        pad.locator(f'input[name="{name}"][value="5"]').check()
    pad.get_by_test_id("submit-rating").click()
    expect(pad.locator("#messages")).to_contain_text("感谢您的评价")
    journey.shot(pad, "rated")
    rating = Rating.objects.get(consultation=ticket.consultation)
    assert rating.level == 5 and rating.source == "window_pad"
    for page in (portal, display, kiosk, clerk, pad):
        assert page.js_errors == []
