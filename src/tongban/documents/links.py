"""Public links printed on notices (QR codes, on `core.links.public_url`): the signed
token that lets anyone check a notice without logging in."""

from __future__ import annotations

from dataclasses import dataclass

from django.core import signing

from tongban.core.links import public_url

NOTICE_TOKEN_SALT = "tongban.documents.notice"


# one letter per notice kind keeps the token (and so the QR code) short
_KIND_CODES = {
    "acceptance": "A",
    "refusal": "R",
    "supplement": "S",
    "conditional_acceptance": "C",
    "transfer_slip": "T",
    "completion": "E",
}
_KINDS = {code: kind for kind, code in _KIND_CODES.items()}


@dataclass(frozen=True)
class NoticeToken:
    case_number: str
    kind: str
    issued_on: str  # ISO date


def notice_token(case_number: str, kind: str, issued_on: str) -> str:
    """A tamper-proof reference to one notice: "{case number}~{kind}~{yyyymmdd}" with an
    HMAC (django.core.signing, keyed by SECRET_KEY). No database row is needed."""
    value = f"{case_number}~{_KIND_CODES[kind]}~{issued_on.replace('-', '')}"
    return signing.Signer(salt=NOTICE_TOKEN_SALT).sign(value)


def read_notice_token(token: str) -> NoticeToken | None:
    try:
        value = signing.Signer(salt=NOTICE_TOKEN_SALT).unsign(token)
    except signing.BadSignature:
        return None
    parts = value.split("~")
    if len(parts) != 3 or parts[1] not in _KINDS or len(parts[2]) != 8:
        return None
    day = parts[2]
    return NoticeToken(parts[0], _KINDS[parts[1]], f"{day[:4]}-{day[4:6]}-{day[6:]}")


def notice_verification_url(case_number: str, kind: str, issued_on: str) -> str:
    return public_url(f"/verify/notices/{notice_token(case_number, kind, issued_on)}")
