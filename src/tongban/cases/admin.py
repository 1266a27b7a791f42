"""Cases are read-only in the admin: every change goes through the workflow actions
(API or workbench), so the admin only lets platform staff look things up."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from tongban.accounts.admin import RecordsAdminReads
from tongban.accounts.models import Applicant
from tongban.cases.models import Case, CaseEvent, CaseMaterial, OverdueAlert, Shipment
from tongban.core.admin import ReadOnlyInline
from tongban.core.masking import mask_id_number, mask_name


class CaseEventInline(ReadOnlyInline):
    model = CaseEvent
    fields = (
        "seq",
        "action",
        "from_status",
        "to_status",
        "practice_code",
        "actor",
        "actor_role",
        "actor_jurisdiction",
        "at",
        "reason",
    )
    readonly_fields = fields
    ordering = ("seq",)


class OverdueAlertInline(ReadOnlyInline):
    model = OverdueAlert
    fields = ("level", "on", "status", "recipients", "created_at")
    readonly_fields = fields


class CaseMaterialInline(ReadOnlyInline):
    model = CaseMaterial
    fields = ("name", "state", "original_required", "original_posted", "licence_reference")
    readonly_fields = fields


class ShipmentInline(ReadOnlyInline):
    model = Shipment
    fields = (
        "purpose",
        "destination",
        "carrier",
        "waybill_number",
        "state",
        "shipped_at",
        "signed_at",
        "mismatch",
        "note",
        "return_of",
    )
    readonly_fields = fields


@admin.register(Case)
class CaseAdmin(RecordsAdminReads):
    list_display = (
        "number",
        "item",
        "mode",
        "status",
        "receiving_jurisdiction",
        "handling_jurisdiction",
        "masked_applicant",
        "received_at",
        "due_date",
    )
    list_filter = ("status", "mode", "channel", "handling_jurisdiction", "receiving_jurisdiction")
    search_fields = ("number", "item__name", "item__code")
    date_hierarchy = "received_at"
    list_select_related = ("item", "receiving_jurisdiction", "handling_jurisdiction", "applicant")
    inlines = (CaseMaterialInline, ShipmentInline, CaseEventInline, OverdueAlertInline)
    exclude = ("pickup_code_hash",)
    show_full_result_count = False  # an exact COUNT(*) over millions of cases is slow

    @admin.display(description="申请人")
    def masked_applicant(self, case: Case) -> str:
        applicant = case.applicant
        if applicant.kind == "person":
            return f"{mask_name(applicant.name)} {mask_id_number(applicant.id_number)}"
        return applicant.name

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        return [f.name for f in Case._meta.fields if f.name != "pickup_code_hash"]

    def admin_read(self, case: Case) -> tuple[Applicant, str, tuple[int | None, ...]]:
        """The case page shows the delivery address and materials unmasked."""
        return (
            case.applicant,
            case.number,
            (case.handling_jurisdiction_id, case.receiving_jurisdiction_id),
        )

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
