"""API shapes of the service hall: public guides and hours (no personal data), and
appointments and tickets (applicant names masked)."""

from __future__ import annotations

import datetime as dt

from ninja import Schema

from tongban.agreements.models import Agreement
from tongban.catalog.models import ItemImplementation, Material, ServiceItem
from tongban.centres.hours import DayHours, Period, WeekRow
from tongban.centres.models import ServiceCentre
from tongban.hall.guides import AgreementGuide, Comparison, CrossRoute, ItemGuide
from tongban.hall.models import Appointment, Ticket
from tongban.regions.models import Jurisdiction


class PlaceOut(Schema):
    code: str
    name: str
    short_name: str

    @staticmethod
    def of(j: Jurisdiction) -> PlaceOut:
        return PlaceOut(code=j.code, name=j.name, short_name=j.short_name)


class GuideItemOut(Schema):
    code: str
    name: str
    item_type: str
    high_frequency: bool
    jurisdictions: list[str]

    @staticmethod
    def of(item: ServiceItem) -> GuideItemOut:
        return GuideItemOut(
            code=item.code,
            name=item.name,
            item_type=item.item_type,
            high_frequency=item.high_frequency,
            jurisdictions=[i.jurisdiction.code for i in getattr(item, "published_versions", [])],
        )


class GuideMaterialOut(Schema):
    position: int
    name: str
    requirement: str
    form: str
    copies: int
    replaced_by_licence_type: str | None
    note: str

    @staticmethod
    def of(m: Material) -> GuideMaterialOut:
        return GuideMaterialOut(
            position=m.position,
            name=m.name,
            requirement=m.requirement,
            form=m.form,
            copies=m.copies,
            replaced_by_licence_type=m.licence_type_code or None,
            note=m.note,
        )


class GuideImplementationOut(Schema):
    jurisdiction: PlaceOut
    department: str
    version: int
    implementation_code: str
    legal_basis: str
    conditions: str
    fee: str
    statutory_limit_days: int
    promised_limit_days: int
    promised_limit_hours: int | None
    result_type: str
    result_name: str
    modes: list[str]
    channels: list[str]
    delivery_methods: list[str]
    materials: list[GuideMaterialOut]

    @staticmethod
    def of(i: ItemImplementation) -> GuideImplementationOut:
        return GuideImplementationOut(
            jurisdiction=PlaceOut.of(i.jurisdiction),
            department=i.department.name,
            version=i.version,
            implementation_code=i.implementation_code,
            legal_basis=i.legal_basis,
            conditions=i.conditions,
            fee=f"{i.fee:.2f}",
            statutory_limit_days=i.statutory_limit_days,
            promised_limit_days=i.promised_limit_days,
            promised_limit_hours=i.promised_limit_hours,
            result_type=i.result_type,
            result_name=i.result_name,
            modes=list(i.modes),
            channels=list(i.channels),
            delivery_methods=list(i.delivery_methods),
            materials=[GuideMaterialOut.of(m) for m in i.materials.all()],
        )


class CrossRouteOut(Schema):
    agreement_code: str
    agreement_title: str
    modes: list[str]
    receiving: list[PlaceOut]
    handling: list[PlaceOut]

    @staticmethod
    def of(r: CrossRoute) -> CrossRouteOut:
        return CrossRouteOut(
            agreement_code=r.agreement.code,
            agreement_title=r.agreement.title,
            modes=r.modes,
            receiving=[PlaceOut.of(j) for j in r.receiving],
            handling=[PlaceOut.of(j) for j in r.handling],
        )


class ComparisonOut(Schema):
    key: str
    label: str
    values: list[str]
    differs: bool

    @staticmethod
    def of(c: Comparison) -> ComparisonOut:
        return ComparisonOut(key=c.key, label=c.label, values=c.values, differs=c.differs)


class ItemGuideOut(Schema):
    code: str
    name: str
    item_type: str
    description: str
    implementations: list[GuideImplementationOut]
    comparison: list[ComparisonOut]
    same_standard: bool
    routes: list[CrossRouteOut]
    centre_ids: list[int]

    @staticmethod
    def of(g: ItemGuide) -> ItemGuideOut:
        comparison = g.comparison()
        return ItemGuideOut(
            code=g.item.code,
            name=g.item.name,
            item_type=g.item.item_type,
            description=g.item.description,
            implementations=[GuideImplementationOut.of(i) for i in g.implementations],
            comparison=[ComparisonOut.of(c) for c in comparison],
            same_standard=not any(c.differs for c in comparison),
            routes=[CrossRouteOut.of(r) for r in g.routes],
            centre_ids=[c.pk for c in g.centres],
        )


class AgreementSummaryOut(Schema):
    code: str
    version: int
    title: str
    valid_from: dt.date
    valid_to: dt.date | None
    parties: list[PlaceOut]

    @staticmethod
    def of(a: Agreement) -> AgreementSummaryOut:
        return AgreementSummaryOut(
            code=a.code,
            version=a.version,
            title=a.title,
            valid_from=a.valid_from,
            valid_to=a.valid_to,
            parties=[PlaceOut.of(p.jurisdiction) for p in a.parties.all()],
        )


class AgreementListItemOut(Schema):
    item_code: str
    item_name: str
    modes: list[str]
    receiving: list[PlaceOut]
    handling: list[PlaceOut]


