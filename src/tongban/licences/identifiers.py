"""E-licence identifiers as seen in practice for GB/T 36904 (domain notes §5):

    1.2.156.3005.2.{licence type code}.{issuer USCC}.{serial}.{3-digit version}.{check}

The check character is ISO 7064 MOD 37,36 over every character before it with the dots
removed (python-stdnum's `iso7064.mod_37_36`)."""

from __future__ import annotations

import re
from dataclasses import dataclass

from stdnum.iso7064 import mod_37_36

PREFIX = "1.2.156.3005.2"
_PART = re.compile(r"^[0-9A-Z]+$")
_IDENTIFIER = re.compile(
    r"^1\.2\.156\.3005\.2\.(?P<type>[0-9A-Z]+)\.(?P<uscc>[0-9A-Z]{18})\."
    r"(?P<serial>[0-9A-Z]+)\.(?P<version>\d{3})\.(?P<check>[0-9A-Z*])$"
)


class IdentifierError(ValueError):
    pass


@dataclass(frozen=True)
class LicenceIdentifier:
    licence_type_code: str
    issuer_uscc: str
    serial: str
    version: int
    check: str

    def __str__(self) -> str:
        body = _body(self.licence_type_code, self.issuer_uscc, self.serial, self.version)
        return f"{body}.{self.check}"


def _body(licence_type_code: str, issuer_uscc: str, serial: str, version: int) -> str:
    return f"{PREFIX}.{licence_type_code}.{issuer_uscc}.{serial}.{version:03d}"


def check_character(body: str) -> str:
    """MOD 37,36 check character of the identifier body (dots are ignored)."""
    return mod_37_36.calc_check_digit(body.replace(".", ""))


def make_identifier(licence_type_code: str, issuer_uscc: str, serial: str, version: int) -> str:
    for name, value in (
        ("licence type code", licence_type_code),
        ("issuer USCC", issuer_uscc),
        ("serial", serial),
    ):
        if not _PART.match(value or ""):
            raise IdentifierError(f"{name} must be upper-case letters and digits: {value!r}")
    if len(issuer_uscc) != 18:
        raise IdentifierError("issuer USCC must have 18 characters")
    if not 1 <= version <= 999:
        raise IdentifierError("version must be 1..999")
    body = _body(licence_type_code, issuer_uscc, serial, version)
    return f"{body}.{check_character(body)}"


def parse_identifier(identifier: str) -> LicenceIdentifier:
    """Split an identifier and verify its check character; raises IdentifierError."""
    match = _IDENTIFIER.match(identifier or "")
    if match is None:
        raise IdentifierError("not an e-licence identifier")
    body, _, check = identifier.rpartition(".")
    if not mod_37_36.is_valid(body.replace(".", "") + check):
        raise IdentifierError("wrong check character")
    return LicenceIdentifier(
        licence_type_code=match["type"],
        issuer_uscc=match["uscc"],
        serial=match["serial"],
        version=int(match["version"]),
        check=check,
    )


def is_valid_identifier(identifier: str) -> bool:
    try:
        parse_identifier(identifier)
    except IdentifierError:
        return False
    return True
