"""Admin for the master data below `accounts`: regions, jurisdictions, departments, the
working-day calendar, service centres and windows. Every save and delete goes
through masterdata.actions, so it is permission-checked and leaves an audit row.

Who sees what: platform administrators (and Django superusers) everything; a
jurisdiction administrator (role `admin`) may view all master data and edit only the rows
of their own jurisdictions (departments, centres, windows, their calendar rows)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from django import forms
from django.contrib import admin
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models
from django.db.models import QuerySet
from django.http import HttpRequest

from tongban.accounts.access import is_platform_admin, jurisdictions_with
from tongban.accounts.models import Role
from tongban.centres.models import OpeningHours, ServiceCentre, Window
from tongban.core.errors import Forbidden
from tongban.masterdata.actions import (
    declare_calendar_year,
    delete_master_record,
    may_edit_jurisdiction_data,
    remove_calendar_day,
    save_master_record,
    set_calendar_day,
    withdraw_calendar_year,
)
from tongban.regions.models import (
    AdministrativeRegion,
    CalendarDay,
    CalendarYear,
    Department,
    Jurisdiction,
)

WEEKDAYS = "一二三四五六日"


def admin_jurisdiction_ids(request: HttpRequest) -> set[int]:
    return jurisdictions_with(request.user, [Role.ADMIN])


class MasterDataAdmin(admin.ModelAdmin):
    """Role-based permissions and saves through actions, shared by every master-data admin.

    `jurisdiction_lookup` is the ORM path from the model to its jurisdiction, or None for
    national records (regions, jurisdictions) that only platform administrators edit.
    """

    jurisdiction_lookup: str | None = None

    # ---- permissions --------------------------------------------------------------------

    def _is_platform(self, request: HttpRequest) -> bool:
        return is_platform_admin(request.user)

    def _is_jurisdiction_admin(self, request: HttpRequest) -> bool:
        return bool(admin_jurisdiction_ids(request))

    def has_module_permission(self, request: HttpRequest) -> bool:
        return self._is_platform(request) or self._is_jurisdiction_admin(request)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self.has_module_permission(request)

    def has_add_permission(self, request: HttpRequest, *args: Any) -> bool:
        if self._is_platform(request):
            return True
        return self.jurisdiction_lookup is not None and self._is_jurisdiction_admin(request)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        if obj is None:
            return self.has_add_permission(request)
        return may_edit_jurisdiction_data(request.user, self.jurisdiction_id_of(obj))

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self.has_change_permission(request, obj)

    def jurisdiction_id_of(self, obj: Any) -> int | None:
        if self.jurisdiction_lookup is None:
            return None
        node = obj
        for part in self.jurisdiction_lookup.split("__"):
            node = getattr(node, part, None)
            if node is None:
                return None
        return int(node.pk)

    def edited_jurisdiction_id(self, cleaned: dict[str, Any], instance: Any) -> int | None:
        """The jurisdiction a submitted form puts the record in."""
        if self.jurisdiction_lookup is None:
            return None
        first = self.jurisdiction_lookup.split("__")[0]
        if first in cleaned:
            value = cleaned[first]
            if value is None:
                return None
            return self.jurisdiction_id_of(_Shim(first, value))
        return self.jurisdiction_id_of(instance)

    def get_form(
        self, request: HttpRequest, obj: Any = None, change: bool = False, **kwargs: Any
    ) -> Any:
        base = super().get_form(request, obj, change, **kwargs)
        model_admin = self

        class CheckedForm(base):  # type: ignore[valid-type, misc]
            def clean(self) -> dict[str, Any]:
                cleaned: dict[str, Any] = super().clean()
                target = model_admin.edited_jurisdiction_id(cleaned, self.instance)
                if not may_edit_jurisdiction_data(request.user, target):
                    raise ValidationError(
                        "您无权在该范围录入数据:全国性数据只能由平台管理员修改,"
                        "管辖地数据只能由该管辖地管理员修改。"
                    )
                return cleaned

        return CheckedForm

    def formfield_for_foreignkey(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        if not self._is_platform(request):
            ids = admin_jurisdiction_ids(request)
            if db_field.name == "jurisdiction":
                kwargs["queryset"] = Jurisdiction.objects.filter(pk__in=ids)
            elif db_field.name == "centre":
                kwargs["queryset"] = db_field.related_model.objects.filter(jurisdiction_id__in=ids)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    # ---- writes through actions ----------------------------------------------------------

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        with _as_permission_denied():
            save_master_record(
                request.user, obj, changed_fields=form.changed_data if change else None
            )

    def delete_model(self, request: HttpRequest, obj: Any) -> None:
        with _as_permission_denied():
            delete_master_record(request.user, obj)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> None:
        with _as_permission_denied():
            for obj in queryset:
                delete_master_record(request.user, obj)

    def save_formset(self, request: HttpRequest, form: Any, formset: Any, change: bool) -> None:
        formset.save(commit=False)
        with _as_permission_denied():
            for obj in formset.deleted_objects:
                delete_master_record(request.user, obj)
            for obj, changed in formset.changed_objects:
                save_master_record(request.user, obj, changed_fields=changed)
            for obj in formset.new_objects:
                save_master_record(request.user, obj)
        formset.save_m2m()


class _Shim:
    """Stands in for an unsaved instance so `jurisdiction_id_of` can follow a path."""

    def __init__(self, name: str, value: Any) -> None:
        setattr(self, name, value)


@contextmanager
def _as_permission_denied() -> Iterator[None]:
    """A Forbidden raised by an action becomes Django's 403 page in the admin (the forms
    check the same rule first, so this only answers a race or a forged request)."""
    try:
        yield
    except Forbidden as exc:
        raise PermissionDenied(exc.zh) from exc


class MasterDataInline(admin.TabularInline):
    """Inline rows follow the permissions of the parent admin; saves go through
    MasterDataAdmin.save_formset."""

    extra = 0

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return obj is None or may_edit_jurisdiction_data(request.user, _jurisdiction_pk(obj))

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return obj is None or may_edit_jurisdiction_data(request.user, _jurisdiction_pk(obj))

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self.has_change_permission(request, obj)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return True


def _jurisdiction_pk(parent: models.Model) -> int | None:
    if isinstance(parent, Jurisdiction):
        return parent.pk
    value = getattr(parent, "jurisdiction_id", None)
    return int(value) if value is not None else None


# ---- regions and jurisdictions -------------------------------------------------------------


@admin.register(AdministrativeRegion)
class AdministrativeRegionAdmin(MasterDataAdmin):
    list_display = ("code", "name", "level", "parent")
    list_filter = ("level",)
    search_fields = ("code", "name")
    autocomplete_fields = ("parent",)
    list_select_related = ("parent",)
    ordering = ("code",)


class DepartmentInline(MasterDataInline):
    model = Department
    fields = ("kind", "name", "uscc")


@admin.register(Jurisdiction)
class JurisdictionAdmin(MasterDataAdmin):
    list_display = ("code", "name", "short_name", "kind", "region", "service_bureau", "active")
    list_filter = ("kind", "active")
    search_fields = ("code", "name", "short_name", "region__name", "region__code")
    autocomplete_fields = ("region",)
    list_select_related = ("region",)
    ordering = ("code",)
    inlines = (DepartmentInline,)


@admin.register(Department)
class DepartmentAdmin(MasterDataAdmin):
    jurisdiction_lookup = "jurisdiction"
    list_display = ("name", "kind", "jurisdiction", "uscc")
    list_filter = ("kind", ("jurisdiction", admin.RelatedOnlyFieldListFilter))
    search_fields = ("name", "uscc", "jurisdiction__name", "jurisdiction__code")
    list_select_related = ("jurisdiction",)


# ---- working-day calendar ------------------------------------------------------------------


class ScopeFilter(admin.SimpleListFilter):
    title = "范围"
    parameter_name = "scope"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return [("national", "全国"), ("jurisdiction", "管辖地")]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        if self.value() == "national":
            return queryset.filter(jurisdiction__isnull=True)
        if self.value() == "jurisdiction":
            return queryset.filter(jurisdiction__isnull=False)
        return queryset


class CalendarAdmin(MasterDataAdmin):
    """Calendar rows: national rows (jurisdiction empty) for platform administrators,
    rows of a jurisdiction also for its administrators. The scope (jurisdiction and
    date/year) of an existing row is fixed; delete it and add a new one instead."""

    jurisdiction_lookup = "jurisdiction"
    scope_fields: tuple[str, ...] = ()

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        return self.scope_fields if obj is not None else ()

    @admin.display(description="范围", ordering="jurisdiction__code")
    def scope(self, obj: Any) -> str:
        return str(obj.jurisdiction) if obj.jurisdiction_id else "全国"


class CalendarDayForm(forms.ModelForm):
    class Meta:
        model = CalendarDay
        fields = ("jurisdiction", "date", "is_working_day", "note")


@admin.register(CalendarDay)
class CalendarDayAdmin(CalendarAdmin):
    form = CalendarDayForm
    scope_fields = ("jurisdiction", "date")
    list_display = ("date", "weekday", "scope", "is_working_day", "note")
    list_filter = (
        ScopeFilter,
        "is_working_day",
        ("jurisdiction", admin.RelatedOnlyFieldListFilter),
    )
    search_fields = ("note", "jurisdiction__name", "jurisdiction__code")
    date_hierarchy = "date"
    list_select_related = ("jurisdiction",)
    ordering = ("-date",)

    @admin.display(description="星期", ordering="date")
    def weekday(self, obj: CalendarDay) -> str:
        return "周" + WEEKDAYS[obj.date.weekday()]

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        with _as_permission_denied():
            row = set_calendar_day(
                request.user,
                day=obj.date,
                is_working_day=obj.is_working_day,
                jurisdiction=obj.jurisdiction,
                note=obj.note,
            )
        obj.pk = row.pk

    def delete_model(self, request: HttpRequest, obj: Any) -> None:
        with _as_permission_denied():
            remove_calendar_day(request.user, day=obj.date, jurisdiction=obj.jurisdiction)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> None:
        with _as_permission_denied():
            for obj in queryset.select_related("jurisdiction"):
                remove_calendar_day(request.user, day=obj.date, jurisdiction=obj.jurisdiction)


@admin.register(CalendarYear)
class CalendarYearAdmin(CalendarAdmin):
    scope_fields = ("jurisdiction", "year")
    fields = ("jurisdiction", "year", "provisional", "note")
    list_display = ("year", "scope", "provisional", "note")
    list_filter = (ScopeFilter, "provisional", "year")
    search_fields = ("note", "jurisdiction__name", "jurisdiction__code")
    list_select_related = ("jurisdiction",)
    ordering = ("-year",)

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        with _as_permission_denied():
            row = declare_calendar_year(
                request.user,
                year=obj.year,
                jurisdiction=obj.jurisdiction,
                provisional=obj.provisional,
                note=obj.note,
            )
        obj.pk = row.pk

    def delete_model(self, request: HttpRequest, obj: Any) -> None:
        with _as_permission_denied():
            withdraw_calendar_year(request.user, year=obj.year, jurisdiction=obj.jurisdiction)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> None:
        with _as_permission_denied():
            for obj in queryset.select_related("jurisdiction"):
                withdraw_calendar_year(request.user, year=obj.year, jurisdiction=obj.jurisdiction)


# ---- service centres and windows ---------------------------------------------------------


class WindowInline(MasterDataInline):
    model = Window
    fields = ("code", "name", "kind", "active", "slot_capacity")


class OpeningHoursInline(MasterDataInline):
    """办公时间 and 错时延时 as rows; holiday closures come from the working-day calendar."""

    model = OpeningHours
    fields = ("weekday", "kind", "opens", "closes", "window")


@admin.register(ServiceCentre)
class ServiceCentreAdmin(MasterDataAdmin):
    jurisdiction_lookup = "jurisdiction"
    list_display = ("name", "jurisdiction", "opening_hours", "extended_hours", "phone")
    list_filter = (("jurisdiction", admin.RelatedOnlyFieldListFilter),)
    search_fields = ("name", "address", "jurisdiction__name", "jurisdiction__code")
    list_select_related = ("jurisdiction",)
    ordering = ("jurisdiction__code", "name")
    inlines = (WindowInline, OpeningHoursInline)


@admin.register(Window)
class WindowAdmin(MasterDataAdmin):
    jurisdiction_lookup = "centre__jurisdiction"
    list_display = ("code", "name", "kind", "centre", "jurisdiction", "active", "slot_capacity")
    list_filter = ("kind", "active", ("centre__jurisdiction", admin.RelatedOnlyFieldListFilter))
    search_fields = ("code", "name", "centre__name", "centre__jurisdiction__name")
    list_select_related = ("centre__jurisdiction",)
    ordering = ("centre__jurisdiction__code", "centre__name", "code")

    @admin.display(description="管辖地", ordering="centre__jurisdiction__code")
    def jurisdiction(self, obj: Window) -> str:
        return str(obj.centre.jurisdiction)
