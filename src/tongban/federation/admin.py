"""The node's operations pages (platform admins only): peers with queue depth, last
success and failures; the message log of both directions; refusals; agreement
handshakes. Nothing is edited by hand: the one action, 重新发送 / resend, goes through
federation.actions.resend_message (audit row)."""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse
from django.views.decorators.http import require_POST

from tongban.accounts.access import is_platform_admin
from tongban.core.errors import DomainError
from tongban.federation import actions
from tongban.federation.models import (
    AgreementCheck,
    InboundMessage,
    OutboundMessage,
    PeerStatus,
    ReconcileDay,
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
        from tongban.federation.reconcile import peer_reconciliation
        from tongban.federation.selectors import peer_overview

        if not self.has_view_permission(request):
            raise PermissionDenied
        rows: list[Any] = []
        problem = ""
        try:
            rows = peer_overview()
        except DomainError as error:
            problem = error.message()
        reconciliation = peer_reconciliation()
        context = {
            **self.admin_site.each_context(request),
            "title": "对方节点 / Peer nodes",
            "opts": self.model._meta,
            "rows": [(row, reconciliation.get(row.code)) for row in rows],
            "problem": problem,
        }
        return TemplateResponse(request, "admin/federation/peers.html", context)

    def get_urls(self) -> list[URLPattern]:
        return [
            path(
                "reconcile/",
                self.admin_site.admin_view(require_POST(self.reconcile_view)),
                name="federation_peerstatus_reconcile",
            ),
            *super().get_urls(),
        ]

    def reconcile_view(self, request: HttpRequest) -> HttpResponse:
        """立即核对 / Reconcile now: queue this node's statistics figures to every peer."""
        from tongban.federation.reconcile import send_reports

        if not self.has_view_permission(request):
            raise PermissionDenied
        try:
            result = send_reports(request.user)
        except DomainError as error:
            self.message_user(request, error.message(), messages.ERROR)
        else:
            self.message_user(
                request,
                f"已排队 {len(result.queued)} 份统计核对 / {len(result.queued)} queued",
            )
            for label in result.unconfirmed:
                self.message_user(
                    request,
                    f"{label}: 协议尚未与对方核对一致 / agreement not confirmed",
                    messages.WARNING,
                )
        return HttpResponseRedirect(reverse("admin:federation_peerstatus_changelist"))


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


@admin.register(ReconcileDay)
class ReconcileDayAdmin(ReadOnlyAdmin):
    """Both nodes' figures per peer, agreement and day; the comparison with the case
    numbers is on the agreement's statistics page and in the stats API (ADR 0133)."""

    list_display = (
        "day",
        "peer",
        "agreement_code",
        "agreement_version",
        "result",
        "own_at",
        "theirs_at",
    )
    list_filter = ("peer", "agreement_code")
    date_hierarchy = "day"

    @admin.display(description="核对结果 / Result")
    def result(self, obj: ReconcileDay) -> str:
        from tongban.federation.reconcile import compare

        matched = compare(obj)["matched"]
        if matched is None:
            return "对方未报 / not reported"
        return "一致 / matched" if matched else "不一致 / mismatch"
