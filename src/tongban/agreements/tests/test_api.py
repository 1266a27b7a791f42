"""GET /api/v1/agreements, /api/v1/agreements/{code}, /api/v1/routes."""

from __future__ import annotations

import pytest

from tongban.agreements import actions

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "url",
    [
        "/api/v1/agreements",
        "/api/v1/agreements/WEHH-2023",
        "/api/v1/routes?item=ITEM-COMPANY&receiving=421102",
    ],
)
def test_unauthenticated_gets_401(client, world, url):
    response = client.get(url)
    assert response.status_code == 401
    assert response.json()["code"] == "not_authenticated"


def test_list_for_an_applicant(login, world):
    body = login("applicant-1").get("/api/v1/agreements").json()
    assert body["count"] == 1
    (row,) = body["items"]
    assert (row["code"], row["version"], row["status"], row["in_force"]) == (
        "WEHH-2023",
        1,
        "active",
        True,
    )
    assert row["item_count"] == 2
    assert [p["jurisdiction"]["code"] for p in row["parties"]] == [
        "420100Z01",
        "420205",
        "420703400",
        "421102",
    ]
    assert row["parties"][0]["liaison_name"] == "联络人"
    assert row["parties"][0]["liaison_phone"] != "027-00000000"  # masked in lists


def test_list_is_scoped_and_filterable(login, world, wehh):
    platform = world.user("platform-admin")
    actions.new_agreement_version(platform, wehh)  # a draft: only admins of parties see it
    assert login("421102-clerk").get("/api/v1/agreements").json()["count"] == 1
    assert login("421102-admin").get("/api/v1/agreements").json()["count"] == 2
    client = login("platform-admin")
    assert client.get("/api/v1/agreements", {"party": "420115"}).json()["count"] == 0
    assert client.get("/api/v1/agreements", {"party": "421102"}).json()["count"] == 2
    assert client.get("/api/v1/agreements", {"party": "nope"}).status_code == 404


def test_detail_with_items_and_history(login, world, wehh):
    platform = world.user("platform-admin")
    draft = actions.new_agreement_version(platform, wehh)
    actions.update_agreement_draft(
        platform,
        draft,
        items=[
            {
                "item": world.items["company"],
                "modes": ["proxy"],
                "receiving_jurisdictions": [world.huangzhou],
            }
        ],
    )
    actions.activate_agreement(platform, draft)
    body = login("421102-clerk").get("/api/v1/agreements/WEHH-2023").json()
    assert (body["version"], body["status"], body["supersedes_version"]) == (2, "active", 1)
    (item,) = body["items"]
    assert item["item"] == {"code": "ITEM-COMPANY", "name": "企业设立登记"}
    assert item["modes"] == ["proxy"]
    assert [j["code"] for j in item["receiving_jurisdictions"]] == ["421102"]
    assert item["handling_jurisdictions"] == []
    assert [(v["version"], v["status"]) for v in body["versions"]] == [
        (2, "active"),
        (1, "superseded"),
    ]
    assert [(e["version"], e["action"]) for e in body["events"]] == [
        (2, "new_version"),
        (2, "updated"),
        (1, "superseded"),
        (2, "activated"),
    ]
    assert body["parties"][0]["liaison_phone"] == "027-00000000"  # staff of a party
    # an applicant sees the public version only, without names of staff or phones
    public = login("applicant-1").get("/api/v1/agreements/WEHH-2023").json()
    assert [v["version"] for v in public["versions"]] == [2]
    assert all(e["actor"] is None for e in public["events"])
    assert public["parties"][0]["liaison_phone"] != "027-00000000"
    old = login("421102-clerk").get("/api/v1/agreements/WEHH-2023", {"version": 1}).json()
    assert (old["version"], old["status"], len(old["items"])) == (1, "superseded", 2)


def test_detail_404(login, world, wehh):
    response = login("421102-clerk").get("/api/v1/agreements/NOPE")
    assert response.status_code == 404
    assert response.json()["code"] == "agreement_not_found"
    actions.suspend_agreement(world.user("platform-admin"), wehh)
    assert login("applicant-1").get("/api/v1/agreements/WEHH-2023").status_code == 404


def test_routes(login, world):
    response = login("421102-clerk").get(
        "/api/v1/routes", {"item": "ITEM-COMPANY", "receiving": "421102"}
    )
    assert response.status_code == 200
    body = response.json()
    assert len(body) == 6
    first = body[0]
    assert first["handling_jurisdiction"]["code"] == "420100Z01"
    assert (first["mode"], first["mode_label"]) == ("proxy", "异地代收代办")
    assert (first["agreement_code"], first["agreement_version"]) == ("WEHH-2023", 1)
    assert first["implementation_version"] == 1
    assert first["implementation_id"] == world.implementations[("company", "420100Z01")].pk
    assert (first["promised_limit_days"], first["needs_originals"]) == (3, True)


def test_routes_on_a_date_and_errors(login, world):
    client = login("applicant-1")
    early = client.get(
        "/api/v1/routes", {"item": "ITEM-COMPANY", "receiving": "421102", "on": "2020-01-01"}
    )
    assert early.status_code == 200 and early.json() == []
    nope = client.get("/api/v1/routes", {"item": "NOPE", "receiving": "421102"})
    assert (nope.status_code, nope.json()["code"]) == (404, "item_not_found")
    nope = client.get("/api/v1/routes", {"item": "ITEM-COMPANY", "receiving": "000000"})
    assert (nope.status_code, nope.json()["code"]) == (404, "jurisdiction_not_found")
    assert client.get("/api/v1/routes", {"item": "ITEM-COMPANY"}).status_code == 422
    bad_date = client.get(
        "/api/v1/routes", {"item": "ITEM-COMPANY", "receiving": "421102", "on": "someday"}
    )
    assert bad_date.status_code == 422
