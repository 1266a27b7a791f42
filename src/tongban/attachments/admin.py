from __future__ import annotations

from django.contrib import admin

from tongban.attachments.models import Attachment
from tongban.core.admin import ReadOnlyAdmin


@admin.register(Attachment)
class AttachmentAdmin(ReadOnlyAdmin):
    """Read-only: files are added through the workbench (attachments.actions)."""

    list_display = ("original_name", "case", "content_type", "size", "uploaded_by", "uploaded_at")
    list_filter = ("content_type",)
    search_fields = ("case__number", "sha256", "original_name")
    readonly_fields = [f.name for f in Attachment._meta.fields]
