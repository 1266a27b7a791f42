from __future__ import annotations

from django.contrib import admin

from tongban.attachments.models import Attachment


@admin.register(Attachment)
class AttachmentAdmin(admin.ModelAdmin):
    """Read-only: files are added through the workbench (attachments.actions)."""

    list_display = ("original_name", "case", "content_type", "size", "uploaded_by", "uploaded_at")
    list_filter = ("content_type",)
    search_fields = ("case__number", "sha256", "original_name")
    readonly_fields = [f.name for f in Attachment._meta.fields]

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
