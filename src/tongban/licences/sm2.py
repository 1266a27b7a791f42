"""SM2 signatures with SM3 (GB/T 32918, GB/T 32905) through the `gmssl` package.

gmssl is the established pure-Python implementation, but three of its habits are unsafe
or buggy, so every call goes through this wrapper:
- its random nonce comes from `random.choice` (not a CSPRNG): a predictable nonce reveals
  the private key. We always pass a nonce from `secrets`;
- `CryptSM2.__init__` strips a leading "04" with `str.lstrip`, which also eats leading
  "0"/"4" characters of the x coordinate. We set `public_key` after construction;
- `verify` does not check that r and s lie in [1, n-1]. We do.
Signatures are r||s (64 bytes); the signer ID is gmssl's default "1234567812345678", the
default of GM/T 0009."""

from __future__ import annotations

import re
import secrets

from gmssl import sm2 as _gm

_N = int(_gm.default_ecc_table["n"], 16)
_HEX128 = re.compile(r"^[0-9a-f]{128}$")


def _crypt(private_hex: str, public_hex: str) -> _gm.CryptSM2:
    crypt = _gm.CryptSM2(private_key=private_hex, public_key="")
    crypt.public_key = _raw_public(public_hex)
    return crypt


def _raw_public(public_hex: str) -> str:
    value = public_hex.lower()
    if len(value) == 130 and value.startswith("04"):
        value = value[2:]
    if not _HEX128.match(value):
        raise ValueError("SM2 public key must be 64 bytes (x||y), optionally prefixed by 04")
    return value


def generate_keypair() -> tuple[str, str]:
    """(private key hex, public key hex "04"||x||y)."""
    d = secrets.randbelow(_N - 2) + 1  # 1 <= d <= n-2, as GB/T 32918.1 requires
    private_hex = f"{d:064x}"
    crypt = _gm.CryptSM2(private_key=private_hex, public_key="")
    point = crypt._kg(d, _gm.default_ecc_table["g"])  # d·G; gmssl has no public keygen API
    return private_hex, "04" + point


def sign(private_hex: str, public_hex: str, message: bytes) -> bytes:
    crypt = _crypt(private_hex, public_hex)
    while True:
        nonce = f"{secrets.randbelow(_N - 1) + 1:064x}"
        signature = crypt.sign_with_sm3(message, nonce)
        if signature:  # gmssl returns None for the (negligible) degenerate nonces
            return bytes.fromhex(signature)


def verify(public_hex: str, message: bytes, signature: bytes) -> bool:
    if len(signature) != 64:
        return False
    r = int.from_bytes(signature[:32], "big")
    s = int.from_bytes(signature[32:], "big")
    if not (1 <= r < _N and 1 <= s < _N):
        return False
    try:
        crypt = _crypt("", public_hex)
        return bool(crypt.verify_with_sm3(signature.hex(), message))
    except (ValueError, TypeError):
        return False


def key_id(public_hex: str) -> str:
    """A short identifier of an SM2 public key: the first 16 bytes of its SM3 hash."""
    from gmssl import sm3

    return "SM2-" + sm3.sm3_hash(list(bytes.fromhex(_raw_public(public_hex))))[:32].upper()
