"""GET /api/v1/items and /api/v1/items/{code}."""

from __future__ import annotations

import pytest

from tongban.catalog import actions

pytestmark = pytest.mark.django_db


def test_unauthenticated_gets_401(client, world):
    for url in ("/api/v1/items", "/api/v1/items/ITEM-COMPANY", "/api/v1/implementations/1"):
        response = client.get(url)
        assert response.status_code == 401
        assert response.json()["code"] == "not_authenticated"


def test_search_by_pinyin(login):
    response = login("421102-clerk").get("/api/v1/items", {"q": "qysl"})
    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 1
    (item,) = body["items"]
    assert item["code"] == "ITEM-COMPANY"
    assert item["item_type_label"] == "行政许可"
    assert item["department_kind_label"] == "市场监管"
    assert [j["jurisdiction"]["code"] for j in item["jurisdictions"]] == [
        "420100Z01",
        "420115",
        "420205",
        "420703400",
        "421102",
    ]
    assert item["jurisdictions"][0]["modes"] == ["online", "proxy", "joint"]


def test_pagination_and_filters(login):
    client = login("applicant-1")
    page = client.get("/api/v1/items", {"limit": 1, "offset": 1}).json()
    assert page["count"] == 2 and [i["code"] for i in page["items"]] == ["ITEM-MARRIAGE"]
    assert client.get("/api/v1/items", {"limit": 0}).status_code == 422
    assert client.get("/api/v1/items", {"limit": 500}).status_code == 422
    assert [i["code"] for i in client.get("/api/v1/items", {"mode": "online"}).json()["items"]] == [
        "ITEM-COMPANY"
    ]
    found = client.get("/api/v1/items", {"department": "civil_affairs", "jurisdiction": "421102"})
    assert [i["code"] for i in found.json()["items"]] == ["ITEM-MARRIAGE"]


def test_unknown_jurisdiction_filter_is_404(login):
    response = login("421102-clerk").get("/api/v1/items", {"jurisdiction": "999999"})
    assert response.status_code == 404
    assert response.json()["code"] == "jurisdiction_not_found"


def test_item_detail(login, world):
    response = login("421102-clerk").get("/api/v1/items/ITEM-COMPANY")
    assert response.status_code == 200
    body = response.json()
    assert body["name"] == "企业设立登记"
    assert len(body["implementations"]) == 5
    huangzhou = next(i for i in body["implementations"] if i["jurisdiction"]["code"] == "421102")
    assert huangzhou["version"] == 1
    assert huangzhou["promised_limit_days"] == 3
    assert huangzhou["statutory_limit_days"] == 20
    assert huangzhou["department"]["name"] == "黄州市场监督管理局"
    assert huangzhou["modes"] == ["online", "proxy", "joint"]
    assert huangzhou["channels"] == ["window", "terminal", "web", "app"]
    assert huangzhou["delivery_methods"] == ["post", "window", "electronic"]
    assert huangzhou["licence_type_code"] == "11100000000000001"
    assert float(huangzhou["fee"]) == 0
    assert [
        (m["position"], m["name"], m["requirement"], m["form"], m["copies"])
        for m in huangzhou["materials"]
    ] == [
        (1, "公司登记(备案)申请书", "required", "original", 1),
        (2, "公司章程", "required", "copy", 1),
        (3, "住所使用证明", "deferrable", "copy", 1),
    ]
    assert huangzhou["materials"][2]["requirement_label"] == "可容缺"


def test_item_detail_shows_only_the_version_in_force(login, world):
    admin = world.user("421102-admin")
    draft = actions.new_implementation_version(admin, world.implementations[("company", "421102")])
    actions.update_draft(admin, draft, promised_limit_days=1)
    client = login("421102-admin")

    def huangzhou_version() -> tuple[int, int]:
        body = client.get("/api/v1/items/ITEM-COMPANY").json()
        row = next(i for i in body["implementations"] if i["jurisdiction"]["code"] == "421102")
        return row["version"], row["promised_limit_days"]

    assert huangzhou_version() == (1, 3)  # the draft is not published
    actions.publish_implementation(admin, draft)
    assert huangzhou_version() == (2, 1)


def test_unknown_item_is_404(login):
    response = login("421102-clerk").get("/api/v1/items/NO-SUCH-ITEM")
    assert response.status_code == 404
    assert response.json()["code"] == "item_not_found"


def test_list_runs_a_bounded_number_of_queries(login, world, django_assert_max_num_queries):
    platform = world.user("platform-admin")
    for n in range(30):
        actions.create_item(
            platform,
            code=f"ITEM-B{n:02d}",
            name=f"事项{n}",
            item_type="other",
            department_kind="health",
        )
    client = login("421102-clerk")
    # session + user + role grants + count + page + prefetch
    with django_assert_max_num_queries(8):
        response = client.get("/api/v1/items", {"limit": 50})
    assert len(response.json()["items"]) == 32


def test_one_implementation_version(login, world):
    v1 = world.implementations[("company", "421102")]
    admin = world.user("421102-admin")
    draft = actions.new_implementation_version(admin, v1)
    body = login("applicant-1").get(f"/api/v1/implementations/{v1.pk}").json()
    assert (body["item"]["code"], body["version"], body["status"]) == (
        "ITEM-COMPANY",
        1,
        "published",
    )
    assert len(body["materials"]) == 3
    # drafts: only for those who may edit them
    response = login("420205-admin").get(f"/api/v1/implementations/{draft.pk}")
    assert (response.status_code, response.json()["code"]) == (404, "implementation_not_found")
    own = login("421102-admin").get(f"/api/v1/implementations/{draft.pk}").json()
    assert (own["version"], own["status_label"]) == (2, "草稿")
    # a retired version stays readable: cases opened under it refer to it
    actions.publish_implementation(admin, draft)
    old = login("421102-clerk").get(f"/api/v1/implementations/{v1.pk}").json()
    assert (old["status"], len(old["materials"])) == ("retired", 3)
