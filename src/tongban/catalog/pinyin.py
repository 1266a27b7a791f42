"""Pinyin initials of item names (拼音首字母), for search boxes where a clerk types
"qysl" to find 企业设立登记. Uses `pypinyin` (MIT, maintained, with a phrase dictionary
so that polyphonic characters such as 行 in 银行 come out right) instead of a home-made
character table."""

from __future__ import annotations

import re

from pypinyin import Style, lazy_pinyin

from tongban.catalog.models import ServiceItem

_NOT_ALNUM = re.compile(r"[^0-9a-z]+")
MAX_LENGTH = ServiceItem._meta.get_field("pinyin_initials").max_length or 64


def pinyin_initials(name: str) -> str:
    """企业设立登记 → "qysldj". Han characters give their first letter; Latin letters and
    digits are kept (lower-cased); punctuation and spaces are dropped."""
    parts = lazy_pinyin(name or "", style=Style.FIRST_LETTER, strict=False)
    return _NOT_ALNUM.sub("", "".join(parts).lower())[:MAX_LENGTH]
