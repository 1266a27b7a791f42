"""The working-day calendar: which dates are working days in a jurisdiction, and period
arithmetic in working days (行政许可法 §42ff; 民法典 §201, §203). See
docs/adr/0010-working-day-calendar.md.

Resolution order for one date in jurisdiction J:

1. a `CalendarDay` row for J;
2. a national `CalendarDay` row (jurisdiction NULL);
3. the `chinesecalendar` package (official holidays and 调休, 2004 to its last year);
4. if a `CalendarYear` row for J or a national one declares that year: Monday to Friday;
5. otherwise `CalendarNotAvailable` (409, `calendar_not_available`).

Caching: a `WorkingCalendar` is built by `calendar_for()` for one unit of work (a
request, a transition, a command), or kept per process by `shared_calendar()` for as long
as the master-data version stays the same (ADR 0119). It loads the override rows it needs
once: the `CalendarDay` rows of J and the nation for the first year asked and the year
after (one query), the `CalendarYear` rows only when the package does not know a year
(one more query). What `calendar_for` reads is not kept, and a `shared_calendar` is
replaced on the next request after an override is saved (the save makes a new version),
so a change made in one request (or one gunicorn worker) is seen by the next one; besides
those, only the package's data, which cannot change while the process runs, is cached per
year for the life of the process.
"""

from __future__ import annotations

import calendar as _stdlib_calendar
import datetime as dt
import threading
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import chinese_calendar
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from tongban.core.errors import CalendarNotAvailable, StrOrPromise
from tongban.regions.models import CalendarDay, CalendarYear, Jurisdiction

ONE_DAY = dt.timedelta(days=1)

# the years a calendar may be entered for
MIN_CALENDAR_YEAR = 2000
MAX_CALENDAR_YEAR = 2100

# the packaged official calendars, data/calendar_<year>[_provisional].json
CALENDAR_DATA_DIR = Path(__file__).resolve().parent / "data"

# No calendar has two years without a working day: a longer run of non-working days is a
# data error (e.g. a whole year entered as holidays) and must not turn into an endless loop.
MAX_NON_WORKING_RUN = 366 * 2

# Per year: one flag per day of the year, True = working day, None = unknown.
YearFlags = list[bool | None]


@dataclass(frozen=True)
class CalendarException:
    """A date that does not follow the Monday-to-Friday rule, and which rule says so."""

    day: dt.date
    is_working_day: bool
    source: str  # "jurisdiction", "national" (CalendarDay rows) or "package"
    note: str


@lru_cache(maxsize=64)
def _package_flags(year: int) -> tuple[bool, ...] | None:
    """The packaged official calendar for a year, or None if the package does not know it.
    Immutable for the life of the process, hence safe to cache at module level."""
    first = dt.date(year, 1, 1)
    try:
        chinese_calendar.is_workday(first)
    except NotImplementedError:
        return None
    days = 366 if _stdlib_calendar.isleap(year) else 365
    return tuple(chinese_calendar.is_workday(first + dt.timedelta(days=i)) for i in range(days))


def package_covers(year: int) -> bool:
    """Whether the installed `chinesecalendar` package knows the official calendar of a year."""
    return _package_flags(year) is not None


def _weekday_flags(year: int) -> YearFlags:
    first = dt.date(year, 1, 1)
    days = 366 if _stdlib_calendar.isleap(year) else 365
    start = first.weekday()
    return [(start + i) % 7 < 5 for i in range(days)]


