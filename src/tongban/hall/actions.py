"""Every change in the service hall (ADR 0110): booking, cancelling, checking in and
no-shows of appointments (预约); taking, calling, recalling, skipping, transferring and
finishing queue tickets (排队叫号). Each action runs in one transaction, locks what it
changes, checks its rules itself and appends an audit row; reminders go through the
notification outbox."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.contrib.auth.models import AnonymousUser
from django.db import IntegrityError, connection, transaction
from django.db.models import Case, IntegerField, Max, Q, Value, When
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from tongban.accounts.models import Applicant, User
from tongban.cases import deadlines
from tongban.cases.selectors import get_case_for
from tongban.catalog.models import ServiceItem
from tongban.centres.hours import hours_on
from tongban.centres.models import ServiceCentre, Window
from tongban.consultations.actions import close_consultation, record_consultation
from tongban.consultations.models import Consultation, ConsultationChannel
from tongban.consultations.selectors import get_consultation_for
from tongban.core import ratelimit
from tongban.core.audit import record_audit
from tongban.core.errors import Conflict, Forbidden, Invalid, NotAuthenticated, NotFound
from tongban.hall import selectors
from tongban.hall.models import Appointment, BusinessLine, Ticket
from tongban.notifications.actions import queue_applicant_notification


def now() -> dt.datetime:
    """Local (Asia/Shanghai) now; tests move it with deadlines.local_now."""
    return deadlines.local_now().astimezone(timezone.get_current_timezone())


# -- appointments ---------------------------------------------------------------------------


@dataclass(frozen=True)
class BookingInput:
    item: str
    centre_id: int
    day: dt.date
    starts: dt.time
    channel: str = Appointment.Channel.WEB
    applicant_id: int | None = None


def _booking_applicant(actor: User | AnonymousUser, applicant_id: int | None) -> Applicant:
    if not getattr(actor, "is_authenticated", False):
        raise NotAuthenticated(_("Log in to book."))
    mine = selectors.own_applicants(actor)
    if not mine:
        raise Forbidden(_("Only applicant accounts can book."), code="booking_for_applicants_only")
    if applicant_id is None:
        return mine[0]
    for applicant in mine:
        if applicant.pk == applicant_id:
            return applicant
    raise NotFound(_("No such applicant."), code="applicant_not_found")


def book_appointment(actor: User | AnonymousUser, data: BookingInput) -> Appointment:
    """Book a slot for an item at a centre. Rules: an applicant account books for one of
    its own applicants; the centre receives the item; the slot is one the centre offers
    on that day (opening hours on the calendar, not begun, within the booking horizon)
    with a free place; one active booking per applicant and item. The window with the
    most free places in the slot is assigned."""
    if data.channel not in Appointment.Channel.values:
        raise Invalid(_("Unknown booking channel."), code="invalid_channel")
    applicant = _booking_applicant(actor, data.applicant_id)
    item = ServiceItem.objects.filter(code=data.item).first()
    centre = ServiceCentre.objects.select_related("jurisdiction").filter(pk=data.centre_id).first()
    if item is None:
        raise NotFound(_("No such item."), code="item_not_found")
    if centre is None or not centre.jurisdiction.active:
        raise NotFound(_("No such service centre."), code="centre_not_found")
    current = now()
    today = current.date()
    if data.day < today or data.day > today + dt.timedelta(days=selectors.booking_days()):
        raise Invalid(
            _("Slots can be booked from today up to %(booking_days)s days ahead."),
            code="day_out_of_range",
            params={"booking_days": selectors.booking_days()},
        )
    if not selectors.receivable(item, centre, data.day):
        raise Conflict(_("This centre does not receive this item."), code="item_not_received_here")
    with transaction.atomic():
        # the centre's windows are the unit of capacity: lock them so two bookings of the
        # last place in a slot are decided one after the other
        list(Window.objects.select_for_update().filter(centre=centre).order_by("pk"))
        offered = {s.starts: s for s in selectors.slots(centre, item, data.day, current)}
        slot = offered.get(data.starts)
        if slot is None:
            raise Conflict(
                _("This slot is not offered (outside opening hours or already begun)."),
                code="slot_not_offered",
            )
        free = [
            (w.slot_capacity - selectors.held_in_slot(w, data.day, slot.starts), w)
            for w in slot.windows
        ]
        free = [(n, w) for n, w in free if n > 0]
        if not free:
            raise Conflict(_("This slot is fully booked."), code="slot_full")
        window = max(free, key=lambda pair: (pair[0], -pair[1].pk))[1]
        if Appointment.objects.filter(
            applicant=applicant, item=item, status=Appointment.Status.BOOKED
        ).exists():
            raise _already_booked()
        try:
            with transaction.atomic():
                appointment = Appointment.objects.create(
                    applicant=applicant,
                    item=item,
                    centre=centre,
                    window=window,
                    day=data.day,
                    starts=slot.starts,
                    ends=slot.ends,
                    channel=data.channel,
                    booked_by=actor if isinstance(actor, User) else None,
                )
        except IntegrityError as error:  # a concurrent booking of the same person and item
            raise _already_booked() from error
        record_audit(
            actor,
            "hall.book",
            appointment,
            f"预约 {item.code} {data.day} {slot.starts:%H:%M} {centre.name}",
            {"window": window.code, "channel": data.channel},
        )
    return appointment


def _already_booked() -> Conflict:
    return Conflict(
        _("You already have an active booking for this item; cancel it first."),
        code="already_booked",
    )


def _locked_appointment(actor: User | AnonymousUser, appointment_id: int) -> Appointment:
    selectors.get_appointment_for(actor, appointment_id)  # scope first: 404 outside it
    return (
        Appointment.objects.select_for_update()
        .select_related("centre__jurisdiction", "item", "applicant", "window")
        .get(pk=appointment_id)
    )


def _is_owner(actor: User | AnonymousUser, appointment: Appointment) -> bool:
    return bool(appointment.applicant.user_id) and appointment.applicant.user_id == actor.pk


def cancel_appointment(actor: User | AnonymousUser, appointment_id: int) -> Appointment:
    """The applicant (or the centre's hall staff) cancels a booking that has not begun."""
    with transaction.atomic():
        appointment = _locked_appointment(actor, appointment_id)
        if not (
            _is_owner(actor, appointment) or selectors.is_hall_staff(actor, appointment.centre)
        ):
            raise Forbidden(_("You may not cancel this booking."))
        if appointment.status != Appointment.Status.BOOKED:
            raise Conflict(
                _("Only an active booking that is not checked in can be cancelled."),
                code="not_cancellable",
            )
        current = now()
        if dt.datetime.combine(appointment.day, appointment.starts, current.tzinfo) <= current:
            raise Conflict(
                _("The slot has begun; it can no longer be cancelled."), code="not_cancellable"
            )
        appointment.status = Appointment.Status.CANCELLED
        appointment.cancelled_at = current
        appointment.save(update_fields=["status", "cancelled_at"])
        record_audit(actor, "hall.cancel", appointment, "取消预约")
    return appointment


def _slot_over(appointment: Appointment, current: dt.datetime) -> bool:
    return dt.datetime.combine(appointment.day, appointment.ends, current.tzinfo) <= current


def mark_no_show(actor: User | AnonymousUser, appointment_id: int) -> Appointment:
    """Hall staff record a booking whose slot ended without a check-in as 爽约."""
    with transaction.atomic():
        appointment = _locked_appointment(actor, appointment_id)
        if not selectors.is_hall_staff(actor, appointment.centre):
            raise Forbidden(_("Only hall staff record no-shows."))
        if appointment.status != Appointment.Status.BOOKED or not _slot_over(appointment, now()):
            raise Conflict(
                _("Only a booking whose slot ended without a check-in is a no-show."),
                code="not_a_no_show",
            )
        appointment.status = Appointment.Status.NO_SHOW
        appointment.save(update_fields=["status"])
        record_audit(actor, "hall.no_show", appointment, "登记爽约")
    return appointment


def record_no_shows() -> int:
    """Every booking whose slot has ended without a check-in becomes a no-show (run by
    `tongban hall-jobs`). Idempotent."""
    current = now()
    made = 0
    with transaction.atomic():
        due = Appointment.objects.select_for_update().filter(
            Q(day__lt=current.date()) | Q(day=current.date(), ends__lte=current.time()),
            status=Appointment.Status.BOOKED,
        )
        for appointment in due:
            appointment.status = Appointment.Status.NO_SHOW
            appointment.save(update_fields=["status"])
            record_audit(None, "hall.no_show", appointment, "时段结束未签到,自动登记爽约")
            made += 1
    return made


def send_appointment_reminders() -> int:
    """Queue the reminder of every active booking of tomorrow not yet reminded (the day
    before, through the notification outbox; `tongban hall-jobs`). Idempotent."""
    current = now()
    tomorrow = current.date() + dt.timedelta(days=1)
    made = 0
    with transaction.atomic():
        due = (
            Appointment.objects.select_for_update()
            .filter(day=tomorrow, status=Appointment.Status.BOOKED, reminded_at__isnull=True)
            .select_related("item", "centre", "window", "applicant")
        )
        for appointment in due:
            queue_applicant_notification(
                appointment.applicant,
                "appointment_reminder",
                {
                    "item_name": appointment.item.name,
                    "centre_name": appointment.centre.name,
                    "address": appointment.centre.address,
                    "day": appointment.day,
                    "starts": appointment.starts.strftime("%H:%M"),
                    "ends": appointment.ends.strftime("%H:%M"),
                    "window": f"{appointment.window.code} {appointment.window.name}",
                },
            )
            appointment.reminded_at = current
            appointment.save(update_fields=["reminded_at"])
            record_audit(None, "hall.remind", appointment, "预约前一天提醒")
            made += 1
    return made


# -- tickets --------------------------------------------------------------------------------


def _new_ticket(line: BusinessLine, day: dt.date, current: dt.datetime, **fields: Any) -> Ticket:
    """Number the next ticket of the line and day. The line row is locked, so two kiosks
    never give out the same number (also enforced by a unique constraint)."""
    BusinessLine.objects.select_for_update().get(pk=line.pk)
    last = Ticket.objects.filter(line=line, day=day).aggregate(n=Max("number"))["n"] or 0
    number = last + 1
    return Ticket.objects.create(
        centre_id=line.centre_id,
        line=line,
        day=day,
        number=number,
        code=f"{line.prefix}{number:03d}",
        taken_at=current,
        **fields,
    )


def _require_open(centre: ServiceCentre, current: dt.datetime) -> None:
    hours = hours_on(centre, current.date())
    moment = current.time()
    if not any(p.opens <= moment < p.closes for p in hours.periods):
        raise Conflict(_("The hall is closed now; no tickets are given out."), code="hall_closed")


def take_ticket(
    actor: User | AnonymousUser | None,
    centre_id: int,
    prefix: str,
    source: str = Ticket.Source.KIOSK,
) -> Ticket:
    """A walk-in ticket from the kiosk (取号): no login needed; a signed-in applicant's
    ticket is linked to them. The hall must be open now."""
    centre = ServiceCentre.objects.select_related("jurisdiction").filter(pk=centre_id).first()
    if centre is None or not centre.jurisdiction.active:
        raise NotFound(_("No such service centre."), code="centre_not_found")
    line = BusinessLine.objects.filter(centre=centre, prefix=prefix, active=True).first()
    if line is None:
        raise NotFound(_("No such business line."), code="line_not_found")
    current = now()
    _require_open(centre, current)
    applicant = None
    if isinstance(actor, User):
        mine = selectors.own_applicants(actor)
        applicant = mine[0] if mine else None
    with transaction.atomic():
        ticket = _new_ticket(line, current.date(), current, source=source, applicant=applicant)
        record_audit(actor, "hall.take_ticket", ticket, f"取号 {ticket.code} {centre.name}")
    return ticket


def check_in(actor: User | AnonymousUser, appointment_id: int) -> Ticket:
    """Check a booking in on its day (the signed-in applicant, or hall staff at the front
    desk): the booking becomes a ticket of its item's line that is served first while its
    slot runs. Too late (the slot has ended) is refused."""
    with transaction.atomic():
        appointment = _locked_appointment(actor, appointment_id)
        if not (
            _is_owner(actor, appointment) or selectors.is_hall_staff(actor, appointment.centre)
        ):
            raise Forbidden(_("You may not check this booking in."))
        return _check_in(actor, appointment)


def check_in_at_kiosk(centre_id: int, appointment_id: int, identifier: str) -> Ticket:
    """The ticket kiosk of the hall checks a booking in without a login: the booking
    number and the applicant's identity number (or USCC, or the agent's number) must
    match a booking at this centre. A mismatch answers like an unknown booking; attempts
    per booking are limited (guessing numbers is pointless and slow)."""
    ratelimit.check(f"hall-check-in:{appointment_id}", KIOSK_ATTEMPTS, KIOSK_WINDOW_SECONDS)
    given = (identifier or "").strip().upper()
    with transaction.atomic():
        appointment = (
            Appointment.objects.select_for_update()
            .select_related("centre__jurisdiction", "item", "applicant", "window")
            .filter(pk=appointment_id, centre_id=centre_id)
            .first()
        )
        if appointment is None or not given or given not in _identifiers(appointment.applicant):
            raise NotFound(
                _("No such booking: check the booking number and the identity number."),
                code="appointment_not_found",
            )
        return _check_in(None, appointment)


KIOSK_ATTEMPTS = 5
KIOSK_WINDOW_SECONDS = 600


def _identifiers(applicant: Applicant) -> set[str]:
    values = {applicant.id_number, applicant.uscc, applicant.agent_id_number}
    return {v.strip().upper() for v in values if v}


def _check_in(actor: User | AnonymousUser | None, appointment: Appointment) -> Ticket:
    current = now()
    if appointment.status != Appointment.Status.BOOKED:
        raise Conflict(
            _("This booking cannot be checked in (checked in, cancelled or missed)."),
            code="not_checkable",
        )
    if appointment.day != current.date():
        raise Conflict(_("A booking is checked in on its day."), code="not_today")
    if _slot_over(appointment, current):
        raise Conflict(_("The booked slot has ended; take a new ticket."), code="booking_missed")
    line = selectors.line_for_item(appointment.centre, appointment.item)
    if line is None:
        raise Conflict(_("The centre has no business lines."), code="no_business_line")
    ticket = _new_ticket(
        line,
        current.date(),
        current,
        source=Ticket.Source.CHECK_IN,
        appointment=appointment,
        applicant=appointment.applicant,
        item=appointment.item,
        slot_starts=appointment.starts,
        slot_ends=appointment.ends,
    )
    appointment.status = Appointment.Status.CHECKED_IN
    appointment.checked_in_at = current
    appointment.save(update_fields=["status", "checked_in_at"])
    record_audit(actor, "hall.check_in", appointment, f"预约签到,号码 {ticket.code}")
    return ticket


def _queue_order(window: Window, moment: dt.time) -> list[Any]:
    """Transferred to this window first; then booked tickets whose slot has begun (booked
    tickets go first within their slot); then everyone by the time the ticket was taken."""
    return [
        Case(
            When(transferred_to=window, then=Value(0)),
            When(slot_starts__lte=moment, then=Value(1)),
            default=Value(2),
            output_field=IntegerField(),
        ).asc(),
        "taken_at",
        "pk",
    ]


def _lock_next(window: Window, current: dt.datetime) -> Ticket | None:
    lines = list(window.business_lines.filter(active=True).values_list("pk", flat=True))
    queue = Ticket.objects.filter(
        Q(transferred_to=window) | Q(transferred_to__isnull=True, line_id__in=lines),
        centre_id=window.centre_id,
        day=current.date(),
        status=Ticket.Status.WAITING,
    ).order_by(*_queue_order(window, current.time()))
    if connection.features.has_select_for_update_skip_locked:
        # a ticket another clerk is calling right now is locked: take the next one
        return queue.select_for_update(skip_locked=True, of=("self",)).first()
    return queue.select_for_update().first()


def _finish_current(actor: User | AnonymousUser, window: Window, current: dt.datetime) -> None:
    for ticket in Ticket.objects.select_for_update().filter(
        window=window, status=Ticket.Status.CALLED
    ):
        ticket.status = Ticket.Status.DONE
        ticket.finished_at = current
        ticket.save(update_fields=["status", "finished_at"])
        record_audit(actor, "hall.finish", ticket, f"办理完毕 {ticket.code}")


def call_next(actor: User | AnonymousUser, window_id: int) -> Ticket | None:
    """The clerk at `window_id` calls the next ticket (the window's current ticket is
    finished first). None when nobody waits. Two clerks calling at once never get the same
    ticket: the ticket is locked (SKIP LOCKED on PostgreSQL; SQLite's IMMEDIATE
    transactions run one at a time) and moved out of `waiting` in the same transaction."""
    window = selectors.get_staff_window(actor, window_id)
    current = now()
    with transaction.atomic():
        _finish_current(actor, window, current)
        ticket = _lock_next(window, current)
        if ticket is None:
            return None
        ticket.status = Ticket.Status.CALLED
        ticket.window = window
        ticket.transferred_to = None
        ticket.called_by = actor if isinstance(actor, User) else None
        ticket.called_at = current
        ticket.first_called_at = ticket.first_called_at or current
        ticket.call_count += 1
        ticket.save(
            update_fields=[
                "status",
                "window",
                "transferred_to",
                "called_by",
                "called_at",
                "first_called_at",
                "call_count",
            ]
        )
        record_audit(actor, "hall.call", ticket, f"叫号 {ticket.code} → {window.code}")
    return ticket


def _locked_called(actor: User | AnonymousUser, ticket_id: int) -> Ticket:
    selectors.get_ticket_for(actor, ticket_id)
    ticket = (
        # of=self: PostgreSQL cannot lock the nullable side of the window's outer join
        Ticket.objects.select_for_update(of=("self",))
        .select_related("centre__jurisdiction", "window", "line")
        .get(pk=ticket_id)
    )
    if ticket.status != Ticket.Status.CALLED:
        raise Conflict(_("This ticket is not being called."), code="ticket_not_called")
    return ticket


def recall(actor: User | AnonymousUser, ticket_id: int) -> Ticket:
    """Call the same ticket again (重呼); the display speaks it again."""
    with transaction.atomic():
        ticket = _locked_called(actor, ticket_id)
        ticket.called_at = now()
        ticket.call_count += 1
        ticket.save(update_fields=["called_at", "call_count"])
        record_audit(actor, "hall.recall", ticket, f"重呼 {ticket.code}")
    return ticket


def skip(actor: User | AnonymousUser, ticket_id: int) -> Ticket:
    """The called person did not come (过号)."""
    with transaction.atomic():
        ticket = _locked_called(actor, ticket_id)
        ticket.status = Ticket.Status.SKIPPED
        ticket.finished_at = now()
        ticket.save(update_fields=["status", "finished_at"])
        record_audit(actor, "hall.skip", ticket, f"过号 {ticket.code}")
    return ticket


def transfer(actor: User | AnonymousUser, ticket_id: int, window_code: str) -> Ticket:
    """Send a called ticket to another window of the same centre, where it is called
    before the waiting queue (转窗口)."""
    with transaction.atomic():
        ticket = _locked_called(actor, ticket_id)
        target = Window.objects.filter(
            centre_id=ticket.centre_id, code=window_code, active=True
        ).first()
        if target is None:
            raise NotFound(_("No such window."), code="window_not_found")
        if target.pk == ticket.window_id:
            raise Conflict(_("The ticket is already at this window."), code="same_window")
        ticket.status = Ticket.Status.WAITING
        ticket.transferred_to = target
        ticket.save(update_fields=["status", "transferred_to"])
        record_audit(actor, "hall.transfer", ticket, f"转窗口 {ticket.code} → {target.code}")
    return ticket


def finish(
    actor: User | AnonymousUser,
    ticket_id: int,
    case_number: str | None = None,
    consultation_id: int | None = None,
    answer: str | None = None,
) -> Ticket:
    """The service at the window is over (办理完毕), optionally linked to the case or the
    consultation that followed (each resolved within the clerk's scope). With `answer`
    and no consultation given, the question answered at the window is recorded as a
    closed window consultation (咨询) of the ticket's person and item, so that the
    window's rating pad offers it."""
    with transaction.atomic():
        ticket = _locked_called(actor, ticket_id)
        _link(actor, ticket, case_number, consultation_id)
        if answer and answer.strip() and ticket.consultation_id is None:
            ticket.consultation = _window_consultation(actor, ticket, answer)
        ticket.status = Ticket.Status.DONE
        ticket.finished_at = now()
        ticket.save(update_fields=["status", "finished_at", "case", "consultation"])
        record_audit(actor, "hall.finish", ticket, f"办理完毕 {ticket.code}")
    return ticket


def link_ticket(
    actor: User | AnonymousUser,
    ticket_id: int,
    case_number: str | None,
    consultation_id: int | None,
) -> Ticket:
    """Link a ticket to the case or the consultation that followed it."""
    if not case_number and not consultation_id:
        raise Invalid(_("Give a case number or a consultation id."), code="nothing_to_link")
    with transaction.atomic():
        selectors.get_ticket_for(actor, ticket_id)
        ticket = Ticket.objects.select_for_update().get(pk=ticket_id)
        _link(actor, ticket, case_number, consultation_id)
        ticket.save(update_fields=["case", "consultation"])
        record_audit(actor, "hall.link", ticket, f"关联 {case_number or consultation_id}")
    return ticket


def _link(
    actor: User | AnonymousUser,
    ticket: Ticket,
    case_number: str | None,
    consultation_id: int | None,
) -> None:
    if case_number:
        ticket.case = get_case_for(actor, case_number)
    if consultation_id:
        ticket.consultation = get_consultation_for(actor, consultation_id)


def _window_consultation(actor: User | AnonymousUser, ticket: Ticket, answer: str) -> Consultation:
    item = ticket.item
    consultation = record_consultation(
        actor,
        jurisdiction=ticket.centre.jurisdiction.code,
        channel=ConsultationChannel.WINDOW,
        topic=item.name if item else ticket.line.name,
        question=f"窗口咨询({ticket.code})",
        item=item.code if item else "",
        applicant_id=ticket.applicant_id,
        answer=answer,
    )
    return close_consultation(actor, consultation.pk)
