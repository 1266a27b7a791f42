"""The agreements admin: pages load, frozen versions are read-only, admin actions and
saves go through the actions."""

from __future__ import annotations

import pytest
from django.urls import reverse

from tongban.agreements.models import Agreement, AgreementEvent

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


def changelist() -> str:
    return reverse("admin:agreements_agreement_changelist")


@pytest.mark.parametrize(
    "url_name",
    [
        "admin:agreements_agreement_changelist",
        "admin:agreements_agreement_add",
        "admin:agreements_agreementevent_changelist",
    ],
)
def test_pages_load(admin_client, url_name):
    assert admin_client.get(reverse(url_name)).status_code == 200


def test_list_search_and_filter(admin_client, world):
    response = admin_client.get(changelist(), {"q": "武鄂黄黄", "status__exact": "active"})
    assert response.status_code == 200 and response.context["cl"].result_count == 1
    response = admin_client.get(
        changelist(), {"parties__jurisdiction__id__exact": world.outsider.pk}
    )
    assert response.status_code == 200 and response.context["cl"].result_count == 0


def test_active_version_is_read_only(admin_client, wehh):
    url = reverse("admin:agreements_agreement_change", args=[wehh.pk])
    page = admin_client.get(url)
    assert page.status_code == 200
    assert page.context["has_change_permission"] is False
    assert page.context["has_delete_permission"] is False
    assert admin_client.post(url, {"title": "x"}).status_code == 403


def test_life_cycle_through_admin_actions(admin_client, world, wehh):
    assert (
        admin_client.post(
            changelist(), {"action": "make_new_version", "_selected_action": [wehh.pk]}
        ).status_code
        == 302
    )
    draft = Agreement.objects.get(code=wehh.code, version=2)
    url = reverse("admin:agreements_agreement_change", args=[draft.pk])
    assert admin_client.get(url).status_code == 200
    admin_client.post(changelist(), {"action": "activate", "_selected_action": [draft.pk]})
    draft.refresh_from_db()
    wehh.refresh_from_db()
    assert (draft.status, wehh.status) == ("active", "superseded")
    admin_client.post(changelist(), {"action": "suspend", "_selected_action": [draft.pk]})
    draft.refresh_from_db()
    assert draft.status == "suspended"
    admin_client.post(changelist(), {"action": "resume", "_selected_action": [draft.pk]})
    draft.refresh_from_db()
    assert draft.status == "active"
    response = admin_client.post(
        changelist(), {"action": "resume", "_selected_action": [draft.pk]}, follow=True
    )
    assert "只有暂停的协议可以恢复" in response.content.decode()
    event = AgreementEvent.objects.filter(agreement=draft).latest("id")
    event_url = reverse("admin:agreements_agreementevent_change", args=[event.pk])
    assert admin_client.get(event_url).status_code == 200
    assert admin_client.post(event_url, {"note": "x"}).status_code == 403


def agreement_form(world, parties: list[str], item_rows: list[dict], **fields) -> dict:
    data = {
        "code": "HZ-GD",
        "title": "黄州—葛店协议",
        "signed_on": "2024-01-01",
        "valid_from": "2024-01-01",
        "valid_to": "",
        "notes": "",
        **fields,
        **management("parties", len(parties), 0),
        **management("items", len(item_rows), 0),
        **management("events", 0, 0),
    }
    for index, code in enumerate(parties):
        data[f"parties-{index}-jurisdiction"] = str(world.jurisdictions[code].pk)
        data[f"parties-{index}-signatory"] = ""
        data[f"parties-{index}-liaison_name"] = "李四"
        data[f"parties-{index}-liaison_phone"] = "027-1234567"
    for index, row in enumerate(item_rows):
        for key, value in row.items():
            data[f"items-{index}-{key}"] = value
    return data


def test_add_draft_through_admin(admin_client, world):
    data = agreement_form(
        world,
        ["421102", "420703400"],
        [
            {
                "item": str(world.items["company"].pk),
                "modes": ["proxy", "joint"],
                "receiving_jurisdictions": [str(world.huangzhou.pk)],
            }
        ],
    )
    response = admin_client.post(reverse("admin:agreements_agreement_add"), data)
    assert response.status_code == 302
    agreement = Agreement.objects.get(code="HZ-GD")
    assert agreement.status == "draft" and agreement.parties.count() == 2
    row = agreement.items.get()
    assert row.modes == ["proxy", "joint"]
    assert list(row.receiving_jurisdictions.all()) == [world.huangzhou]
    assert list(agreement.events.values_list("action", flat=True)) == ["created"]


def test_admin_add_refused_by_the_action_shows_a_message(admin_client, world):
    data = agreement_form(world, ["421102"], [])
    response = admin_client.post(reverse("admin:agreements_agreement_add"), data, follow=True)
    assert "协议至少需要两个不同的成员" in response.content.decode()
    assert not Agreement.objects.filter(code="HZ-GD").exists()


def test_edit_draft_through_admin(admin_client, world, wehh):
    admin_client.post(changelist(), {"action": "make_new_version", "_selected_action": [wehh.pk]})
    draft = Agreement.objects.get(code=wehh.code, version=2)
    url = reverse("admin:agreements_agreement_change", args=[draft.pk])
    parties = list(draft.parties.order_by("pk"))
    items = list(draft.items.order_by("pk"))
    data = {
        "title": "武鄂黄黄协议(修订)",
        "signed_on": "2023-03-07",
        "valid_from": "2023-03-07",
        "valid_to": "",
        "notes": "",
        **management("parties", len(parties), len(parties)),
        **management("items", len(items), len(items)),
        **management("events", 0, 0),
    }
    for index, party in enumerate(parties):
        data.update(
            {
                f"parties-{index}-id": str(party.pk),
                f"parties-{index}-agreement": str(draft.pk),
                f"parties-{index}-jurisdiction": str(party.jurisdiction_id),
                f"parties-{index}-signatory": "",
                f"parties-{index}-liaison_name": party.liaison_name,
                f"parties-{index}-liaison_phone": party.liaison_phone,
            }
        )
    for index, row in enumerate(items):
        data.update(
            {
                f"items-{index}-id": str(row.pk),
                f"items-{index}-agreement": str(draft.pk),
                f"items-{index}-item": str(row.item_id),
                f"items-{index}-modes": row.modes,
            }
        )
    data["items-1-DELETE"] = "on"
    response = admin_client.post(url, data)
    assert response.status_code == 302, response.context["errors"] if response.context else ""
    draft.refresh_from_db()
    assert draft.title == "武鄂黄黄协议(修订)"
    assert draft.items.count() == 1
    assert list(draft.events.values_list("action", flat=True)) == ["new_version", "updated"]
