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
