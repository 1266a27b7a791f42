"""JWS (RFC 7515) compact serialisation through joserfc (ADR 0111): the only module of the
federation that knows the library. Everything signed is canonical JSON.

Two algorithms: ES256 (ECDSA P-256 + SHA-256), the default and the only one the trust
list itself is signed with, and SM2SM3 (SM2 with SM3, GB/T 32918.2 / GB/T 32905), which a
node may sign its messages and receipts with when the trust list says so (ADR 0135).
JOSE has no registered identifier for SM2, so "SM2SM3" is a private `alg` value of this
federation; it is added to joserfc through its algorithm registry (`JWSRegistry.register`)
and, being registered as not recommended, joserfc accepts it only where a call names it
explicitly, as every call here names the one algorithm it expects."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from cryptography.hazmat.primitives.asymmetric import ec
from joserfc import jws
from joserfc.errors import InvalidKeyTypeError, JoseError
from joserfc.jwk import ECKey, OctKey
from joserfc.jws import JWSRegistry

from tongban.licences import sm2

ES256 = "ES256"
SM2SM3 = "SM2SM3"
ALGORITHMS = (ES256, SM2SM3)
#: kept for callers that name the default
ALGORITHM = ES256


@dataclass(frozen=True)
class SM2PrivateKey:
    private_hex: str
    public_hex: str


@dataclass(frozen=True)
class SM2PublicKey:
    public_hex: str


PrivateKey = ec.EllipticCurvePrivateKey | SM2PrivateKey
PublicKey = ec.EllipticCurvePublicKey | SM2PublicKey


class _SM2Key(OctKey):
    """Carries SM2 key material into joserfc, which only hands its own key classes to an
    algorithm (RFC 7517 defines no SM2 key type). Never serialised or exported; the SM2
    algorithm accepts no other key and no other algorithm is ever allowed with it."""

    @classmethod
    def of(cls, private_hex: str, public_hex: str) -> _SM2Key:
        return cls.import_key(f"{private_hex}:{public_hex}".encode("ascii"))

    @property
    def halves(self) -> tuple[str, str]:
        private_hex, _, public_hex = self.raw_value.decode("ascii").partition(":")
        return private_hex, public_hex


class _SM2WithSM3(jws.JWSAlgModel):
    name = SM2SM3
    description = "SM2 signature with SM3 (GB/T 32918.2), r||s; a private alg of Tongban"
    recommended = False
    key_type = "oct"

    def check_key(self, key: Any) -> None:
        if not isinstance(key, _SM2Key):
            raise InvalidKeyTypeError(f"Algorithm '{self.name}' requires an SM2 key")

    def sign(self, msg: bytes, key: Any) -> bytes:
        private_hex, public_hex = key.halves
        if not private_hex:
            raise InvalidKeyTypeError("an SM2 public key cannot sign")
        return sm2.sign(private_hex, public_hex, msg)

    def verify(self, msg: bytes, sig: bytes, key: Any) -> bool:
        return sm2.verify(key.halves[1], msg, sig)


JWSRegistry.register(_SM2WithSM3())


class JwsInvalid(Exception):
    """Not a JWS we can read, or its signature does not verify."""


def canonical(value: Any) -> bytes:
    """The one byte form of a JSON value: sorted keys, no spaces, UTF-8 (digests and
    fingerprints are computed over it)."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def _joserfc_key(key: PrivateKey | PublicKey) -> ECKey | _SM2Key:
    if isinstance(key, SM2PrivateKey):
        return _SM2Key.of(key.private_hex, key.public_hex)
    if isinstance(key, SM2PublicKey):
        return _SM2Key.of("", key.public_hex)
    return ECKey.import_key(key)


def algorithm_of(key: PrivateKey | PublicKey) -> str:
    return SM2SM3 if isinstance(key, SM2PrivateKey | SM2PublicKey) else ES256


def sign(payload: dict[str, Any], key: PrivateKey, header: dict[str, Any]) -> str:
    """Compact JWS over the canonical payload; the algorithm follows the key's kind."""
    algorithm = algorithm_of(key)
    protected = {**header, "alg": algorithm}
    return jws.serialize_compact(
        protected, canonical(payload), _joserfc_key(key), algorithms=[algorithm]
    )


def peek(token: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """Header and payload *without* verifying: only to find out whose key verifies it."""
    try:
        signature = jws.extract_compact(token.encode("ascii"))
        payload = json.loads(signature.payload)
    except (JoseError, ValueError, UnicodeError) as error:
        raise JwsInvalid(str(error)) from error
    if not isinstance(payload, dict):
        raise JwsInvalid("the payload is not a JSON object")
    return dict(signature.headers()), payload


def verify(token: str, public_keys: list[PublicKey]) -> dict[str, Any]:
    """The payload if one of `public_keys` verifies the signature, each with its own
    algorithm only (a token naming another `alg` never verifies)."""
    for public_key in public_keys:
        try:
            signature = jws.deserialize_compact(
                token.encode("ascii"),
                _joserfc_key(public_key),
                algorithms=[algorithm_of(public_key)],
            )
        except (JoseError, ValueError, UnicodeError):
            continue
        payload = json.loads(signature.payload)
        if isinstance(payload, dict):
            return payload
    raise JwsInvalid("no key verifies the signature")
