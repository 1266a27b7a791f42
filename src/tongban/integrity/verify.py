"""`tongban audit verify`: walk every hash chain and every checkpoint (ADR 0092).

Kinds of break:
- `altered`: a row's content no longer gives its stored digest (edited in place);
- `broken_link`: a row's prev_digest is not the digest of the row before it (a row before
  it was edited and re-hashed, removed, or inserted);
- `missing`: a gap in a case's or rating's sequence numbers (rows removed);
- `head_missing`: a head signed in a checkpoint is no longer in its chain (newest rows
  removed or rewritten since the checkpoint);
- `checkpoint`: a checkpoint altered, re-signed with another key, or out of its chain;
- `guard_missing`: a table has lost its append-only triggers (or they are disabled)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from django.apps import apps
from django.db import connection

from tongban.cases.models import Case, CaseEvent, case_event_content
from tongban.core import guards
from tongban.core.chain import canonical, link_digest, sm3_hex
from tongban.core.models import AuditEvent, audit_content
from tongban.integrity.actions import platform_public_key
from tongban.integrity.models import Checkpoint, checkpoint_content
from tongban.ratings.models import RatingEvent, rating_event_content

CHUNK = 5000


@dataclass(frozen=True)
class Break:
    kind: str
    chain: str  # "case 421102-20240927-000001", "rating 7", "audit catalog.serviceitem:3"
    position: int | None  # seq or position in the chain (1-based)
    detail: str

    def __str__(self) -> str:
        where = f" #{self.position}" if self.position is not None else ""
        return f"{self.kind}: {self.chain}{where}: {self.detail}"


@dataclass
class Report:
    breaks: list[Break]
    chains: int
    rows: int
    checkpoints: int


def _walk(
    kind: str,
    rows: Iterable[Any],
    key: Any,
    content: Any,
    sequenced: bool,
    expected_heads: dict[str, dict[int, str]],
    found: list[Break],
) -> tuple[int, int]:
    """Check one table's chains; rows come ordered by chain, then by position."""
    chains = count = 0
    current: Any = object()
    prev_digest = ""
    position = 0
    wanted: dict[int, str] = {}
    seen: set[str] = set()

    def close() -> None:
        for n in sorted(wanted):
            if n > position:
                found.append(Break("head_missing", f"{kind} {current}", n, "signed head gone"))

    for row in rows:
        chain = key(row)
        if chain != current:
            if chains:
                close()
            current, prev_digest, position = chain, "", 0
            chains += 1
            wanted = expected_heads.get(str(chain), {})
            seen.add(str(chain))
        count += 1
        position += 1
        label = f"{kind} {chain}"
        at = row.seq if sequenced else position
        if sequenced and row.seq != position:
            found.append(
                Break("missing", label, position, f"sequence jumps to {row.seq}: rows removed")
            )
            position = row.seq
        if row.prev_digest != prev_digest:
            found.append(Break("broken_link", label, at, "does not follow the row before it"))
        if link_digest(row.prev_digest, content(row)) != row.digest:
            found.append(Break("altered", label, at, "content does not match its digest"))
        signed = wanted.get(position)
        if signed is not None and signed != row.digest:
            found.append(Break("head_missing", label, at, "differs from the signed head"))
        prev_digest = row.digest
    if chains:
        close()
    for chain, heads in expected_heads.items():
        if chain not in seen:
            n = max(heads)
            found.append(Break("head_missing", f"{kind} {chain}", n, "whole chain gone"))
    return chains, count


def _iterate(queryset: Any) -> Iterator[Any]:
    return queryset.iterator(chunk_size=CHUNK)


def _checkpoints(found: list[Break]) -> tuple[int, dict[str, dict[str, dict[int, str]]]]:
    """Check the checkpoints; return {kind: {chain: {position: digest}}} they signed."""
    expected: dict[str, dict[str, dict[int, str]]] = {"case": {}, "rating": {}, "audit": {}}
    platform = platform_public_key()
    prev = ""
    count = 0
    from tongban.licences import sm2

    for row in _iterate(Checkpoint.objects.order_by("id")):
        count += 1
        label = f"checkpoint {row.pk}"
        if row.prev_digest != prev:
            found.append(Break("checkpoint", label, None, "does not follow the one before it"))
        if sm3_hex(canonical(checkpoint_content(row))) != row.digest:
            found.append(Break("checkpoint", label, None, "content does not match its digest"))
        try:
            signature = bytes.fromhex(row.signature)
        except ValueError:
            signature = b""
        if not sm2.verify(row.public_key, row.digest.encode("ascii"), signature):
            found.append(Break("checkpoint", label, None, "signature does not verify"))
        if platform is not None and row.public_key != platform:
            found.append(Break("checkpoint", label, None, "not signed by the platform key"))
        for kind, heads in (row.heads or {}).items():
            for chain, (position, digest) in heads.items():
                expected.setdefault(kind, {}).setdefault(chain, {})[int(position)] = digest
        prev = row.digest
    return count, expected


def verify() -> Report:
    found: list[Break] = []
    for table in guards.missing(connection, apps):
        found.append(Break("guard_missing", table, None, "append-only triggers absent"))
    checkpoints, expected = _checkpoints(found)
    chains = rows = 0
    case_breaks: list[Break] = []
    n_chains, n_rows = _walk(
        "case",
        _iterate(CaseEvent.objects.order_by("case_id", "seq")),
        lambda e: e.case_id,
        case_event_content,
        True,
        expected["case"],
        case_breaks,
    )
    chains, rows = chains + n_chains, rows + n_rows
    # name cases by their number, which is what an operator looks up
    numbers = dict(
        Case.objects.filter(pk__in={int(b.chain.split()[1]) for b in case_breaks}).values_list(
            "pk", "number"
        )
    )
    for b in case_breaks:
        case_id = int(b.chain.split()[1])
        found.append(Break(b.kind, f"case {numbers.get(case_id, case_id)}", b.position, b.detail))
    n_chains, n_rows = _walk(
        "rating",
        _iterate(RatingEvent.objects.order_by("rating_id", "seq")),
        lambda e: e.rating_id,
        rating_event_content,
        True,
        expected["rating"],
        found,
    )
    chains, rows = chains + n_chains, rows + n_rows
    n_chains, n_rows = _walk(
        "audit",
        _iterate(AuditEvent.objects.order_by("object_type", "object_id", "id")),
        lambda e: f"{e.object_type}:{e.object_id}",
        audit_content,
        False,
        expected["audit"],
        found,
    )
    chains, rows = chains + n_chains, rows + n_rows
    return Report(breaks=found, chains=chains, rows=rows, checkpoints=checkpoints)
