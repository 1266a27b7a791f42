import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st
from stdnum.cn import ric
from stdnum.cn import uscc as stdnum_uscc

from tongban.accounts.identifiers import (
    USCC_ALPHABET,
    IdKind,
    IdNumber,
    is_valid_id_number,
    is_valid_uscc,
    make_foreign_permanent_resident_number,
    make_id_number,
    make_uscc,
    normalise,
    parse_id_number,
    region_name,
    uscc_check_character,
    validate_id_number,
    validate_uscc,
)
from tongban.core.errors import Invalid

VALID_ID = make_id_number("421102", dt.date(1998, 3, 6), 31)


def _wrong_check(number: str) -> str:
    check_chars = "0123456789X"
    return number[:-1] + next(c for c in check_chars if c != number[-1])


# ---------------------------------------------------------------- 身份号码

# the residents of the issue (8, part 1), each refused by stdnum's birth-year rule
RESIDENTS = [
    # 1980-born 黄州 resident: 421102 was created in 1995
    pytest.param("421102", dt.date(1980, 5, 17), 35, IdKind.CITIZEN, id="huangzhou-1980"),
    # 1985-born 潢川 resident (a partner of 葛店): 411526 was created in 1998
    pytest.param("411526", dt.date(1985, 11, 2), 64, IdKind.CITIZEN, id="huangchuan-1985"),
    # 1970-born 洪山 resident: 420111 was created in 1983
    pytest.param("420111", dt.date(1970, 1, 9), 17, IdKind.CITIZEN, id="hongshan-1970"),
    # Hong Kong, Macao and Taiwan residence permits (810000 / 820000 / 830000)
    pytest.param("810000", dt.date(1975, 7, 1), 3, IdKind.RESIDENCE_PERMIT, id="hong-kong-1975"),
    pytest.param("820000", dt.date(1992, 12, 20), 8, IdKind.RESIDENCE_PERMIT, id="macao-1992"),
    pytest.param("830000", dt.date(1988, 2, 29), 21, IdKind.RESIDENCE_PERMIT, id="taiwan-1988"),
    # retired codes stay on the card for life: 110103 崇文区 (retired 2010)
    pytest.param("110103", dt.date(1962, 4, 4), 19, IdKind.CITIZEN, id="chongwen-retired"),
    # numbers stdnum also accepts keep working
    pytest.param("421102", dt.date(1998, 3, 6), 31, IdKind.CITIZEN, id="huangzhou-1998"),
]


@pytest.mark.parametrize(("region", "birth", "sequence", "kind"), RESIDENTS)
def test_real_residents_numbers_are_accepted(region, birth, sequence, kind):
    number = make_id_number(region, birth, sequence)
    parsed = parse_id_number(number)
    assert parsed == IdNumber(number, kind, birth)
    assert validate_id_number(number) == number


def test_stdnum_validate_refuses_what_we_accept():
    # the reason for not calling stdnum's validate (ADR 0093)
    number = make_id_number("421102", dt.date(1980, 5, 17), 35)
    assert not ric.is_valid(number)
    assert is_valid_id_number(number)


def test_foreign_permanent_residence_card_2023():
    # 9 + 11 (北京, issuing office) + 840 (nationality) + birth date + sequence + MOD 11-2
    number = make_foreign_permanent_resident_number("11", "840", dt.date(1979, 6, 15), 1)
    assert number.startswith("911840197906150")
    assert len(number) == 18
    parsed = parse_id_number(number)
    assert parsed.kind == IdKind.FOREIGN_PERMANENT_RESIDENT
    assert parsed.birth_date == dt.date(1979, 6, 15)
    assert not is_valid_id_number(_wrong_check(number))


def test_foreign_permanent_residence_card_needs_a_province_code():
    # 99 is no province
    number = make_foreign_permanent_resident_number("99", "840", dt.date(1979, 6, 15), 1)
    with pytest.raises(Invalid) as info:
        parse_id_number(number)
    assert info.value.code == "invalid_id_number"
    assert "省级" in info.value.zh


@pytest.mark.parametrize("region", ["429999", "720000", "000000", "840000"])
def test_a_region_code_that_never_existed_is_refused(region):
    with pytest.raises(Invalid) as info:
        parse_id_number(make_id_number(region, dt.date(1980, 1, 1), 11))
    assert info.value.code == "invalid_id_number"
    assert "行政区划" in info.value.zh and "region code" in info.value.en


def test_region_names_come_from_the_library_table_whatever_the_years():
    assert region_name("421102") == "黄州区"
    assert region_name("110103") == "崇文区"  # retired in 2010
    assert region_name("120111") == "西青区"  # "[-1991]西郊区,[1992-]西青区"
    assert region_name("429999") is None
    assert region_name("42110") is None


def test_generated_id_number_is_valid():
    assert is_valid_id_number(VALID_ID)
    assert validate_id_number(VALID_ID) == VALID_ID


def test_id_number_with_wrong_check_digit_is_invalid():
    with pytest.raises(Invalid) as info:
        parse_id_number(_wrong_check(VALID_ID))
    assert "校验码" in info.value.zh


