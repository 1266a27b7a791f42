"""Signing the chain heads (`tongban audit sign-heads`, ADR 0092)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from tongban.cases.models import CaseEvent
from tongban.core.chain import canonical, sm3_hex
from tongban.core.models import AuditEvent
from tongban.integrity.models import Checkpoint, checkpoint_content
from tongban.ratings.models import RatingEvent

BATCH = 2000


def platform_key() -> tuple[str, str]:
    """(private hex, public hex) of the platform's SM2 key, created on first use."""
    from tongban.licences import pki

    base = pki.paths()
    secret = pki.passphrase()
    pki.ensure_sm2_at(base, secret, base.platform_sm2_key)
    return pki.load_sm2_private(base.platform_sm2_key, secret)


def platform_public_key() -> str | None:
    import json

    from tongban.licences import pki

    path = pki.paths().platform_sm2_key
    if not path.exists():
        return None
    return str(json.loads(path.read_text())["public_key"])


def _batches(values: list[Any]) -> Iterable[list[Any]]:
    for start in range(0, len(values), BATCH):
        yield values[start : start + BATCH]


def _sequence_heads(model: Any, key: str, after: int, upto: int) -> dict[str, list[Any]]:
    """{chain id: [seq, digest]} for every chain with a row in (after, upto]."""
    changed = sorted(
        set(model.objects.filter(id__gt=after, id__lte=upto).values_list(key, flat=True))
    )
    heads: dict[str, list[Any]] = {}
    for chunk in _batches(changed):
        tops = (
            model.objects.filter(**{f"{key}__in": chunk}, id__lte=upto)
            .values(key)
            .annotate(top=Max("seq"))
        )
        wanted = {(row[key], row["top"]) for row in tops}
        rows = model.objects.filter(**{f"{key}__in": chunk}, id__lte=upto).filter(
            seq__in={top for _, top in wanted}
        )
        for chain, seq, digest in rows.values_list(key, "seq", "digest"):
            if (chain, seq) in wanted:
                heads[str(chain)] = [seq, digest]
    return heads


def _audit_heads(after: int, upto: int) -> dict[str, list[Any]]:
    changed = sorted(
        set(
            AuditEvent.objects.filter(id__gt=after, id__lte=upto).values_list(
                "object_type", "object_id"
            )
        )
    )
    heads: dict[str, list[Any]] = {}
    for object_type, object_id in changed:
        rows = AuditEvent.objects.filter(
            object_type=object_type, object_id=object_id, id__lte=upto
        ).order_by("id")
        count = rows.count()
        last = rows.values_list("digest", flat=True).last()
        heads[f"{object_type}:{object_id}"] = [count, last]
    return heads


def sign_heads() -> Checkpoint | None:
    """Append a checkpoint for every chain that grew since the last one; None when nothing
    changed. Rows committed later with a smaller id (PostgreSQL hands out ids before
    commit) are not lost: their chain is covered by the next checkpoint after it grows."""
    from tongban.licences import sm2

    private_hex, public_hex = platform_key()
    with transaction.atomic():
        previous = Checkpoint.objects.select_for_update().order_by("-id").first()
        after = previous.last_ids if previous else {"case": 0, "rating": 0, "audit": 0}
        upto = {
            "case": CaseEvent.objects.aggregate(m=Max("id"))["m"] or 0,
            "rating": RatingEvent.objects.aggregate(m=Max("id"))["m"] or 0,
            "audit": AuditEvent.objects.aggregate(m=Max("id"))["m"] or 0,
        }
        if upto == after:
            return None
        heads = {
            "case": _sequence_heads(CaseEvent, "case_id", after["case"], upto["case"]),
            "rating": _sequence_heads(RatingEvent, "rating_id", after["rating"], upto["rating"]),
            "audit": _audit_heads(after["audit"], upto["audit"]),
        }
        row = Checkpoint(
            at=timezone.now(),
            prev_digest=previous.digest if previous else "",
            heads=heads,
            last_ids=upto,
            key_id=sm2.key_id(public_hex),
            public_key=public_hex,
        )
        row.digest = sm3_hex(canonical(checkpoint_content(row)))
        row.signature = sm2.sign(private_hex, public_hex, row.digest.encode("ascii")).hex()
        row.save()
        return row
