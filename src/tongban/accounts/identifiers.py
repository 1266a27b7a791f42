"""Checks for the two identifiers applicants present.

公民身份号码 (GB 11643-1999) is validated by python-stdnum (`stdnum.cn.ric`), which knows
the ISO 7064 MOD 11-2 check and the birth date rules. 统一社会信用代码 (GB 32100-2015):
stdnum's format check wrongly rejects codes whose registering authority is A, N or Y, so
the format is checked here and only the check character is computed by hand (stdnum's
`calc_check_digit` follows the same standard)."""

from __future__ import annotations

import datetime as dt
import re

from stdnum.cn import ric
from stdnum.exceptions import ValidationError as StdnumError

from tongban.core.errors import Invalid

USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
_USCC_FORMAT = re.compile(r"^[1-9ANY][0-9A-HJ-NP-RTUW-Y][0-9]{6}[0-9A-HJ-NP-RTUW-Y]{10}$")


def normalise(value: str) -> str:
    return value.strip().upper().replace(" ", "")


def is_valid_id_number(value: str) -> bool:
    try:
        ric.validate(normalise(value))
    except StdnumError:
        return False
    return True


def validate_id_number(value: str) -> str:
    value = normalise(value)
    if not is_valid_id_number(value):
        raise Invalid(
            "公民身份号码不正确(位数、出生日期或校验码有误)。",
            "The citizen ID number is not valid (length, birth date or check digit).",
            code="invalid_id_number",
        )
    return value


def uscc_check_character(first17: str) -> str:
    total = sum(USCC_ALPHABET.index(ch) * w for ch, w in zip(first17, USCC_WEIGHTS, strict=True))
    return USCC_ALPHABET[(31 - total % 31) % 31]


def is_valid_uscc(value: str) -> bool:
    value = normalise(value)
    if not _USCC_FORMAT.match(value):
        return False
    return uscc_check_character(value[:17]) == value[17]


def validate_uscc(value: str) -> str:
    value = normalise(value)
    if not is_valid_uscc(value):
        raise Invalid(
            "统一社会信用代码不正确(格式或校验码有误)。",
            "The unified social credit code is not valid (format or check character).",
            code="invalid_uscc",
        )
    return value


def make_id_number(region_code: str, birth: dt.date, sequence: int) -> str:
    """Build a valid number; for demo data and tests only."""
    body = f"{region_code}{birth:%Y%m%d}{sequence:03d}"
    # stdnum computes the check over the first 17 of an 18-character number
    return body + ric.calc_check_digit(body + "0")


def make_uscc(
    region_code: str, organisation_code: str, authority: str = "9", kind: str = "1"
) -> str:
    """Build a valid code from an 8+9 character body; for demo data and tests only."""
    body = f"{authority}{kind}{region_code}{organisation_code}"
    if len(body) != 17:
        raise ValueError("a USCC body has 17 characters")
    return body + uscc_check_character(body)


# GB 11714 organisation code: 8 characters + a MOD 11 check character (weights below; a
# remainder giving 10 is written X, 11 is written 0). Characters 9–17 of a USCC are such a
# code; new registrations use the "MA" range issued by market regulation.
_ORG_WEIGHTS = (3, 7, 9, 10, 5, 8, 4, 2)
_ORG_VALUES = {ch: i for i, ch in enumerate("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ")}
# body characters that keep a USCC valid (no I O Z S V)
_ORG_BODY_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"


def organisation_check_character(first8: str) -> str:
    total = sum(_ORG_VALUES[ch] * w for ch, w in zip(first8, _ORG_WEIGHTS, strict=True))
    check = 11 - total % 11
    return "X" if check == 10 else "0" if check == 11 else str(check)


def new_uscc(region_code: str, *, authority: str = "9", kind: str = "1") -> str:
    """A fresh, valid 统一社会信用代码 for an enterprise registered now: registering authority
    (9 = market regulation), organisation type (1 enterprise, 2 individual business, 3
    co-operative), the registering place's 6-digit region code, an "MA" organisation code
    with its GB 11714 check character, and the GB 32100 check character. The caller makes
    sure it is not taken (the applicant table has a unique constraint on it)."""
    import secrets

    if not re.fullmatch(r"[0-9]{6}", region_code):
        raise ValueError("region code must have 6 digits")
    body8 = "MA" + "".join(secrets.choice(_ORG_BODY_ALPHABET) for _ in range(6))
    organisation = body8 + organisation_check_character(body8)
    first17 = f"{authority}{kind}{region_code}{organisation}"
    return first17 + uscc_check_character(first17)
