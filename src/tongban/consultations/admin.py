"""Admin: read-only views of consultations (every change goes through the actions, which
keep the event trail); phones are masked in the list."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from tongban.consultations.models import Consultation, ConsultationEvent
from tongban.core.masking import mask_phone


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class EventInline(admin.TabularInline):
    model = ConsultationEvent
    extra = 0
    can_delete = False
    fields = readonly_fields = (
        "seq",
        "action",
        "from_status",
        "to_status",
        "actor",
        "actor_jurisdiction",
        "at",
    )

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Consultation)
class ConsultationAdmin(ReadOnlyAdmin):
    list_display = [
        "id",
        "asked_at",
        "jurisdiction",
        "channel",
        "topic",
        "status",
        "forwarded_to",
        "masked_phone",
    ]
    list_filter = ["status", "channel", "jurisdiction"]
    search_fields = ["topic", "question"]
    date_hierarchy = "asked_at"
    inlines = [EventInline]
    exclude = ["asker_phone"]

    @admin.display(description="联系电话")
    def masked_phone(self, obj: Consultation) -> str:
        return mask_phone(obj.asker_phone)
