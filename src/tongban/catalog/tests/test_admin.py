"""The catalogue admin: pages load, frozen versions are read-only, saves and admin actions
go through the actions (and so leave audit rows)."""

from __future__ import annotations

import pytest
from django.urls import reverse

from tongban.catalog.models import ItemImplementation, ServiceItem
from tongban.core.models import AuditEvent
from tongban.regions.models import Department

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client, superuser, world):
    client.force_login(superuser)
    return client


def management(prefix: str, total: int, initial: int) -> dict[str, str]:
    return {
        f"{prefix}-TOTAL_FORMS": str(total),
        f"{prefix}-INITIAL_FORMS": str(initial),
        f"{prefix}-MIN_NUM_FORMS": "0",
        f"{prefix}-MAX_NUM_FORMS": "1000",
    }


@pytest.mark.parametrize(
    "url_name",
    [
        "admin:catalog_serviceitem_changelist",
        "admin:catalog_serviceitem_add",
        "admin:catalog_itemimplementation_changelist",
        "admin:catalog_itemimplementation_add",
    ],
)
def test_pages_load(admin_client, url_name):
    assert admin_client.get(reverse(url_name)).status_code == 200


def test_search_and_filters_load(admin_client):
    url = reverse("admin:catalog_itemimplementation_changelist")
    response = admin_client.get(url, {"q": "qysl", "status__exact": "published"})
    assert response.status_code == 200
    assert response.context["cl"].result_count == 5
    response = admin_client.get(reverse("admin:catalog_serviceitem_changelist"), {"q": "ndjm"})
    assert response.context["cl"].result_count == 1


def test_published_version_is_read_only(admin_client, world):
    impl = world.implementations[("company", "421102")]
    url = reverse("admin:catalog_itemimplementation_change", args=[impl.pk])
    page = admin_client.get(url)
    assert page.status_code == 200
    assert page.context["has_change_permission"] is False
    assert page.context["has_delete_permission"] is False
    assert admin_client.post(url, {"promised_limit_days": 1}).status_code == 403
    delete_url = reverse("admin:catalog_itemimplementation_delete", args=[impl.pk])
    assert admin_client.post(delete_url, {"post": "yes"}).status_code == 403
    impl.refresh_from_db()
    assert impl.promised_limit_days == 3


def test_item_change_page_and_save(admin_client, world):
    item = world.items["company"]
    url = reverse("admin:catalog_serviceitem_change", args=[item.pk])
    assert admin_client.get(url).status_code == 200
    response = admin_client.post(
        url,
        {
            "name": "企业开办登记",
            "item_type": "licensing",
            "department_kind": "market_regulation",
            "high_frequency": "on",
            "description": "",
        },
    )
    assert response.status_code == 302
    item.refresh_from_db()
    assert (item.name, item.pinyin_initials) == ("企业开办登记", "qykbdj")
    assert AuditEvent.objects.filter(action="catalog.item.update").exists()


def test_add_item_through_admin(admin_client):
    response = admin_client.post(
        reverse("admin:catalog_serviceitem_add"),
        {
            "code": "ITEM-PENSION",
            "name": "养老保险关系转移",
            "item_type": "public_service",
            "department_kind": "human_resources",
            "description": "",
        },
    )
    assert response.status_code == 302
    item = ServiceItem.objects.get(code="ITEM-PENSION")
    assert item.pinyin_initials == "ylbxgxzy"
    assert AuditEvent.objects.filter(action="catalog.item.create", object_id=str(item.pk)).exists()


def implementation_form(impl_values: dict, materials: list[dict], initial: int) -> dict:
    data = {**impl_values, **management("materials", len(materials), initial)}
    for index, row in enumerate(materials):
        for key, value in row.items():
            data[f"materials-{index}-{key}"] = value
    return data


BASE = {
    "department": "",
    "implementation_code": "",
    "legal_basis": "",
    "conditions": "",
    "statutory_limit_days": "20",
    "promised_limit_days": "4",
    "fee": "0",
    "result_type": "licence",
    "result_name": "营业执照",
    "licence_type_code": "",
    "modes": ["proxy"],
    "channels": ["window"],
    "delivery_methods": ["post"],
    "needs_originals": "on",
    "valid_to": "",
}


