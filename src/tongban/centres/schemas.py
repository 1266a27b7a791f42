"""API shapes of service centres and windows (public master data: no personal data)."""

from __future__ import annotations

from ninja import Schema

from tongban.centres.models import ServiceCentre, Window
from tongban.regions.models import Jurisdiction


class WindowOut(Schema):
    code: str
    name: str
    kind: str
    kind_label: str
    active: bool

    @staticmethod
    def from_window(window: Window) -> WindowOut:
        return WindowOut(
            code=window.code,
            name=window.name,
            kind=window.kind,
            kind_label=window.get_kind_display(),
            active=window.active,
        )


class ServiceCentreOut(Schema):
    id: int
    jurisdiction_code: str
    jurisdiction_name: str
    name: str
    address: str
    phone: str
    opening_hours: str
    extended_hours: str
    windows: list[WindowOut]

    @staticmethod
    def from_centre(
        centre: ServiceCentre, jurisdiction: Jurisdiction | None = None
    ) -> ServiceCentreOut:
        """`centre.windows` must be prefetched (see centres.selectors)."""
        jurisdiction = jurisdiction or centre.jurisdiction
        return ServiceCentreOut(
            id=centre.pk,
            jurisdiction_code=jurisdiction.code,
            jurisdiction_name=jurisdiction.name,
            name=centre.name,
            address=centre.address,
            phone=centre.phone,
            opening_hours=centre.opening_hours,
            extended_hours=centre.extended_hours,
            windows=[WindowOut.from_window(w) for w in centre.windows.all()],
        )
