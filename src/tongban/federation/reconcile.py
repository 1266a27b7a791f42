"""Statistics reconciliation across nodes (issue 13 §7, ADR 0133).

For every cross-node agreement (a party of it served here, another by a peer) each node
counts, per day, the cases of that agreement that crossed between it and the peer:

- `sent`: cases this node transferred to the peer (its `case.transfer` messages, queued
  whether or not delivered), on the day the message was written;
- `received`: cases the peer transferred here and this node applied (the replica
  exists), on the day the *sender* wrote the message (the `created` claim), so both
  sides put a case on the same day whatever the delivery delay or clock skew;
- `accepted`: cases accepted (受理, with or without a commitment) by the handling leg;
- `completed`: cases completed (办结) by the handling leg.

Accepted and completed are written by the node owning the handling leg and replicated to
the other (ADR 0112), so both nodes count the same events, on the day of the event's own
time. Days are China Standard Time on both nodes, whatever their TIME_ZONE.

Each node sends its figures as a signed `stats.reconcile` message (per peer and
agreement, the last `TONGBAN_FEDERATION_RECONCILE_DAYS` days), periodically from
`tongban run-worker` and on demand (`tongban federation reconcile`). A figure is the set
of case numbers, not a count: a difference names the cases. The receiver keeps the
peer's figures beside its own, recounted at that moment (`ReconcileDay`); our `sent` is
compared with their `received` and so on (`MIRROR`)."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.db import IntegrityError, transaction
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from tongban.accounts.models import User
from tongban.agreements.models import Agreement, AgreementParty
from tongban.agreements.selectors import agreements_in_force
from tongban.core.audit import record_audit
from tongban.core.errors import Forbidden
from tongban.federation import agreements as fed_agreements
from tongban.federation import errors
from tongban.federation.handlers import register
from tongban.federation.models import (
    AgreementCheck,
    InboundMessage,
    OutboundMessage,
    ReconcileDay,
    ReplicatedCaseEvent,
)

logger = logging.getLogger("tongban.federation")

KIND = "stats.reconcile"
TRANSFER_KIND = "case.transfer"  # replication.TRANSFER_KIND (not imported: no cycle)
MEASURES = ("sent", "received", "accepted", "completed")
# the peer's name for the figure that must equal ours
MIRROR = {"sent": "received", "received": "sent", "accepted": "accepted", "completed": "completed"}
ACCEPT_ACTIONS = ("accept", "accept_with_commitment")
COMPLETED_STATUS = "completed"
# China has one civil time: both nodes cut days there, whatever their own settings
DAY_ZONE = ZoneInfo("Asia/Shanghai")
MAX_DAYS = 31
# per measure and day: a bounded message (case numbers are ≤ 32 characters)
MAX_NUMBERS = 20_000

Figures = dict[str, list[str]]


def window_days() -> int:
    return max(1, min(MAX_DAYS, int(getattr(settings, "TONGBAN_FEDERATION_RECONCILE_DAYS", 7))))


def today() -> dt.date:
    return timezone.now().astimezone(DAY_ZONE).date()


def _bounds(first: dt.date, last: dt.date) -> tuple[dt.datetime, dt.datetime]:
    start = dt.datetime.combine(first, dt.time.min, DAY_ZONE)
    return start, dt.datetime.combine(last + dt.timedelta(days=1), dt.time.min, DAY_ZONE)


def _day(moment: dt.datetime) -> dt.date:
    return moment.astimezone(DAY_ZONE).date()


# ---- counting ---------------------------------------------------------------------------


def own_figures(
    peer: str, code: str, version: int, first: dt.date, last: dt.date
) -> dict[dt.date, Figures]:
    """This node's figures towards `peer` under agreement (code, version), every day of
    [first, last] (empty days included: zero is a statement too)."""
    start, end = _bounds(first, last)
    buckets: dict[dt.date, dict[str, set[str]]] = {}
    day = first
    while day <= last:
        buckets[day] = {measure: set() for measure in MEASURES}
        day += dt.timedelta(days=1)

    def add(measure: str, rows: Iterable[tuple[str, dt.datetime]]) -> None:
        for number, moment in rows:
            bucket = buckets.get(_day(moment))
            if bucket is not None:
                bucket[measure].add(number)

    agreement = {"agreement_code": code, "agreement_version": version}
    sent = OutboundMessage.objects.filter(kind=TRANSFER_KIND, peer=peer, **agreement)
    received = InboundMessage.objects.filter(
        kind=TRANSFER_KIND, peer=peer, state=InboundMessage.State.APPLIED, **agreement
    )
    add(
        "sent",
        sent.filter(created_at__gte=start, created_at__lt=end).values_list(
            "case_ref", "created_at"
        ),
    )
    add(
        "received",
        received.filter(created_at__gte=start, created_at__lt=end).values_list(
            "case_ref", "created_at"
        ),
    )
    crossed = Q(case_ref__in=sent.values("case_ref")) | Q(case_ref__in=received.values("case_ref"))
    # the handling leg's moves: our own events when we handle, the peer's copies otherwise
    from tongban.cases.models import CaseEvent

    own = CaseEvent.objects.filter(
        Q(case__number__in=sent.values("case_ref"))
        | Q(case__number__in=received.values("case_ref")),
        at__gte=start,
        at__lt=end,
    )
    copied = ReplicatedCaseEvent.objects.filter(crossed, peer=peer, at__gte=start, at__lt=end)
    for measure, moves in (
        ("accepted", Q(action__in=ACCEPT_ACTIONS)),
        ("completed", Q(to_status=COMPLETED_STATUS)),
    ):
        add(measure, own.filter(moves).values_list("case__number", "at"))
        add(measure, copied.filter(moves).values_list("case_ref", "at"))
    return {
        day: {measure: sorted(numbers) for measure, numbers in figures.items()}
        for day, figures in buckets.items()
    }


@dataclass(frozen=True)
class Pairing:
    """A cross-node agreement with one peer, and the jurisdiction this node speaks for."""

    agreement: Agreement
    peer: str
    jurisdiction: str


def pairings(peer: str | None = None) -> list[Pairing]:
    """Every (agreement in force, peer) where a party is served here and another there."""
    from tongban.federation.node import this_node
    from tongban.federation.trust import current_trust_list

    trust_list = current_trust_list()
    me = this_node(trust_list)
    found = []
    for agreement in agreements_in_force(today()).order_by("code", "version"):
        parties = sorted(agreement.parties.values_list("jurisdiction__code", flat=True))
        mine = [code for code in parties if code in me.jurisdictions]
        if not mine:
            continue
        peers = set()
        for code in parties:
            node = None if code in me.jurisdictions else trust_list.node_serving(code)
            if node is not None and node.code != me.code:
                peers.add(node.code)
        for code in sorted(peers):
            if peer is None or code == peer:
                found.append(Pairing(agreement, code, mine[0]))
    return found


def _row(peer: str, code: str, version: int, day: dt.date, now: dt.datetime) -> ReconcileDay:
    """The day's row, created if missing, locked for the rest of the transaction."""
    try:
        with transaction.atomic():
            ReconcileDay.objects.get_or_create(
                peer=peer,
                agreement_code=code,
                agreement_version=version,
                day=day,
                defaults={"own": {}, "own_at": now},
            )
    except IntegrityError:
        pass  # made meanwhile by a concurrent transaction
    return ReconcileDay.objects.select_for_update().get(
        peer=peer, agreement_code=code, agreement_version=version, day=day
    )


