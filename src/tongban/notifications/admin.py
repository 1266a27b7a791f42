"""Admin of the notification outbox: what was sent to whom (masked), what failed and why,
and two actions: 重新发送 (failed / in-doubt → queue again) and 确认已送达 (in-doubt →
sent, after checking the mail server's log). Nothing is edited by hand; both actions go
through notifications.actions (scope check + audit row)."""

from __future__ import annotations

import json
from typing import Any

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.html import format_html

from tongban.accounts.access import is_platform_admin, jurisdictions_with
from tongban.accounts.models import Role
from tongban.core.admin import ReadOnlyInline
from tongban.core.errors import DomainError
from tongban.notifications.actions import confirm_delivered, resend_messages
from tongban.notifications.models import OutboxDelivery, OutboxMessage
from tongban.notifications.redaction import masked_recipient, redact_context
from tongban.notifications.selectors import readable_outbox_messages


def _may_use(request: HttpRequest) -> bool:
    return is_platform_admin(request.user) or bool(jurisdictions_with(request.user, [Role.ADMIN]))


class OutboxDeliveryInline(ReadOnlyInline):
    model = OutboxDelivery
    fields = (
        "channel",
        "state",
        "reference",
        "attempts",
        "started_at",
        "finished_at",
        "last_error",
    )
    readonly_fields = fields

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return _may_use(request)


@admin.register(OutboxMessage)
class OutboxMessageAdmin(admin.ModelAdmin):
    list_display = (
        "id",
        "created_at",
        "template",
        "case_number",
        "addressee",
        "state",
        "attempts",
        "next_attempt_at",
        "last_error",
    )
    list_filter = ("state", "template")
    search_fields = ("case__number",)
    list_select_related = ("case", "applicant", "recipient")
    ordering = ("-created_at", "-id")
    actions = ("resend", "confirm")
    inlines = (OutboxDeliveryInline,)
    fields = (
        "case_number",
        "addressee",
        "template",
        "language",
        "state",
        "attempts",
        "next_attempt_at",
        "created_at",
        "sent_at",
        "last_error",
        "context_shown",
    )
    readonly_fields = fields

    # ---- permissions: read-only, scoped; changes only through the two actions ----------

    def has_module_permission(self, request: HttpRequest) -> bool:
        return _may_use(request)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return _may_use(request)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # the list's actions need "change"; a single message's page is view-only
        return obj is None and _may_use(request)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def get_queryset(self, request: HttpRequest) -> QuerySet[OutboxMessage]:
        return readable_outbox_messages(request.user)

    # ---- columns ------------------------------------------------------------------------

    @admin.display(description="办件编号", ordering="case__number")
    def case_number(self, obj: OutboxMessage) -> str:
        return obj.case.number if obj.case else "—"

    @admin.display(description="收件人")
    def addressee(self, obj: OutboxMessage) -> str:
        # a staff notification (ADR 0093) goes to `recipient`, otherwise to the applicant
        target: Any = obj.recipient if obj.recipient_id else obj.applicant
        if target is None:
            return "—"
        return masked_recipient(target.email, target.phone)

    @admin.display(description="内容(已隐去取件码)")
    def context_shown(self, obj: OutboxMessage) -> str:
        text = json.dumps(redact_context(obj.context), ensure_ascii=False, indent=2)
        return format_html("<pre>{}</pre>", text)

    # ---- actions ------------------------------------------------------------------------

    @admin.action(description="重新发送", permissions=["change"])
    def resend(self, request: HttpRequest, queryset: QuerySet[OutboxMessage]) -> None:
        try:
            count = resend_messages(request.user, queryset.values_list("id", flat=True))
        except DomainError as error:
            self.message_user(request, error.message(), messages.ERROR)
            return
        self.message_user(request, f"已重新排队 {count} 条通知(只重发失败或待核实的渠道)。")

    @admin.action(description="确认已送达(已在邮件服务器日志中核实)", permissions=["change"])
    def confirm(self, request: HttpRequest, queryset: QuerySet[OutboxMessage]) -> None:
        try:
            count = confirm_delivered(request.user, queryset.values_list("id", flat=True))
        except DomainError as error:
            self.message_user(request, error.message(), messages.ERROR)
            return
        self.message_user(request, f"已确认 {count} 条待核实通知为已送达。")
