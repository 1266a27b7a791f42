"""The notice to a registered applicant when someone registers a portal account with their
ID number (ADR 0091): both channels, both languages, no case, no ID number in the text."""

from __future__ import annotations

import pytest

from tongban.notifications.rendering import render


@pytest.mark.parametrize(
    ("language", "subject", "phrase"),
    [
        ("zh-hans", "有人使用您的身份号码注册了网上账号", "到任一政务服务窗口核验身份"),
        ("en", "An account was registered with your ID number", "identity check"),
    ],
)
def test_registration_attempt_renders_in_both_languages(language, subject, phrase):
    context = {"username": "probe7", "applicant_name": "李明"}
    email = render("email", "registration_attempt", language, context)
    assert subject in email.subject and phrase in email.text and "probe7" in email.text
    assert email.template_used.endswith(f"registration_attempt.{language}.txt")
    assert "办件编号" not in email.text and "case number" not in email.text.lower()
    sms = render("sms", "registration_attempt", language, context)
    assert "probe7" in sms.text and sms.template_used.endswith(f".{language}.txt")
    assert len(sms.text) < 160  # one SMS segment of Latin text
