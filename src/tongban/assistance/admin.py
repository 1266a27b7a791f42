from django.contrib import admin

from tongban.assistance.models import AssistanceRecord
from tongban.core.admin import ReadOnlyAdmin


@admin.register(AssistanceRecord)
class AssistanceRecordAdmin(ReadOnlyAdmin):
    """Read-only: records are written by `record_assistance` only (append-only)."""

    list_display = ("case", "jurisdiction", "role", "consent_method", "recorded_at")
    list_filter = ("role", "consent_method")
    raw_id_fields = ("case", "consultation", "helper")