class WorkingCalendar:
    """The working days of one jurisdiction (or of the nation when `jurisdiction` is None).

    Build one with `calendar_for()` per unit of work and do not keep it across requests:
    it reads the override rows once and does not see later changes.
    """

    def __init__(self, jurisdiction: Jurisdiction | None) -> None:
        self.jurisdiction = jurisdiction
        self._jurisdiction_id: int | None = jurisdiction.pk if jurisdiction is not None else None
        self._overrides: dict[dt.date, bool] = {}
        self._override_notes: dict[dt.date, tuple[str, str]] = {}  # date -> (source, note)
        self._loaded_years: set[int] = set()
        self._declared: dict[int, bool] | None = None  # year -> provisional
        self._years: dict[int, YearFlags] = {}
        self._lock = threading.RLock()

    def __repr__(self) -> str:
        return f"<WorkingCalendar {self._code() or 'national'}>"

    # ---- public interface -------------------------------------------------------------

    def is_working_day(self, day: dt.date) -> bool:
        flag = self._flags(day.year)[day.timetuple().tm_yday - 1]
        if flag is None:
            raise self._not_available(day.year)
        return flag

    def add_working_days(self, start: dt.date, days: int) -> dt.date:
        """The `days`-th working day strictly after `start` (the first day is not counted).
        With `days == 0`: `start` itself if it is a working day, else the next working day
        (a period ending on a holiday ends on the next working day)."""
        if days < 0:
            raise ValueError("days must be >= 0; use subtract_working_days()")
        if days == 0:
            return start if self.is_working_day(start) else self._step(start, 1, 1)
        return self._step(start, days, 1)

    def subtract_working_days(self, day: dt.date, days: int) -> dt.date:
        """The `days`-th working day strictly before `day`; `day` itself when `days == 0`."""
        if days < 0:
            raise ValueError("days must be >= 0; use add_working_days()")
        if days == 0:
            return day
        return self._step(day, days, -1)

    def working_days_between(self, start: dt.date, end: dt.date) -> int:
        """Number of working days d with start < d <= end; 0 when end <= start."""
        if end <= start:
            return 0
        first = start + ONE_DAY
        total = 0
        for year in range(first.year, end.year + 1):
            flags = self._flags(year)
            lo = first.timetuple().tm_yday - 1 if year == first.year else 0
            hi = end.timetuple().tm_yday if year == end.year else len(flags)
            window = flags[lo:hi]
            if None in window:
                raise self._not_available(year)
            total += sum(1 for flag in window if flag)
        return total

    def is_provisional(self, day: dt.date) -> bool:
        """True when the answer for `day` rests on a provisional year declaration (the State
        Council has not yet published that year's arrangements)."""
        if package_covers(day.year):
            return False
        return self._declared_years().get(day.year, False)

    def exceptions_in_year(self, year: int) -> list[CalendarException]:
        """Every date of `year` whose status differs from the Monday-to-Friday rule: holidays
        on weekdays and make-up working days (调休) on weekends. Raises
        CalendarNotAvailable for a year the calendar cannot answer for."""
        flags = self._flags(year)
        if None in flags:
            raise self._not_available(year)
        first = dt.date(year, 1, 1)
        found: list[CalendarException] = []
        for index, flag in enumerate(flags):
            day = first + dt.timedelta(days=index)
            if flag == (day.weekday() < 5):
                continue
            if day in self._override_notes:
                source, note = self._override_notes[day]
            else:
                source, note = "package", _package_note(day, bool(flag))
            found.append(CalendarException(day, bool(flag), source, note))
        return found

    # ---- internals ----------------------------------------------------------------------

    def _step(self, day: dt.date, count: int, direction: int) -> dt.date:
        delta = ONE_DAY if direction > 0 else -ONE_DAY
        found = 0
        run = 0
        while found < count:
            day += delta
            if self.is_working_day(day):
                found += 1
                run = 0
            else:
                run += 1
                if run > MAX_NON_WORKING_RUN:
                    raise CalendarNotAvailable(
                        _(
                            "The working-day calendar of %(place)s has no working day in "
                            "%(max_non_working_run)s consecutive days around %(day)s; an "
                            "administrator must correct it."
                        ),
                        details={"jurisdiction": self._code(), "date": day.isoformat()},
                        params={
                            "place": self._label(),
                            "max_non_working_run": MAX_NON_WORKING_RUN,
                            "day": f"{day:%Y-%m-%d}",
                        },
                    )
        return day

    def _flags(self, year: int) -> YearFlags:
        flags = self._years.get(year)
        if flags is not None:
            return flags
        # a shared calendar (shared_calendar) is filled by whichever thread asks first
        with self._lock:
            return self._years.get(year) or self._build_flags(year)

    def _build_flags(self, year: int) -> YearFlags:
        self._load_overrides(year)
        package = _package_flags(year)
        flags: YearFlags
        if package is not None:
            flags = list(package)
        elif year in self._declared_years():
            flags = _weekday_flags(year)
        else:
            flags = [None] * (366 if _stdlib_calendar.isleap(year) else 365)
        first = dt.date(year, 1, 1).toordinal()
        for day, working in self._overrides.items():
            if day.year == year:
                flags[day.toordinal() - first] = working
        self._years[year] = flags
        return flags

    def _load_overrides(self, year: int) -> None:
        """One query for the rows of `year` and the year after (deadlines run forward)."""
        wanted = [y for y in (year, year + 1) if y not in self._loaded_years]
        if year not in wanted:
            return
        both = wanted == [year, year + 1] and year < dt.MAXYEAR
        last = year + 1 if both else year
        rows = (
            CalendarDay.objects.filter(self._scope())
            .filter(date__gte=dt.date(year, 1, 1), date__lte=dt.date(last, 12, 31))
            .values_list("jurisdiction_id", "date", "is_working_day", "note")
            .order_by()
        )
        national: dict[dt.date, tuple[bool, str, str]] = {}
        local: dict[dt.date, tuple[bool, str, str]] = {}
        for jurisdiction_id, day, working, note in rows:
            if jurisdiction_id is None:
                national[day] = (working, "national", note)
            else:
                local[day] = (working, "jurisdiction", note)
        # the jurisdiction's own row beats the national row for the same date
        for day, (working, source, note) in (national | local).items():
            self._overrides[day] = working
            self._override_notes[day] = (source, note)
        self._loaded_years.update(range(year, last + 1))

    def _declared_years(self) -> dict[int, bool]:
        if self._declared is None:
            declared: dict[int, bool] = {}
            local: dict[int, bool] = {}
            rows = (
                CalendarYear.objects.filter(self._scope())
                .order_by()
                .values_list("jurisdiction_id", "year", "provisional")
            )
            for jurisdiction_id, year, provisional in rows:
                (declared if jurisdiction_id is None else local)[year] = provisional
            declared.update(local)
            self._declared = declared
        return self._declared

    def _scope(self) -> Q:
        scope = Q(jurisdiction__isnull=True)
        if self._jurisdiction_id is not None:
            scope |= Q(jurisdiction_id=self._jurisdiction_id)
        return scope

    def _code(self) -> str | None:
        return self.jurisdiction.code if self.jurisdiction is not None else None

    def _label(self) -> StrOrPromise:
        if self.jurisdiction is None:
            return _("the national calendar")
        return f"{self.jurisdiction.name}({self.jurisdiction.code})"

    def _not_available(self, year: int) -> CalendarNotAvailable:
        return CalendarNotAvailable(
            _(
                "No working-day calendar for %(year)s in %(place)s: the "
                "packaged calendar ends with %(last_year)s; an "
                "administrator must enter that year's holidays (tongban "
                "load-calendar-year %(year)s)."
            ),
            details={"year": year, "jurisdiction": self._code()},
            params={
                "year": year,
                "place": self._label(),
                "last_year": _last_package_year(),
            },
        )