def _store_own(
    peer: str, code: str, version: int, figures: dict[dt.date, Figures], now: dt.datetime
) -> None:
    for day, own in figures.items():
        row = _row(peer, code, version, day, now)
        row.own, row.own_at = own, now
        row.save(update_fields=["own", "own_at"])


# ---- sending ----------------------------------------------------------------------------


@dataclass(frozen=True)
class SendResult:
    queued: list[str]  # "peer agreement vN"
    unconfirmed: list[str]  # no confirmed agreement check with that peer: nothing sent


def send_reports(
    actor: User | AnonymousUser | None = None, *, peer: str | None = None, days: int | None = None
) -> SendResult:
    """Count, keep and queue this node's figures for every cross-node agreement (or one
    peer's), one transaction and one signed message per peer and agreement. The delivery
    worker sends them like every other message (at least once; the receiver keeps the
    newest report per day)."""
    from tongban.federation.actions import enqueue_message

    span = max(1, min(MAX_DAYS, days or window_days()))
    last = today()
    first = last - dt.timedelta(days=span - 1)
    queued, unconfirmed = [], []
    for pairing in pairings(peer):
        agreement = pairing.agreement
        label = f"{pairing.peer} {agreement.code} v{agreement.version}"
        confirmed = AgreementCheck.objects.filter(
            peer=pairing.peer,
            agreement_code=agreement.code,
            agreement_version=agreement.version,
            fingerprint=fed_agreements.fingerprint(agreement),
            agreed=True,
        ).exists()
        if not confirmed:
            unconfirmed.append(label)
            continue
        now = timezone.now()
        with transaction.atomic():
            figures = own_figures(pairing.peer, agreement.code, agreement.version, first, last)
            _store_own(pairing.peer, agreement.code, agreement.version, figures, now)
            enqueue_message(
                peer=pairing.peer,
                kind=KIND,
                jurisdiction=pairing.jurisdiction,
                agreement=agreement,
                body={
                    "from": first.isoformat(),
                    "to": last.isoformat(),
                    "days": [{"day": day.isoformat(), **own} for day, own in figures.items()],
                },
            )
            if actor is not None:
                record_audit(
                    actor,
                    "federation.reconcile",
                    agreement,
                    f"→{pairing.peer}",
                    {"peer": pairing.peer, "from": first.isoformat(), "to": last.isoformat()},
                )
        queued.append(label)
    return SendResult(queued, unconfirmed)


