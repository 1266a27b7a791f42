"""The demo's service hall (issue 14): opening hours with 错时延时 for every centre, the
ticket lines A 跨域通办 and B 综合受理, and one day of bookings and tickets at the 东湖 and
黄州 centres — the last working day before the seed (served, waited, skipped, booked and
missed), plus bookings for the next working day, so the day list, the reminder job and
the dashboard's hall figures have something to show. Written with the ORM (a day of
history is generated, not lived through the actions) but with an audit row per ticket
and booking, which is what `refresh-stats` folds. Idempotent: a centre that already has
tickets is left alone."""

from __future__ import annotations

import datetime as dt
import random
from typing import Any

from django.utils import timezone

from tongban.accounts.models import Applicant
from tongban.catalog.models import ServiceItem
from tongban.centres.models import OpeningHours, ServiceCentre, Window
from tongban.core.audit import record_audit
from tongban.hall import selectors
from tongban.hall.models import Appointment, BusinessLine, Ticket
from tongban.regions.calendar import calendar_for

HALL_DAY_CENTRES = ("420100Z01", "421102")
# 错时延时 of each jurisdiction (the text of data.JURISDICTIONS' extended_hours as rows)
WEEKEND_ALL_DAY = {"420100Z01"}  # 周六、周日 9:00-17:00
EVENING = {"421102"}  # 延时服务至 19:00
LINES = (("A", "跨域通办", ("K01", "D01")), ("B", "综合受理", ("D01",)))


def _t(hour: int, minute: int = 0) -> dt.time:
    return dt.time(hour, minute)


def _hours(centre: ServiceCentre, code: str) -> list[OpeningHours]:
    rows = []
    for weekday in range(5):
        rows += [
            OpeningHours(centre=centre, weekday=weekday, opens=_t(9), closes=_t(12)),
            OpeningHours(centre=centre, weekday=weekday, opens=_t(13, 30), closes=_t(17, 30)),
            OpeningHours(
                centre=centre, weekday=weekday, kind="lunch", opens=_t(12), closes=_t(13, 30)
            ),
        ]
        if code in EVENING:
            rows.append(
                OpeningHours(
                    centre=centre, weekday=weekday, kind="evening", opens=_t(17, 30), closes=_t(19)
                )
            )
    weekend = (5, 6) if code in WEEKEND_ALL_DAY else (5,)
    closes = _t(17) if code in WEEKEND_ALL_DAY else _t(12)
    rows += [
        OpeningHours(centre=centre, weekday=d, kind="weekend", opens=_t(9), closes=closes)
        for d in weekend
    ]
    return rows


def build_hall(report: Any) -> None:
    for centre in ServiceCentre.objects.select_related("jurisdiction").order_by("pk"):
        code = centre.jurisdiction.code
        if not OpeningHours.objects.filter(centre=centre).exists():
            OpeningHours.objects.bulk_create(_hours(centre, code))
            report.count("opening_hours", "created")
        else:
            report.count("opening_hours", "unchanged")
        windows = {w.code: w for w in Window.objects.filter(centre=centre)}
        for position, (prefix, name, window_codes) in enumerate(LINES, start=1):
            line, created = BusinessLine.objects.get_or_create(
                centre=centre, prefix=prefix, defaults={"name": name, "position": position}
            )
            if created:
                line.windows.add(*(windows[c] for c in window_codes if c in windows))
            report.count("business_line", "created" if created else "unchanged")
        if code in HALL_DAY_CENTRES:
            if Ticket.objects.filter(centre=centre).exists():
                report.count("hall_day", "unchanged")
            else:
                _hall_day(centre, random.Random(code))
                report.count("hall_day", "created")


def _working_day(centre: ServiceCentre, start: dt.date, step: int) -> dt.date:
    calendar = calendar_for(centre.jurisdiction)
    day = start + dt.timedelta(days=step)
    while not calendar.is_working_day(day):
        day += dt.timedelta(days=step)
    return day


def _at(day: dt.date, time: dt.time) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, time))


