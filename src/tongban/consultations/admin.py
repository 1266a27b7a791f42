"""Admin: read-only views of consultations (every change goes through the actions, which
keep the event trail); phones are masked in the list."""

from __future__ import annotations

from django.contrib import admin

from tongban.consultations.models import Consultation, ConsultationEvent
from tongban.core.admin import ReadOnlyAdmin, ReadOnlyInline
from tongban.core.masking import mask_phone


class EventInline(ReadOnlyInline):
    model = ConsultationEvent
    fields = readonly_fields = (
        "seq",
        "action",
        "from_status",
        "to_status",
        "actor",
        "actor_jurisdiction",
        "at",
    )


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