# ---- receiving --------------------------------------------------------------------------


def _parse_report(body: Any) -> dict[dt.date, Figures]:
    """The report's days, or `malformed_message` (400): what a forged or broken body
    gets, before anything is stored."""
    if not isinstance(body, dict) or not isinstance(body.get("days"), list):
        raise errors.malformed_message("stats.reconcile: body.days must be a list")
    entries = body["days"]
    if not 1 <= len(entries) <= MAX_DAYS:
        raise errors.malformed_message(f"stats.reconcile: 1 to {MAX_DAYS} days")
    report: dict[dt.date, Figures] = {}
    for entry in entries:
        if not isinstance(entry, dict):
            raise errors.malformed_message("stats.reconcile: a day must be an object")
        try:
            day = dt.date.fromisoformat(str(entry.get("day")))
        except ValueError:
            raise errors.malformed_message("stats.reconcile: day must be YYYY-MM-DD") from None
        if day in report:
            raise errors.malformed_message("stats.reconcile: a day appears twice")
        figures: Figures = {}
        for measure in MEASURES:
            numbers = entry.get(measure)
            if (
                not isinstance(numbers, list)
                or len(numbers) > MAX_NUMBERS
                or not all(isinstance(n, str) and 0 < len(n) <= 32 for n in numbers)
            ):
                raise errors.malformed_message(
                    f"stats.reconcile: {measure} must be a list of case numbers"
                )
            figures[measure] = sorted(set(numbers))
        report[day] = figures
    if max(report) - min(report) >= dt.timedelta(days=MAX_DAYS):
        raise errors.malformed_message(f"stats.reconcile: at most {MAX_DAYS} days apart")
    return report


def not_a_party(node: str, jurisdiction: str, code: str) -> Forbidden:
    return Forbidden(
        _("%(jurisdiction)s (node %(node)s) is not a party to agreement %(code)s."),
        code="not_a_party",
        params={"jurisdiction": jurisdiction, "node": node, "code": code},
    )


@register(KIND)
def _apply_report(message: InboundMessage) -> None:
    """Keep the peer's figures beside ours, recounted now. The envelope checks (signature,
    sender serves the jurisdiction, agreement identical) have passed; here: the message
    names an agreement, the jurisdiction is a party to it, the body is well formed. A
    report older than the one kept for a day does not replace it (reports travel outside
    any case sequence, so they may arrive out of order)."""
    if not message.agreement_code or message.agreement_version is None:
        raise errors.malformed_message("stats.reconcile must name its agreement")
    report = _parse_report(message.body)
    if not AgreementParty.objects.filter(
        agreement__code=message.agreement_code,
        agreement__version=message.agreement_version,
        jurisdiction__code=message.jurisdiction,
    ).exists():
        raise not_a_party(message.peer, message.jurisdiction, message.agreement_code)
    now = timezone.now()
    code, version = message.agreement_code, message.agreement_version
    own = own_figures(message.peer, code, version, min(report), max(report))
    for day, theirs in report.items():
        row = _row(message.peer, code, version, day, now)
        row.own, row.own_at = own[day], now
        if row.theirs_at is None or row.theirs_at <= message.created_at:
            row.theirs, row.theirs_at = theirs, message.created_at
            row.theirs_message = message.message_id
        row.save()
    logger.info(
        "federation: reconciliation from %s for %s v%s, %s to %s",
        message.peer,
        code,
        version,
        min(report),
        max(report),
    )


# ---- reading ----------------------------------------------------------------------------


def compare(row: ReconcileDay) -> dict[str, Any]:
    """One day with one peer: both sides' counts, and per measure the case numbers only
    one side has (our `sent` against their `received`, ...). `matched` is None while the
    peer has not reported the day."""
    ours = {measure: list(row.own.get(measure, [])) for measure in MEASURES}
    theirs = (
        {measure: list(row.theirs.get(measure, [])) for measure in MEASURES}
        if row.theirs is not None
        else None
    )
    differences = []
    if theirs is not None:
        for measure in MEASURES:
            here, there = set(ours[measure]), set(theirs[MIRROR[measure]])
            if here != there:
                differences.append(
                    {
                        "measure": measure,
                        "peer_measure": MIRROR[measure],
                        "only_here": sorted(here - there),
                        "only_there": sorted(there - here),
                    }
                )
    return {
        "day": row.day,
        "peer": row.peer,
        "ours": {measure: len(ours[measure]) for measure in MEASURES},
        "theirs": None
        if theirs is None
        else {measure: len(theirs[MIRROR[measure]]) for measure in MEASURES},
        "own_at": row.own_at,
        "theirs_at": row.theirs_at,
        "matched": None if theirs is None else not differences,
        "differences": differences,
    }


