"""Deadline arithmetic for cases, on the handling jurisdiction's working-day calendar
(domain notes §2): the first day is not counted, pauses do not count, a supplement during
review restarts the count, extensions add days. Each transition recomputes the stored
dates so queues filter and sort on indexed columns; the overdue *level* depends on today
and is computed in the query (selectors.with_overdue_level)."""

from __future__ import annotations

import datetime as dt
import re

from django.utils import timezone

from tongban.cases.models import Case, CaseEvent, Status
from tongban.catalog.models import ItemImplementation, Mode
from tongban.core.prepared import Prepared
from tongban.regions.calendar import WorkingCalendar, calendar_for

# working days a step may take before the case turns red; None = no step limit
STEP_LIMITS: dict[str, int | None] = {
    Status.RECEIVED: 1,  # formal check at the window is done on the spot or next day
    Status.CHECKED: 1,  # electronic push right after the check
    Status.IN_TRANSFER: 3,  # handling place confirms receipt of the file
    Status.PENDING_ACCEPTANCE: 5,  # 行政许可法 §32: accept, refuse or notify within 5 days
    Status.APPROVED: 2,  # the result document is issued promptly after the decision
    Status.DENIED: 2,
    Status.RESULT_ISSUED: 10,  # result delivered within 10 days of the decision
    Status.IN_DELIVERY: 7,
    Status.TO_WINDOW: 5,
    Status.DELIVERED: 2,
}
# how many working days before a due date the case turns yellow
WARNING_DAYS = 2
DEFAULT_SUPPLEMENT_DAYS = 10
DEFAULT_COMMITMENT_DAYS = 10
STATUTORY_EXTENSION = {"joint": 15, "default": 10}
# 行政许可法 §32: the supplement notice is due within 5 days of receipt; if it is not
# given in time the case counts as accepted from the day of receipt (ADR 0093)
SUPPLEMENT_NOTICE_DAYS = 5
# 行政许可法 §42 ¶2: joint handling (统一办理、联合办理) takes at most 45 days, +15 with
# approval (STATUTORY_EXTENSION["joint"]); it replaces the item's own statutory limit
JOINT_STATUTORY_DAYS = 45


def local_today() -> dt.date:
    return timezone.localdate()


def local_now() -> dt.datetime:
    """Now, for the hour limits of 即办件 (tests move it together with local_today)."""
    return timezone.now()


def calendar_of(case: Case) -> WorkingCalendar:
    return calendar_for(case.handling_jurisdiction)


# 即办件: opening hours when the handling place's service centre states none we can read
DEFAULT_WORKING_PERIODS: tuple[tuple[dt.time, dt.time], ...] = (
    (dt.time(9, 0), dt.time(12, 0)),
    (dt.time(13, 30), dt.time(17, 30)),
)
_PERIOD = re.compile(r"(\d{1,2})[:：](\d{2})\s*[-–~至到]\s*(\d{1,2})[:：](\d{2})")


def working_periods(case: Case) -> tuple[tuple[dt.time, dt.time], ...]:
    """The handling place's daily working hours, read from its service centre's
    `opening_hours` ("周一至周五 9:00-12:00, 13:30-17:30"); which days are working days is
    the calendar's business, so weekday words are ignored."""
    from tongban.centres.models import ServiceCentre

    text = (
        ServiceCentre.objects.filter(jurisdiction_id=case.handling_jurisdiction_id)
        .order_by("pk")
        .values_list("opening_hours", flat=True)
        .first()
    ) or ""
    periods = []
    for h1, m1, h2, m2 in _PERIOD.findall(text):
        try:
            start, end = dt.time(int(h1), int(m1)), dt.time(int(h2), int(m2))
        except ValueError:
            continue
        if start < end:
            periods.append((start, end))
    return tuple(sorted(periods)) or DEFAULT_WORKING_PERIODS


