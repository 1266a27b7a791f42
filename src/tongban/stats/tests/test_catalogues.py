"""The English catalogues of the dashboard and the rating pages are complete and compiled
(an untranslated string would show Chinese on an English page)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

APPS = Path(__file__).resolve().parents[2]


def _untranslated(po: Path) -> list[str]:
    missing = []
    for block in re.split(r"\n\s*\n", po.read_text(encoding="utf-8")):
        if "msgid" not in block or block.lstrip().startswith("#~"):
            continue
        msgid = "".join(re.findall(r'^(?:msgid )?"(.*)"$', block.split("msgstr")[0], re.M))
        msgstr = "".join(re.findall(r'"(.*)"', block.split("msgstr", 1)[1]))
        if msgid and (not msgstr or "#, fuzzy" in block):
            missing.append(msgid)
    return missing


@pytest.mark.parametrize("app", ["stats", "ratings"])
def test_english_catalogue_is_complete_and_compiled(app):
    folder = APPS / app / "locale" / "en" / "LC_MESSAGES"
    po = folder / "django.po"
    assert _untranslated(po) == []
    assert po.read_text(encoding="utf-8").count("msgid ") > 100
    mo = folder / "django.mo"
    assert mo.exists() and mo.stat().st_size > 1000
