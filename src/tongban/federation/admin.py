"""The node's operations pages (platform admins only): peers with queue depth, last
success and failures; the message log of both directions; refusals; agreement
handshakes. Nothing is edited by hand: the one action, 重新发送 / resend, goes through
federation.actions.resend_message (audit row)."""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse

from tongban.accounts.access import is_platform_admin
from tongban.core.errors import DomainError
from tongban.federation import actions
from tongban.federation.models import (
    AgreementCheck,
    InboundMessage,
    OutboundMessage,
    PeerStatus,
    RejectedMessage,
)


class ReadOnlyAdmin(admin.ModelAdmin):
    """Evidence: seen by platform admins, never added, edited or deleted here."""

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return is_platform_admin(request.user)

    def has_module_permission(self, request: HttpRequest) -> bool:
        return is_platform_admin(request.user)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(PeerStatus)
class PeerStatusAdmin(ReadOnlyAdmin):
    def changelist_view(
        self, request: HttpRequest, extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        from tongban.federation.selectors import peer_overview

        if not self.has_view_permission(request):
            from django.core.exceptions import PermissionDenied

            raise PermissionDenied
        rows: list[Any] = []
        problem = ""
        try:
            rows = peer_overview()
        except DomainError as error:
            problem = error.message()
        context = {
            **self.admin_site.each_context(request),
            "title": "对方节点 / Peer nodes",
            "opts": self.model._meta,
            "rows": rows,
            "problem": problem,
        }
        return TemplateResponse(request, "admin/federation/peers.html", context)


@admin.register(OutboundMessage)
class OutboundMessageAdmin(ReadOnlyAdmin):
    list_display = (
        "created_at",
        "peer",
        "kind",
        "case_ref",
        "seq",
        "state",
        "attempts",
        "next_attempt_at",
        "delivered_at",
        "receipt_status",
        "error_code",
        "last_error",
    )
    list_filter = ("state", "peer", "kind")
    search_fields = ("message_id", "case_ref")
    # the body and signed forms carry applicant data: not shown in the list
    fields = (
        "message_id",
        "peer",
        "kind",
        "case_ref",
        "seq",
        "jurisdiction",
        "agreement_code",
        "agreement_version",
        "agreement_fingerprint",
        "digest",
        "created_at",
        "state",
        "attempts",
        "last_attempt_at",
        "next_attempt_at",
        "delivered_at",
        "receipt_status",
        "error_code",
        "last_error",
        "jws",
        "receipt",
    )
    readonly_fields = fields
    actions = ["resend"]

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # the resend action needs "change"; the form itself stays read-only
        return is_platform_admin(request.user)

    @admin.action(description="重新发送 / Resend now")
    def resend(self, request: HttpRequest, queryset: QuerySet[OutboundMessage]) -> None:
        done = 0
        for message in queryset:
            try:
                actions.resend_message(request.user, message)
                done += 1
            except DomainError as error:
                self.message_user(
                    request, f"{message.message_id}: {error.message()}", messages.WARNING
                )
        if done:
            self.message_user(request, f"已重新排队 {done} 条 / {done} queued again")


@admin.register(InboundMessage)
class InboundMessageAdmin(ReadOnlyAdmin):
    list_display = (
        "received_at",
        "peer",
        "kind",
        "case_ref",
        "seq",
        "jurisdiction",
        "state",
        "applied_at",
        "signed_at",
    )
    list_filter = ("state", "peer", "kind")
    search_fields = ("message_id", "case_ref")
    exclude = ("body",)


@admin.register(RejectedMessage)
class RejectedMessageAdmin(ReadOnlyAdmin):
    list_display = (
        "received_at",
        "code",
        "claimed_peer",
        "claimed_message_id",
        "remote_address",
        "reason",
    )
    list_filter = ("code", "claimed_peer")


@admin.register(AgreementCheck)
class AgreementCheckAdmin(ReadOnlyAdmin):
    list_display = (
        "peer",
        "agreement_code",
        "agreement_version",
        "agreed",
        "error_code",
        "fingerprint",
        "peer_fingerprint",
        "checked_at",
    )
    list_filter = ("peer", "agreed")
