"""GET /api/v1/me/licences: the caller's own licences (我的证照), as the portal shows them."""

from __future__ import annotations

from tongban.licences import actions
from tongban.testing.licences import issue_signed

URL = "/api/v1/me/licences"


def test_anonymous_gets_401(client, licence):
    response = client.get(URL)
    assert response.status_code == 401
    assert response.json()["code"]


def test_the_agent_lists_the_enterprise_licence(client, licence, world):
    client.force_login(world.user("enterprise-1"))
    body = client.get(URL).json()
    assert body["count"] == 1
    (item,) = body["items"]
    assert item["identifier"] == licence.identifier
    assert item["state"] == "valid"
    assert item["case_number"] == licence.case.number
    assert item["verify_url"].endswith(f"/verify/{licence.identifier}")
    assert client.get(item["pdf_url"]).status_code == 200


def test_only_ones_own(client, licence, world):
    # another applicant, and staff who may read the licence but do not hold it
    for username in ("applicant-2", "applicant-1", "420100Z01-officer", "platform-admin"):
        client.force_login(world.user(username))
        assert client.get(URL).json() == {"items": [], "count": 0}, username


def test_superseded_and_paging(client, licence, world):
    actions.revoke_licence(world.user("420100Z01-head"), licence, "信息有误")
    renewed = issue_signed(licence.case, None)
    client.force_login(world.user("enterprise-1"))
    body = client.get(URL).json()
    assert [(i["identifier"], i["state"]) for i in body["items"]] == [
        (renewed.identifier, "valid"),
        (licence.identifier, "superseded"),
    ]
    page = client.get(f"{URL}?limit=1&offset=1").json()
    assert page["count"] == 2
    assert [i["identifier"] for i in page["items"]] == [licence.identifier]
    assert client.get(f"{URL}?limit=0").status_code == 422
