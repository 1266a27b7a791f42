"""Opening hours as data (办公时间, 错时延时) read against the working-day calendar of the
centre's jurisdiction (regions/calendar.py). One place answers "when is this centre (or
window) open on this day?"; the guides show it and appointments offer slots inside it.

The rules (ADR 0109):
- a working day of the calendar gets the regular periods of its weekday, plus lunch and
  evening 错时延时 periods; a 调休 Saturday or Sunday that is a working day takes
  Monday's periods;
- an ordinary weekend day gets the weekend 错时延时 periods of its weekday;
- a day of a holiday break is closed: a non-working Monday-to-Friday, and every weekend
  day of the run of non-working days that contains one (国庆 weekend, 春节 ...).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from tongban.centres.models import OpeningHours, ServiceCentre, Window
from tongban.regions.calendar import WorkingCalendar, calendar_for

WORKING_DAY_KINDS = (OpeningHours.Kind.REGULAR, OpeningHours.Kind.LUNCH, OpeningHours.Kind.EVENING)


@dataclass(frozen=True)
class Period:
    opens: dt.time
    closes: dt.time
    kind: str

    @property
    def extended(self) -> bool:
        return self.kind != OpeningHours.Kind.REGULAR

    @property
    def label(self) -> str:
        return str(OpeningHours.Kind(self.kind).label)


@dataclass(frozen=True)
class DayHours:
    day: dt.date
    periods: tuple[Period, ...]
    holiday: bool

    @property
    def open(self) -> bool:
        return bool(self.periods)


def _rows(centre: ServiceCentre, window: Window | None) -> list[OpeningHours]:
    """The window's own rows when it has any, else the centre's. Uses a prefetched
    `centre.hours` when the caller loaded it (guides list many centres)."""
    rows = list(centre.hours.all())
    if window is not None:
        own = [r for r in rows if r.window_id == window.pk]
        if own:
            return own
    return [r for r in rows if r.window_id is None]


def in_holiday_break(calendar: WorkingCalendar, day: dt.date) -> bool:
    """True when `day` is not a working day and its run of non-working days contains a
    Monday-to-Friday (a holiday), rather than being an ordinary weekend."""
    if calendar.is_working_day(day):
        return False
    for step in (-1, 1):
        current = day
        # a break is at most a few weeks long; the bound keeps a broken calendar finite
        for _ in range(40):
            if current.weekday() < 5:
                return True
            current += dt.timedelta(days=step)
            if calendar.is_working_day(current):
                break
    return day.weekday() < 5


def periods_of(rows: Iterable[OpeningHours], day: dt.date, calendar: WorkingCalendar) -> DayHours:
    rows = list(rows)
    if calendar.is_working_day(day):
        weekday = day.weekday() if day.weekday() < 5 else 0
        chosen = [r for r in rows if r.weekday == weekday and r.kind in WORKING_DAY_KINDS]
        holiday = False
    elif in_holiday_break(calendar, day):
        chosen, holiday = [], True
    else:
        chosen = [
            r for r in rows if r.weekday == day.weekday() and r.kind == OpeningHours.Kind.WEEKEND
        ]
        holiday = False
    periods = tuple(sorted((Period(r.opens, r.closes, r.kind) for r in chosen), key=_start))
    return DayHours(day, periods, holiday)


def _start(period: Period) -> dt.time:
    return period.opens


def hours_on(centre: ServiceCentre, day: dt.date, window: Window | None = None) -> DayHours:
    return periods_of(_rows(centre, window), day, calendar_for(centre.jurisdiction))


def days_ahead(
    centre: ServiceCentre, start: dt.date, count: int, window: Window | None = None
) -> list[DayHours]:
    calendar = calendar_for(centre.jurisdiction)
    rows = _rows(centre, window)
    return [periods_of(rows, start + dt.timedelta(days=n), calendar) for n in range(count)]


def is_open_at(centre: ServiceCentre, at: dt.datetime, window: Window | None = None) -> bool:
    """`at` is local (Asia/Shanghai) time."""
    hours = hours_on(centre, at.date(), window)
    moment = at.time()
    return any(p.opens <= moment < p.closes for p in hours.periods)


@dataclass(frozen=True)
class WeekRow:
    weekday: int
    label: str
    periods: tuple[Period, ...]


def weekly_table(centre: ServiceCentre, window: Window | None = None) -> list[WeekRow]:
    """The published week (before the calendar is applied), Monday first."""
    rows = _rows(centre, window)
    table = []
    for value, label in OpeningHours.Weekday.choices:
        periods = tuple(
            sorted(
                (Period(r.opens, r.closes, r.kind) for r in rows if r.weekday == value),
                key=_start,
            )
        )
        table.append(WeekRow(value, str(label), periods))
    return table