def add_working_hours(
    cal: WorkingCalendar,
    periods: tuple[tuple[dt.time, dt.time], ...],
    start: dt.datetime,
    hours: float,
) -> dt.datetime:
    """`start` plus `hours` counted only inside the working periods of working days (in
    Asia/Shanghai). A start outside the hours counts from the next period."""
    zone = timezone.get_default_timezone()
    moment = timezone.localtime(start, zone)
    remaining = dt.timedelta(hours=hours)
    day = moment.date()
    for _ in range(3 * 366):  # a calendar without working days raises in the calendar first
        if cal.is_working_day(day):
            for begin, end in periods:
                period_start = dt.datetime.combine(day, begin, tzinfo=zone)
                period_end = dt.datetime.combine(day, end, tzinfo=zone)
                counted_from = max(moment, period_start)
                if counted_from >= period_end:
                    continue
                if remaining <= period_end - counted_from:
                    return counted_from + remaining
                remaining -= period_end - counted_from
        day += dt.timedelta(days=1)
        moment = dt.datetime.combine(day, dt.time(0), tzinfo=zone)
    raise RuntimeError("no working hours found within three years")  # pragma: no cover


def statutory_days_for(mode: str, implementation: ItemImplementation) -> int:
    return JOINT_STATUTORY_DAYS if mode == Mode.JOINT else implementation.statutory_limit_days


# every acceptance asks it (the supplement-notice period): compiled once (ADR 0142)
_LAST_RECEIPT_SUPPLEMENT = Prepared(
    "last_receipt_supplement_at",
    lambda key, case_id: (
        CaseEvent.objects.filter(
            case_id=case_id, action="supplement", from_status=Status.SUPPLEMENT_AT_RECEIPT
        )
        .order_by("-seq")
        .values_list("at")[:1]
    ),
)


def receipt_day(case: Case) -> dt.date:
    """The day the complete application was received: the receiving window's (or the
    online portal's) receipt, or the day a supplement asked for at receipt arrived. The
    receiving window receives on the handling authority's behalf (收受分离), so this is
    the authority's receipt in the sense of 行政许可法 §32."""
    rows = _LAST_RECEIPT_SUPPLEMENT.fetch(None, case_id=case.pk)
    return timezone.localdate(rows[0][0] if rows else case.received_at)


def supplement_notice_due(case: Case, cal: WorkingCalendar) -> dt.date:
    """The last day on which the handling place may still ask for a supplement before
    acceptance; after it the case counts as accepted from `receipt_day`."""
    return cal.add_working_days(receipt_day(case), SUPPLEMENT_NOTICE_DAYS)


def deemed_accepted_from(case: Case, cal: WorkingCalendar, today: dt.date) -> dt.date | None:
    """The receipt day when an acceptance today comes after the missed supplement-notice
    period, else None. A case the handling place asked to supplement in time is accepted
    normally (the count runs from the supplement's arrival)."""
    if today <= supplement_notice_due(case, cal):
        return None
    asked_in_time = case.events.filter(
        action="request_supplement", from_status=Status.PENDING_ACCEPTANCE
    ).exists()
    return None if asked_in_time else receipt_day(case)


def start_clock(
    case: Case, cal: WorkingCalendar, today: dt.date, at: dt.datetime | None = None
) -> None:
    """Acceptance, or a supplement during review: count again from the next day (a 即办件
    counts its hours from `at`, now by default)."""
    case.clock_start = today
    case.clock_started_at = at or local_now()
    case.paused_working_days = 0
    case.paused_on = None


def add_paused_days(case: Case, cal: WorkingCalendar, today: dt.date) -> None:
    if case.paused_on is not None:
        case.paused_working_days += cal.working_days_between(case.paused_on, today)
        case.paused_on = None


