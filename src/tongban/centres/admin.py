"""Admin for service centres and windows; saves go through regions.actions (audit rows,
role checks: platform administrators, or administrators of the centre's jurisdiction)."""

from __future__ import annotations

from django.contrib import admin

from tongban.centres.models import OpeningHours, ServiceCentre, Window
from tongban.regions.admin import MasterDataAdmin, MasterDataInline


class WindowInline(MasterDataInline):
    model = Window
    fields = ("code", "name", "kind", "active", "slot_capacity")


class OpeningHoursInline(MasterDataInline):
    """办公时间 and 错时延时 as rows; holiday closures come from the working-day calendar."""

    model = OpeningHours
    fields = ("weekday", "kind", "opens", "closes", "window")


@admin.register(ServiceCentre)
class ServiceCentreAdmin(MasterDataAdmin):
    jurisdiction_lookup = "jurisdiction"
    list_display = ("name", "jurisdiction", "opening_hours", "extended_hours", "phone")
    list_filter = (("jurisdiction", admin.RelatedOnlyFieldListFilter),)
    search_fields = ("name", "address", "jurisdiction__name", "jurisdiction__code")
    list_select_related = ("jurisdiction",)
    ordering = ("jurisdiction__code", "name")
    inlines = (WindowInline, OpeningHoursInline)


@admin.register(Window)
class WindowAdmin(MasterDataAdmin):
    jurisdiction_lookup = "centre__jurisdiction"
    list_display = ("code", "name", "kind", "centre", "jurisdiction", "active", "slot_capacity")
    list_filter = ("kind", "active", ("centre__jurisdiction", admin.RelatedOnlyFieldListFilter))
    search_fields = ("code", "name", "centre__name", "centre__jurisdiction__name")
    list_select_related = ("centre__jurisdiction",)
    ordering = ("centre__jurisdiction__code", "centre__name", "code")

    @admin.display(description="管辖地", ordering="centre__jurisdiction__code")
    def jurisdiction(self, obj: Window) -> str:
        return str(obj.centre.jurisdiction)
