"""The service hall's pages: booking in the portal (预约), the hall's ticket kiosk
(取号 and check-in of a booking), the hall display that shows and speaks the calls, the
clerk's calling page (叫号) and the day's bookings and tickets for hall staff. Every rule
lives in hall/actions.py and hall/selectors.py (ADR 0110)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST

from tongban.core.errors import DomainError, Invalid, NotFound
from tongban.core.inputs import MAX_NOTE, MAX_QUERY_TEXT
from tongban.hall import actions, guides, selectors
from tongban.hall.models import Appointment, Ticket
from tongban.web.views.common import page


def _date(value: str | None, default: dt.date) -> dt.date:
    if not value:
        return default
    try:
        return dt.date.fromisoformat(value[:10])
    except ValueError as error:
        raise Invalid(gettext_lazy("Dates are YYYY-MM-DD.")) from error


def _time(value: str | None) -> dt.time:
    try:
        return dt.time.fromisoformat((value or "")[:8])
    except ValueError as error:
        raise Invalid(gettext_lazy("Not a valid slot."), code="invalid_slot") from error


def _int(value: str | None) -> int | None:
    value = (value or "").strip()
    if not value:
        return None
    if not value.isdigit() or len(value) > 18:
        raise Invalid(gettext_lazy("Numbers only."))
    return int(value)


# -- portal: booking --------------------------------------------------------------------------


def booking_page(
    request: HttpRequest,
    *,
    channel: str,
    template: str,
    done: str,
    centre_id: int | None = None,
    context: dict[str, Any] | None = None,
) -> HttpResponse:
    """The booking form of the portal and of the self-service terminal (one page logic, two
    channels): GET shows the free slots of an item at a centre on a day, POST books one.
    `centre_id` fixes the centre (the terminal books at its own hall); `done` is where a
    booking returns to."""
    today = actions.now().date()
    if centre_id is None:
        centre_id = _int(request.GET.get("centre") or request.POST.get("centre"))
    item_code = (request.GET.get("item") or request.POST.get("item") or "").strip()[:MAX_QUERY_TEXT]
    day = _date(request.GET.get("day") or request.POST.get("day"), today + dt.timedelta(days=1))
    if request.method == "POST":
        try:
            appointment = actions.book_appointment(
                request.user,
                actions.BookingInput(
                    item=item_code,
                    centre_id=centre_id or 0,
                    day=day,
                    starts=_time(request.POST.get("starts")),
                    channel=channel,
                ),
            )
        except DomainError as error:
            messages.error(request, error.message())
        else:
            messages.success(
                request,
                _("预约成功,预约号 %(number)s:%(day)s %(starts)s,%(centre)s %(window)s 窗口。")
                % {
                    "number": appointment.pk,
                    "day": appointment.day.isoformat(),
                    "starts": appointment.starts.strftime("%H:%M"),
                    "centre": appointment.centre.name,
                    "window": appointment.window.code,
                },
            )
            return redirect(done)
    centres = list(guides.public_centres())
    items = list(guides.public_items(day))
    centre = next((c for c in centres if c.pk == centre_id), None)
    item = next((i for i in items if i.code == item_code), None)
    slots = selectors.slots(centre, item, day, actions.now()) if centre and item else []
    mine = selectors.own_appointments(request.user)
    return render(
        request,
        template,
        {
            "centres": centres,
            "items": items,
            "centre": centre,
            "item": item,
            "day": day,
            "slots": slots,
            "appointments": list(mine.order_by("-day", "-starts")[:50]),
            "today": today,
            **(context or {}),
        },
    )


@page
@require_http_methods(["GET", "POST"])
def my_appointments(request: HttpRequest) -> HttpResponse:
    return booking_page(
        request,
        channel=Appointment.Channel.WEB,
        template="web/hall/my_appointments.html",
        done="web:my-appointments",
    )


@page
@require_POST
def cancel_appointment(request: HttpRequest, appointment_id: int) -> HttpResponse:
    actions.cancel_appointment(request.user, appointment_id)
    messages.success(request, _("预约已取消。"))
    return redirect("web:my-appointments")


# -- the hall's ticket kiosk (取号机), no login ------------------------------------------------


@page(login=False)
@require_http_methods(["GET", "POST"])
def ticket_kiosk(request: HttpRequest, centre_id: int) -> HttpResponse:
    centre = guides.get_public_centre(centre_id)
    ticket: Ticket | None = None
    status = 200
    if request.method == "POST":
        try:
            if request.POST.get("booking"):
                booking = _int(request.POST.get("booking")) or 0
                identifier = request.POST.get("identifier", "")[:MAX_QUERY_TEXT]
                ticket = actions.check_in_at_kiosk(centre.pk, booking, identifier)
            else:
                prefix = request.POST.get("line", "")[:2]
                ticket = actions.take_ticket(request.user, centre.pk, prefix)
            status = 201
        except DomainError as error:
            messages.error(request, error.message())
            status = error.status
    today = actions.now().date()
    lines = selectors.active_lines(centre)
    waiting = selectors.waiting_counts(centre, today)
    return render(
        request,
        "web/hall/kiosk.html",
        {
            "centre": centre,
            "lines": [(line, waiting.get(line.pk, 0)) for line in lines],
            "ticket": ticket,
        },
        status=status,
    )


@page(login=False)
@require_http_methods(["GET"])
def display(request: HttpRequest, centre_id: int) -> HttpResponse:
    centre = guides.get_public_centre(centre_id)
    calls = selectors.display_calls(centre, actions.now().date())
    return render(request, "web/hall/display.html", {"centre": centre, "calls": calls})


# -- hall staff -------------------------------------------------------------------------------


@page
@require_http_methods(["GET"])
def hall_home(request: HttpRequest) -> HttpResponse:
    centres = list(selectors.staff_centres(request.user).prefetch_related("windows"))
    return render(request, "web/hall/home.html", {"centres": centres})


def _window_context(request: HttpRequest, window_id: int) -> dict[str, Any]:
    window = selectors.get_staff_window(request.user, window_id)
    today = actions.now().date()
    tickets = selectors.day_tickets(request.user, window.centre, today)
    current = next(
        (t for t in tickets if t.window_id == window.pk and t.status == Ticket.Status.CALLED),
        None,
    )
    lines = {line.pk for line in window.business_lines.all()}
    waiting = [
        t
        for t in tickets
        if t.status == Ticket.Status.WAITING
        and (t.transferred_to_id == window.pk or (not t.transferred_to_id and t.line_id in lines))
    ]
    others = [w for w in window.centre.windows.filter(active=True) if w.pk != window.pk]
    return {
        "window": window,
        "current": current,
        "waiting": waiting,
        "others": others,
        "served": [t for t in tickets if t.window_id == window.pk and t.status != "called"],
    }


@page
@require_http_methods(["GET"])
def window_page(request: HttpRequest, window_id: int) -> HttpResponse:
    return render(request, "web/hall/window.html", _window_context(request, window_id))


WINDOW_ACTIONS = frozenset({"call-next", "recall", "skip", "transfer", "finish"})


@page
@require_POST
def window_action(request: HttpRequest, window_id: int, action: str) -> HttpResponse:
    window = selectors.get_staff_window(request.user, window_id)
    if action not in WINDOW_ACTIONS:
        # a page path that names nothing: 404, as an unknown case action is
        raise NotFound(gettext_lazy("Unknown action."), code="unknown_action")
    ticket_id = _int(request.POST.get("ticket"))
    try:
        if action == "call-next":
            called = actions.call_next(request.user, window.pk)
            if called is None:
                messages.info(request, _("当前没有等候的号码。"))
            else:
                messages.success(request, _("已叫号:%(code)s") % {"code": called.code})
        elif ticket_id is None:
            raise Invalid(gettext_lazy("Choose a ticket."), code="missing_ticket")
        elif action == "recall":
            actions.recall(request.user, ticket_id)
        elif action == "skip":
            actions.skip(request.user, ticket_id)
        elif action == "transfer":
            target = request.POST.get("to", "")[:32]
            actions.transfer(request.user, ticket_id, target)
        elif action == "finish":
            done = actions.finish(
                request.user,
                ticket_id,
                case_number=request.POST.get("case_number", "").strip()[:64] or None,
                answer=request.POST.get("answer", "")[:MAX_NOTE] or None,
            )
            messages.success(request, _("办理完毕:%(code)s") % {"code": done.code})
    except DomainError as error:
        messages.error(request, error.message())
    return redirect("web:hall-window", window.pk)


@page
@require_http_methods(["GET", "POST"])
def centre_day(request: HttpRequest, centre_id: int) -> HttpResponse:
    centre = selectors.get_staff_centre(request.user, centre_id)
    if request.method == "POST":
        try:
            actions.mark_no_show(request.user, _int(request.POST.get("appointment")) or 0)
        except DomainError as error:
            messages.error(request, error.message())
        return redirect(f"{request.path}?day={request.POST.get('day', '')[:10]}")
    day = _date(request.GET.get("day"), actions.now().date())
    return render(
        request,
        "web/hall/day.html",
        {
            "centre": centre,
            "day": day,
            "bookings": selectors.day_bookings(request.user, centre, day),
            "tickets": selectors.day_tickets(request.user, centre, day),
        },
    )
