"""Browser journeys (Debian's Chromium driven by Playwright, the web app's fixtures): the
bad-rating loop walked by four people, and the statistics dashboard drawing its charts.
Screenshots go to test-output/browser/<journey>/."""

from __future__ import annotations

from pathlib import Path

import pytest

from tongban.ratings.models import Rating, Rectification
from tongban.stats import refresh
from tongban.stats.tests.helpers import DONGHU, completed_case
from tongban.web.tests.browser import browser, journey, sign_in  # noqa: F401

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

ECHARTS = Path(__file__).resolve().parents[2] / "web" / "static" / "stats" / "vendor"


def _expect():
    from playwright.sync_api import expect

    return expect


def test_bad_rating_loop_in_the_browser(journey, world):  # noqa: F811
    """The applicant gives a named bad rating; 东湖's clerk calls back, its head appeals,
    its supervisor reviews and annuls; the applicant sees the rating annulled."""
    expect = _expect()
    case = completed_case(world)

    applicant = journey.page()
    sign_in(applicant, "applicant-1", "/ratings/my/")
    applicant.get_by_test_id(f"rate-{case.number}").click()
    expect(applicant.get_by_test_id("rating-form")).to_be_visible()
    for name, level in (
        ("overall", "1"),
        ("ind_efficiency", "1"),
        ("ind_competence", "2"),
        ("ind_attitude", "2"),
    ):
        applicant.locator(f'input[name="{name}"][value="{level}"]').check()
    applicant.locator('input[name="target_leg"][value="handling"]').check()
    applicant.get_by_label("评价内容(不满意、非常不满意时必填)").fill("材料在流转中丢失,补交两次")
    journey.shot(applicant, "applicant-rates")
    applicant.get_by_test_id("submit-rating").click()
    expect(applicant.get_by_test_id("my-rating")).to_be_visible()
    expect(applicant.get_by_test_id("rectification-note")).to_contain_text("武汉东湖新技术开发区")
    journey.shot(applicant, "applicant-rated")
    task = Rectification.objects.get(rating__case=case)
    assert task.jurisdiction == world.donghu and task.status == "open"

    clerk = journey.page()
    sign_in(clerk, f"{DONGHU}-clerk", "/ratings/tasks/")
    clerk.get_by_test_id(f"task-{task.pk}").click()
    expect(clerk.get_by_test_id("task-status")).to_have_attribute("data-status", "open")
    form = clerk.get_by_test_id("form-callback")
    form.get_by_label("已联系上").check()
    form.get_by_label("回访情况").fill("已电话致歉,说明补交原因")
    form.get_by_role("button", name="保存回访记录").click()
    expect(clerk.get_by_test_id("callback")).to_contain_text("已电话致歉")
    journey.shot(clerk, "clerk-called-back")

    head = journey.page()
    sign_in(head, f"{DONGHU}-head", f"/ratings/tasks/{task.pk}/")
    appeal = head.get_by_test_id("form-appeal")
    appeal.get_by_label("申诉理由").fill("流转记录显示材料一次寄达,属误评")
    appeal.get_by_role("button", name="提交申诉").click()
    expect(head.get_by_test_id("task-status")).to_have_attribute("data-status", "appealed")
    journey.shot(head, "head-appealed")

    supervisor = journey.page()
    sign_in(supervisor, f"{DONGHU}-supervisor", f"/ratings/tasks/{task.pk}/")
    review = supervisor.get_by_test_id("form-review")
    review.get_by_label("申诉成立,撤销差评").check()
    review.get_by_label("复核意见").fill("经核查流转记录,申诉成立")
    review.get_by_role("button", name="保存复核结论").click()
    expect(supervisor.get_by_test_id("task-status")).to_have_attribute("data-status", "annulled")
    expect(supervisor.get_by_test_id("events").locator("li")).to_have_count(5)
    journey.shot(supervisor, "supervisor-annulled")

    applicant.goto(f"/ratings/case/{case.number}/")
    expect(applicant.get_by_test_id("rating-status")).to_have_attribute("data-status", "annulled")
    journey.shot(applicant, "applicant-sees-annulled")
    assert Rating.objects.get(case=case).status == "annulled"
    for page in (applicant, clerk, head, supervisor):
        assert page.js_errors == []


def test_dashboard_draws_real_charts(journey, world):  # noqa: F811
    """The supervisor of 东湖 opens the dashboard: every chart is drawn by ECharts (an SVG
    in each chart area) and the data tables hold the same figures."""
    # `make test` builds the asset first; a missing file is a set-up defect, not a skip
    assert (ECHARTS / "echarts.min.js").exists(), "ECharts missing: run `make assets`"
    expect = _expect()
    for _ in range(3):
        completed_case(world)
    refresh.refresh()
    page = journey.page(width=1280, height=1000)
    sign_in(page, f"{DONGHU}-supervisor", "/stats/")
    charts = page.locator("[data-chart]:not(.chart-hidden)")
    expect(charts.first).to_have_attribute("data-rendered", "true")
    count = charts.count()
    assert count >= 6
    for index in range(count):
        expect(charts.nth(index)).to_have_attribute("data-rendered", "true")
        assert charts.nth(index).locator("svg").count() >= 1
    expect(page.get_by_test_id("kpi-cases").locator("strong")).to_have_text("3")
    page.get_by_test_id("figure-channels").locator("summary").click()
    expect(page.get_by_test_id("table-channels")).to_be_visible()
    journey.shot(page, "dashboard")
    assert page.js_errors == []


def test_window_rating_pad_in_the_browser(journey, world):  # noqa: F811
    """黄州's clerk has just received a case at the window; the tablet, signed in as that
    clerk, offers it; the applicant taps the in-person indicators; it leaves the pad."""
    from tongban.ratings.tests.test_channels import HUANGZHOU, _window_case

    expect = _expect()
    case = _window_case(world)
    pad = journey.page()
    sign_in(pad, f"{HUANGZHOU}-clerk", "/ratings/pad/")
    pad.get_by_test_id(f"pad-case-{case.number}").click()
    expect(pad.get_by_test_id("rating-form")).to_be_visible()
    for name in ("overall", "ind_efficiency", "ind_competence", "ind_attitude"):
        pad.locator(f'input[name="{name}"][value="5"]').check()
    journey.shot(pad, "pad-rates")
    pad.get_by_test_id("submit-rating").click()
    expect(pad.locator("#messages")).to_contain_text("感谢您的评价")
    expect(pad.get_by_test_id(f"pad-case-{case.number}")).to_have_count(0)
    journey.shot(pad, "pad-rated")
    rating = Rating.objects.get(case=case)
    assert (rating.source, rating.level, rating.target_jurisdiction) == (
        "window_pad",
        5,
        world.huangzhou,
    )