def _undelivered(peer: str, numbers: set[str]) -> dict[str, str]:
    """Our transfers of `numbers` to `peer` not yet acknowledged, with their state: the
    usual reason a peer has not received a case we sent."""
    if not numbers:
        return {}
    return dict(
        OutboundMessage.objects.filter(kind=TRANSFER_KIND, peer=peer, case_ref__in=numbers)
        .exclude(state=OutboundMessage.State.DELIVERED)
        .values_list("case_ref", "state")
    )


def _rows(code: str, version: int, first: dt.date) -> QuerySet[ReconcileDay]:
    return ReconcileDay.objects.filter(
        agreement_code=code, agreement_version=version, day__gte=first
    ).order_by("peer", "-day")


def agreement_reconciliation(
    user: User | AnonymousUser, agreement_id: int, days: int | None = None
) -> dict[str, Any]:
    """Both sides' figures of one agreement, per peer and day, newest first. Read through
    the statistics scope of agreements (stats.selectors.readable_agreement): 401 for
    nobody, 403 without a statistics role, 404 for an agreement none of the caller's
    jurisdictions is party to."""
    from tongban.stats.selectors import readable_agreement

    agreement = readable_agreement(user, agreement_id)
    span = max(1, min(MAX_DAYS, days or window_days()))
    first = today() - dt.timedelta(days=span - 1)
    entries = []
    for row in _rows(agreement.code, agreement.version, first):
        entry = compare(row)
        sent_missing = {
            number
            for difference in entry["differences"]
            if difference["measure"] == "sent"
            for number in difference["only_here"]
        }
        entry["undelivered"] = _undelivered(row.peer, sent_missing)
        entries.append(entry)
    return {
        "agreement": {
            "id": agreement.pk,
            "code": agreement.code,
            "version": agreement.version,
            "title": agreement.title,
        },
        "node": getattr(settings, "TONGBAN_NODE_CODE", "") or "",
        "from": first,
        "to": today(),
        "days": entries,
        "mismatched_days": sum(1 for entry in entries if entry["matched"] is False),
        "unreported_days": sum(1 for entry in entries if entry["matched"] is None),
    }


def status_by_agreement(ids: Iterable[int]) -> dict[int, dict[str, int]]:
    """Of the agreements `ids` (already read through the caller's scope), those with
    reconciliation figures here: per agreement, the days compared over the window, those
    that differ and those the peer has not reported (the dashboard's list)."""
    first = today() - dt.timedelta(days=window_days() - 1)
    keys = {
        (code, version): pk
        for pk, code, version in Agreement.objects.filter(pk__in=list(ids)).values_list(
            "pk", "code", "version"
        )
    }
    found: dict[int, dict[str, int]] = {}
    rows = ReconcileDay.objects.filter(
        agreement_code__in={code for code, _version in keys}, day__gte=first
    )
    for row in rows:
        pk = keys.get((row.agreement_code, row.agreement_version))
        if pk is None:
            continue
        entry = found.setdefault(pk, {"days": 0, "mismatched": 0, "unreported": 0})
        matched = compare(row)["matched"]
        entry["days"] += 1
        entry["mismatched"] += matched is False
        entry["unreported"] += matched is None
    return found


@dataclass(frozen=True)
class PeerReconciliation:
    peer: str
    last_report_at: dt.datetime | None
    days: int
    mismatched_days: int
    unreported_days: int


def peer_reconciliation() -> dict[str, PeerReconciliation]:
    """Per peer, over the window: days compared, days that differ, days the peer has not
    reported, and when its newest report was written (the operations page)."""
    first = today() - dt.timedelta(days=window_days() - 1)
    found: dict[str, dict[str, Any]] = {}
    for row in ReconcileDay.objects.filter(day__gte=first).order_by("peer"):
        entry = found.setdefault(
            row.peer, {"last": None, "days": 0, "mismatched": 0, "unreported": 0}
        )
        matched = compare(row)["matched"]
        entry["days"] += 1
        entry["mismatched"] += matched is False
        entry["unreported"] += matched is None
        if row.theirs_at is not None and (entry["last"] is None or row.theirs_at > entry["last"]):
            entry["last"] = row.theirs_at
    return {
        peer: PeerReconciliation(
            peer, entry["last"], entry["days"], entry["mismatched"], entry["unreported"]
        )
        for peer, entry in found.items()
    }
