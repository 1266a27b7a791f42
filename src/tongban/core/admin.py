"""Admin bases shared by every app: rows that only actions write (history, records made by
the workflow) are shown in the admin, never added, changed or deleted there."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest


class NoWritesInAdmin:
    """Refuses add, change and delete; the view permission is the admin's usual one."""

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class ReadOnlyAdmin(NoWritesInAdmin, admin.ModelAdmin):
    """Rows are made only by actions; the admin shows them (and may call actions)."""


class ReadOnlyInline(NoWritesInAdmin, admin.TabularInline):
    """A parent's history or parts, listed under it and never edited there."""

    extra = 0
    can_delete = False