def test_new_version_admin_action_then_edit_then_publish(admin_client, world):
    impl = world.implementations[("company", "421102")]
    changelist = reverse("admin:catalog_itemimplementation_changelist")
    response = admin_client.post(
        changelist, {"action": "make_new_version", "_selected_action": [impl.pk]}
    )
    assert response.status_code == 302
    draft = ItemImplementation.objects.get(
        item=impl.item, jurisdiction=impl.jurisdiction, version=2
    )
    url = reverse("admin:catalog_itemimplementation_change", args=[draft.pk])
    assert admin_client.get(url).status_code == 200

    existing = list(draft.materials.order_by("position"))
    materials = [
        {
            "id": str(m.pk),
            "implementation": str(draft.pk),
            "position": str(m.position),
            "name": m.name,
            "requirement": m.requirement,
            "form": m.form,
            "copies": "1",
            "licence_type_code": "",
            "note": "",
        }
        for m in existing
    ]
    materials[1]["DELETE"] = "on"
    materials.append(
        {
            "id": "",
            "implementation": str(draft.pk),
            "position": "9",
            "name": "新增材料",
            "requirement": "optional",
            "form": "electronic",
            "copies": "1",
            "licence_type_code": "",
            "note": "",
        }
    )
    values = {**BASE, "department": str(draft.department_id)}
    response = admin_client.post(url, implementation_form(values, materials, initial=3))
    assert response.status_code == 302, response.context["errors"] if response.context else ""
    draft.refresh_from_db()
    assert (draft.promised_limit_days, draft.modes) == (4, ["proxy"])
    assert [m.name for m in draft.materials.order_by("position")] == [
        "公司登记(备案)申请书",
        "住所使用证明",
        "新增材料",
    ]
    assert AuditEvent.objects.filter(action="catalog.material.set").exists()
    assert AuditEvent.objects.filter(action="catalog.implementation.update_draft").exists()

    response = admin_client.post(changelist, {"action": "publish", "_selected_action": [draft.pk]})
    assert response.status_code == 302
    draft.refresh_from_db()
    impl.refresh_from_db()
    assert (draft.status, impl.status) == ("published", "retired")


def test_admin_form_refuses_invalid_limits(admin_client, world):
    impl = world.implementations[("company", "421102")]
    admin_client.post(
        reverse("admin:catalog_itemimplementation_changelist"),
        {"action": "make_new_version", "_selected_action": [impl.pk]},
    )
    draft = ItemImplementation.objects.get(status="draft")
    url = reverse("admin:catalog_itemimplementation_change", args=[draft.pk])
    values = {**BASE, "department": str(draft.department_id), "promised_limit_days": "30"}
    response = admin_client.post(url, implementation_form(values, [], initial=0))
    assert response.status_code == 200  # the form comes back with the error
    draft.refresh_from_db()
    assert draft.promised_limit_days == 3


def test_add_draft_through_admin(admin_client, world):
    department = Department.objects.get(jurisdiction=world.outsider, kind="civil_affairs")
    item = ServiceItem.objects.create(
        code="ITEM-T", name="测试", item_type="other", department_kind="civil_affairs"
    )
    values = {
        **BASE,
        "item": str(item.pk),
        "jurisdiction": str(world.outsider.pk),
        "department": str(department.pk),
    }
    materials = [
        {
            "position": "1",
            "name": "身份证",
            "requirement": "required",
            "form": "original",
            "copies": "1",
            "licence_type_code": "",
            "note": "",
        }
    ]
    response = admin_client.post(
        reverse("admin:catalog_itemimplementation_add"),
        implementation_form(values, materials, initial=0),
    )
    assert response.status_code == 302
    draft = ItemImplementation.objects.get(item=item)
    assert (draft.status, draft.version, draft.materials.count()) == ("draft", 1, 1)
    assert AuditEvent.objects.filter(
        action="catalog.implementation.create_draft", object_id=str(draft.pk)
    ).exists()
    # a second draft of the same item and jurisdiction is refused by the form
    response = admin_client.post(
        reverse("admin:catalog_itemimplementation_add"),
        implementation_form(values, materials, initial=0),
    )
    assert response.status_code == 200
    assert ItemImplementation.objects.filter(item=item).count() == 1


def test_publish_action_reports_refusals(admin_client, world):
    impl = world.implementations[("company", "421102")]
    response = admin_client.post(
        reverse("admin:catalog_itemimplementation_changelist"),
        {"action": "publish", "_selected_action": [impl.pk]},
        follow=True,
    )
    assert "不是草稿" in response.content.decode()


def test_jurisdiction_admin_sees_module_clerk_does_not(client, world):
    from tongban.accounts.models import User

    staff = world.user("421102-admin")
    User.objects.filter(pk=staff.pk).update(is_staff=True)
    client.force_login(staff)
    url = reverse("admin:catalog_itemimplementation_changelist")
    assert client.get(url).status_code == 200
    impl = world.implementations[("company", "420205")]
    client.post(url, {"action": "make_new_version", "_selected_action": [impl.pk]})
    assert not ItemImplementation.objects.filter(status="draft").exists()

    clerk = world.user("421102-clerk")
    User.objects.filter(pk=clerk.pk).update(is_staff=True)
    client.force_login(clerk)
    assert client.get(url).status_code == 403
