"""Admin site for accounts. Lists never show a full ID number or phone; changes made here
are written to the audit log like those made through the actions."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.http import HttpRequest, HttpResponse

from tongban.accounts import personal_data
from tongban.accounts.actions import sync_admin_flags
from tongban.accounts.identifiers import validate_id_number, validate_uscc
from tongban.accounts.models import (
    ApiToken,
    Applicant,
    PersonalDataRead,
    Role,
    RoleAssignment,
    User,
)
from tongban.core.admin import ReadOnlyAdmin
from tongban.core.audit import record_audit
from tongban.core.crypto import blind_index
from tongban.core.errors import Invalid
from tongban.core.masking import mask_address, mask_id_number, mask_name, mask_phone


class RoleAssignmentInline(admin.TabularInline):
    model = RoleAssignment
    extra = 0
    raw_id_fields = ["window"]
    verbose_name = "角色授权"
    verbose_name_plural = "角色授权(平台管理员不填管辖地)"


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    inlines = [RoleAssignmentInline]
    list_display = ["username", "display_name", "kind", "roles", "is_active", "is_staff"]
    list_filter = ["kind", "is_active", "is_staff", "is_superuser", "role_assignments__role"]
    search_fields = ["username", "display_name"]
    ordering = ["username"]
    fieldsets = (
        (None, {"fields": ("username", "password")}),
        ("基本信息", {"fields": ("kind", "display_name", "phone", "email")}),
        (
            "权限",
            {
                "fields": ("is_active", "is_staff", "is_superuser", "groups"),
                "description": "平台管理员为超级用户;管辖地管理员可进入管理后台维护主数据。",
            },
        ),
        ("登录记录", {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = (
        (
            None,
            {
                "classes": ("wide",),
                "fields": ("username", "kind", "display_name", "password1", "password2"),
            },
        ),
    )
    readonly_fields = ["last_login", "date_joined"]

    def get_inline_instances(self, request: HttpRequest, obj: Any = None) -> list[Any]:
        # roles are granted once the account exists (as in Django's own two-step add)
        return super().get_inline_instances(request, obj) if obj is not None else []

    def get_queryset(self, request: HttpRequest) -> Any:
        return super().get_queryset(request).prefetch_related("role_assignments__jurisdiction")

    @admin.display(description="角色")
    def roles(self, obj: User) -> str:
        return ";".join(
            f"{a.get_role_display()}{'·' + a.jurisdiction.short_name if a.jurisdiction else ''}"
            for a in obj.role_assignments.all()
        )

    def save_model(self, request: HttpRequest, obj: User, form: Any, change: bool) -> None:
        super().save_model(request, obj, form, change)
        record_audit(
            request.user,
            "admin_change_user" if change else "admin_add_user",
            obj,
            f"管理后台{'修改' if change else '新增'}账号 {obj.username}",
            {"fields": sorted(form.changed_data)},
        )

    def save_formset(self, request: HttpRequest, form: Any, formset: Any, change: bool) -> None:
        roles = RoleAssignment.objects.filter(user=form.instance).values_list("role", flat=True)
        before = set(roles)
        super().save_formset(request, form, formset, change)
        if formset.model is RoleAssignment and formset.has_changed():
            after = set(roles.all())
            for role in (Role.ADMIN, Role.PLATFORM_ADMIN):
                if (role in before) != (role in after):
                    sync_admin_flags(form.instance, role)
            record_audit(
                request.user,
                "admin_change_roles",
                form.instance,
                f"管理后台调整角色 {form.instance.username}",
                {
                    "roles": [
                        {"role": a.role, "jurisdiction": a.jurisdiction_id}
                        for a in RoleAssignment.objects.filter(user=form.instance)
                    ]
                },
            )


class ApplicantAdminForm(forms.ModelForm):
    """The same identifier checks as the actions, shown next to the field."""

    class Meta:
        model = Applicant
        fields = [
            "kind",
            "name",
            "id_number",
            "uscc",
            "agent_name",
            "agent_id_number",
            "phone",
            "email",
            "address",
            "bad_credit",
            "user",
        ]

    def _checked(self, name: str, validate: Any) -> str:
        value = self.cleaned_data.get(name) or ""
        if not value:
            return value
        try:
            return str(validate(value))
        except Invalid as exc:
            raise forms.ValidationError(exc.zh, code=exc.code) from exc

    def clean_id_number(self) -> str:
        return self._checked("id_number", validate_id_number)

    def clean_agent_id_number(self) -> str:
        return self._checked("agent_id_number", validate_id_number)

    def clean_uscc(self) -> str:
        return self._checked("uscc", validate_uscc)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        kind = data.get("kind")
        if kind == Applicant.Kind.PERSON and not data.get("id_number"):
            self.add_error("id_number", "自然人须填写公民身份号码。")
        if kind == Applicant.Kind.ENTERPRISE and not data.get("uscc"):
            self.add_error("uscc", "企业须填写统一社会信用代码。")
        return data


class RecordsAdminReads(admin.ModelAdmin):
    """For a change form that shows personal data in full: each opening is a recorded read
    (个人信息查阅记录), of the applicant `admin_read` names for the row shown."""

    def admin_read(self, obj: Any) -> tuple[Applicant, str, tuple[int | None, ...]]:
        """(whose data, the reference recorded, the jurisdictions the read is made in)."""
        raise NotImplementedError

    def change_view(
        self,
        request: HttpRequest,
        object_id: str,
        form_url: str = "",
        extra_context: dict[str, Any] | None = None,
    ) -> HttpResponse:
        response = super().change_view(request, object_id, form_url, extra_context)
        if request.method == "GET" and response.status_code == 200:
            obj = self.get_object(request, object_id)
            if obj is not None:
                subject, reference, jurisdiction_ids = self.admin_read(obj)
                personal_data.record_read(
                    request.user,
                    subject,
                    personal_data.Purpose.ADMIN,
                    reference,
                    personal_data.Channel.ADMIN,
                    jurisdiction_ids,
                )
        return response


@admin.register(Applicant)
class ApplicantAdmin(RecordsAdminReads):
    form = ApplicantAdminForm
    list_display = [
        "masked_name",
        "kind",
        "masked_identifier_column",
        "masked_phone",
        "masked_address",
        "agent",
        "bad_credit",
        "created_at",
    ]
    list_filter = ["kind", "bad_credit"]
    # name and USCC by substring; an ID number only as an exact match (no fishing), through
    # its blind index because the column itself is encrypted (ADR 0098)
    search_fields = ["name", "uscc"]
    raw_id_fields = ["user"]
    readonly_fields = ["created_at"]
    fieldsets = (
        (None, {"fields": ("kind", "name", "id_number", "uscc")}),
        ("经办人", {"fields": ("agent_name", "agent_id_number")}),
        ("联系方式", {"fields": ("phone", "email", "address")}),
        ("其他", {"fields": ("bad_credit", "user", "created_at")}),
    )

    @admin.display(description="姓名/名称", ordering="name")
    def get_search_results(
        self, request: HttpRequest, queryset: Any, search_term: str
    ) -> tuple[Any, bool]:
        results, may_have_duplicates = super().get_search_results(request, queryset, search_term)
        index = blind_index("identifier", search_term)
        if index:
            results |= queryset.filter(id_number_index=index)
        return results, may_have_duplicates

    def masked_name(self, obj: Applicant) -> str:
        return mask_name(obj.name) if obj.kind == Applicant.Kind.PERSON else obj.name

    @admin.display(description="证件号码")
    def masked_identifier_column(self, obj: Applicant) -> str:
        return obj.masked_identifier

    @admin.display(description="联系电话")
    def masked_phone(self, obj: Applicant) -> str:
        return mask_phone(obj.phone)

    @admin.display(description="联系地址")
    def masked_address(self, obj: Applicant) -> str:
        return mask_address(obj.address)

    @admin.display(description="经办人")
    def agent(self, obj: Applicant) -> str:
        if not obj.agent_name:
            return ""
        return f"{mask_name(obj.agent_name)} {mask_id_number(obj.agent_id_number)}"

    def admin_read(self, obj: Applicant) -> tuple[Applicant, str, tuple[int | None, ...]]:
        """The change form shows every field in full."""
        return obj, f"applicant:{obj.pk}", ()

    def save_model(self, request: HttpRequest, obj: Applicant, form: Any, change: bool) -> None:
        super().save_model(request, obj, form, change)
        record_audit(
            request.user,
            "admin_change_applicant" if change else "admin_add_applicant",
            obj,
            f"管理后台{'修改' if change else '新增'}申请人",
            {"fields": sorted(form.changed_data)},
        )


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    """Read-only. Deleting a row revokes the token."""

    list_display = ["user", "created_at", "expires_at"]
    list_select_related = ["user"]
    search_fields = ["user__username"]
    readonly_fields = ["user", "created_at", "expires_at"]
    exclude = ["key_hash"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def delete_model(self, request: HttpRequest, obj: ApiToken) -> None:
        record_audit(request.user, "admin_revoke_token", obj, f"管理后台吊销令牌 {obj.user}")
        super().delete_model(request, obj)

    def delete_queryset(self, request: HttpRequest, queryset: Any) -> None:
        for obj in queryset.select_related("user"):
            record_audit(request.user, "admin_revoke_token", obj, f"管理后台吊销令牌 {obj.user}")
        super().delete_queryset(request, queryset)


@admin.register(PersonalDataRead)
class PersonalDataReadAdmin(ReadOnlyAdmin):
    """个人信息查阅记录, for the personal-information protection officer: view only."""

    list_display = [
        "read_at",
        "subject",
        "reader",
        "reader_role",
        "jurisdiction",
        "purpose",
        "reference",
        "channel",
    ]
    list_filter = ["purpose", "channel", "reader_role"]
    list_select_related = ["subject", "reader", "jurisdiction"]
    search_fields = ["=reference", "reader__username"]
    date_hierarchy = "read_at"
