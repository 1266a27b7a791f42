"""Admin of the hall's master data (business lines and their ticket prefixes); bookings
and tickets are read-only here: they change only through hall/actions.py."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from tongban.hall.models import Appointment, BusinessLine, Ticket
from tongban.masterdata.admin import MasterDataAdmin


@admin.register(BusinessLine)
class BusinessLineAdmin(MasterDataAdmin):
    jurisdiction_lookup = "centre__jurisdiction"
    list_display = ("prefix", "name", "centre", "position", "active")
    list_filter = ("active",)
    search_fields = ("name", "prefix", "centre__name")
    list_select_related = ("centre",)
    filter_horizontal = ("windows", "items")
    ordering = ("centre__jurisdiction__code", "position")


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return bool(request.user.is_superuser)


@admin.register(Appointment)
class AppointmentAdmin(ReadOnlyAdmin):
    list_display = ("day", "starts", "centre", "window", "item", "status", "channel")
    list_filter = ("status", "channel", "day")
    list_select_related = ("centre", "window", "item")


@admin.register(Ticket)
class TicketAdmin(ReadOnlyAdmin):
    list_display = ("code", "day", "centre", "status", "window", "taken_at", "called_at")
    list_filter = ("status", "day")
    list_select_related = ("centre", "window")
