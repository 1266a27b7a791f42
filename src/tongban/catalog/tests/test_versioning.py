"""Versioned implementations: published versions are frozen, a change is a new draft,
publishing retires the old version, and a version once used stays as it was."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.utils import timezone

from tongban.catalog import actions
from tongban.catalog.models import ItemImplementation, Material
from tongban.catalog.selectors import published_implementation
from tongban.catalog.tests.conftest import MATERIALS, company_fields
from tongban.core.errors import Conflict, Invalid
from tongban.core.models import AuditEvent
from tongban.regions.models import Department

pytestmark = pytest.mark.django_db


def problem_codes(exc: Invalid) -> set[str]:
    return {p["code"] for p in exc.details["problems"]}


@pytest.fixture
def admin(world):
    return world.user("421102-admin")


@pytest.fixture
def v1(world):
    return world.implementations[("company", "421102")]


def test_published_version_is_frozen(world, admin, v1):
    material = v1.materials.first()
    attempts = [
        lambda: actions.update_draft(admin, v1, promised_limit_days=2),
        lambda: actions.add_material(admin, v1, name="X", requirement="required", form="copy"),
        lambda: actions.update_material(admin, material, name="改名"),
        lambda: actions.remove_material(admin, material),
        lambda: actions.set_materials(admin, v1, MATERIALS),
        lambda: actions.delete_draft(admin, v1),
    ]
    for attempt in attempts:
        with pytest.raises(Conflict) as caught:
            attempt()
        assert caught.value.code == "implementation_frozen"
    v1.refresh_from_db()
    assert v1.promised_limit_days == 3
    assert [m.name for m in v1.materials.order_by("position")] == [
        "公司登记(备案)申请书",
        "公司章程",
        "住所使用证明",
    ]


def test_new_version_copies_fields_and_materials(world, admin, v1):
    draft = actions.new_implementation_version(admin, v1)
    assert (draft.version, draft.status) == (2, ItemImplementation.Status.DRAFT)
    assert draft.published_at is None
    for name in actions.IMPLEMENTATION_FIELDS:
        assert getattr(draft, name) == getattr(v1, name), name
    copied = list(draft.materials.order_by("position"))
    original = list(v1.materials.order_by("position"))
    assert [(m.name, m.requirement, m.form) for m in copied] == [
        (m.name, m.requirement, m.form) for m in original
    ]
    assert not {m.pk for m in copied} & {m.pk for m in original}
    assert AuditEvent.objects.filter(
        action="catalog.implementation.new_version", object_id=str(draft.pk)
    ).exists()


def test_only_one_draft_at_a_time(world, admin, v1):
    actions.new_implementation_version(admin, v1)
    with pytest.raises(Conflict) as caught:
        actions.new_implementation_version(admin, v1)
    assert caught.value.code == "implementation_draft_exists"
    with pytest.raises(Conflict) as caught:
        actions.create_implementation_draft(
            admin, v1.item, v1.jurisdiction, v1.department, materials=MATERIALS, **company_fields()
        )
    assert caught.value.code == "implementation_draft_exists"


def test_a_draft_is_edited_not_versioned(world, admin, v1):
    draft = actions.new_implementation_version(admin, v1)
    with pytest.raises(Conflict) as caught:
        actions.new_implementation_version(admin, draft)
    assert caught.value.code == "implementation_is_draft"


def test_publish_retires_previous_version_and_keeps_it_intact(world, admin, v1):
    today = timezone.localdate()
    before = [(m.pk, m.name) for m in v1.materials.order_by("position")]
    draft = actions.new_implementation_version(admin, v1)
    draft = actions.update_draft(admin, draft, promised_limit_days=2, fee=Decimal("10.50"))
    actions.add_material(admin, draft, name="股东身份证明", requirement="required", form="copy")

    published = actions.publish_implementation(admin, draft)

    v1.refresh_from_db()
    assert v1.status == ItemImplementation.Status.RETIRED
    assert v1.valid_to == today
    assert published.status == ItemImplementation.Status.PUBLISHED
    assert published.valid_from == today and published.published_at is not None
    # the old version is unchanged: a case opened under it keeps its checklist
    assert [(m.pk, m.name) for m in v1.materials.order_by("position")] == before
    assert v1.promised_limit_days == 3 and v1.fee == Decimal("0")
    current = published_implementation(v1.item, v1.jurisdiction, today)
    assert current is not None and current.pk == published.pk
    assert current.promised_limit_days == 2
    assert [m.name for m in current.materials.all()][-1] == "股东身份证明"
    assert set(
        AuditEvent.objects.filter(object_type="catalog.itemimplementation").values_list(
            "action", flat=True
        )
    ) >= {"catalog.implementation.publish", "catalog.implementation.retire"}


def test_other_jurisdictions_are_not_affected(world, admin, v1):
    draft = actions.new_implementation_version(admin, v1)
    actions.publish_implementation(admin, draft)
    other = world.implementations[("company", "420205")]
    other.refresh_from_db()
    assert other.status == ItemImplementation.Status.PUBLISHED and other.version == 1


def test_publish_twice_is_refused(world, admin, v1):
    draft = actions.new_implementation_version(admin, v1)
    actions.publish_implementation(admin, draft)
    with pytest.raises(Conflict) as caught:
        actions.publish_implementation(admin, draft)
    assert caught.value.code == "implementation_not_draft"


def test_publish_reports_every_problem_at_once(world):
    item = world.items["marriage"]
    j = world.outsider
    platform = world.user("platform-admin")
    draft = actions.create_implementation_draft(
        platform,
        item,
        j,
        Department.objects.get(jurisdiction=j, kind="civil_affairs"),
        promised_limit_days=1,
        result_type="licence",
    )
    with pytest.raises(Invalid) as caught:
        actions.publish_implementation(platform, draft)
    assert caught.value.code == "implementation_incomplete"
    assert problem_codes(caught.value) == {
        "no_modes",
        "no_channels",
        "no_delivery_methods",
        "no_materials",
    }
    assert "至少选择一种通办模式" in caught.value.zh
    draft.refresh_from_db()
    assert draft.status == ItemImplementation.Status.DRAFT


def test_publish_refuses_an_end_date_in_the_past(world, admin, v1):
    draft = actions.new_implementation_version(admin, v1)
    ItemImplementation.objects.filter(pk=draft.pk).update(
        valid_to=timezone.localdate().replace(year=2020)
    )
    with pytest.raises(Invalid) as caught:
        actions.publish_implementation(admin, draft)
    assert problem_codes(caught.value) == {"valid_to_in_past"}


def test_draft_input_is_validated(world, admin, v1):
    other_department = Department.objects.get(jurisdiction=world.tieshan, kind="civil_affairs")
    with pytest.raises(Invalid) as caught:
        actions.create_implementation_draft(
            admin,
            world.items["marriage"],
            world.huangzhou,
            other_department,
            materials=[{"name": "", "requirement": "sometimes", "form": "copy", "copies": 0}],
            **company_fields(
                promised_limit_days=30,
                modes=["online", "fax"],
                channels=["phone"],
                delivery_methods="post",
                colour="red",
            ),
        )
    codes = problem_codes(caught.value)
    assert {
        "department_outside_jurisdiction",
        "promised_exceeds_statutory",
        "unknown_modes",
        "unknown_channels",
        "not_a_list",
        "unknown_field",
        "invalid_value",
        "copies_below_one",
    } <= codes
    assert caught.value.code == "implementation_invalid"
    assert not ItemImplementation.objects.filter(
        item=world.items["marriage"], status="draft"
    ).exists()


def test_update_draft_validates_against_current_values(world, admin, v1):
    draft = actions.new_implementation_version(admin, v1)
    with pytest.raises(Invalid) as caught:
        actions.update_draft(admin, draft, statutory_limit_days=2)  # promised is 3
    assert problem_codes(caught.value) == {"promised_exceeds_statutory"}
    with pytest.raises(Invalid):
        actions.update_draft(admin, draft, version=9)
    updated = actions.update_draft(admin, draft, modes=["joint", "proxy", "proxy"])
    assert updated.modes == ["proxy", "joint"]  # canonical order, no duplicates
    audit = AuditEvent.objects.filter(
        action="catalog.implementation.update_draft", object_id=str(draft.pk)
    ).latest("id")
    assert audit.data == {"modes": ["proxy", "joint"]}


def test_set_materials_updates_adds_and_removes(world, admin, v1):
    draft = actions.new_implementation_version(admin, v1)
    first, second, third = draft.materials.order_by("position")
    kept = actions.set_materials(
        admin,
        draft,
        [
            {"id": third.pk, "name": "住所证明", "requirement": "required", "form": "copy"},
            {"name": "新材料", "requirement": "optional", "form": "electronic"},
            {"id": first.pk, "name": first.name, "requirement": "required", "form": "original"},
        ],
    )
    rows = list(draft.materials.order_by("position"))
    assert [(m.name, m.position) for m in rows] == [("住所证明", 1), ("新材料", 2), (first.name, 3)]
    assert rows[0].pk == third.pk and rows[2].pk == first.pk
    assert not Material.objects.filter(pk=second.pk).exists()
    assert len(kept) == 3
    # a material of another implementation cannot be smuggled in
    foreign = world.implementations[("company", "420205")].materials.first()
    with pytest.raises(Invalid) as caught:
        actions.set_materials(admin, draft, [{"id": foreign.pk, **MATERIALS[0]}])
    assert problem_codes(caught.value) == {"material_not_in_draft"}


def test_material_edits_on_a_draft(world, admin, v1):
    draft = actions.new_implementation_version(admin, v1)
    added = actions.add_material(admin, draft, name="补充材料", requirement="optional", form="copy")
    assert added.position == 4
    changed = actions.update_material(admin, added, copies=3, note="A4")
    assert (changed.copies, changed.note) == (3, "A4")
    with pytest.raises(Invalid):
        actions.update_material(admin, added, requirement="never")
    actions.remove_material(admin, added)
    assert draft.materials.count() == 3


def test_retire_and_revive(world, admin, v1):
    today = timezone.localdate()
    retired = actions.retire_implementation(admin, v1)
    assert retired.status == ItemImplementation.Status.RETIRED and retired.valid_to == today
    assert published_implementation(v1.item, v1.jurisdiction, today) is None
    with pytest.raises(Conflict) as caught:
        actions.retire_implementation(admin, v1)
    assert caught.value.code == "implementation_not_published"
    draft = actions.new_implementation_version(admin, v1)
    revived = actions.publish_implementation(admin, draft)
    assert published_implementation(v1.item, v1.jurisdiction, today) == revived


def test_delete_draft(world, admin, v1):
    draft = actions.new_implementation_version(admin, v1)
    actions.delete_draft(admin, draft)
    assert not ItemImplementation.objects.filter(pk=draft.pk).exists()
    assert AuditEvent.objects.filter(action="catalog.implementation.delete_draft").exists()
    # the next draft reuses no number: the version after the newest existing one
    again = actions.new_implementation_version(admin, v1)
    assert again.version == 2


def test_create_first_draft_and_publish(world):
    platform = world.user("platform-admin")
    item = actions.create_item(
        platform,
        code="ITEM-ID-CARD",
        name="居民身份证换领",
        item_type="public_service",
        department_kind="public_security",
    )
    draft = actions.create_implementation_draft(
        platform,
        item,
        world.donghu,
        Department.objects.get(jurisdiction=world.donghu, kind="civil_affairs"),
        materials=MATERIALS,
        **company_fields(),
    )
    assert draft.version == 1
    assert [(m.position, m.copies) for m in draft.materials.order_by("position")] == [
        (1, 1),
        (2, 2),
    ]
    published = actions.publish_implementation(platform, draft)
    assert published.status == "published"
    assert published_implementation(item, world.donghu, timezone.localdate()) == published