def _package_note(day: dt.date, working: bool) -> str:
    _, name = chinese_calendar.get_holiday_detail(day)
    if not name:
        return ""
    try:
        chinese = chinese_calendar.Holiday(name).chinese
    except ValueError:
        chinese = name
    return f"{chinese}调休上班" if working else str(chinese)


@lru_cache(maxsize=1)
def _last_package_year() -> int:
    return max(chinese_calendar.holidays).year


def calendar_for(jurisdiction: Jurisdiction | None) -> WorkingCalendar:
    """The working-day calendar of a jurisdiction; None gives the national calendar."""
    return WorkingCalendar(jurisdiction)


def shared_calendar(jurisdiction: Jurisdiction, version: int) -> WorkingCalendar:
    """The calendar of a jurisdiction as of master-data `version` (core.versioned): kept by
    the process and shared by its requests until a calendar change makes a new version
    (ADR 0119). For the hot path of case actions; a unit of work that must see its own
    uncommitted calendar edits uses `calendar_for`."""
    return _shared_calendar(jurisdiction.pk, version, jurisdiction)


@lru_cache(maxsize=256)
def _shared_calendar(pk: int, version: int, jurisdiction: Jurisdiction) -> WorkingCalendar:
    return WorkingCalendar(jurisdiction)
