"""SM3 hash chains over append-only history (ADR 0092).

Each link stores `prev_digest` (the digest of the link before it, "" for the first) and
`digest = SM3(prev_digest || "\\n" || canonical JSON of the row's content)`. Changing,
removing or reordering a row breaks the digest of that row or the link after it; removing
the newest rows is caught by the signed checkpoints (integrity app). SM3 (GB/T 32905)
comes from OpenSSL through `cryptography`; gmssl's pure-Python SM3 gives the same digest
but is a thousand times slower, too slow for a 17,000-case history import."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from cryptography.hazmat.primitives import hashes

DIGEST_LENGTH = 64  # hex characters of an SM3 digest


def sm3_hex(data: bytes) -> str:
    h = hashes.Hash(hashes.SM3())
    h.update(data)
    return h.finalize().hex()


def canonical(content: Any) -> bytes:
    return json.dumps(
        content, sort_keys=True, ensure_ascii=False, separators=(",", ":"), allow_nan=False
    ).encode("utf-8")


def timestamp(value: dt.datetime | None) -> str | None:
    """One text form for a stored time whatever the database gives back (UTC, µs)."""
    if value is None:
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.UTC)
    return value.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def link_digest(prev_digest: str, content: dict[str, Any]) -> str:
    return sm3_hex(prev_digest.encode("ascii") + b"\n" + canonical(content))


def backfill(rows: Any, chain_of: Any, content: Any, save: Any, batch: int = 2000) -> None:
    """Seal rows written before the chain existed (the migrations that add the digests):
    `rows` ordered by chain, then position; `save(list)` writes a batch of sealed rows."""
    pending: list[Any] = []
    current: Any = object()
    prev = ""
    for row in rows:
        chain = chain_of(row)
        if chain != current:
            current, prev = chain, ""
        row.prev_digest = prev
        row.digest = link_digest(prev, content(row))
        prev = row.digest
        pending.append(row)
        if len(pending) >= batch:
            save(pending)
            pending = []
    if pending:
        save(pending)
