"""Admin: read-only views of ratings, rectification tasks and published summaries; every
change goes through ratings.actions."""

from __future__ import annotations

from django.contrib import admin

from tongban.core.admin import ReadOnlyAdmin, ReadOnlyInline
from tongban.ratings.models import (
    MonthlySummary,
    Rating,
    RatingEvent,
    RatingInvitation,
    Rectification,
)


class RatingEventInline(ReadOnlyInline):
    model = RatingEvent
    fields = readonly_fields = ("seq", "action", "actor_role", "at", "note")


@admin.register(Rating)
class RatingAdmin(ReadOnlyAdmin):
    list_display = [
        "id",
        "rated_at",
        "case",
        "consultation",
        "source",
        "level",
        "target_jurisdiction",
        "status",
    ]
    list_filter = ["level", "status", "source", "channel_kind", "target_jurisdiction"]
    date_hierarchy = "rated_at"
    inlines = [RatingEventInline]
    exclude = ["rater"]


@admin.register(Rectification)
class RectificationAdmin(ReadOnlyAdmin):
    list_display = ["id", "rating", "jurisdiction", "status", "due_date", "outcome"]
    list_filter = ["status", "jurisdiction"]


@admin.register(MonthlySummary)
class MonthlySummaryAdmin(ReadOnlyAdmin):
    list_display = ["month", "jurisdiction", "ratings", "average", "good_rate", "annulled"]
    list_filter = ["month"]


@admin.register(RatingInvitation)
class RatingInvitationAdmin(ReadOnlyAdmin):
    list_display = ["id", "case", "consultation", "created_at", "expires_at", "used_at"]
    exclude = ["token_hash"]
