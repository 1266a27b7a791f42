"""Admin of cooperation agreements (合作协议). Saves go through agreements.actions (checked,
validated, with an AgreementEvent and an audit row). Only drafts can be edited: active,
suspended, expired and superseded versions are read-only; the admin actions 新建版本 /
生效 / 暂停 / 恢复 / 终止 move versions along their life cycle."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest

from tongban.accounts.access import is_platform_admin, jurisdictions_with
from tongban.accounts.models import Role
from tongban.agreements.actions import (
    AGREEMENT_FIELDS,
    PARTY_FIELDS,
    activate_agreement,
    create_agreement_draft,
    delete_agreement_draft,
    expire_agreement,
    new_agreement_version,
    resume_agreement,
    suspend_agreement,
    update_agreement_draft,
)
from tongban.agreements.models import Agreement, AgreementEvent, AgreementItem, AgreementParty
from tongban.agreements.selectors import readable_agreements
from tongban.catalog.admin import (
    ActionBackedAdmin,
    become_saved,
    formset_changed,
    inline_rows,
    is_jurisdiction_admin,
    run_for_each,
)
from tongban.catalog.models import Mode
from tongban.core.admin import ReadOnlyAdmin, ReadOnlyInline

ITEM_INPUT_FIELDS = ("item", "modes", "receiving_jurisdictions", "handling_jurisdictions")


def _may_edit(request: HttpRequest, agreement: Agreement | None) -> bool:
    if agreement is None:
        return is_platform_admin(request.user) or is_jurisdiction_admin(request)
    if agreement.status != Agreement.Status.DRAFT:
        return False
    if is_platform_admin(request.user):
        return True
    admin_of = jurisdictions_with(request.user, {Role.ADMIN})
    return any(p.jurisdiction_id in admin_of for p in agreement.parties.all())


class _EditableWhileDraft:
    """An agreement's parties and items: edited while it is a draft, by whom `_may_edit`
    says; seen always."""

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return _may_edit(request, obj)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return _may_edit(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return _may_edit(request, obj)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return True


class AgreementPartyInline(_EditableWhileDraft, admin.TabularInline):
    model = AgreementParty
    fields = ("jurisdiction", *PARTY_FIELDS)
    extra = 0


class AgreementItemForm(forms.ModelForm):
    modes = forms.MultipleChoiceField(
        label="通办模式", choices=Mode.choices, widget=forms.CheckboxSelectMultiple
    )

    class Meta:
        model = AgreementItem
        fields = ITEM_INPUT_FIELDS


class AgreementItemInline(_EditableWhileDraft, admin.StackedInline):
    model = AgreementItem
    form = AgreementItemForm
    fields = ITEM_INPUT_FIELDS
    autocomplete_fields = ("item",)
    filter_horizontal = ("receiving_jurisdictions", "handling_jurisdictions")
    extra = 0


class AgreementEventInline(ReadOnlyInline):
    model = AgreementEvent
    fields = ("at", "action", "actor", "note")
    readonly_fields = fields
    verbose_name_plural = "本版本变更记录"

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return True


@admin.register(Agreement)
class AgreementAdmin(ActionBackedAdmin):
    inlines = (AgreementPartyInline, AgreementItemInline, AgreementEventInline)
    list_display = (
        "code",
        "version",
        "title",
        "status",
        "signed_on",
        "valid_from",
        "valid_to",
        "party_count",
    )
    list_filter = ("status", ("parties__jurisdiction", admin.RelatedOnlyFieldListFilter))
    search_fields = ("code", "title", "parties__jurisdiction__name", "parties__jurisdiction__code")
    ordering = ("code", "-version")
    fields = (
        "code",
        "version",
        "status",
        "title",
        "signed_on",
        "valid_from",
        "valid_to",
        "supersedes",
        "notes",
    )
    actions = ("make_new_version", "activate", "suspend", "resume", "expire")

    @admin.display(description="成员数")
    def party_count(self, obj: Agreement) -> int:
        return len(obj.parties.all())

    # ---- permissions --------------------------------------------------------------------

    def has_module_permission(self, request: HttpRequest) -> bool:
        return is_platform_admin(request.user) or is_jurisdiction_admin(request)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self.has_module_permission(request)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return _may_edit(request, None)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return _may_edit(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return obj is not None and _may_edit(request, obj)

    def get_queryset(self, request: HttpRequest) -> QuerySet[Agreement]:
        return readable_agreements(request.user).prefetch_related("parties")

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        always = ("version", "status", "supersedes")
        return always if obj is None else ("code", *always)

    # ---- writes through actions ----------------------------------------------------------

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        pass  # saved in save_related together with parties and items, by one action call

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        data = form.cleaned_data
        party_formset = next(f for f in formsets if f.model is AgreementParty)
        item_formset = next(f for f in formsets if f.model is AgreementItem)
        parties = [
            {k: v for k, v in row.items() if k != "id"}
            for row in inline_rows(party_formset, ("jurisdiction", *PARTY_FIELDS))
        ]
        items = [
            {
                k: (list(v) if k.endswith("jurisdictions") else v)
                for k, v in row.items()
                if k != "id"
            }
            for row in inline_rows(item_formset, ITEM_INPUT_FIELDS)
        ]
        if not change:
            saved = create_agreement_draft(
                request.user,
                code=data["code"],
                parties=parties,
                items=items,
                **{k: data[k] for k in AGREEMENT_FIELDS if k in data},
            )
            become_saved(form.instance, saved)
            return
        changes: dict[str, Any] = {k: data[k] for k in AGREEMENT_FIELDS if k in form.changed_data}
        if formset_changed(party_formset):
            changes["parties"] = parties
        if formset_changed(item_formset):
            changes["items"] = items
        if changes:
            update_agreement_draft(request.user, form.instance, **changes)

    def delete_model(self, request: HttpRequest, obj: Any) -> None:
        delete_agreement_draft(request.user, obj)

    # ---- admin actions -------------------------------------------------------------------

    @admin.action(description="新建版本(复制为草稿)")
    def make_new_version(self, request: HttpRequest, queryset: QuerySet[Any]) -> None:
        run_for_each(self, request, queryset, new_agreement_version, "已新建草稿版本")

    @admin.action(description="生效")
    def activate(self, request: HttpRequest, queryset: QuerySet[Any]) -> None:
        run_for_each(self, request, queryset, activate_agreement, "已生效")

    @admin.action(description="暂停")
    def suspend(self, request: HttpRequest, queryset: QuerySet[Any]) -> None:
        run_for_each(self, request, queryset, suspend_agreement, "已暂停")

    @admin.action(description="恢复")
    def resume(self, request: HttpRequest, queryset: QuerySet[Any]) -> None:
        run_for_each(self, request, queryset, resume_agreement, "已恢复")

    @admin.action(description="终止(到期)")
    def expire(self, request: HttpRequest, queryset: QuerySet[Any]) -> None:
        run_for_each(self, request, queryset, expire_agreement, "已终止")


@admin.register(AgreementEvent)
class AgreementEventAdmin(ReadOnlyAdmin):
    list_display = ("at", "agreement", "version", "action", "actor", "note")
    list_filter = ("action",)
    search_fields = ("agreement__code", "agreement__title", "note")
    list_select_related = ("agreement", "actor")
    ordering = ("-at", "-id")
    date_hierarchy = "at"

    @admin.display(description="版本", ordering="agreement__version")
    def version(self, obj: AgreementEvent) -> int:
        return obj.agreement.version

    def has_module_permission(self, request: HttpRequest) -> bool:
        return is_platform_admin(request.user) or is_jurisdiction_admin(request)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self.has_module_permission(request)

    def get_queryset(self, request: HttpRequest) -> QuerySet[AgreementEvent]:
        return super().get_queryset(request).filter(agreement__in=readable_agreements(request.user))
