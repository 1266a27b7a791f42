from __future__ import annotations

from typing import Any

from django.db import models
from django.utils import timezone

from tongban.core.chain import timestamp


class Checkpoint(models.Model):
    """A signed statement of the history's chain heads at a moment (ADR 0092): for every
    chain that grew since the previous checkpoint, its length and newest digest. Signed
    with the platform's SM2 key; each checkpoint also commits to the one before it.
    Deleting the newest events of a case, which leaves a shorter but intact chain, is
    found by comparing with the heads signed here."""

    at = models.DateTimeField("签署时间", default=timezone.now, db_index=True)
    prev_digest = models.CharField("前一检查点摘要(SM3)", max_length=64, blank=True)
    # {"case": {"<case id>": [seq, digest]}, "rating": {...}, "audit": {"type:id": [n, digest]}}
    heads = models.JSONField("链头")
    # the largest row id of each history table this checkpoint looked at
    last_ids = models.JSONField("已覆盖的最大记录号")
    digest = models.CharField("摘要(SM3)", max_length=64)
    key_id = models.CharField("签名密钥标识", max_length=64)
    public_key = models.CharField("签名公钥(SM2)", max_length=130)
    signature = models.CharField("签名(SM2,十六进制)", max_length=128)

    class Meta:
        verbose_name = "历史检查点"
        verbose_name_plural = "历史检查点"
        ordering = ["-id"]

    def __str__(self) -> str:
        return f"#{self.pk} {self.at:%Y-%m-%d %H:%M}"


def checkpoint_content(row: Any) -> dict[str, Any]:
    return {
        "at": timestamp(row.at),
        "prev_digest": row.prev_digest,
        "heads": row.heads,
        "last_ids": row.last_ids,
        "key_id": row.key_id,
        "public_key": row.public_key,
    }
