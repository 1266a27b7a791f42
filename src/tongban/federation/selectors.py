"""Reads of the federation: the operations overview per peer."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db.models import Count, Q

from tongban.federation.models import OutboundMessage, PeerStatus
from tongban.federation.trust import current_trust_list


@dataclass(frozen=True)
class PeerRow:
    code: str
    name: str
    base_url: str
    pending: int
    refused: int
    delivered: int
    last_success_at: dt.datetime | None
    last_failure_at: dt.datetime | None
    consecutive_failures: int
    last_error: str


def peer_overview() -> list[PeerRow]:
    """Every peer of the trust list with its queue depth and delivery health."""
    trust_list = current_trust_list()
    counts: dict[str, dict[str, Any]] = {
        row["peer"]: dict(row)
        for row in OutboundMessage.objects.values("peer").annotate(
            pending=Count("id", filter=Q(state=OutboundMessage.State.PENDING)),
            refused=Count("id", filter=Q(state=OutboundMessage.State.REFUSED)),
            delivered=Count("id", filter=Q(state=OutboundMessage.State.DELIVERED)),
        )
    }
    statuses = {s.peer: s for s in PeerStatus.objects.all()}
    rows = []
    for node in sorted(trust_list.nodes.values(), key=lambda n: n.code):
        if node.code == settings.TONGBAN_NODE_CODE:
            continue
        count = counts.get(node.code, {})
        status = statuses.get(node.code)
        rows.append(
            PeerRow(
                code=node.code,
                name=node.name,
                base_url=node.base_url,
                pending=count.get("pending", 0),
                refused=count.get("refused", 0),
                delivered=count.get("delivered", 0),
                last_success_at=status.last_success_at if status else None,
                last_failure_at=status.last_failure_at if status else None,
                consecutive_failures=status.consecutive_failures if status else 0,
                last_error=status.last_error if status else "",
            )
        )
    return rows
