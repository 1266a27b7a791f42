"""Reads of the hall. Applicants see their own appointments; hall staff (clerk, head,
admin of the centre's jurisdiction; platform admins) see their centres' bookings and
tickets; anything else is NotFound (existence not disclosed). The display's calls are
public: a ticket code and a window, nothing personal."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.db.models import Count, Q, QuerySet
from django.utils.translation import gettext_lazy as _

from tongban.accounts.access import (
    has_role,
    is_platform_admin,
    jurisdictions_with,
    require_authenticated,
)
from tongban.accounts.models import Applicant, User
from tongban.agreements.selectors import routes
from tongban.catalog.models import Channel, ServiceItem
from tongban.catalog.selectors import json_list_contains, published_implementations
from tongban.centres.hours import hours_on
from tongban.centres.models import ServiceCentre, Window
from tongban.core.errors import NotFound
from tongban.hall.models import Appointment, BusinessLine, Ticket

HALL_ROLES = ("clerk", "head", "admin")
#: bookings that hold a place in their slot (a cancelled one frees it)
HOLDING = (
    Appointment.Status.BOOKED,
    Appointment.Status.CHECKED_IN,
    Appointment.Status.NO_SHOW,
)
SERVING_KINDS = (Window.Kind.DEDICATED, Window.Kind.FALLBACK)


def slot_minutes() -> int:
    return int(getattr(settings, "TONGBAN_HALL_SLOT_MINUTES", 30))


def booking_days() -> int:
    return int(getattr(settings, "TONGBAN_HALL_BOOKING_DAYS", 14))


def is_hall_staff(user: User | AnonymousUser, centre: ServiceCentre) -> bool:
    return is_platform_admin(user) or has_role(user, HALL_ROLES, centre.jurisdiction_id)


def staff_centres(user: User | AnonymousUser) -> QuerySet[ServiceCentre]:
    require_authenticated(user)
    centres = ServiceCentre.objects.select_related("jurisdiction").order_by(
        "jurisdiction__code", "name"
    )
    if is_platform_admin(user):
        return centres
    return centres.filter(jurisdiction_id__in=jurisdictions_with(user, HALL_ROLES))


def get_staff_centre(user: User | AnonymousUser, centre_id: int) -> ServiceCentre:
    centre = staff_centres(user).filter(pk=centre_id).first()
    if centre is None:
        raise NotFound(_("No such service centre."), code="centre_not_found")
    return centre


def get_staff_window(user: User | AnonymousUser, window_id: int) -> Window:
    """A window the user may call tickets at (hall staff of its jurisdiction)."""
    require_authenticated(user)
    window = (
        Window.objects.select_related("centre__jurisdiction")
        .filter(pk=window_id, active=True)
        .first()
    )
    if window is None or not is_hall_staff(user, window.centre):
        raise NotFound(_("No such window."), code="window_not_found")
    return window


def readable_appointments(user: User | AnonymousUser) -> QuerySet[Appointment]:
    require_authenticated(user)
    qs = Appointment.objects.select_related(
        "applicant", "item", "centre__jurisdiction", "window"
    ).order_by("day", "starts", "pk")
    if is_platform_admin(user):
        return qs
    mine = Q(applicant__user=user)
    staff = Q(centre__jurisdiction_id__in=jurisdictions_with(user, HALL_ROLES))
    return qs.filter(mine | staff)


def own_appointments(user: User | AnonymousUser) -> QuerySet[Appointment]:
    """The bookings of the user's own applicants (the portal's "我的预约")."""
    if not isinstance(user, User):
        return Appointment.objects.none()
    return readable_appointments(user).filter(applicant__user=user)


def get_appointment_for(user: User | AnonymousUser, appointment_id: int) -> Appointment:
    found = readable_appointments(user).filter(pk=appointment_id).first()
    if found is None:
        raise NotFound(_("No such appointment."), code="appointment_not_found")
    return found


def day_bookings(
    user: User | AnonymousUser, centre: ServiceCentre, day: dt.date
) -> list[Appointment]:
    """The day's bookings of a centre, for its staff."""
    if not is_hall_staff(user, centre):
        raise NotFound(_("No such service centre."), code="centre_not_found")
    return list(
        Appointment.objects.filter(centre=centre, day=day)
        .select_related("applicant", "item", "window")
        .order_by("starts", "window__code", "pk")
    )


def readable_tickets(user: User | AnonymousUser) -> QuerySet[Ticket]:
    require_authenticated(user)
    qs = Ticket.objects.select_related(
        "centre__jurisdiction", "line", "window", "transferred_to", "item", "applicant"
    )
    if is_platform_admin(user):
        return qs
    return qs.filter(centre__jurisdiction_id__in=jurisdictions_with(user, HALL_ROLES))


def get_ticket_for(user: User | AnonymousUser, ticket_id: int) -> Ticket:
    found = readable_tickets(user).filter(pk=ticket_id).first()
    if found is None:
        raise NotFound(_("No such ticket."), code="ticket_not_found")
    return found


