"""Statistics of the service hall (issue 14, ADR 0110): waiting and service times per
centre, window, business line and hour; bookings kept and missed.

Refresh: the hall's actions leave an append-only audit row for every change to a ticket
or an appointment (`hall.*`); `tongban refresh-stats` reads new audit rows like the other
event sources and rebuilds the counts of every (centre, day) they touch from the tickets
and appointments themselves — a day of one hall is small, and a rebuild cannot drift."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from typing import Any

from django.contrib.auth.models import AnonymousUser
from django.db import transaction
from django.db.models import QuerySet, Sum
from django.utils import timezone

from tongban.accounts.models import User
from tongban.centres.models import ServiceCentre, Window
from tongban.hall.models import Appointment, BusinessLine, Ticket
from tongban.stats.models import HallBookingCount, HallQueueCount
from tongban.stats.selectors import (
    StatsFilter,
    _group_list,
    _item_id,
    _labels,
    _period,
    _scoped,
    stats_scope,
)

HALL_OBJECTS: dict[str, type[Ticket] | type[Appointment]] = {
    "hall.ticket": Ticket,
    "hall.appointment": Appointment,
}
QUEUE_MEASURES = (
    "tickets",
    "booked",
    "called",
    "served",
    "skipped",
    "wait_seconds",
    "service_seconds",
)
BOOKING_MEASURES = ("bookings", "kept", "missed", "cancelled")
HALL_FIELDS = {"receiving": "jurisdiction_id", "handling": "jurisdiction_id"}
QUEUE_GROUPS = {
    "month": "month",
    "jurisdiction": "jurisdiction_id",
    "centre": "centre_id",
    "window": "window_id",
    "line": "line_id",
    "hour": "hour",
}
BOOKING_GROUPS = {
    "month": "month",
    "jurisdiction": "jurisdiction_id",
    "centre": "centre_id",
    "item": "item_id",
}


# -- refresh ---------------------------------------------------------------------------------


def touched_days(events: list[tuple[Any, ...]]) -> set[tuple[int, dt.date]]:
    """(centre id, day) of the tickets and appointments named by hall audit rows
    (`id, action, object_type, object_id`)."""
    ids: dict[str, set[int]] = defaultdict(set)
    for _id, action, object_type, object_id in events:
        if action.startswith("hall.") and object_type in HALL_OBJECTS and object_id.isdigit():
            ids[object_type].add(int(object_id))
    days: set[tuple[int, dt.date]] = set()
    for object_type, pks in ids.items():
        model = HALL_OBJECTS[object_type]
        days |= set(model._default_manager.filter(pk__in=pks).values_list("centre_id", "day"))
    return days


def _seconds(start: dt.datetime | None, end: dt.datetime | None) -> int | None:
    if start is None or end is None:
        return None
    return max(0, int((end - start).total_seconds()))


def rebuild_day(centre_id: int, day: dt.date) -> None:
    centre = ServiceCentre.objects.get(pk=centre_id)
    month = day.replace(day=1)
    zone = timezone.get_current_timezone()
    queue: dict[tuple[int, int, int], dict[str, int]] = {}
    for t in Ticket.objects.filter(centre_id=centre_id, day=day):
        key = (t.window_id or 0, t.line_id, t.taken_at.astimezone(zone).hour)
        row = queue.setdefault(key, dict.fromkeys(QUEUE_MEASURES, 0))
        row["tickets"] += 1
        row["booked"] += int(t.appointment_id is not None)
        waited = _seconds(t.taken_at, t.first_called_at)
        if waited is not None:
            row["called"] += 1
            row["wait_seconds"] += waited
        if t.status == Ticket.Status.DONE:
            served = _seconds(t.first_called_at, t.finished_at)
            if served is not None:
                row["served"] += 1
                row["service_seconds"] += served
        row["skipped"] += int(t.status == Ticket.Status.SKIPPED)
    bookings: dict[int, dict[str, int]] = {}
    for a in Appointment.objects.filter(centre_id=centre_id, day=day):
        row = bookings.setdefault(a.item_id, dict.fromkeys(BOOKING_MEASURES, 0))
        row["bookings"] += 1
        row["kept"] += int(a.status == Appointment.Status.CHECKED_IN)
        row["missed"] += int(a.status == Appointment.Status.NO_SHOW)
        row["cancelled"] += int(a.status == Appointment.Status.CANCELLED)
    common = {"month": month, "day": day, "jurisdiction_id": centre.jurisdiction_id}
    with transaction.atomic():
        HallQueueCount.objects.filter(centre_id=centre_id, day=day).delete()
        HallBookingCount.objects.filter(centre_id=centre_id, day=day).delete()
        HallQueueCount.objects.bulk_create(
            HallQueueCount(
                **common, centre_id=centre_id, window_id=w, line_id=line, hour=hour, **values
            )
            for (w, line, hour), values in queue.items()
        )
        HallBookingCount.objects.bulk_create(
            HallBookingCount(**common, centre_id=centre_id, item_id=item, **values)
            for item, values in bookings.items()
        )


def process_hall_audit(events: list[tuple[Any, ...]]) -> None:
    for centre_id, day in sorted(touched_days(events)):
        rebuild_day(centre_id, day)


# -- reads -----------------------------------------------------------------------------------


def _rows(
    qs: QuerySet, groups: list[str], columns_of: dict[str, str], measures: tuple[str, ...]
) -> tuple[list[dict[str, Any]], dict[str, int]]:
    sums = {m: Sum(m) for m in measures}
    columns = [columns_of[g] for g in groups]
    if columns:
        rows = list(qs.values(*columns).annotate(**sums).order_by(*columns))
        for row in rows:
            for m in measures:
                row[m] = int(row[m] or 0)
        total = {m: sum(row[m] for row in rows) for m in measures}
    else:
        rows = []
        agg = qs.aggregate(**sums)
        total = {m: int(agg[m] or 0) for m in measures}
    return rows, total


def _minutes(seconds: int, count: int) -> float | None:
    return round(seconds / count / 60, 1) if count else None


def _with_averages(row: dict[str, Any]) -> dict[str, Any]:
    row["average_wait_minutes"] = _minutes(row["wait_seconds"], row["called"])
    row["average_service_minutes"] = _minutes(row["service_seconds"], row["served"])
    return row


def _hall_labels(groups: list[str], rows: list[dict[str, Any]]) -> None:
    names: dict[str, dict[int, str]] = {}
    if "centre" in groups:
        names["centre"] = dict(ServiceCentre.objects.values_list("pk", "name"))
    if "window" in groups:
        names["window"] = {
            pk: f"{code} {name}"
            for pk, code, name in Window.objects.values_list("pk", "code", "name")
        }
    if "line" in groups:
        names["line"] = {
            pk: f"{prefix} {name}"
            for pk, prefix, name in BusinessLine.objects.values_list("pk", "prefix", "name")
        }
    for g in groups:
        if g == "hour":
            for row in rows:
                row["hour_label"] = f"{row['hour']:02d}:00"
        elif g in names:
            for row in rows:
                pk = row[QUEUE_GROUPS.get(g) or BOOKING_GROUPS[g]]
                row[g] = pk
                row[f"{g}_label"] = names[g].get(pk, "未叫号" if g == "window" else "")
    standard = [g for g in groups if g in ("month", "jurisdiction", "item")]
    if standard:
        _labels(standard, rows, {**QUEUE_GROUPS, **BOOKING_GROUPS})


def queue_stats(user: User | AnonymousUser, f: StatsFilter, group_by: str | None) -> dict[str, Any]:
    """Tickets, waiting and service times (average minutes) per centre, window, business
    line and hour, for the caller's statistics scope."""
    scope = stats_scope(user)
    groups = _group_list(group_by, QUEUE_GROUPS)
    qs = _period(_scoped(HallQueueCount.objects.all(), scope, f, HALL_FIELDS), f)
    rows, total = _rows(qs, groups, QUEUE_GROUPS, QUEUE_MEASURES)
    for row in rows:
        _with_averages(row)
    _hall_labels(groups, rows)
    return {"group_by": groups, "rows": rows, "total": _with_averages(dict(total))}


def booking_stats(
    user: User | AnonymousUser, f: StatsFilter, group_by: str | None
) -> dict[str, Any]:
    """Bookings kept and missed (爽约) per month, centre and item."""
    scope = stats_scope(user)
    groups = _group_list(group_by, BOOKING_GROUPS)
    qs = _period(_scoped(HallBookingCount.objects.all(), scope, f, HALL_FIELDS), f)
    if f.item:
        qs = qs.filter(item_id=_item_id(f.item))
    rows, total = _rows(qs, groups, BOOKING_GROUPS, BOOKING_MEASURES)
    _hall_labels(groups, rows)
    decided = total["kept"] + total["missed"]
    return {
        "group_by": groups,
        "rows": rows,
        "total": {**total, "kept_rate": round(total["kept"] / decided, 4) if decided else None},
    }


__all__ = ["booking_stats", "process_hall_audit", "queue_stats", "rebuild_day"]
