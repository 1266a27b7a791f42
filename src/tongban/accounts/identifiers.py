"""Checks for the identifiers applicants present.

Identity numbers (身份号码). Three documents carry an 18-character number with the
GB 11643-1999 layout and the ISO 7064 MOD 11-2 check character:

- 居民身份证 (公民身份号码): region code + YYYYMMDD + sequence + check;
- 港澳台居民居住证: the same, with region 810000 / 820000 / 830000;
- 外国人永久居留身份证, 2023 edition: ``9`` + 2-digit province of the issuing office +
  3-digit nationality code + YYYYMMDD + sequence + check.

python-stdnum (`stdnum.cn.ric`) gives the check character and the GB/T 2260 table
(`stdnum/cn/loc.dat`, with the years each code was in force). Its own `validate` is NOT
used: it refuses a number whose region code did not exist in the holder's birth year,
but the region part is the code of the place of *first registration* (for most adults
years after birth) and a retired code stays on the card for life. Here a region code is
accepted when it exists or ever existed in the table, whatever the years (ADR 0093).

15-digit first-generation numbers are refused with their own message and code: the
first-generation card lost its force on 2013-01-01, and the 18-digit number must be read
from the current card rather than derived (ADR 0093).

统一社会信用代码 (GB 32100-2015): stdnum's format check wrongly rejects codes whose
registering authority is A, N or Y, so the format is checked here and only the check
character is computed by hand (stdnum's `calc_check_digit` follows the same standard)."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from enum import StrEnum
from functools import lru_cache
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext_lazy
from stdnum import numdb
from stdnum.cn import ric

from tongban.core.errors import Invalid, StrOrPromise

USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
_USCC_FORMAT = re.compile(r"^[1-9ANY][0-9A-HJ-NP-RTUW-Y][0-9]{6}[0-9A-HJ-NP-RTUW-Y]{10}$")

_ID_FORMAT = re.compile(r"^[0-9]{17}[0-9X]$")
_FIRST_GENERATION_FORMAT = re.compile(r"^[0-9]{15}$")
# 港澳台居民居住证申领发放办法 (国办发〔2018〕81号), art. 10: the number's address code is
# 810000 for Hong Kong, 820000 for Macao, 830000 for Taiwan residents. 830000 is no
# GB/T 2260 code, so these three are listed here rather than looked up.
RESIDENCE_PERMIT_REGIONS = {"810000": "香港", "820000": "澳门", "830000": "台湾"}
FOREIGN_PERMANENT_RESIDENT_MARK = "9"
# the oldest birth date a living holder can have; older is a typing error
_EARLIEST_BIRTH = dt.date(1890, 1, 1)


class IdKind(StrEnum):
    CITIZEN = "citizen"  # 居民身份证
    RESIDENCE_PERMIT = "residence_permit"  # 港澳台居民居住证
    FOREIGN_PERMANENT_RESIDENT = "foreign_permanent_resident"  # 外国人永久居留身份证 (2023)


@dataclass(frozen=True)
class IdNumber:
    number: str
    kind: IdKind
    birth_date: dt.date


def normalise(value: str) -> str:
    return value.strip().upper().replace(" ", "")


@lru_cache(maxsize=4096)
def region_name(code: str) -> str | None:
    """The name a 6-digit GB/T 2260 code has, or had, in python-stdnum's table; None for
    a code that never existed. Validity years are dropped on purpose (module docstring)."""
    if len(code) != 6 or not code.isdigit():
        return None
    props: dict[str, str] = {}
    for _part, part_props in numdb.get("cn/loc").info(code):
        props.update(part_props)
    county = props.get("county")
    if not county:
        return None
    # "[1983-1988]古交工矿区" or "[-1991]西郊区,[1992-]西青区": keep the last name
    return county.split(",")[-1].split("]")[-1]


@lru_cache(maxsize=64)
def _is_province(code: str) -> bool:
    return region_name(code + "0000") is not None


def _refuse(
    message: StrOrPromise, code: str = "invalid_id_number", params: dict[str, Any] | None = None
) -> Invalid:
    return Invalid(message, code=code, params=params)


def parse_id_number(value: str, *, today: dt.date | None = None) -> IdNumber:
    """The one rule for identity numbers: the API, the web, the admin, the statistics and
    the demo data all come here. Raises Invalid (422) with a message saying what is wrong."""
    number = normalise(value)
    if _FIRST_GENERATION_FORMAT.match(number):
        raise _refuse(
            gettext_lazy(
                "This is a 15-digit first-generation ID number; first-generation "
                "cards ceased to be valid on 1 January 2013. Enter the "
                "18-character number of the current card."
            ),
            code="id_number_first_generation",
        )
    if not _ID_FORMAT.match(number):
        raise _refuse(
            gettext_lazy(
                "An identity number has 18 characters: 17 digits and a check "
                "character (a digit or X)."
            )
        )
    if ric.calc_check_digit(number) != number[-1]:
        raise _refuse(
            gettext_lazy("The check character of the identity number is wrong; check the card.")
        )
    try:
        birth = dt.date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    except ValueError:
        birth = None
    if birth is None or not _EARLIEST_BIRTH <= birth <= (today or timezone.localdate()):
        raise _refuse(gettext_lazy("The birth date in the identity number is not valid."))
    if number[0] == FOREIGN_PERMANENT_RESIDENT_MARK:
        if not _is_province(number[1:3]):
            raise _refuse(
                gettext_lazy(
                    "Characters 2-3 of a foreign permanent-residence number are not "
                    "a province code."
                )
            )
        return IdNumber(number, IdKind.FOREIGN_PERMANENT_RESIDENT, birth)
    region = number[:6]
    if region in RESIDENCE_PERMIT_REGIONS:
        return IdNumber(number, IdKind.RESIDENCE_PERMIT, birth)
    if region_name(region) is None:
        raise _refuse(
            gettext_lazy(
                "The first 6 digits of the identity number are not, and never were, a region code."
            )
        )
    return IdNumber(number, IdKind.CITIZEN, birth)


def is_valid_id_number(value: str) -> bool:
    try:
        parse_id_number(value)
    except Invalid:
        return False
    return True


def validate_id_number(value: str) -> str:
    return parse_id_number(value).number


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
            gettext_lazy(
                "The unified social credit code is not valid (format or check character)."
            ),
            code="invalid_uscc",
        )
    return value


def make_id_number(region_code: str, birth: dt.date, sequence: int) -> str:
    """Build a valid number; for demo data and tests only."""
    body = f"{region_code}{birth:%Y%m%d}{sequence:03d}"
    # stdnum computes the check over the first 17 of an 18-character number
    return body + ric.calc_check_digit(body + "0")


def make_foreign_permanent_resident_number(
    province: str, nationality: str, birth: dt.date, sequence: int
) -> str:
    """Build a valid 2023 外国人永久居留身份证 number; for demo data and tests only."""
    return make_id_number(f"9{province}{nationality}", birth, sequence)


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
