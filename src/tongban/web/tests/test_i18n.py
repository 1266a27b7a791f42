"""The message catalogues: Simplified Chinese is the source language, English must be
complete (an untranslated string would show Chinese on an English page)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.utils import translation

from tongban.web import labels

LOCALE = Path(__file__).resolve().parents[2] / "locale"


def _entries(path: Path) -> list[tuple[str, str, bool]]:
    text = path.read_text(encoding="utf-8")
    entries = []
    for block in re.split(r"\n\s*\n", text):
        fuzzy = "#, fuzzy" in block
        msgid = "".join(re.findall(r'^(?:msgid )?"(.*)"$', block.split("msgstr")[0], re.M))
        msgstr = (
            "".join(re.findall(r'"(.*)"', block.split("msgstr", 1)[1])) if "msgstr" in block else ""
        )
        if "msgid" in block:
            entries.append((msgid, msgstr, fuzzy))
    return entries


def test_english_catalogue_is_complete_and_compiled():
    po = LOCALE / "en" / "LC_MESSAGES" / "django.po"
    entries = [e for e in _entries(po) if e[0]]
    assert len(entries) > 200
    untranslated = [msgid for msgid, msgstr, _ in entries if not msgstr]
    fuzzy = [msgid for msgid, _, is_fuzzy in entries if is_fuzzy]
    assert untranslated == [] and fuzzy == []
    mo = LOCALE / "en" / "LC_MESSAGES" / "django.mo"
    assert mo.exists() and mo.stat().st_size > 1000
    assert (LOCALE / "zh_Hans" / "LC_MESSAGES" / "django.mo").exists()


@pytest.mark.parametrize(
    ("context", "msgid", "en"),
    [
        # one catalogue for every page (ADR 0105): the strings of the pages that used to
        # live in stats, ratings and consultations, with the catalogues of those apps
        ("", "统计看板", "Statistics dashboard"),
        ("", "按时办结率", "On-time rate"),
        ("", "感谢您的评价。", "Thank you for your rating."),
        ("", "差评整改任务", "Rectification tasks"),
        ("", "咨询已登记。", "Consultation recorded."),
        ("consultation", "已办结", "Closed"),
    ],
)
def test_strings_of_every_page_area_are_in_the_one_catalogue(context, msgid, en):
    with translation.override("en"):
        found = translation.pgettext(context, msgid) if context else translation.gettext(msgid)
    assert found == en
    assert f'msgid "{msgid}"' in (LOCALE / "en" / "LC_MESSAGES" / "django.po").read_text(
        encoding="utf-8"
    )


@pytest.mark.parametrize(
    ("kind", "value", "zh", "en"),
    [
        ("status", "pending_acceptance", "待受理", "Pending acceptance"),
        ("mode", "proxy", "异地代收代办", "Proxy (remote receipt)"),
        ("role", "officer", "审批经办人员", "Handling officer"),
        ("material_state", "deferred", "容缺后补", "Deferred (to follow)"),
    ],
)
def test_labels_follow_the_active_language(kind, value, zh, en):
    with translation.override("zh-hans"):
        assert labels.choice_label(kind, value) == zh
    with translation.override("en"):
        assert labels.choice_label(kind, value) == en
        assert labels.action_label("accept") == "Accept"
        assert labels.overdue_label("red") == "Overdue"
    assert labels.choice_label("status", "no-such-state") == "no-such-state"
