"""Masking of personal data (ID numbers, credit codes of sole traders, phones, addresses)
for lists and logs. Full values appear only on a case page to users who may see the case."""

from __future__ import annotations

import logging
import re
from urllib.parse import unquote_plus

_ID_NUMBER = re.compile(r"(?<![0-9A-Za-z])(\d{6})\d{8}(\d{3}[0-9Xx])(?![0-9A-Za-z])")
_PHONE = re.compile(r"(?<!\d)(1[3-9]\d)\d{4}(\d{4})(?!\d)")


def mask_id_number(value: str | None) -> str:
    """公民身份号码: keep the region prefix and the last four characters."""
    if not value:
        return ""
    if len(value) <= 8:
        return "*" * len(value)
    return value[:3] + "*" * (len(value) - 7) + value[-4:]


def mask_phone(value: str | None) -> str:
    if not value:
        return ""
    if len(value) < 7:
        return "*" * len(value)
    return value[:3] + "*" * (len(value) - 7) + value[-4:]


def mask_name(value: str | None) -> str:
    """Keep the family name: 张三 → 张*, 欧阳小明 → 欧***."""
    if not value:
        return ""
    return value[0] + "*" * (len(value) - 1) if len(value) > 1 else "*"


def mask_address(value: str | None) -> str:
    """Keep the first six characters (province/city), hide the rest."""
    if not value:
        return ""
    return value[:6] + "****" if len(value) > 6 else "****"


def mask_text(text: str) -> str:
    """Mask any ID number or mobile number found in free text (used for log lines)."""
    text = _ID_NUMBER.sub(lambda m: m.group(1)[:3] + "*" * 11 + m.group(2), text)
    return _PHONE.sub(lambda m: m.group(1) + "****" + m.group(2), text)


def mask_url(text: str) -> str:
    """mask_text for URLs and request lines: a percent-encoded number (`%20` before it,
    `+` as a space) hides from the plain pattern, so the decoded form is checked too and,
    when it holds personal data, the masked decoded form is what gets logged."""
    decoded = unquote_plus(text)
    masked = mask_text(decoded)
    if masked != decoded:
        return masked
    return mask_text(text)


class MaskPersonalDataFilter(logging.Filter):
    """Rewrites every log record so that no full ID or phone number reaches a log file."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a broken format string must not hide the record
            return True
        masked = mask_url(message)
        if masked != message:
            record.msg = masked
            record.args = None
        return True
