"""Every template the case workflow uses exists in both languages for both channels, and
the fallbacks work."""

from __future__ import annotations

import re
from typing import Any

import pytest

from tongban.notifications.rendering import CASE_TEMPLATES, render

CONTEXT: dict[str, Any] = {
    "case_number": "420100Z01-20250310-00007",
    "item_name": "企业设立登记",
    "status_label": "待受理",
    "reason": "材料不齐 & 需补正",
    "due_date": "2025-03-17",
    "missing": ["公司章程", "住所使用证明"],
    "waybill_number": "SF1234567890",
    "carrier": "顺丰速运",
    "pickup_code": "615243",
    "days": 10,
    "applicant_name": "李明",
}
HAN = re.compile(r"[\u4e00-\u9fff]")


@pytest.mark.parametrize("language", ["zh-hans", "en"])
@pytest.mark.parametrize("channel", ["email", "sms"])
@pytest.mark.parametrize("name", CASE_TEMPLATES)
def test_every_workflow_template_has_its_own_text(name, channel, language):
    rendered = render(channel, name, language, CONTEXT)
    assert rendered.template_used == f"notifications/{channel}/{name}.{language}.txt"
    assert CONTEXT["case_number"] in rendered.text or CONTEXT["case_number"] in rendered.subject
    assert "{{" not in rendered.text and "{%" not in rendered.text
    assert "&amp;" not in rendered.text  # plain text: no HTML escaping
    if channel == "email":
        assert rendered.subject and "\n" not in rendered.subject
    fixed = rendered.text + rendered.subject
    for value in CONTEXT.values():  # what is left once the (Chinese) data is removed
        for part in value if isinstance(value, list) else [value]:
            fixed = fixed.replace(str(part), "")
    assert bool(HAN.search(fixed)) is (language == "zh-hans")


def test_extension_names_the_working_days():
    assert "延长 10 个工作日" in render("email", "extended", "zh-hans", CONTEXT).text
    assert "by 10 working days" in render("sms", "extended", "en", CONTEXT).text


def test_missing_materials_are_listed_one_per_line():
    rendered = render("email", "supplement_requested", "zh-hans", CONTEXT)
    assert "  1. 公司章程\n  2. 住所使用证明" in rendered.text
    assert "2025-03-17" in rendered.text
    sms = render("sms", "supplement_requested", "zh-hans", CONTEXT)
    assert "公司章程、住所使用证明" in sms.text


def test_pickup_code_is_in_the_text_and_not_in_the_redacted_text():
    for channel in ("email", "sms"):
        rendered = render(channel, "ready_for_pickup", "zh-hans", CONTEXT)
        assert "615243" in rendered.text
        assert "615243" not in rendered.redacted_text and "******" in rendered.redacted_text


def test_unknown_names_and_languages_fall_back():
    generic = render("email", "some_new_action", "zh-hans", CONTEXT)
    assert generic.template_used == "notifications/email/generic.zh-hans.txt"
    assert "待受理" in generic.text
    unsafe = render("sms", "../../settings", "en", CONTEXT)
    assert unsafe.template_used == "notifications/sms/generic.en.txt"
    french = render("sms", "accepted", "fr", CONTEXT)
    assert french.template_used == "notifications/sms/accepted.zh-hans.txt"
    english = render("sms", "accepted", "en-GB", CONTEXT)
    assert english.template_used == "notifications/sms/accepted.en.txt"


def test_optional_context_may_be_absent():
    minimal = {"case_number": "X-1", "item_name": "内地居民结婚登记", "status_label": "已办结"}
    for name in CASE_TEMPLATES:
        for language in ("zh-hans", "en"):
            rendered = render("email", name, language, minimal)
            assert "None" not in rendered.text and "X-1" in rendered.text


def test_partial_completion_lists_the_failed_parts():
    context = dict(CONTEXT, failed_parts=["葛店·企业设立登记(X-2):不予受理,住所不在本辖区"])
    email = render("email", "completed", "zh-hans", context)
    assert "部分办结" in email.text and "  1. 葛店·企业设立登记(X-2)" in email.text
    assert "行政复议" in email.text
    assert "partial completion" in render("email", "completed", "en", context).text
    assert "1个联办部分未能办成" in render("sms", "completed", "zh-hans", context).text
    assert "部分办结" not in render("email", "completed", "zh-hans", CONTEXT).text


def test_returned_originals_say_where_they_go():
    to_window = render("sms", "originals_returned", "zh-hans", dict(CONTEXT, to_window=True))
    assert "寄回收件窗口" in to_window.text and "SF1234567890" in to_window.text
    by_post = render("email", "originals_returned", "zh-hans", CONTEXT)
    assert "寄还给您" in by_post.text
