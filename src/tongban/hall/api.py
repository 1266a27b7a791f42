"""/api/v1/public/...: the service guides and opening hours without login (ADR 0108);
/api/v1/appointments, /api/v1/tickets, /api/v1/windows/{id}/call-next: the hall."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from ninja import Query, Router, Schema, Status
from pydantic import Field

from tongban.agreements.models import Agreement
from tongban.cases import deadlines
from tongban.cases.models import Case
from tongban.catalog.models import ServiceItem
from tongban.centres.hours import days_ahead, weekly_table
from tongban.centres.models import Window
from tongban.core.api_errors import ErrorOut
from tongban.core.errors import NotFound
from tongban.core.inputs import Column, Id, QueryText
from tongban.hall import actions, guides, selectors
from tongban.hall.models import Appointment, BusinessLine, Ticket
from tongban.hall.schemas import (
    AgreementGuideOut,
    AgreementSummaryOut,
    AppointmentOut,
    CallOut,
    CentreHoursOut,
    GuideItemOut,
    ItemGuideOut,
    SlotOut,
    TicketOut,
)

router = Router(tags=["hall 政务服务大厅:办事指南、预约、排队叫号"])

ItemCode = Annotated[str, Column(ServiceItem, "code")]


class GuideFilter(Schema):
    q: QueryText | None = Field(default=None, description="name, code or pinyin initials")


@router.get(
    "/public/guides/items",
    auth=None,
    response={200: list[GuideItemOut], 422: ErrorOut},
    summary="办事指南事项列表(无需登录) / Items with a public service guide",
)
def guide_items(request: HttpRequest, filters: Query[GuideFilter]) -> list[GuideItemOut]:
    items = guides.public_items(deadlines.local_today(), filters.q)[:200]
    return [GuideItemOut.of(i) for i in items]


class ItemGuideFilter(Schema):
    jurisdiction: QueryText | None = Field(
        default=None, description="only this jurisdiction's version"
    )


@router.get(
    "/public/guides/items/{code}",
    auth=None,
    response={200: ItemGuideOut, 404: ErrorOut, 422: ErrorOut},
    summary="办事指南(各地实施对照) / The service guide of an item, jurisdictions side by side",
)
def guide_item(
    request: HttpRequest, code: ItemCode, filters: Query[ItemGuideFilter]
) -> ItemGuideOut:
    guide = guides.item_guide(code, deadlines.local_today(), filters.jurisdiction)
    return ItemGuideOut.of(guide)


@router.get(
    "/public/guides/agreements",
    auth=None,
    response=list[AgreementSummaryOut],
    summary="生效的合作协议 / Agreements in force",
)
def guide_agreements(request: HttpRequest) -> list[AgreementSummaryOut]:
    return [AgreementSummaryOut.of(a) for a in guides.public_agreements(deadlines.local_today())]


@router.get(
    "/public/guides/agreements/{code}",
    auth=None,
    response={200: AgreementGuideOut, 404: ErrorOut, 422: ErrorOut},
    summary="通办事项清单 / The item list of an agreement in force",
)
def guide_agreement(
    request: HttpRequest, code: Annotated[str, Column(Agreement, "code")]
) -> AgreementGuideOut:
    return AgreementGuideOut.of_guide(guides.agreement_guide(code, deadlines.local_today()))


class HoursFilter(Schema):
    start: dt.date | None = Field(default=None, description="first day (default today)")
    days: int = Field(default=14, ge=1, le=62, description="1–62")


@router.get(
    "/public/centres/{centre_id}/hours",
    auth=None,
    response={200: CentreHoursOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut},
    summary="办公时间与错时延时 / Opening hours of a centre, day by day on its calendar",
)
def centre_hours(
    request: HttpRequest, centre_id: Id, filters: Query[HoursFilter]
) -> CentreHoursOut:
    centre = guides.get_public_centre(centre_id)
    start = filters.start or deadlines.local_today()
    return CentreHoursOut.of(centre, weekly_table(centre), days_ahead(centre, start, filters.days))


# -- appointments ---------------------------------------------------------------------------


class SlotFilter(Schema):
    item: ItemCode
    day: dt.date


@router.get(
    "/public/centres/{centre_id}/slots",
    auth=None,
    response={200: list[SlotOut], 404: ErrorOut, 409: ErrorOut, 422: ErrorOut},
    summary="可预约时段 / Bookable slots of an item at a centre on a day",
)
def centre_slots(request: HttpRequest, centre_id: Id, filters: Query[SlotFilter]) -> list[SlotOut]:
    centre = guides.get_public_centre(centre_id)
    item = guides.public_items(filters.day).filter(code=filters.item).first()
    if item is None:
        raise NotFound(_("No such item."), code="item_not_found")
    found = selectors.slots(centre, item, filters.day, actions.now())
    return [SlotOut(starts=s.starts, ends=s.ends, capacity=s.capacity, free=s.free) for s in found]


class BookingIn(Schema):
    item: ItemCode
    centre_id: Id
    day: dt.date
    starts: dt.time = Field(description="a slot's start, as listed by .../slots")
    applicant_id: Id | None = Field(default=None, description="one of the account's applicants")


@router.post(
    "/appointments",
    response={201: AppointmentOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut},
    summary="预约 / Book a slot",
)
def book(request: HttpRequest, payload: BookingIn) -> Status[AppointmentOut]:
    appointment = actions.book_appointment(
        request.user,
        actions.BookingInput(
            item=payload.item,
            centre_id=payload.centre_id,
            day=payload.day,
            starts=payload.starts,
            channel=Appointment.Channel.API,
            applicant_id=payload.applicant_id,
        ),
    )
    return Status(201, AppointmentOut.of(appointment))


class AppointmentFilter(Schema):
    centre_id: Id | None = Field(default=None, description="staff: one centre's bookings")
    day: dt.date | None = None


@router.get(
    "/appointments",
    response={200: list[AppointmentOut], 401: ErrorOut, 404: ErrorOut},
    summary="我的预约 / 当日预约 / My bookings, or a centre's bookings of a day (staff)",
)
def list_appointments(
    request: HttpRequest, filters: Query[AppointmentFilter]
) -> list[AppointmentOut]:
    if filters.centre_id is not None:
        centre = selectors.get_staff_centre(request.user, filters.centre_id)
        day = filters.day or actions.now().date()
        return [AppointmentOut.of(a) for a in selectors.day_bookings(request.user, centre, day)]
    found = selectors.own_appointments(request.user)
    if filters.day:
        found = found.filter(day=filters.day)
    return [AppointmentOut.of(a) for a in found[:200]]


@router.post(
    "/appointments/{appointment_id}/cancel",
    response={200: AppointmentOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut},
    summary="取消预约 / Cancel a booking",
)
def cancel(request: HttpRequest, appointment_id: Id) -> AppointmentOut:
    return AppointmentOut.of(actions.cancel_appointment(request.user, appointment_id))


@router.post(
    "/appointments/{appointment_id}/no-show",
    response={200: AppointmentOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut},
    summary="登记爽约 / Record a no-show (hall staff)",
)
def no_show(request: HttpRequest, appointment_id: Id) -> AppointmentOut:
    return AppointmentOut.of(actions.mark_no_show(request.user, appointment_id))


@router.post(
    "/appointments/{appointment_id}/check-in",
    response={201: TicketOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut},
    summary="预约签到取号 / Check a booking in: it becomes a ticket",
)
def check_in(request: HttpRequest, appointment_id: Id) -> Status[TicketOut]:
    return Status(201, TicketOut.of(actions.check_in(request.user, appointment_id)))


# -- tickets --------------------------------------------------------------------------------


class TakeTicketIn(Schema):
    line: Annotated[str, Column(BusinessLine, "prefix", required=True)]


@router.post(
    "/centres/{centre_id}/tickets",
    response={201: TicketOut, 401: ErrorOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut},
    summary="取号 / Take a ticket (a kiosk's account, or a signed-in applicant: 线上取号)",
)
def take_ticket(request: HttpRequest, centre_id: Id, payload: TakeTicketIn) -> Status[TicketOut]:
    ticket = actions.take_ticket(request.user, centre_id, payload.line, Ticket.Source.API)
    return Status(201, TicketOut.of(ticket))


@router.get(
    "/public/centres/{centre_id}/calls",
    auth=None,
    url_name="hall-calls",
    response={200: list[CallOut], 404: ErrorOut},
    summary="大厅叫号屏 / The latest calls of the day (the hall display)",
)
def calls(request: HttpRequest, centre_id: Id) -> list[CallOut]:
    centre = guides.get_public_centre(centre_id)
    return [CallOut.of(t) for t in selectors.display_calls(centre, actions.now().date())]


class TicketFilter(Schema):
    day: dt.date | None = None


@router.get(
    "/centres/{centre_id}/tickets",
    response={200: list[TicketOut], 401: ErrorOut, 404: ErrorOut},
    summary="当日排队号 / A centre's tickets of a day (hall staff)",
)
def list_tickets(
    request: HttpRequest, centre_id: Id, filters: Query[TicketFilter]
) -> list[TicketOut]:
    centre = selectors.get_staff_centre(request.user, centre_id)
    day = filters.day or actions.now().date()
    return [TicketOut.of(t) for t in selectors.day_tickets(request.user, centre, day)]


class CalledOut(Schema):
    ticket: TicketOut | None


@router.post(
    "/windows/{window_id}/call-next",
    response={200: CalledOut, 401: ErrorOut, 404: ErrorOut},
    summary="叫号 / Call the next ticket at a window (null when nobody waits)",
)
def call_next(request: HttpRequest, window_id: Id) -> CalledOut:
    ticket = actions.call_next(request.user, window_id)
    return CalledOut(ticket=TicketOut.of(ticket) if ticket else None)


@router.post(
    "/tickets/{ticket_id}/recall",
    response={200: TicketOut, 401: ErrorOut, 404: ErrorOut, 409: ErrorOut},
    summary="重呼 / Call a ticket again",
)
def recall(request: HttpRequest, ticket_id: Id) -> TicketOut:
    return TicketOut.of(actions.recall(request.user, ticket_id))


@router.post(
    "/tickets/{ticket_id}/skip",
    response={200: TicketOut, 401: ErrorOut, 404: ErrorOut, 409: ErrorOut},
    summary="过号 / The called person did not come",
)
def skip(request: HttpRequest, ticket_id: Id) -> TicketOut:
    return TicketOut.of(actions.skip(request.user, ticket_id))


class TransferIn(Schema):
    window: Annotated[str, Column(Window, "code", required=True)]


@router.post(
    "/tickets/{ticket_id}/transfer",
    response={200: TicketOut, 401: ErrorOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut},
    summary="转窗口 / Send a called ticket to another window of the centre",
)
def transfer(request: HttpRequest, ticket_id: Id, payload: TransferIn) -> TicketOut:
    return TicketOut.of(actions.transfer(request.user, ticket_id, payload.window))


class FinishIn(Schema):
    case_number: Annotated[str, Column(Case, "number")] | None = None
    consultation_id: Id | None = None


@router.post(
    "/tickets/{ticket_id}/finish",
    response={200: TicketOut, 401: ErrorOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut},
    summary="办理完毕 / Finish a called ticket, optionally linking its case or consultation",
)
def finish(request: HttpRequest, ticket_id: Id, payload: FinishIn) -> TicketOut:
    ticket = actions.finish(
        request.user, ticket_id, payload.case_number or None, payload.consultation_id
    )
    return TicketOut.of(ticket)


@router.post(
    "/tickets/{ticket_id}/link",
    response={200: TicketOut, 401: ErrorOut, 404: ErrorOut, 422: ErrorOut},
    summary="关联办件或咨询 / Link a ticket to the case or consultation that followed",
)
def link(request: HttpRequest, ticket_id: Id, payload: FinishIn) -> TicketOut:
    ticket = actions.link_ticket(
        request.user, ticket_id, payload.case_number or None, payload.consultation_id
    )
    return TicketOut.of(ticket)
