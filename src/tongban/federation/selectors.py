"""Reads of the federation: the operations overview per peer."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db.models import Count, Min, Q

from tongban.federation.models import InboundMessage, OutboundMessage, PeerStatus, RejectedMessage
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
    # a message stuck here shows as an old queued one; one stuck at the peer's end as
    # messages we hold waiting for their predecessors
    oldest_pending_at: dt.datetime | None = None
    held_from_peer: int = 0
    refused_from_peer: int = 0


def peer_overview() -> list[PeerRow]:
    """Every peer of the trust list with its queue depth and delivery health."""
    trust_list = current_trust_list()
    counts: dict[str, dict[str, Any]] = {
        row["peer"]: dict(row)
        for row in OutboundMessage.objects.values("peer").annotate(
            pending=Count("id", filter=Q(state=OutboundMessage.State.PENDING)),
            refused=Count("id", filter=Q(state=OutboundMessage.State.REFUSED)),
            delivered=Count("id", filter=Q(state=OutboundMessage.State.DELIVERED)),
            oldest_pending_at=Min("created_at", filter=Q(state=OutboundMessage.State.PENDING)),
        )
    }
    held = dict(
        InboundMessage.objects.filter(state=InboundMessage.State.HELD)
        .values("peer")
        .annotate(n=Count("id"))
        .values_list("peer", "n")
    )
    rejected = dict(
        RejectedMessage.objects.values("claimed_peer")
        .annotate(n=Count("id"))
        .values_list("claimed_peer", "n")
    )
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
                oldest_pending_at=count.get("oldest_pending_at"),
                held_from_peer=held.get(node.code, 0),
                refused_from_peer=rejected.get(node.code, 0),
            )
        )
    return rows


@dataclass(frozen=True)
class TimelineEntry:
    at: dt.datetime
    node: str
    action: str
    from_status: str
    to_status: str
    actor_role: str
    actor_jurisdiction: str
    reason: str


def case_timeline(case: Any) -> list[TimelineEntry]:
    """One timeline of a case whose legs sit on two nodes: this node's own events and the
    events the peer replicated (ReplicatedCaseEvent), by time. The caller has already
    read `case` through a scoped selector (cases.selectors)."""
    from tongban.federation.models import ReplicatedCaseEvent

    own = settings.TONGBAN_NODE_CODE or "local"
    entries = [
        TimelineEntry(
            at=event.at,
            node=own,
            action=event.action,
            from_status=event.from_status,
            to_status=event.to_status,
            actor_role=event.actor_role,
            actor_jurisdiction=event.actor_jurisdiction.code if event.actor_jurisdiction else "",
            reason=event.reason,
        )
        for event in case.events.select_related("actor_jurisdiction").order_by("seq")
    ]
    entries += [
        TimelineEntry(
            at=row.at,
            node=row.peer,
            action=row.action,
            from_status=row.from_status,
            to_status=row.to_status,
            actor_role=row.actor_role,
            actor_jurisdiction=row.actor_jurisdiction,
            reason=row.reason,
        )
        for row in ReplicatedCaseEvent.objects.filter(case_ref=case.number)
    ]
    return sorted(entries, key=lambda entry: entry.at)
