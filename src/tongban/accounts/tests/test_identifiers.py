import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st
from stdnum.cn import uscc as stdnum_uscc

from tongban.accounts.identifiers import (
    USCC_ALPHABET,
    is_valid_id_number,
    is_valid_uscc,
    make_id_number,
    make_uscc,
    normalise,
    uscc_check_character,
    validate_id_number,
    validate_uscc,
)
from tongban.core.errors import Invalid

VALID_ID = make_id_number("421102", dt.date(1998, 3, 6), 31)


def _wrong_check(number: str) -> str:
    check_chars = "0123456789X"
    return number[:-1] + next(c for c in check_chars if c != number[-1])


# ---------------------------------------------------------------- 公民身份号码


def test_generated_id_number_is_valid():
    assert is_valid_id_number(VALID_ID)
    assert validate_id_number(VALID_ID) == VALID_ID


def test_id_number_with_wrong_check_digit_is_invalid():
    assert not is_valid_id_number(_wrong_check(VALID_ID))


def test_id_number_with_impossible_birth_date_is_invalid():
    body = "421102" + "19980230" + "031"  # 30 February
    from stdnum.cn import ric

    number = body + ric.calc_check_digit(body + "0")
    assert not is_valid_id_number(number)


def test_id_number_region_must_exist_in_the_birth_year():
    # 421102 黄州区 was created in 1995: stdnum rejects earlier births there
    assert not is_valid_id_number(make_id_number("421102", dt.date(1990, 1, 1), 11))
    assert is_valid_id_number(make_id_number("421102", dt.date(1996, 1, 1), 11))


@pytest.mark.parametrize("value", ["", "42110219980306031", VALID_ID + "1", "ABCDEF19980306031X"])
def test_id_number_of_wrong_length_or_format_is_invalid(value):
    assert not is_valid_id_number(value)


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
    assert "公民身份号码" in info.value.zh


@given(
    birth=st.dates(min_value=dt.date(1996, 1, 1), max_value=dt.date(2008, 12, 31)),
    sequence=st.integers(min_value=0, max_value=999),
)
def test_every_generated_number_validates_and_any_other_check_digit_fails(birth, sequence):
    number = make_id_number("421102", birth, sequence)
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