def _items(centre: ServiceCentre, day: dt.date) -> list[ServiceItem]:
    preferred = ["ITEM-HUKOU-MIGRATION", "ITEM-DRIVING-LICENCE", "ITEM-MARRIAGE"]
    found = [
        item
        for item in ServiceItem.objects.filter(code__in=preferred).order_by("code")
        if selectors.receivable(item, centre, day)
    ]
    return found or list(ServiceItem.objects.order_by("code")[:3])


def _hall_day(centre: ServiceCentre, rng: random.Random) -> None:
    today = timezone.localdate()
    day = _working_day(centre, today, -1)
    upcoming = _working_day(centre, today, 1)
    items = _items(centre, day)
    applicants = list(Applicant.objects.filter(kind="person").order_by("pk")[:12])
    lines = {line.prefix: line for line in BusinessLine.objects.filter(centre=centre)}
    windows = {w.code: w for w in Window.objects.filter(centre=centre)}
    counter = {prefix: 0 for prefix in lines}
    if not applicants or not items or not lines:
        return

    def ticket(prefix: str, taken: dt.datetime, **fields: Any) -> Ticket:
        counter[prefix] += 1
        number = counter[prefix]
        wait = dt.timedelta(minutes=rng.randint(3, 25))
        service = dt.timedelta(minutes=rng.randint(5, 20))
        skipped = rng.random() < 0.05
        window = windows["K01" if prefix == "A" and rng.random() < 0.6 else "D01"]
        called = taken + (dt.timedelta(minutes=2) if fields.get("appointment") else wait)
        made = Ticket.objects.create(
            centre=centre,
            line=lines[prefix],
            day=day,
            number=number,
            code=f"{prefix}{number:03d}",
            taken_at=taken,
            status="skipped" if skipped else "done",
            window=window,
            first_called_at=called,
            called_at=called,
            call_count=2 if skipped else 1,
            finished_at=called + (dt.timedelta(minutes=1) if skipped else service),
            **fields,
        )
        record_audit(None, "hall.seed", made, f"演示数据 {made.code}")
        return made

    slots = [_t(9), _t(9, 30), _t(10), _t(10, 30), _t(11), _t(14), _t(14, 30), _t(15), _t(16)]
    k01 = windows["K01"]
    for index, starts in enumerate(slots):
        applicant = applicants[index % len(applicants)]
        ends = (dt.datetime.combine(day, starts) + dt.timedelta(minutes=30)).time()
        missed = index in (3, 7)
        booking = Appointment.objects.create(
            applicant=applicant,
            item=items[index % len(items)],
            centre=centre,
            window=k01,
            day=day,
            starts=starts,
            ends=ends,
            status="no_show" if missed else "checked_in",
            channel="web",
            reminded_at=_at(day - dt.timedelta(days=1), _t(18)),
        )
        record_audit(None, "hall.seed", booking, "演示预约")
        if not missed:
            taken = _at(day, starts) - dt.timedelta(minutes=rng.randint(1, 10))
            booking.checked_in_at = taken
            booking.save(update_fields=["checked_in_at"])
            ticket(
                "A",
                taken,
                source="check_in",
                appointment=booking,
                applicant=applicant,
                item=booking.item,
                slot_starts=starts,
                slot_ends=ends,
            )
    minute = 0
    while minute < 8 * 60:  # 9:00 to 17:00, a walk-in every few minutes
        moment = dt.datetime.combine(day, _t(9)) + dt.timedelta(minutes=minute)
        prefix = "A" if rng.random() < 0.7 else "B"
        ticket(prefix, timezone.make_aware(moment), source="kiosk")
        minute += rng.randint(4, 14)
    for index, starts in enumerate(slots[:6]):
        ends = (dt.datetime.combine(upcoming, starts) + dt.timedelta(minutes=30)).time()
        item = items[index % len(items)]
        # one active booking per person and item: the first person free for this item
        busy = set(
            Appointment.objects.filter(item=item, status="booked").values_list(
                "applicant_id", flat=True
            )
        )
        free = [a for a in applicants if a.pk not in busy]
        if not free:
            continue
        applicant = free[index % len(free)]
        booking = Appointment.objects.create(
            applicant=applicant,
            item=item,
            centre=centre,
            window=k01,
            day=upcoming,
            starts=starts,
            ends=ends,
            status="booked",
            channel="web",
        )
        record_audit(None, "hall.seed", booking, "演示预约")
