from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st
from stdnum.iso7064 import mod_37_36

from tongban.accounts.identifiers import make_uscc
from tongban.licences.identifiers import (
    IdentifierError,
    check_character,
    is_valid_identifier,
    make_identifier,
    parse_identifier,
)

USCC = make_uscc("420100", "MB0010001", authority="1", kind="1")
ALNUM = st.text(alphabet="0123456789ABCDEFGHIJKLMNPQRTUWXY", min_size=1, max_size=20)


def test_identifier_has_the_practice_form_and_a_stdnum_valid_check_character():
    identifier = make_identifier("11100000000000001", USCC, "2025000001", 1)
    parts = identifier.split(".")
    assert parts[:5] == ["1", "2", "156", "3005", "2"]
    assert parts[5:9] == ["11100000000000001", USCC, "2025000001", "001"]
    assert len(parts[9]) == 1
    compact = identifier.replace(".", "")
    assert mod_37_36.validate(compact) == compact
    assert parts[9] == mod_37_36.calc_check_digit(compact[:-1])


@given(type_code=ALNUM, serial=ALNUM, version=st.integers(1, 999))
def test_every_made_identifier_parses_back_and_validates(type_code, serial, version):
    identifier = make_identifier(type_code, USCC, serial, version)
    parsed = parse_identifier(identifier)
    assert (parsed.licence_type_code, parsed.issuer_uscc, parsed.serial, parsed.version) == (
        type_code,
        USCC,
        serial,
        version,
    )
    assert str(parsed) == identifier
    assert mod_37_36.is_valid(identifier.replace(".", ""))


def test_a_changed_character_breaks_the_check():
    identifier = make_identifier("11100000000000001", USCC, "2025000001", 1)
    body, _, check = identifier.rpartition(".")
    wrong = "0" if check != "0" else "1"
    assert not is_valid_identifier(f"{body}.{wrong}")
    altered = identifier.replace("2025000001", "2025000002")
    assert not is_valid_identifier(altered)
    assert check_character(body) == check


@pytest.mark.parametrize(
    "args",
    [
        ("1110 0", USCC, "1", 1),
        ("111", USCC.lower(), "1", 1),
        ("111", USCC[:-1], "1", 1),
        ("111", USCC, "", 1),
        ("111", USCC, "1", 1000),
    ],
)
def test_bad_parts_are_refused(args):
    with pytest.raises(IdentifierError):
        make_identifier(*args)


@pytest.mark.parametrize("text", ["", "1.2.3", "1.2.156.3005.2.A.B.C.001.X", "x" * 200])
def test_garbage_is_not_an_identifier(text):
    assert not is_valid_identifier(text)
