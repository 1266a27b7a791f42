"""JWS (RFC 7515) compact serialisation through joserfc (ADR 0111): the only module of the
federation that knows the library. Everything signed is ES256 over canonical JSON."""

from __future__ import annotations

import json
from typing import Any

from cryptography.hazmat.primitives.asymmetric import ec
from joserfc import jws
from joserfc.errors import JoseError
from joserfc.jwk import ECKey

ALGORITHM = "ES256"


class JwsInvalid(Exception):
    """Not a JWS we can read, or its signature does not verify."""


def canonical(value: Any) -> bytes:
    """The one byte form of a JSON value: sorted keys, no spaces, UTF-8 (digests and
    fingerprints are computed over it)."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def sign(payload: dict[str, Any], key: ec.EllipticCurvePrivateKey, header: dict[str, Any]) -> str:
    protected = {**header, "alg": ALGORITHM}
    return jws.serialize_compact(
        protected, canonical(payload), ECKey.import_key(key), algorithms=[ALGORITHM]
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


def verify(token: str, public_keys: list[ec.EllipticCurvePublicKey]) -> dict[str, Any]:
    """The payload if one of `public_keys` verifies the signature (ES256 only)."""
    for public_key in public_keys:
        try:
            signature = jws.deserialize_compact(
                token.encode("ascii"), ECKey.import_key(public_key), algorithms=[ALGORITHM]
            )
        except (JoseError, ValueError, UnicodeError):
            continue
        payload = json.loads(signature.payload)
        if isinstance(payload, dict):
            return payload
    raise JwsInvalid("no key verifies the signature")