class AgreementGuideOut(AgreementSummaryOut):
    items: list[AgreementListItemOut]

    @staticmethod
    def of_guide(g: AgreementGuide) -> AgreementGuideOut:
        summary = AgreementSummaryOut.of(g.agreement)
        return AgreementGuideOut(
            **summary.model_dump(),
            items=[
                AgreementListItemOut(
                    item_code=e.item.code,
                    item_name=e.item.name,
                    modes=list(e.modes),
                    receiving=[
                        PlaceOut.of(j) for j in (e.receiving_jurisdictions.all() or g.parties)
                    ],
                    handling=[
                        PlaceOut.of(j) for j in (e.handling_jurisdictions.all() or g.parties)
                    ],
                )
                for e in g.items
            ],
        )


class PeriodOut(Schema):
    opens: dt.time
    closes: dt.time
    kind: str

    @staticmethod
    def of(p: Period) -> PeriodOut:
        return PeriodOut(opens=p.opens, closes=p.closes, kind=p.kind)


class WeekRowOut(Schema):
    weekday: int
    periods: list[PeriodOut]

    @staticmethod
    def of(r: WeekRow) -> WeekRowOut:
        return WeekRowOut(weekday=r.weekday, periods=[PeriodOut.of(p) for p in r.periods])


class DayHoursOut(Schema):
    day: dt.date
    open: bool
    holiday: bool
    periods: list[PeriodOut]

    @staticmethod
    def of(d: DayHours) -> DayHoursOut:
        return DayHoursOut(
            day=d.day, open=d.open, holiday=d.holiday, periods=[PeriodOut.of(p) for p in d.periods]
        )


class CentreHoursOut(Schema):
    centre_id: int
    name: str
    address: str
    phone: str
    jurisdiction: PlaceOut
    week: list[WeekRowOut]
    days: list[DayHoursOut]

    @staticmethod
    def of(centre: ServiceCentre, week: list[WeekRow], days: list[DayHours]) -> CentreHoursOut:
        return CentreHoursOut(
            centre_id=centre.pk,
            name=centre.name,
            address=centre.address,
            phone=centre.phone,
            jurisdiction=PlaceOut.of(centre.jurisdiction),
            week=[WeekRowOut.of(r) for r in week],
            days=[DayHoursOut.of(d) for d in days],
        )


class SlotOut(Schema):
    starts: dt.time
    ends: dt.time
    capacity: int
    free: int


class AppointmentOut(Schema):
    id: int
    status: str
    item_code: str
    item_name: str
    centre_id: int
    centre_name: str
    window_code: str
    day: dt.date
    starts: dt.time
    ends: dt.time
    channel: str
    applicant_name: str
    created_at: dt.datetime
    checked_in_at: dt.datetime | None
    reminded_at: dt.datetime | None

    @staticmethod
    def of(a: Appointment) -> AppointmentOut:
        return AppointmentOut(
            id=a.pk,
            status=a.status,
            item_code=a.item.code,
            item_name=a.item.name,
            centre_id=a.centre_id,
            centre_name=a.centre.name,
            window_code=a.window.code,
            day=a.day,
            starts=a.starts,
            ends=a.ends,
            channel=a.channel,
            applicant_name=str(a.applicant),  # masked for persons (Applicant.__str__)
            created_at=a.created_at,
            checked_in_at=a.checked_in_at,
            reminded_at=a.reminded_at,
        )


class TicketOut(Schema):
    id: int
    code: str
    status: str
    line: str
    line_name: str
    source: str
    booked: bool
    slot_starts: dt.time | None
    window_code: str | None
    transferred_to: str | None
    taken_at: dt.datetime
    called_at: dt.datetime | None
    call_count: int
    finished_at: dt.datetime | None
    case_number: str | None
    consultation_id: int | None

    @staticmethod
    def of(t: Ticket) -> TicketOut:
        return TicketOut(
            id=t.pk,
            code=t.code,
            status=t.status,
            line=t.line.prefix,
            line_name=t.line.name,
            source=t.source,
            booked=t.appointment_id is not None,
            slot_starts=t.slot_starts,
            window_code=t.window.code if t.window else None,
            transferred_to=t.transferred_to.code if t.transferred_to else None,
            taken_at=t.taken_at,
            called_at=t.called_at,
            call_count=t.call_count,
            finished_at=t.finished_at,
            case_number=t.case.number if t.case else None,
            consultation_id=t.consultation_id,
        )


class CallOut(Schema):
    """One call on the hall display: public (a ticket code and a window)."""

    id: int
    code: str
    window_code: str
    window_name: str
    call_count: int
    called_at: dt.datetime
    speech: str

    @staticmethod
    def of(t: Ticket) -> CallOut:
        window = t.window
        return CallOut(
            id=t.pk,
            code=t.code,
            window_code=window.code if window else "",
            window_name=window.name if window else "",
            call_count=t.call_count,
            called_at=t.called_at,  # type: ignore[arg-type]
            speech=speech_text(t),
        )


def speech_text(t: Ticket) -> str:
    """What the display says: 请 A001 号 到 K01 窗口 办理 (digits read one by one)."""
    digits = " ".join(t.code)
    window = t.window.code if t.window else ""
    return f"请 {digits} 号,到 {' '.join(window)} 号窗口办理"
