"""Who may see and do what: every role, own / other jurisdiction, with / without an
agreement, and nobody logged in."""

from __future__ import annotations

import pytest

from tongban.cases.models import Case
from tongban.cases.tests.conftest import company_submission

pytestmark = pytest.mark.django_db

ROLES = ("clerk", "officer", "head", "admin", "supervisor")


def _submit(world, api):
    response = api("421102-clerk").post("/cases", company_submission(world))
    assert response.status_code == 201, response.content
    return response.json()["number"]


def test_unauthenticated_requests_get_401(world, api):
    number = _submit(world, api)
    anonymous = api(None)
    for response in (
        anonymous.get("/cases"),
        anonymous.get(f"/cases/{number}"),
        anonymous.post("/cases", company_submission(world)),
        anonymous.act(number, "check"),
    ):
        assert response.status_code == 401
        assert response.json()["code"] == "not_authenticated"
    assert Case.objects.get(number=number).status == "received"


def test_bad_token_gets_401(world, api):
    client = api(None)
    client.headers["Authorization"] = "Bearer not-a-token"
    assert client.get("/cases").status_code == 401


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize(
    ("code", "visible"),
    [
        ("421102", True),  # receiving place
        ("420100Z01", True),  # handling place
        ("420703400", False),  # party to the agreement, not on this case
        ("420115", False),  # no agreement at all
    ],
)
def test_case_visibility_by_role_and_jurisdiction(world, api, role, code, visible):
    number = _submit(world, api)
    client = api(f"{code}-{role}")
    detail = client.get(f"/cases/{number}")
    listed = [c["number"] for c in client.get("/cases").json()["items"]]
    if visible:
        assert detail.status_code == 200
        assert number in listed
    else:
        assert detail.status_code == 404 and detail.json()["code"] == "not_found"
        assert number not in listed
        # acting on an invisible case reveals nothing either
        assert client.act(number, "check").status_code == 404


def test_applicants_see_only_their_own_cases(world, api):
    number = _submit(world, api)
    assert api("enterprise-1").get(f"/cases/{number}").status_code == 200
    assert api("applicant-2").get(f"/cases/{number}").status_code == 404
    assert number not in [c["number"] for c in api("applicant-2").get("/cases").json()["items"]]
    assert api("platform-admin").get(f"/cases/{number}").status_code == 200


@pytest.mark.parametrize("role", ROLES)
def test_only_receiving_clerks_check(world, api, role):
    number = _submit(world, api)
    expected = 200 if role == "clerk" else 403
    response = api(f"421102-{role}").act(number, "check")
    assert response.status_code == expected, response.content
    # the handling place cannot do the receiving place's step
    if role != "clerk":
        assert response.json()["code"] == "action_not_permitted"
    assert api(f"420100Z01-{role}").act(number, "check").status_code in (403, 409)


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("side", ["421102", "420100Z01"])
def test_only_handling_officers_and_heads_accept(world, api, role, side):
    number = _submit(world, api)
    clerk = api("421102-clerk")
    clerk.act(number, "check")
    clerk.act(number, "transfer", carrier="EMS", waybill_number="1")
    api("420100Z01-officer").act(number, "receive_transfer")
    response = api(f"{side}-{role}").act(number, "accept")
    allowed = side == "420100Z01" and role in ("officer", "head")
    assert response.status_code == (200 if allowed else 403), response.content
    assert Case.objects.get(number=number).status == (
        "accepted" if allowed else "pending_acceptance"
    )


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize(
    ("receiving", "expected"),
    [("421102", "ok"), ("420115", "no_agreement")],
)
def test_submission_needs_a_clerk_of_the_receiving_place_and_an_agreement(
    world, api, role, receiving, expected
):
    body = company_submission(world, receiving=receiving)
    response = api(f"{receiving}-{role}").post("/cases", body)
    if role != "clerk":
        assert response.status_code == 403
        assert response.json()["code"] == "not_a_clerk_here"
    elif expected == "ok":
        assert response.status_code == 201
    else:
        assert response.status_code == 422
        assert response.json()["code"] == "no_agreement"


def test_clerk_cannot_receive_for_another_jurisdictions_window(world, api):
    body = company_submission(world, receiving="420205")
    response = api("421102-clerk").post("/cases", body)
    assert response.status_code == 403 and response.json()["code"] == "not_a_clerk_here"


def test_illegal_move_is_409_with_allowed_actions(world, api):
    number = _submit(world, api)
    response = api("420100Z01-officer").act(number, "approve")
    assert response.status_code == 409
    body = response.json()
    assert body["code"] == "illegal_transition"
    assert "check" in body["details"]["allowed"]


def test_available_actions_depend_on_the_user(world, api):
    number = _submit(world, api)
    assert api("421102-clerk").get(f"/cases/{number}").json()["available_actions"] == [
        "check",
        "request_supplement",
        "withdraw",
    ]
    assert api("420100Z01-officer").get(f"/cases/{number}").json()["available_actions"] == []
    assert api("enterprise-1").get(f"/cases/{number}").json()["available_actions"] == ["withdraw"]


def test_list_masks_personal_data(world, api):
    clerk = api("421102-clerk")
    body = company_submission(
        world,
        applicant={
            "kind": "person",
            "name": world.applicants["person"].name,
            "id_number": world.applicants["person"].id_number,
        },
    )
    clerk.post("/cases", body)
    item = clerk.get("/cases").json()["items"][0]
    full = world.applicants["person"].id_number
    assert item["applicant"]["identifier"] != full
    assert item["applicant"]["identifier"].endswith(full[-4:])
    assert item["applicant"]["name"] == "李*"
