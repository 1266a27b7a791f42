"""Admin: the statistics cursors and synthetic-history runs, read-only (the tables are
written only by `tongban refresh-stats` and `tongban seed-history`)."""

from __future__ import annotations

from django.contrib import admin

from tongban.core.admin import ReadOnlyAdmin
from tongban.stats.models import Cursor, HistoryImport


@admin.register(Cursor)
class CursorAdmin(ReadOnlyAdmin):
    list_display = ["name", "last_id", "updated_at"]


@admin.register(HistoryImport)
class HistoryImportAdmin(ReadOnlyAdmin):
    list_display = ["year", "scale", "cases", "consultations", "ratings", "created_at"]