def refresh_dates(case: Case, cal: WorkingCalendar, today: dt.date) -> None:
    """Recompute due_date, step_due_date, warn_on and overdue_on for the case's state."""
    status = case.status
    if case.clock_start is not None and status not in (
        Status.COMPLETED,
        Status.REFUSED,
        Status.WITHDRAWN,
        Status.TERMINATED,
    ):
        case.due_date = cal.add_working_days(
            case.clock_start,
            case.promised_days + case.extension_days + case.paused_working_days,
        )
    step_limit = STEP_LIMITS.get(status)
    if status in (
        Status.SUPPLEMENT_AT_RECEIPT,
        Status.SUPPLEMENT_BEFORE_ACCEPTANCE,
        Status.SUPPLEMENT_IN_REVIEW,
    ):
        case.step_due_date = case.supplement_due
    elif status == Status.ACCEPTED_CONDITIONALLY:
        case.step_due_date = case.commitment_due
    elif _joint_parent_waiting(case):
        # a joint parent waits for its parts within the statutory joint limit, not 2 days
        assert case.clock_start is not None
        case.step_due_date = cal.add_working_days(
            case.clock_start, case.statutory_days + case.extension_days + case.paused_working_days
        )
    elif step_limit is not None:
        case.step_due_date = cal.add_working_days(today, step_limit)
    else:
        case.step_due_date = None

    candidates_red: list[dt.date] = []
    candidates_yellow: list[dt.date] = []
    clock_running = status in (
        Status.ACCEPTED,
        Status.ACCEPTED_CONDITIONALLY,
        Status.SUPPLEMENT_IN_REVIEW,
    )
    hourly = bool(case.promised_hours) and case.clock_started_at is not None
    case.warn_at = case.overdue_at = None
    if hourly and status not in _FINAL:
        due_at, warn_at = _hour_limits(case, cal)
        case.due_at, case.due_date = due_at, timezone.localdate(due_at)
        if clock_running:
            # yellow and red to the minute; by date, red from the day after the due day
            case.warn_at, case.overdue_at = warn_at, due_at
            candidates_red.append(case.due_date)
    elif clock_running and case.due_date is not None:
        candidates_red.append(case.due_date)
        warn_days = min(WARNING_DAYS, max(case.promised_days - 1, 0))
        candidates_yellow.append(
            cal.subtract_working_days(case.due_date, warn_days) if warn_days else case.due_date
        )
    if case.step_due_date is not None:
        candidates_red.append(case.step_due_date)
        candidates_yellow.append(case.step_due_date)
    case.overdue_on = min(candidates_red) if candidates_red else None
    case.warn_on = min(candidates_yellow) if candidates_yellow else None


_FINAL = (Status.COMPLETED, Status.REFUSED, Status.WITHDRAWN, Status.TERMINATED)


def _hour_limits(case: Case, cal: WorkingCalendar) -> tuple[dt.datetime, dt.datetime]:
    """Due and warning time of a 即办件: the promised hours inside the handling place's
    working hours; yellow for the last hour (the last half of a limit under two hours).
    Paused working days and extensions move both by whole working days."""
    assert case.clock_started_at is not None and case.promised_hours
    periods = working_periods(case)
    hours = case.promised_hours
    due = add_working_hours(cal, periods, case.clock_started_at, hours)
    warn = add_working_hours(cal, periods, case.clock_started_at, hours - min(1.0, hours / 2))
    extra = case.extension_days + case.paused_working_days
    if not extra:
        return due, warn

    def shift(moment: dt.datetime) -> dt.datetime:
        local = timezone.localtime(moment)
        return dt.datetime.combine(cal.add_working_days(local.date(), extra), local.timetz())

    return shift(due), shift(warn)


def _joint_parent_waiting(case: Case) -> bool:
    return (
        case.status == Status.DELIVERED
        and case.mode == Mode.JOINT
        and case.parent_id is None
        and bool(case.joint_parts)
        and case.clock_start is not None
    )


def clear_dates_for_final_state(case: Case) -> None:
    case.step_due_date = None
    case.warn_on = None
    case.overdue_on = None
    case.warn_at = None
    case.overdue_at = None
