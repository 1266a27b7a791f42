"""Admin of the service catalogue (事项目录与实施清单). Every save goes through
catalog.actions, so it is permission-checked, validated and audited. A published or
retired implementation is read-only here (no edit, no delete); the admin actions 新建版本
/ 发布 / 停用 make a new draft, publish a draft, retire a published version."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect

from tongban.accounts.access import is_platform_admin, jurisdictions_with
from tongban.accounts.models import Role
from tongban.catalog.actions import (
    IMPLEMENTATION_FIELDS,
    ITEM_FIELDS,
    MATERIAL_FIELDS,
    create_implementation_draft,
    create_item,
    delete_draft,
    new_implementation_version,
    publish_implementation,
    retire_implementation,
    set_materials,
    update_draft,
    update_item,
)
from tongban.catalog.models import (
    BundlePart,
    Channel,
    DeliveryMethod,
    ItemBundle,
    ItemImplementation,
    Material,
    Mode,
    ServiceItem,
)
from tongban.catalog.selectors import manageable_jurisdiction_ids, readable_implementations
from tongban.core.admin import ReadOnlyAdmin, ReadOnlyInline
from tongban.core.errors import DomainError
from tongban.regions.models import Department, Jurisdiction

# ---------------------------------------------------------------- shared by both apps' admins


class ActionBackedAdmin(admin.ModelAdmin):
    """A domain error raised by an action during a save (a rule the form could not check,
    or a race) rolls the whole save back and comes back as a message on the page."""

    def changeform_view(
        self,
        request: HttpRequest,
        object_id: str | None = None,
        form_url: str = "",
        extra_context: dict[str, Any] | None = None,
    ) -> HttpResponse:
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except DomainError as exc:
            self.message_user(request, exc.message(), messages.ERROR)
            return HttpResponseRedirect(request.get_full_path())

    def delete_view(
        self, request: HttpRequest, object_id: str, extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        try:
            return super().delete_view(request, object_id, extra_context)
        except DomainError as exc:
            self.message_user(request, exc.message(), messages.ERROR)
            return HttpResponseRedirect(request.get_full_path())

    def construct_change_message(
        self, request: HttpRequest, form: Any, formsets: Any, add: bool = False
    ) -> Any:
        # inline rows are saved by actions, not by formset.save(); the audit rows carry
        # the details, the admin log only names the fields of the main form
        return [{"added": {}}] if add else [{"changed": {"fields": form.changed_data}}]

    def get_actions(self, request: HttpRequest) -> dict[str, Any]:
        found = super().get_actions(request)
        found.pop("delete_selected", None)  # deletions go one by one through an action
        return found


def run_for_each(
    model_admin: admin.ModelAdmin,
    request: HttpRequest,
    queryset: QuerySet[Any],
    action: Callable[[Any, Any], Any],
    done: str,
) -> None:
    """Apply an action to each selected row; report successes and every refusal."""
    succeeded = 0
    for obj in queryset:
        try:
            action(request.user, obj)
        except DomainError as exc:
            model_admin.message_user(request, f"{obj}:{exc.message()}", messages.ERROR)
        else:
            succeeded += 1
    if succeeded:
        model_admin.message_user(request, f"{done} {succeeded} 条。", messages.SUCCESS)


def inline_rows(formset: Any, fields: Iterable[str]) -> list[dict[str, Any]]:
    """The rows of an inline formset as action input: kept rows in order, each with the
    `id` of its existing object, if any; deleted and untouched blank rows left out."""
    rows = []
    for form in formset.forms:
        if not hasattr(form, "cleaned_data") or not form.cleaned_data:
            continue
        if formset.can_delete and formset._should_delete_form(form):
            continue
        row = {name: form.cleaned_data[name] for name in fields if name in form.cleaned_data}
        if form.instance.pk:
            row["id"] = form.instance.pk
        rows.append(row)
    return rows


def formset_changed(formset: Any) -> bool:
    return any(
        form.has_changed() or (formset.can_delete and formset._should_delete_form(form))
        for form in formset.forms
    )


def is_jurisdiction_admin(request: HttpRequest) -> bool:
    return bool(jurisdictions_with(request.user, {Role.ADMIN}))


def become_saved(instance: Any, saved: Any) -> None:
    """Make the admin's unsaved instance stand for the row an action created, so the
    admin can log it and redirect to it."""
    instance.pk = saved.pk
    instance._state.adding = False
    instance._state.db = saved._state.db
    for name in ("version", "status"):
        if hasattr(saved, name):
            setattr(instance, name, getattr(saved, name))


# ---------------------------------------------------------------- basic catalogue


@admin.register(ServiceItem)
class ServiceItemAdmin(ActionBackedAdmin):
    list_display = (
        "code",
        "name",
        "pinyin_initials",
        "item_type",
        "department_kind",
        "high_frequency",
    )
    list_filter = ("item_type", "department_kind", "high_frequency")
    search_fields = ("code", "name", "pinyin_initials")
    readonly_fields = ("pinyin_initials",)
    fields = (
        "code",
        "name",
        "pinyin_initials",
        "item_type",
        "department_kind",
        "high_frequency",
        "description",
        "form_kind",
        "applicant_kind",
    )
    ordering = ("code",)

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        return ("code", "pinyin_initials") if obj is not None else ("pinyin_initials",)

    def has_module_permission(self, request: HttpRequest) -> bool:
        return is_platform_admin(request.user) or is_jurisdiction_admin(request)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self.has_module_permission(request)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return is_platform_admin(request.user)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return is_platform_admin(request.user)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # cases and implementations refer to items; they are never deleted

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        data = form.cleaned_data
        if change:
            update_item(request.user, obj, **{k: data[k] for k in form.changed_data})
            obj.refresh_from_db()
        else:
            saved = create_item(
                request.user, code=data["code"], **{k: data[k] for k in ITEM_FIELDS}
            )
            become_saved(obj, saved)


# ---------------------------------------------------------------- implementations


class ImplementationForm(forms.ModelForm):
    modes = forms.MultipleChoiceField(
        label="支持的通办模式",
        choices=Mode.choices,
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )
    channels = forms.MultipleChoiceField(
        label="受理渠道",
        choices=Channel.choices,
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )
    delivery_methods = forms.MultipleChoiceField(
        label="送达方式",
        choices=DeliveryMethod.choices,
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )

    class Meta:
        model = ItemImplementation
        fields = ("item", "jurisdiction", *IMPLEMENTATION_FIELDS)

    def clean(self) -> dict[str, Any]:
        cleaned: dict[str, Any] = super().clean() or {}
        jurisdiction = cleaned.get("jurisdiction") or getattr(self.instance, "jurisdiction", None)
        department = cleaned.get("department")
        if (
            department is not None
            and jurisdiction is not None
            and department.jurisdiction_id != jurisdiction.pk
        ):
            self.add_error("department", "实施部门须属于实施管辖地。")
        item = cleaned.get("item")
        if self.instance.pk is None and item is not None and jurisdiction is not None:
            drafts = ItemImplementation.objects.filter(
                item=item, jurisdiction=jurisdiction, status=ItemImplementation.Status.DRAFT
            )
            if drafts.exists():
                raise ValidationError("该事项在本管辖地已有一份草稿,请直接修改该草稿。")
        return cleaned


class MaterialForm(forms.ModelForm):
    copies = forms.IntegerField(label="份数", min_value=1, initial=1)

    class Meta:
        model = Material
        fields = MATERIAL_FIELDS


class MaterialInline(admin.TabularInline):
    model = Material
    form = MaterialForm
    fields = MATERIAL_FIELDS
    extra = 0
    ordering = ("position", "pk")

    def _editable(self, request: HttpRequest, obj: Any) -> bool:
        if obj is None:
            return True
        if obj.is_frozen:
            return False
        managed = manageable_jurisdiction_ids(request.user)
        return managed is None or obj.jurisdiction_id in managed

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self._editable(request, obj)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self._editable(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self._editable(request, obj)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return True


@admin.register(ItemImplementation)
class ItemImplementationAdmin(ActionBackedAdmin):
    form = ImplementationForm
    inlines = (MaterialInline,)
    list_display = (
        "item",
        "jurisdiction",
        "version",
        "status",
        "promised_limit_days",
        "statutory_limit_days",
        "valid_from",
        "valid_to",
        "published_at",
    )
    list_filter = (
        "status",
        ("jurisdiction", admin.RelatedOnlyFieldListFilter),
        "item__department_kind",
        "result_type",
        "needs_originals",
    )
    search_fields = (
        "item__code",
        "item__name",
        "item__pinyin_initials",
        "jurisdiction__code",
        "jurisdiction__name",
        "implementation_code",
    )
    list_select_related = ("item", "jurisdiction")
    autocomplete_fields = ("item",)
    ordering = ("item__code", "jurisdiction__code", "-version")
    fieldsets = (
        (None, {"fields": ("item", "jurisdiction", "department", "version", "status")}),
        (
            "办理要素",
            {
                "fields": (
                    "implementation_code",
                    "legal_basis",
                    "conditions",
                    "statutory_limit_days",
                    "promised_limit_days",
                    "promised_limit_hours",
                    "fee",
                    "result_type",
                    "result_name",
                    "licence_type_code",
                )
            },
        ),
        (
            "通办方式",
            {
                "fields": (
                    "modes",
                    "channels",
                    "delivery_methods",
                    "needs_originals",
                    "originals_before_acceptance",
                )
            },
        ),
        ("有效期", {"fields": ("valid_from", "valid_to", "published_at")}),
    )
    actions = ("make_new_version", "publish", "retire")

    # ---- permissions --------------------------------------------------------------------

    def _may_edit(self, request: HttpRequest, obj: ItemImplementation | None) -> bool:
        managed = manageable_jurisdiction_ids(request.user)
        if obj is None:
            return managed is None or bool(managed)
        return not obj.is_frozen and (managed is None or obj.jurisdiction_id in managed)

    def has_module_permission(self, request: HttpRequest) -> bool:
        return is_platform_admin(request.user) or is_jurisdiction_admin(request)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self.has_module_permission(request)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return self._may_edit(request, None)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self._may_edit(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self._may_edit(request, obj)

    def get_queryset(self, request: HttpRequest) -> QuerySet[ItemImplementation]:
        return readable_implementations(request.user).select_related("item", "jurisdiction")

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        always = ("version", "status", "valid_from", "published_at")
        return always if obj is None else ("item", "jurisdiction", *always)

    def formfield_for_foreignkey(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        managed = manageable_jurisdiction_ids(request.user)
        if managed is not None:
            if db_field.name == "jurisdiction":
                kwargs["queryset"] = Jurisdiction.objects.filter(pk__in=managed)
            elif db_field.name == "department":
                kwargs["queryset"] = Department.objects.filter(jurisdiction_id__in=managed)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    # ---- writes through actions ----------------------------------------------------------

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        pass  # everything is saved in save_related, with the materials, by one action call

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        data = form.cleaned_data
        fields = {k: data[k] for k in IMPLEMENTATION_FIELDS if k in data and k != "department"}
        materials_formset = next((f for f in formsets if f.model is Material), None)
        materials = inline_rows(materials_formset, MATERIAL_FIELDS) if materials_formset else []
        if not change:
            for row in materials:
                row.pop("id", None)
            saved = create_implementation_draft(
                request.user,
                data["item"],
                data["jurisdiction"],
                data["department"],
                materials=materials,
                **fields,
            )
            become_saved(form.instance, saved)
            return
        obj = form.instance
        changed = {k: v for k, v in fields.items() if k in form.changed_data}
        if "department" in form.changed_data:
            changed["department"] = data["department"]
        if changed:
            update_draft(request.user, obj, **changed)
        if materials_formset is not None and formset_changed(materials_formset):
            set_materials(request.user, obj, materials)

    def delete_model(self, request: HttpRequest, obj: Any) -> None:
        delete_draft(request.user, obj)

    # ---- admin actions -------------------------------------------------------------------

    @admin.action(description="新建版本(复制为草稿)")
    def make_new_version(self, request: HttpRequest, queryset: QuerySet[Any]) -> None:
        run_for_each(self, request, queryset, new_implementation_version, "已新建草稿版本")

    @admin.action(description="发布")
    def publish(self, request: HttpRequest, queryset: QuerySet[Any]) -> None:
        run_for_each(self, request, queryset, publish_implementation, "已发布")

    @admin.action(description="停用")
    def retire(self, request: HttpRequest, queryset: QuerySet[Any]) -> None:
        run_for_each(self, request, queryset, retire_implementation, "已停用")


# ---------------------------------------------------------------- "一件事" bundles


class BundlePartInline(ReadOnlyInline):
    model = BundlePart
    fields = ("position", "item", "optional")


@admin.register(ItemBundle)
class ItemBundleAdmin(ReadOnlyAdmin):
    """Read-only: bundles are defined by `catalog.actions.define_bundle` (seed data)."""

    list_display = ("code", "name", "lead_item", "active")
    inlines = (BundlePartInline,)

    def has_module_permission(self, request: HttpRequest) -> bool:
        return is_platform_admin(request.user) or is_jurisdiction_admin(request)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self.has_module_permission(request)
