"""Every change to the service catalogue: basic items, versioned implementations and their
materials checklists.

Versioning rules (ADR 0020): a published or retired implementation is frozen — a case
keeps the version it was opened under, so that version must never change. A change is a
new draft (version + 1) copied from the published one; publishing the draft retires the
previous version (valid_to = today) and the draft becomes the version in force from today.
At most one draft and one published version exist per item and jurisdiction (database
constraints); the item row is locked to serialise version changes of that item.

Permissions: the basic catalogue is kept by the platform admin; implementations by the
platform admin anywhere and by a jurisdiction's admin for that jurisdiction. Drafts of
other jurisdictions are not disclosed (404); published versions are public, so a change
refused there is a 403."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.contrib.auth.models import AnonymousUser
from django.db import models, transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext_lazy, pgettext_lazy

from tongban.accounts.access import is_platform_admin, require_authenticated
from tongban.accounts.models import User
from tongban.catalog.models import (
    BundlePart,
    ItemBundle,
    ItemImplementation,
    Material,
    ServiceItem,
)
from tongban.catalog.pinyin import pinyin_initials
from tongban.catalog.selectors import manageable_jurisdiction_ids
from tongban.catalog.validation import (
    CODE_LISTS,
    Problem,
    clean_code_list,
    clean_model_field,
    invalid,
)
from tongban.core.audit import record_audit
from tongban.core.errors import Conflict, Forbidden, NotFound
from tongban.core.models import AuditEvent
from tongban.regions.models import Department, Jurisdiction

ITEM_FIELDS = (
    "name",
    "item_type",
    "department_kind",
    "high_frequency",
    "description",
    "form_kind",
    "applicant_kind",
)
IMPLEMENTATION_FIELDS = (
    "department",
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
    "delivery_methods",
    "modes",
    "channels",
    "needs_originals",
    "originals_before_acceptance",
    "valid_to",
)
MATERIAL_FIELDS = (
    "position",
    "name",
    "requirement",
    "form",
    "copies",
    "licence_type_code",
    "note",
)


# ---------------------------------------------------------------- validation helpers


def _clean_implementation_fields(
    fields: Mapping[str, Any], jurisdiction_id: int, problems: list[Problem]
) -> dict[str, Any]:
    cleaned: dict[str, Any] = {}
    for name, value in fields.items():
        if name not in IMPLEMENTATION_FIELDS:
            problems.append(
                Problem(
                    name,
                    "unknown_field",
                    gettext_lazy("%(field)s cannot be set"),
                    {"field": name},
                )
            )
        elif name in CODE_LISTS:
            cleaned[name] = clean_code_list(name, value, problems)
        elif name == "department":
            if not isinstance(value, Department) or value.jurisdiction_id != jurisdiction_id:
                problems.append(
                    Problem(
                        "department",
                        "department_outside_jurisdiction",
                        gettext_lazy("the department must belong to the implementing jurisdiction"),
                    )
                )
            cleaned[name] = value
        else:
            cleaned[name] = clean_model_field(ItemImplementation, name, value, problems)
    return cleaned


def _check_limits(values: Mapping[str, Any], problems: list[Problem]) -> None:
    promised, statutory = values.get("promised_limit_days"), values.get("statutory_limit_days")
    if isinstance(promised, int) and isinstance(statutory, int) and promised > statutory:
        problems.append(
            Problem(
                "promised_limit_days",
                "promised_exceeds_statutory",
                gettext_lazy(
                    "the promised limit (%(promised)s) exceeds the statutory limit (%(statutory)s)"
                ),
                {"promised": promised, "statutory": statutory},
            )
        )
    if values.get("originals_before_acceptance") and not values.get("needs_originals"):
        problems.append(
            Problem(
                "originals_before_acceptance",
                "originals_not_posted",
                gettext_lazy("acceptance cannot wait for originals that are never posted"),
            )
        )
    fee = values.get("fee")
    if isinstance(fee, Decimal) and fee < 0:
        problems.append(
            Problem(
                "fee",
                "negative_fee",
                gettext_lazy("the fee is negative"),
            )
        )


def _clean_materials(
    materials: Iterable[Mapping[str, Any]], problems: list[Problem]
) -> list[dict[str, Any]]:
    cleaned_rows = []
    for index, row in enumerate(materials):
        prefix = f"materials[{index}]."
        cleaned: dict[str, Any] = {}
        if "id" in row and row["id"] is not None:
            cleaned["id"] = row["id"]
        for name in row:
            if name != "id" and name not in MATERIAL_FIELDS:
                problems.append(
                    Problem(
                        prefix + name,
                        "unknown_field",
                        gettext_lazy("material %(number)s: unknown field %(field)s"),
                        {"number": index + 1, "field": name},
                    )
                )
        values = {"position": index + 1, "copies": 1, "licence_type_code": "", "note": ""}
        values.update({k: v for k, v in row.items() if k in MATERIAL_FIELDS})
        for name in MATERIAL_FIELDS:
            cleaned[name] = clean_model_field(Material, name, values.get(name), problems, prefix)
        if isinstance(cleaned.get("copies"), int) and cleaned["copies"] < 1:
            problems.append(
                Problem(
                    prefix + "copies",
                    "copies_below_one",
                    gettext_lazy("material %(number)s: at least one copy"),
                    {"number": index + 1},
                )
            )
        cleaned_rows.append(cleaned)
    return cleaned_rows


def _raise_if(problems: Sequence[Problem]) -> None:
    if problems:
        raise invalid(
            problems, gettext_lazy("The implementation is not valid"), "implementation_invalid"
        )


def publication_problems(
    implementation: ItemImplementation, material_count: int, today: dt.date
) -> list[Problem]:
    """Everything that keeps a draft from being published, all at once."""
    problems: list[Problem] = []
    values = {name: getattr(implementation, name) for name in IMPLEMENTATION_FIELDS}
    for name in CODE_LISTS:
        clean_code_list(name, values[name], problems)
        if not values[name]:
            problems.append(
                Problem(
                    name,
                    f"no_{name}",
                    gettext_lazy("choose at least one of %(label)s"),
                    {"label": CODE_LISTS[name][1]},
                )
            )
    _check_limits(values, problems)
    if not implementation.result_type:
        problems.append(
            Problem(
                "result_type",
                "no_result_type",
                gettext_lazy("no result type"),
            )
        )
    if implementation.department.jurisdiction_id != implementation.jurisdiction_id:
        problems.append(
            Problem(
                "department",
                "department_outside_jurisdiction",
                gettext_lazy("the department must belong to the implementing jurisdiction"),
            )
        )
    if implementation.valid_to is not None and implementation.valid_to < today:
        problems.append(
            Problem(
                "valid_to",
                "valid_to_in_past",
                gettext_lazy("the end date is before the publication date"),
            )
        )
    if material_count < 1:
        problems.append(
            Problem(
                "materials",
                "no_materials",
                gettext_lazy("list at least one material"),
            )
        )
    return problems


def _jsonable(value: Any) -> Any:
    if isinstance(value, models.Model):
        return value.pk
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


# ---------------------------------------------------------------- permissions


def _require_platform_admin(actor: User | AnonymousUser | None) -> None:
    require_authenticated(actor)
    if not is_platform_admin(actor):
        raise Forbidden(
            gettext_lazy("Only the platform admin maintains the basic catalogue."),
            code="not_catalogue_admin",
        )


def _require_manager(
    actor: User | AnonymousUser | None, jurisdiction_id: int, *, hidden: bool = False
) -> None:
    """Platform admin, or admin of the implementing jurisdiction. `hidden`: the object
    is a draft the actor may not even see, so the refusal is a 404."""
    require_authenticated(actor)
    managed = manageable_jurisdiction_ids(actor)
    if managed is None or jurisdiction_id in managed:
        return
    if hidden:
        raise NotFound(
            gettext_lazy("No such item implementation, or it is outside your scope."),
            code="implementation_not_found",
        )
    raise Forbidden(
        gettext_lazy(
            "Only the platform admin or the jurisdiction's admin maintains its implementations."
        ),
        code="not_catalogue_admin",
    )


def _frozen(implementation: ItemImplementation) -> Conflict:
    return Conflict(
        gettext_lazy("Version %(version)s is %(status)s and cannot change; make a new version."),
        code="implementation_frozen",
        params={
            "version": implementation.version,
            "status": implementation.get_status_display(),
        },
    )


def _lock_implementation(implementation: ItemImplementation) -> ItemImplementation:
    locked = ItemImplementation.objects.select_for_update().filter(pk=implementation.pk).first()
    if locked is None:
        raise NotFound(
            gettext_lazy("No such item implementation."), code="implementation_not_found"
        )
    return locked


def _lock_draft(
    actor: User | AnonymousUser, implementation: ItemImplementation
) -> ItemImplementation:
    locked = _lock_implementation(implementation)
    _require_manager(actor, locked.jurisdiction_id, hidden=not locked.is_frozen)
    if locked.is_frozen:
        raise _frozen(locked)
    return locked


# ---------------------------------------------------------------- basic catalogue


def create_item(
    actor: User | AnonymousUser | None,
    *,
    code: str,
    name: str,
    item_type: str,
    department_kind: str,
    high_frequency: bool = False,
    description: str = "",
    form_kind: str = "",
    applicant_kind: str = "",
) -> ServiceItem:
    """Add an item to the basic catalogue; its pinyin initials are computed from the name."""
    _require_platform_admin(actor)
    problems: list[Problem] = []
    values = {
        "code": code,
        "name": name,
        "item_type": item_type,
        "department_kind": department_kind,
        "high_frequency": high_frequency,
        "description": description,
        "form_kind": form_kind,
        "applicant_kind": applicant_kind,
    }
    cleaned = {k: clean_model_field(ServiceItem, k, v, problems) for k, v in values.items()}
    if problems:
        raise invalid(problems, gettext_lazy("The item is not valid"), "item_invalid")
    cleaned["code"] = cleaned["code"].strip()
    cleaned["name"] = cleaned["name"].strip()
    with transaction.atomic():
        if ServiceItem.objects.select_for_update().filter(code=cleaned["code"]).exists():
            raise Conflict(
                gettext_lazy("Item code %(code)s already exists."),
                code="item_code_exists",
                params={"code": cleaned["code"]},
            )
        item = ServiceItem.objects.create(
            **cleaned, pinyin_initials=pinyin_initials(cleaned["name"])
        )
        record_audit(actor, "catalog.item.create", item, f"新增事项 {item}", data=cleaned)
    return item


def update_item(
    actor: User | AnonymousUser | None, item: ServiceItem, **fields: Any
) -> ServiceItem:
    """Change an item's name, type, department kind, flags. The code never changes (it is
    the key other systems and cases use)."""
    _require_platform_admin(actor)
    problems: list[Problem] = []
    cleaned: dict[str, Any] = {}
    for name, value in fields.items():
        if name not in ITEM_FIELDS:
            problems.append(
                Problem(
                    name,
                    "unknown_field",
                    gettext_lazy("%(field)s cannot be changed"),
                    {"field": name},
                )
            )
        else:
            cleaned[name] = clean_model_field(ServiceItem, name, value, problems)
    if problems:
        raise invalid(problems, gettext_lazy("The item is not valid"), "item_invalid")
    with transaction.atomic():
        locked = ServiceItem.objects.select_for_update().get(pk=item.pk)
        changed = {k: v for k, v in cleaned.items() if getattr(locked, k) != v}
        for name, value in changed.items():
            setattr(locked, name, value)
        locked.pinyin_initials = pinyin_initials(locked.name)
        locked.save()
        record_audit(actor, "catalog.item.update", locked, f"修改事项 {locked}", data=changed)
    return locked


# ---------------------------------------------------------------- "一件事" bundles


def define_bundle(
    actor: User | AnonymousUser,
    *,
    code: str,
    name: str,
    lead_item: ServiceItem,
    parts: Sequence[tuple[ServiceItem, bool]],
) -> ItemBundle:
    """Create or replace a "一件事" bundle: the lead item and its parts (item, optional?).
    Platform admin only, like the basic catalogue it is built from. A part cannot be the
    lead item, nor appear twice."""
    _require_platform_admin(actor)
    code, name = (code or "").strip(), (name or "").strip()
    if not code or not name or len(code) > 32 or len(name) > 128:
        raise invalid(
            [
                Problem(
                    "code",
                    "required",
                    gettext_lazy("code and name are required"),
                )
            ],
            gettext_lazy("The bundle is not valid"),
            "bundle_invalid",
        )
    seen = {lead_item.pk}
    for item, _optional in parts:
        if item.pk in seen:
            raise invalid(
                [
                    Problem(
                        "parts",
                        "duplicate",
                        gettext_lazy("a part is repeated"),
                    )
                ],
                gettext_lazy("The bundle is not valid"),
                "bundle_invalid",
            )
        seen.add(item.pk)
    with transaction.atomic():
        bundle = ItemBundle.objects.select_for_update().filter(code=code).first()
        if bundle is None:
            bundle = ItemBundle.objects.create(code=code, name=name, lead_item=lead_item)
        else:
            bundle.name, bundle.lead_item, bundle.active = name, lead_item, True
            bundle.save()
            bundle.parts.all().delete()
        BundlePart.objects.bulk_create(
            BundlePart(bundle=bundle, item=item, position=i, optional=optional)
            for i, (item, optional) in enumerate(parts, start=1)
        )
        record_audit(
            actor,
            "catalog.bundle.define",
            bundle,
            f"一件事 {bundle}",
            data={
                "lead_item": lead_item.code,
                "parts": [{"item": i.code, "optional": o} for i, o in parts],
            },
        )
    return bundle


# ---------------------------------------------------------------- implementations


def create_implementation_draft(
    actor: User | AnonymousUser,
    item: ServiceItem,
    jurisdiction: Jurisdiction,
    department: Department,
    *,
    materials: Sequence[Mapping[str, Any]] = (),
    **fields: Any,
) -> ItemImplementation:
    """A new draft implementation (the next version number) with its materials checklist.
    `promised_limit_days` and `result_type` are required; the rest have defaults."""
    _require_manager(actor, jurisdiction.pk)
    problems: list[Problem] = []
    cleaned = _clean_implementation_fields(
        {**fields, "department": department}, jurisdiction.pk, problems
    )
    for required in ("promised_limit_days", "result_type"):
        if cleaned.get(required) in (None, ""):
            verbose = {"promised_limit_days": "承诺时限", "result_type": "结果类型"}[required]
            problems.append(
                Problem(
                    required,
                    "required",
                    # xgettext:no-python-format
                    gettext_lazy("%(field)s is required"),
                    {"field": required, "label": verbose},
                )
            )
    defaults = {"statutory_limit_days": 20, "fee": Decimal("0")}
    _check_limits({**defaults, **cleaned}, problems)
    material_rows = _clean_materials(materials, problems)
    _raise_if(problems)
    with transaction.atomic():
        ServiceItem.objects.select_for_update().get(pk=item.pk)
        versions = list(
            ItemImplementation.objects.select_for_update().filter(
                item=item, jurisdiction=jurisdiction
            )
        )
        if any(v.status == ItemImplementation.Status.DRAFT for v in versions):
            raise _draft_exists()
        version = max((v.version for v in versions), default=0) + 1
        implementation = ItemImplementation.objects.create(
            item=item,
            jurisdiction=jurisdiction,
            version=version,
            status=ItemImplementation.Status.DRAFT,
            **cleaned,
        )
        Material.objects.bulk_create(
            Material(implementation=implementation, **{k: row[k] for k in MATERIAL_FIELDS})
            for row in material_rows
        )
        record_audit(
            actor,
            "catalog.implementation.create_draft",
            implementation,
            f"新建实施清单草稿 {implementation}",
            data={k: _jsonable(v) for k, v in cleaned.items()} | {"materials": len(material_rows)},
        )
    return implementation


def _draft_exists() -> Conflict:
    return Conflict(
        gettext_lazy(
            "A draft of this item already exists in this jurisdiction; publish or delete it first."
        ),
        code="implementation_draft_exists",
    )


def new_implementation_version(
    actor: User | AnonymousUser, implementation: ItemImplementation
) -> ItemImplementation:
    """Copy a published (or retired) version, with its materials, into a new draft
    numbered after the newest version."""
    with transaction.atomic():
        ServiceItem.objects.select_for_update().get(pk=implementation.item_id)
        versions = list(
            ItemImplementation.objects.select_for_update().filter(
                item_id=implementation.item_id, jurisdiction_id=implementation.jurisdiction_id
            )
        )
        source = next((v for v in versions if v.pk == implementation.pk), None)
        if source is None:
            raise NotFound(
                gettext_lazy("No such item implementation."), code="implementation_not_found"
            )
        _require_manager(actor, source.jurisdiction_id, hidden=not source.is_frozen)
        if not source.is_frozen:
            raise Conflict(
                gettext_lazy("A draft can be edited directly; no new version is needed."),
                code="implementation_is_draft",
            )
        if any(v.status == ItemImplementation.Status.DRAFT for v in versions):
            raise _draft_exists()
        draft = ItemImplementation.objects.create(
            item_id=source.item_id,
            jurisdiction_id=source.jurisdiction_id,
            version=max(v.version for v in versions) + 1,
            status=ItemImplementation.Status.DRAFT,
            **{name: getattr(source, name) for name in IMPLEMENTATION_FIELDS},
        )
        copied = Material.objects.bulk_create(
            Material(implementation=draft, **{k: getattr(m, k) for k in MATERIAL_FIELDS})
            for m in source.materials.order_by("position", "pk")
        )
        record_audit(
            actor,
            "catalog.implementation.new_version",
            draft,
            f"由第{source.version}版新建草稿第{draft.version}版",
            data={
                "source_id": source.pk,
                "source_version": source.version,
                "materials": len(copied),
            },
        )
    return draft


def update_draft(
    actor: User | AnonymousUser, implementation: ItemImplementation, **fields: Any
) -> ItemImplementation:
    """Change fields of a draft. Published and retired versions are frozen."""
    with transaction.atomic():
        draft = _lock_draft(actor, implementation)
        problems: list[Problem] = []
        cleaned = _clean_implementation_fields(fields, draft.jurisdiction_id, problems)
        merged = {name: getattr(draft, name) for name in IMPLEMENTATION_FIELDS} | cleaned
        _check_limits(merged, problems)
        _raise_if(problems)
        changed = {k: v for k, v in cleaned.items() if getattr(draft, k) != v}
        for name, value in changed.items():
            setattr(draft, name, value)
        draft.save()
        record_audit(
            actor,
            "catalog.implementation.update_draft",
            draft,
            f"修改实施清单草稿 {draft}",
            data={k: _jsonable(v) for k, v in changed.items()},
        )
    return draft


def add_material(
    actor: User | AnonymousUser, implementation: ItemImplementation, **fields: Any
) -> Material:
    with transaction.atomic():
        draft = _lock_draft(actor, implementation)
        if "position" not in fields:
            last = draft.materials.aggregate(p=Max("position"))["p"] or 0
            fields = {**fields, "position": last + 1}
        problems: list[Problem] = []
        (row,) = _clean_materials([fields], problems)
        _raise_if(problems)
        row.pop("id", None)
        material = Material.objects.create(implementation=draft, **row)
        record_audit(
            actor,
            "catalog.material.add",
            draft,
            f"增加材料 {material.name}",
            data={"id": material.pk},
        )
    return material


def update_material(actor: User | AnonymousUser, material: Material, **fields: Any) -> Material:
    with transaction.atomic():
        locked_material = Material.objects.filter(pk=material.pk).first()
        if locked_material is None:
            raise NotFound(gettext_lazy("No such material."), code="material_not_found")
        _lock_draft(actor, locked_material.implementation)
        locked_material = Material.objects.select_for_update().get(pk=material.pk)
        current = {k: getattr(locked_material, k) for k in MATERIAL_FIELDS}
        problems: list[Problem] = []
        (row,) = _clean_materials([current | dict(fields)], problems)
        _raise_if(problems)
        changed = {k: v for k, v in row.items() if k in MATERIAL_FIELDS and current[k] != v}
        for name, value in changed.items():
            setattr(locked_material, name, value)
        locked_material.save()
        record_audit(
            actor,
            "catalog.material.update",
            locked_material.implementation,
            f"修改材料 {locked_material.name}",
            data={"id": locked_material.pk, **changed},
        )
    return locked_material


def remove_material(actor: User | AnonymousUser, material: Material) -> None:
    with transaction.atomic():
        row = Material.objects.filter(pk=material.pk).first()
        if row is None:
            raise NotFound(gettext_lazy("No such material."), code="material_not_found")
        draft = _lock_draft(actor, row.implementation)
        record_audit(
            actor, "catalog.material.remove", draft, f"删除材料 {row.name}", data={"id": row.pk}
        )
        row.delete()


def set_materials(
    actor: User | AnonymousUser,
    implementation: ItemImplementation,
    materials: Sequence[Mapping[str, Any]],
) -> list[Material]:
    """Replace a draft's checklist with `materials` (in order). A row with the `id` of an
    existing material of this draft updates it; rows not listed are removed."""
    with transaction.atomic():
        draft = _lock_draft(actor, implementation)
        problems: list[Problem] = []
        rows = _clean_materials(materials, problems)
        existing = {
            m.pk: m for m in Material.objects.select_for_update().filter(implementation=draft)
        }
        for index, row in enumerate(rows):
            if "id" in row and row["id"] not in existing:
                problems.append(
                    Problem(
                        f"materials[{index}].id",
                        "material_not_in_draft",
                        gettext_lazy("material %(number)s does not belong to this draft"),
                        {"number": index + 1},
                    )
                )
        _raise_if(problems)
        kept: list[Material] = []
        for row in rows:
            values = {k: row[k] for k in MATERIAL_FIELDS}
            if "id" in row:
                material = existing.pop(row["id"])
                for name, value in values.items():
                    setattr(material, name, value)
                material.save()
            else:
                material = Material.objects.create(implementation=draft, **values)
            kept.append(material)
        removed = sorted(existing)
        Material.objects.filter(pk__in=removed).delete()
        record_audit(
            actor,
            "catalog.material.set",
            draft,
            f"更新材料清单({len(kept)}项)",
            data={"kept": [m.pk for m in kept], "removed": removed},
        )
    return kept


def delete_draft(actor: User | AnonymousUser, implementation: ItemImplementation) -> None:
    """Discard a draft (never a published or retired version)."""
    with transaction.atomic():
        draft = _lock_draft(actor, implementation)
        record_audit(actor, "catalog.implementation.delete_draft", draft, f"删除草稿 {draft}")
        draft.delete()


def publish_implementation(
    actor: User | AnonymousUser, draft: ItemImplementation
) -> ItemImplementation:
    """The draft becomes the published version in force from today; the version
    published before it is retired (valid_to = today)."""
    today = timezone.localdate()
    with transaction.atomic():
        ServiceItem.objects.select_for_update().get(pk=draft.item_id)
        versions = list(
            ItemImplementation.objects.select_for_update().filter(
                item_id=draft.item_id, jurisdiction_id=draft.jurisdiction_id
            )
        )
        locked = next((v for v in versions if v.pk == draft.pk), None)
        if locked is None:
            raise NotFound(
                gettext_lazy("No such item implementation."), code="implementation_not_found"
            )
        _require_manager(actor, locked.jurisdiction_id, hidden=not locked.is_frozen)
        if locked.status != ItemImplementation.Status.DRAFT:
            raise Conflict(
                gettext_lazy("Version %(version)s is not a draft and cannot be published."),
                code="implementation_not_draft",
                params={"version": locked.version},
            )
        problems = publication_problems(locked, locked.materials.count(), today)
        if problems:
            raise invalid(
                problems,
                gettext_lazy("The implementation cannot be published"),
                "implementation_incomplete",
            )
        previous = next(
            (v for v in versions if v.status == ItemImplementation.Status.PUBLISHED), None
        )
        if previous is not None:
            _retire(previous, today)
            record_audit(
                actor,
                "catalog.implementation.retire",
                previous,
                f"第{previous.version}版由第{locked.version}版替代",
                data={"replaced_by": locked.pk, "valid_to": _jsonable(previous.valid_to)},
            )
        locked.status = ItemImplementation.Status.PUBLISHED
        locked.published_at = timezone.now()
        locked.valid_from = today
        locked.save()
        record_audit(
            actor,
            "catalog.implementation.publish",
            locked,
            f"发布实施清单 {locked}",
            data={"replaces": previous.pk if previous else None, "valid_from": today.isoformat()},
        )
    return locked


def _retire(implementation: ItemImplementation, today: dt.date) -> None:
    implementation.status = ItemImplementation.Status.RETIRED
    if implementation.valid_to is None or implementation.valid_to > today:
        implementation.valid_to = today
    implementation.save(update_fields=["status", "valid_to", "updated_at"])


def retire_implementation(
    actor: User | AnonymousUser, implementation: ItemImplementation
) -> ItemImplementation:
    """Stop offering the item in this jurisdiction: the published version is retired
    without a successor (valid_to = today). Open cases keep their version."""
    today = timezone.localdate()
    with transaction.atomic():
        locked = _lock_implementation(implementation)
        _require_manager(actor, locked.jurisdiction_id, hidden=not locked.is_frozen)
        if locked.status != ItemImplementation.Status.PUBLISHED:
            raise Conflict(
                gettext_lazy("Version %(version)s is not published and cannot be retired."),
                code="implementation_not_published",
                params={"version": locked.version},
            )
        _retire(locked, today)
        record_audit(
            actor,
            "catalog.implementation.retire",
            locked,
            f"停用实施清单 {locked}",
            data={"valid_to": _jsonable(locked.valid_to)},
        )
    return locked


@dataclass(frozen=True)
class NewImplementation:
    """One first version for `publish_first_versions`: what `create_implementation_draft`
    takes, as a value."""

    item: ServiceItem
    jurisdiction: Jurisdiction
    department: Department
    fields: Mapping[str, Any]
    materials: Sequence[Mapping[str, Any]]


def publish_first_versions(
    actor: User | AnonymousUser | None, rows: Sequence[NewImplementation]
) -> list[ItemImplementation]:
    """Create and publish version 1 of many implementations at once (seeding, imports):
    each row passes the checks of `create_implementation_draft` and of
    `publish_implementation`; the problems of all rows are reported together and nothing
    is written unless every row is valid. Rows are written set-based (a few queries, not a
    few per row: 1,200 implementations one by one take most of a minute), each with its
    audit row. An (item, jurisdiction) that has any version already is refused: a later
    version is a draft someone edits and publishes."""
    today = timezone.localdate()
    problems: list[Problem] = []
    pending: list[tuple[ItemImplementation, list[dict[str, Any]], dict[str, Any]]] = []
    for jurisdiction_id in {row.jurisdiction.pk for row in rows}:
        _require_manager(actor, jurisdiction_id)
    for index, row in enumerate(rows):
        mine: list[Problem] = []
        cleaned = _clean_implementation_fields(
            {**row.fields, "department": row.department}, row.jurisdiction.pk, mine
        )
        material_rows = _clean_materials(row.materials, mine)
        implementation = ItemImplementation(
            item=row.item,
            jurisdiction=row.jurisdiction,
            version=1,
            status=ItemImplementation.Status.PUBLISHED,
            **{"statutory_limit_days": 20, "fee": Decimal("0"), **cleaned},
        )
        if not mine:
            mine += publication_problems(implementation, len(material_rows), today)
        problems += [
            Problem(
                f"rows[{index}].{p.field}",
                p.code,
                # the Chinese text says which row; the English names it in the field only
                # xgettext:no-python-format
                pgettext_lazy("problem of an imported row", "%(problem)s"),
                {"row": index + 1, "problem": p.lazy()},
            )
            for p in mine
        ]
        pending.append((implementation, material_rows, cleaned))
    _raise_if(problems)
    now = timezone.now()
    with transaction.atomic():
        item_ids = sorted({row.item.pk for row in rows})
        list(ServiceItem.objects.select_for_update().filter(pk__in=item_ids).order_by("pk"))
        taken = set(
            ItemImplementation.objects.select_for_update()
            .filter(item_id__in=item_ids, jurisdiction_id__in={r.jurisdiction.pk for r in rows})
            .values_list("item_id", "jurisdiction_id")
        )
        keys = [(row.item.pk, row.jurisdiction.pk) for row in rows]
        clash = sorted(k for k, n in Counter(keys).items() if n > 1 or k in taken)
        if clash:
            raise Conflict(
                gettext_lazy(
                    "These (item, jurisdiction) pairs already have a version: %(clash_5)s"
                ),
                code="implementation_exists",
                params={"clash_5": clash[:5]},
            )
        for implementation, _, _ in pending:
            implementation.published_at = now
            implementation.valid_from = today
        made = ItemImplementation.objects.bulk_create([i for i, _, _ in pending])
        Material.objects.bulk_create(
            [
                Material(implementation=implementation, **{k: row[k] for k in MATERIAL_FIELDS})
                for implementation, (_, material_rows, _) in zip(made, pending, strict=True)
                for row in material_rows
            ],
            batch_size=2000,
        )
        AuditEvent.objects.bulk_create(
            [
                AuditEvent(
                    actor=actor if isinstance(actor, User) else None,
                    action="catalog.implementation.publish",
                    object_type=ItemImplementation._meta.label_lower,
                    object_id=str(implementation.pk),
                    summary=f"发布实施清单 {row.item.name} · {row.jurisdiction.short_name} v1"[
                        :255
                    ],
                    data={k: _jsonable(v) for k, v in cleaned.items()}
                    | {
                        "materials": len(material_rows),
                        "valid_from": today.isoformat(),
                        "bulk": True,
                    },
                )
                for implementation, row, (_, material_rows, cleaned) in zip(
                    made, rows, pending, strict=True
                )
            ],
            batch_size=2000,
        )
    return made
