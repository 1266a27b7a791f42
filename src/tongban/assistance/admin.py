from django.contrib import admin

from tongban.assistance.models import AssistanceRecord


@admin.register(AssistanceRecord)
class AssistanceRecordAdmin(admin.ModelAdmin):
    """Read-only: records are written by `record_assistance` only (append-only)."""

    list_display = ("case", "jurisdiction", "role", "consent_method", "recorded_at")
    list_filter = ("role", "consent_method")
    raw_id_fields = ("case", "consultation", "helper")

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
