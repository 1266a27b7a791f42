"""What of a notification may be shown or logged. Personal data (phones, ID numbers,
e-mail addresses) is masked; secrets (the one-time pickup code) are replaced by
`REDACTED` everywhere except in the text handed to the applicant's channel."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

from tongban.core.masking import mask_phone, mask_text

# context keys whose values are secrets: they reach the applicant, never a log or a page
# (a one-time rating link lets whoever holds it rate the applicant's service)
SECRET_KEYS = frozenset({"pickup_code", "rating_link"})
REDACTED = "******"

_EMAIL = re.compile(r"([A-Za-z0-9._%+-]{1,64})@([A-Za-z0-9.-]+\.[A-Za-z]{2,})")


def mask_email(value: str | None) -> str:
    """liming@example.test → li****@example.test"""
    if not value or "@" not in value:
        return "*" * len(value or "")
    local, _, domain = value.rpartition("@")
    return f"{local[:2]}****@{domain}"


def secrets_of(context: Mapping[str, Any]) -> list[str]:
    return [str(context[key]) for key in SECRET_KEYS if context.get(key)]


def redact_context(context: Mapping[str, Any]) -> dict[str, Any]:
    """The context with every secret replaced: what a page or a log may show."""
    return {
        key: (REDACTED if key in SECRET_KEYS and value else value) for key, value in context.items()
    }


def scrub(text: str, secrets: Iterable[str] = ()) -> str:
    """Free text made safe for a log or an error column: secrets replaced, e-mail
    addresses, ID numbers and mobile numbers masked."""
    for secret in secrets:
        if secret:
            text = text.replace(secret, REDACTED)
    text = _EMAIL.sub(lambda m: mask_email(m.group(0)), text)
    return mask_text(text)


def describe_error(error: BaseException, secrets: Iterable[str] = (), limit: int = 255) -> str:
    detail = str(error) or error.__class__.__name__
    return scrub(f"{error.__class__.__name__}: {detail}", secrets)[:limit]


def masked_recipient(email: str | None, phone: str | None) -> str:
    parts = [mask_email(email) if email else "", mask_phone(phone) if phone else ""]
    return " / ".join(part for part in parts if part) or "—"