def test_id_number_with_impossible_birth_date_is_invalid():
    body = "421102" + "19980230" + "031"  # 30 February
    number = body + ric.calc_check_digit(body + "0")
    with pytest.raises(Invalid) as info:
        parse_id_number(number)
    assert "出生日期" in info.value.zh


def test_id_number_born_in_the_future_or_before_1890_is_invalid():
    tomorrow = make_id_number("421102", dt.date(2030, 1, 2), 11)
    assert not is_valid_id_number(tomorrow)
    assert parse_id_number(tomorrow, today=dt.date(2030, 1, 2)).birth_date == dt.date(2030, 1, 2)
    assert not is_valid_id_number(make_id_number("421102", dt.date(1889, 12, 31), 11))


def test_first_generation_15_digit_number_is_refused_with_its_own_message():
    with pytest.raises(Invalid) as info:
        parse_id_number("421102800517351")
    assert info.value.code == "id_number_first_generation"
    assert info.value.status == 422
    assert "15位" in info.value.zh and "2013" in info.value.zh
    assert "first-generation" in info.value.en


@pytest.mark.parametrize(
    "value", ["", "42110219980306031", VALID_ID + "1", "ABCDEF19980306031X", "4211021998030603X1"]
)
def test_id_number_of_wrong_length_or_format_is_invalid(value):
    with pytest.raises(Invalid) as info:
        parse_id_number(value)
    assert info.value.code == "invalid_id_number"
    assert "18" in info.value.zh


def test_lowercase_x_and_spaces_are_normalised():
    sequence = next(
        s for s in range(1, 999) if make_id_number("420111", dt.date(1999, 8, 1), s).endswith("X")
    )
    number = make_id_number("420111", dt.date(1999, 8, 1), sequence)
    messy = " " + number[:6] + " " + number[6:-1] + "x "
    assert validate_id_number(messy) == number


def test_validate_id_number_raises_invalid_with_stable_code():
    with pytest.raises(Invalid) as info:
        validate_id_number(_wrong_check(VALID_ID))
    assert info.value.code == "invalid_id_number"
    assert info.value.status == 422
    assert "身份号码" in info.value.zh


@given(
    birth=st.dates(min_value=dt.date(1900, 1, 1), max_value=dt.date(2020, 12, 31)),
    sequence=st.integers(min_value=0, max_value=999),
    region=st.sampled_from(["421102", "411526", "420111", "110103", "810000", "830000"]),
)
def test_every_generated_number_validates_and_any_other_check_digit_fails(birth, sequence, region):
    number = make_id_number(region, birth, sequence)
    assert is_valid_id_number(number)
    for check in "0123456789X":
        if check != number[-1]:
            assert not is_valid_id_number(number[:-1] + check)


# ---------------------------------------------------------------- 统一社会信用代码


def test_generated_uscc_is_valid_and_agrees_with_stdnum():
    code = make_uscc("420100", "MA4KD2Y8X")
    assert is_valid_uscc(code)
    assert stdnum_uscc.is_valid(code)  # an enterprise code: stdnum agrees


@pytest.mark.parametrize("authority", ["A", "N", "Y"])
def test_uscc_with_authority_a_n_y_is_valid_although_stdnum_rejects_it(authority):
    code = make_uscc("110108", "MA01ABCD2", authority=authority, kind="1")
    assert not stdnum_uscc.is_valid(code)
    assert is_valid_uscc(code)
    assert validate_uscc(code) == code


def test_uscc_of_an_organ_authority_1_is_valid():
    assert is_valid_uscc(make_uscc("421102", "700100000", authority="1", kind="1"))


def test_uscc_with_wrong_check_character_is_invalid():
    code = make_uscc("420100", "MA4KD2Y8X")
    wrong = next(c for c in USCC_ALPHABET if c != code[-1])
    assert not is_valid_uscc(code[:-1] + wrong)


@pytest.mark.parametrize("letter", ["I", "O", "S", "V", "Z"])
def test_uscc_with_a_letter_outside_the_alphabet_is_invalid(letter):
    body = "91420100MA4KD2Y8" + letter
    assert not is_valid_uscc(body + "0")


@pytest.mark.parametrize("value", ["", "91420100MA4KD2Y8", "0" * 18, "B1420100MA4KD2Y8X0"])
def test_uscc_of_wrong_length_or_first_character_is_invalid(value):
    assert not is_valid_uscc(value)


def test_lowercase_uscc_is_normalised():
    code = make_uscc("420703", "MA49R6KX3")
    assert validate_uscc(" " + code.lower() + " ") == code
    assert normalise(code.lower()) == code


def test_validate_uscc_raises_invalid_with_stable_code():
    with pytest.raises(Invalid) as info:
        validate_uscc("91350100M000100Y44")  # the example below with a wrong check
    assert info.value.code == "invalid_uscc"
    assert info.value.status == 422


def test_check_character_matches_a_published_example():
    # a sample code widely used in documentation, also accepted by stdnum
    assert uscc_check_character("91350100M000100Y4") == "3"
    assert stdnum_uscc.is_valid("91350100M000100Y43")


def test_make_uscc_refuses_a_body_of_the_wrong_length():
    with pytest.raises(ValueError):
        make_uscc("4201", "MA4KD2Y8X")
