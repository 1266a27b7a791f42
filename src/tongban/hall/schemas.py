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
