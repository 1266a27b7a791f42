"""Encryption of personal data at rest and keyed blind indexes (ADR 0098).

Ciphertexts are SM4-GCM (GB/T 32907 block cipher in the GCM mode of RFC 8998) through
`cryptography`; every ciphertext names the key that made it, so several keys can be
configured while `tongban rotate-data-key` moves rows to the newest one. Exact look-ups
use a blind index: HMAC-SM3 (GB/T 32905) of the normalised value under a separate key.

Keys come from configuration (settings.TONGBAN_DATA_KEYS, TONGBAN_BLIND_INDEX_KEY); see
docs/security.md. Nothing here logs a value or a key.
"""

from __future__ import annotations

import base64
import binascii
import os
import re
from dataclasses import dataclass
from functools import cache

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes, hmac
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

# "tb1$<key id>$<base64url(nonce || ciphertext || tag)>"; the prefix versions the format
PREFIX = "tb1$"
NONCE_BYTES = 12  # the GCM nonce size of RFC 8998
TAG_BYTES = 16
SM4_KEY_BYTES = 16
BLIND_INDEX_MIN_KEY_BYTES = 32
_KEY_ID = re.compile(r"^[A-Za-z0-9_-]{1,16}$")

# Published demo keys: the demo, development and tests use them, production refuses them.
DEMO_DATA_KEYS = "demo:ZGVtby1zbTQta2V5LTAwMQ=="  # b"demo-sm4-key-001"
DEMO_BLIND_INDEX_KEY = "ZGVtby1obWFjLXNtMy1ibGluZC1pbmRleC1rZXktMDAx"


class DataKeyError(ImproperlyConfigured):
    """A ciphertext cannot be opened: unknown key id, wrong key or tampered data.
    A server fault (configuration or integrity), never the user's input."""


@dataclass(frozen=True)
class Keyring:
    active_id: str
    keys: dict[str, bytes]
    blind_index_key: bytes


def _b64decode(text: str, what: str) -> bytes:
    try:
        return base64.b64decode(text.strip(), validate=True)
    except (binascii.Error, ValueError) as exc:
        raise ImproperlyConfigured(f"{what} is not valid base64") from exc


def parse_data_keys(spec: str) -> tuple[str, dict[str, bytes]]:
    """`id:base64key,id:base64key,...`; the FIRST entry encrypts, all of them decrypt."""
    keys: dict[str, bytes] = {}
    active = ""
    for part in (p.strip() for p in spec.split(",")):
        if not part:
            continue
        key_id, sep, encoded = part.partition(":")
        if not sep or not _KEY_ID.match(key_id):
            raise ImproperlyConfigured(
                "TONGBAN_DATA_KEYS entries are id:base64key with id of 1-16 [A-Za-z0-9_-]"
            )
        key = _b64decode(encoded, f"TONGBAN_DATA_KEYS key {key_id!r}")
        if len(key) != SM4_KEY_BYTES:
            raise ImproperlyConfigured(f"TONGBAN_DATA_KEYS key {key_id!r} must be 16 bytes")
        if key_id in keys:
            raise ImproperlyConfigured(f"TONGBAN_DATA_KEYS names key {key_id!r} twice")
        keys[key_id] = key
        active = active or key_id
    if not keys:
        raise ImproperlyConfigured("TONGBAN_DATA_KEYS names no key")
    return active, keys


def parse_blind_index_key(encoded: str) -> bytes:
    key = _b64decode(encoded, "TONGBAN_BLIND_INDEX_KEY")
    if len(key) < BLIND_INDEX_MIN_KEY_BYTES:
        raise ImproperlyConfigured("TONGBAN_BLIND_INDEX_KEY must be at least 32 bytes")
    return key


@cache
def _keyring(data_keys: str, blind_index_key: str) -> Keyring:
    active, keys = parse_data_keys(data_keys)
    return Keyring(active, keys, parse_blind_index_key(blind_index_key))


def keyring() -> Keyring:
    # keyed on the setting values, so override_settings in tests takes effect
    return _keyring(settings.TONGBAN_DATA_KEYS, settings.TONGBAN_BLIND_INDEX_KEY)


def is_ciphertext(value: str) -> bool:
    return value.startswith(PREFIX)


def key_id_of(value: str) -> str:
    """The key that made a ciphertext ("" for a legacy clear-text value)."""
    if not is_ciphertext(value):
        return ""
    return value[len(PREFIX) :].split("$", 1)[0]


def encrypt(plaintext: str, context: str) -> str:
    """SM4-GCM under the active key. `context` (the column, e.g. "accounts.applicant.phone")
    is authenticated, so a ciphertext copied into another column does not open."""
    ring = keyring()
    key_id = ring.active_id
    nonce = os.urandom(NONCE_BYTES)
    encryptor = Cipher(algorithms.SM4(ring.keys[key_id]), modes.GCM(nonce)).encryptor()
    encryptor.authenticate_additional_data(f"{key_id}|{context}".encode())
    body = encryptor.update(plaintext.encode()) + encryptor.finalize()
    blob = base64.urlsafe_b64encode(nonce + body + encryptor.tag).decode()
    return f"{PREFIX}{key_id}${blob}"


def decrypt(value: str, context: str) -> str:
    if not is_ciphertext(value):
        # a row written before encryption was introduced; `rotate-data-key` encrypts it
        return value
    key_id, _, blob = value[len(PREFIX) :].partition("$")
    ring = keyring()
    key = ring.keys.get(key_id)
    if key is None:
        raise DataKeyError(f"data key {key_id!r} is not configured (TONGBAN_DATA_KEYS)")
    try:
        raw = base64.urlsafe_b64decode(blob)
    except (binascii.Error, ValueError) as exc:
        raise DataKeyError(f"malformed ciphertext in {context}") from exc
    if len(raw) < NONCE_BYTES + TAG_BYTES:
        raise DataKeyError(f"malformed ciphertext in {context}")
    nonce, body, tag = raw[:NONCE_BYTES], raw[NONCE_BYTES:-TAG_BYTES], raw[-TAG_BYTES:]
    decryptor = Cipher(algorithms.SM4(key), modes.GCM(nonce, tag)).decryptor()
    decryptor.authenticate_additional_data(f"{key_id}|{context}".encode())
    try:
        return (decryptor.update(body) + decryptor.finalize()).decode()
    except InvalidTag as exc:
        raise DataKeyError(f"ciphertext in {context} fails authentication") from exc


# --- blind index -------------------------------------------------------------------------


def normalise_identifier(value: str) -> str:
    """ID numbers and credit codes: no spaces, check letter upper-cased (x → X)."""
    return "".join(value.split()).upper()


def normalise_phone(value: str) -> str:
    """Phones: digits only, so "138 0013 8000" and "138-0013-8000" match."""
    return "".join(ch for ch in value if ch.isdigit())


NORMALISERS = {"identifier": normalise_identifier, "phone": normalise_phone}


def blind_index(kind: str, value: str | None) -> str:
    """HMAC-SM3 of the normalised value, hex; "" for an empty value. The same value gives
    the same index in every column of the same `kind`, so look-ups across tables work."""
    if not value:
        return ""
    normalised = NORMALISERS[kind](value)
    if not normalised:
        return ""
    mac = hmac.HMAC(keyring().blind_index_key, hashes.SM3())
    mac.update(f"{kind}\x00{normalised}".encode())
    return mac.finalize().hex()