def day_tickets(user: User | AnonymousUser, centre: ServiceCentre, day: dt.date) -> list[Ticket]:
    if not is_hall_staff(user, centre):
        raise NotFound(_("No such service centre."), code="centre_not_found")
    return list(readable_tickets(user).filter(centre=centre, day=day).order_by("taken_at", "pk"))


def active_lines(centre: ServiceCentre) -> list[BusinessLine]:
    return list(
        BusinessLine.objects.filter(centre=centre, active=True)
        .prefetch_related("items", "windows")
        .order_by("position", "prefix")
    )


def line_for_item(centre: ServiceCentre, item: ServiceItem | None) -> BusinessLine | None:
    """The first active line that lists the item, else the first that lists no items."""
    lines = active_lines(centre)
    if item is not None:
        for line in lines:
            if any(i.pk == item.pk for i in line.items.all()):
                return line
    for line in lines:
        if not line.items.all():
            return line
    return lines[0] if lines else None


def serving_windows(centre: ServiceCentre, item: ServiceItem) -> list[Window]:
    """Windows that take bookings for the item: those of the lines serving it (or every
    window when the centre has no lines), active, receiving in person, capacity > 0."""
    windows = Window.objects.filter(
        centre=centre, active=True, kind__in=SERVING_KINDS, slot_capacity__gt=0
    )
    lines = active_lines(centre)
    if lines:
        serving = [
            line
            for line in lines
            if not line.items.all() or any(i.pk == item.pk for i in line.items.all())
        ]
        windows = windows.filter(business_lines__in=serving).distinct()
    return list(windows.order_by("code"))


def receivable(item: ServiceItem, centre: ServiceCentre, on: dt.date) -> bool:
    """The centre's windows take the item in: its jurisdiction publishes it for the
    window channel, or an agreement in force lets it receive the item for another."""
    own = (
        published_implementations(on)
        .filter(item=item, jurisdiction_id=centre.jurisdiction_id)
        .filter(json_list_contains("channels", Channel.WINDOW))
        .exists()
    )
    return own or bool(routes(item, centre.jurisdiction, on))


@dataclass(frozen=True)
class Slot:
    starts: dt.time
    ends: dt.time
    capacity: int
    booked: int
    windows: tuple[Window, ...]

    @property
    def free(self) -> int:
        return max(0, self.capacity - self.booked)


def _cut(opens: dt.time, closes: dt.time, minutes: int) -> list[tuple[dt.time, dt.time]]:
    base = dt.date(2000, 1, 1)
    current = dt.datetime.combine(base, opens)
    end = dt.datetime.combine(base, closes)
    step = dt.timedelta(minutes=minutes)
    found = []
    while current + step <= end:
        found.append((current.time(), (current + step).time()))
        current += step
    return found


def slots(
    centre: ServiceCentre, item: ServiceItem, day: dt.date, now: dt.datetime | None = None
) -> list[Slot]:
    """The day's slots of the item at the centre: its opening hours (错时延时 included)
    cut into TONGBAN_HALL_SLOT_MINUTES, each with the capacity of the serving windows
    open then and the places already held. Slots that have begun (`now`) are left out."""
    windows = serving_windows(centre, item)
    if not windows:
        return []
    minutes = slot_minutes()
    open_slots: dict[tuple[dt.time, dt.time], list[Window]] = {}
    for window in windows:
        for period in hours_on(centre, day, window).periods:
            for slot in _cut(period.opens, period.closes, minutes):
                open_slots.setdefault(slot, []).append(window)
    held = {
        (row["window_id"], row["starts"]): row["n"]
        for row in Appointment.objects.filter(window__in=windows, day=day, status__in=HOLDING)
        .values("window_id", "starts")
        .annotate(n=Count("pk"))
    }
    found = []
    for (starts, ends), open_windows in sorted(open_slots.items()):
        if now is not None and day == now.date() and starts <= now.time():
            continue
        capacity = sum(w.slot_capacity for w in open_windows)
        booked = sum(min(held.get((w.pk, starts), 0), w.slot_capacity) for w in open_windows)
        found.append(Slot(starts, ends, capacity, booked, tuple(open_windows)))
    return found


def held_in_slot(window: Window, day: dt.date, starts: dt.time) -> int:
    return Appointment.objects.filter(
        window=window, day=day, starts=starts, status__in=HOLDING
    ).count()


def display_calls(centre: ServiceCentre, day: dt.date, limit: int = 8) -> list[Ticket]:
    """The latest calls of the day for the hall display (public: code and window)."""
    return list(
        Ticket.objects.filter(centre=centre, day=day, called_at__isnull=False)
        .select_related("window", "line")
        .order_by("-called_at", "-pk")[:limit]
    )


def waiting_counts(centre: ServiceCentre, day: dt.date) -> dict[int, int]:
    rows = (
        Ticket.objects.filter(centre=centre, day=day, status=Ticket.Status.WAITING)
        .values("line_id")
        .annotate(n=Count("pk"))
    )
    return {row["line_id"]: row["n"] for row in rows}


def own_applicants(user: User | AnonymousUser) -> list[Applicant]:
    return list(Applicant.objects.filter(user=user).order_by("pk")) if user.is_authenticated else []
