from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse

from tongban.core.admin import ReadOnlyAdmin
from tongban.core.errors import DomainError
from tongban.core.masking import mask_id_number
from tongban.licences import actions
from tongban.licences.models import Licence, SigningKey, SigningProfile


class RevokeForm(forms.Form):
    reason = forms.CharField(label="吊销理由", widget=forms.Textarea, max_length=1000)


LICENCE_FIELDS: tuple[str, ...] = (
    "identifier",
    "licence_name",
    "licence_type_code",
    "holder_masked",
    "holder_identifier_masked",
    "issuing_jurisdiction",
    "issuer_name",
    "issuer_uscc",
    "case",
    "status",
    "issued_at",
    "algorithm",
    "certificate_serial",
    "revoked_at",
    "revocation_reason",
    "pdf_sha256",
)


@admin.register(Licence)
class LicenceAdmin(ReadOnlyAdmin):
    list_display = [
        "identifier",
        "licence_name",
        "holder_masked",
        "issuing_jurisdiction",
        "status",
        "issued_at",
    ]
    list_filter = ["status", "issuing_jurisdiction", "licence_type_code"]
    search_fields = ["identifier", "licence_name"]
    list_select_related = ["issuing_jurisdiction"]
    fields = LICENCE_FIELDS
    readonly_fields = LICENCE_FIELDS
    actions = ["revoke_selected"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Licence]:
        return super().get_queryset(request).defer("pdf", "data")

    @admin.display(description="持证主体")
    def holder_masked(self, obj: Licence) -> str:
        return obj.masked_holder_name

    @admin.display(description="持证主体代码")
    def holder_identifier_masked(self, obj: Licence) -> str:
        if obj.holder_kind == "person":
            return mask_id_number(obj.holder_identifier)
        return obj.holder_identifier

    @admin.action(description="吊销所选电子证照(需填写理由)")
    def revoke_selected(
        self, request: HttpRequest, queryset: QuerySet[Licence]
    ) -> HttpResponse | None:
        if "apply" in request.POST:
            form = RevokeForm(request.POST)
            if form.is_valid():
                done = 0
                for licence in queryset:
                    try:
                        actions.revoke_licence(request.user, licence, form.cleaned_data["reason"])
                        done += 1
                    except DomainError as exc:
                        self.message_user(
                            request, f"{licence.identifier}:{exc.message()}", messages.ERROR
                        )
                if done:
                    self.message_user(request, f"已吊销 {done} 个电子证照。", messages.SUCCESS)
                return None
        else:
            form = RevokeForm()
        return TemplateResponse(
            request,
            "admin/licences/revoke.html",
            {
                **self.admin_site.each_context(request),
                "title": "吊销电子证照",
                "licences": queryset,
                "form": form,
                "opts": self.model._meta,
                "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
            },
        )


@admin.register(SigningKey)
class SigningKeyAdmin(ReadOnlyAdmin):
    list_display = ["kind", "jurisdiction", "serial", "algorithm", "active", "not_after"]
    list_filter = ["kind", "active"]
    readonly_fields = [
        "kind",
        "jurisdiction",
        "serial",
        "algorithm",
        "subject",
        "fingerprint",
        "not_before",
        "not_after",
        "active",
        "certificate_pem",
        "public_key",
    ]


class ProfileForm(forms.ModelForm):
    class Meta:
        model = SigningProfile
        fields = ["data_algorithm"]


@admin.register(SigningProfile)
class SigningProfileAdmin(admin.ModelAdmin):
    list_display = ["jurisdiction", "data_algorithm", "updated_at"]
    form = ProfileForm
    readonly_fields = ["jurisdiction"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def save_model(
        self, request: HttpRequest, obj: SigningProfile, form: Any, change: bool
    ) -> None:
        # through the action: permission check, lock, audit row
        try:
            actions.set_data_signature_algorithm(request.user, obj.jurisdiction, obj.data_algorithm)
        except DomainError as exc:
            self.message_user(request, exc.message(), messages.ERROR)
