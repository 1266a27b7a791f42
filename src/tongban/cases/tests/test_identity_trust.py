"""可信等级 and the applicant record (ADR 0099): an account that typed an ID number itself
never reaches what others filed under that number; a clerk's in-person check or a
verified claim from the identity platform does, and is recorded."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client

from tongban.accounts import actions as accounts
from tongban.accounts import trust
from tongban.accounts.identifiers import make_id_number
from tongban.accounts.models import Applicant, User
from tongban.core.audit import AuditEvent
from tongban.core.crypto import blind_index
from tongban.core.errors import Forbidden, NotAuthenticated
from tongban.testing.world import PASSWORD

from .conftest import ApiClient, company_submission


def _by_id(id_number: str) -> str:
    """The blind index of an ID number: encrypted columns are looked up by it (ADR 0098)."""
    return blind_index("identifier", id_number)


VICTIM_ID = make_id_number("421102", dt.date(1999, 5, 17), 77)
VICTIM = "赵建国"


@pytest.fixture
def impostor(world):
    # registers first, typing the victim's name and checksum-valid ID number
    return accounts.register_portal_user("impostor", PASSWORD, VICTIM, VICTIM_ID)


def _window_case_for_victim(world, api) -> str:
    body = company_submission(
        world, applicant={"kind": "person", "name": VICTIM, "id_number": VICTIM_ID}
    )
    response = api("421102-clerk").post("/cases", body)
    assert response.status_code == 201, response.content
    return response.json()["number"]


def test_self_registration_is_recorded_at_level_2(impostor):
    assert impostor.trust_level == trust.SELF_ASSERTED
    assert impostor.trust_source == "self"
    row = AuditEvent.objects.get(action="register_portal_user", object_id=str(impostor.pk))
    assert row.data["trust_level"] == 2


def test_typed_id_number_sees_nothing_filed_by_others(world, api, impostor):
    number = _window_case_for_victim(world, api)
    # the window filed the case under the record the impostor's registration created
    assert Applicant.objects.get(id_number_index=_by_id(VICTIM_ID)).user == impostor
    me = ApiClient(impostor)
    assert me.get(f"/cases/{number}").status_code == 404
    listed = me.get("/cases")
    assert listed.status_code == 200
    assert number not in [row["number"] for row in listed.json()["items"]]
    web = Client()
    web.force_login(impostor)
    page = web.get("/my/")
    assert page.status_code == 200
    assert number not in page.content.decode()
    assert web.get(f"/cases/{number}/").status_code == 404


def test_unverified_account_can_apply_and_sees_its_own_case(world, api, impostor):
    impl = world.implementations[("company", "420100Z01")]
    body = {
        "item": "ITEM-COMPANY",
        "handling": "420100Z01",
        "mode": "online",
        "channel": "web",
        "delivery_method": "electronic",
        "materials": [{"material_id": m.pk} for m in impl.materials.all()],
    }
    me = ApiClient(impostor)
    response = me.post("/cases", body)
    assert response.status_code == 201, response.content
    assert me.get(f"/cases/{response.json()['number']}").status_code == 200


def test_minimum_level_for_applying_online_is_enforced(world, api, impostor, settings):
    settings.TRUST_LEVEL_MINIMUMS = {"apply_online": 4}
    impl = world.implementations[("company", "420100Z01")]
    body = {
        "item": "ITEM-COMPANY",
        "handling": "420100Z01",
        "mode": "online",
        "channel": "web",
        "delivery_method": "electronic",
        "materials": [{"material_id": m.pk} for m in impl.materials.all()],
    }
    response = ApiClient(impostor).post("/cases", body)
    assert response.status_code == 403
    assert response.json()["code"] == "trust_level_too_low"
    # a verified account (level 4) passes the same check
    assert api("applicant-1").post("/cases", body).status_code == 201


def test_clerk_check_at_the_window_moves_the_record_to_the_real_person(world, api, impostor):
    number = _window_case_for_victim(world, api)
    # the real person's account, opened without an ID number, is linked by the clerk
    real = User.objects.create_user("real-zhao", password=PASSWORD, kind="applicant")
    accounts.verify_identity_in_person(world.user("421102-clerk"), "real-zhao", VICTIM_ID)
    real.refresh_from_db()
    assert (real.trust_level, real.trust_source) == (trust.IN_PERSON, "window")
    assert real.trust_verified_at is not None
    assert Applicant.objects.get(id_number_index=_by_id(VICTIM_ID)).user == real
    assert ApiClient(real).get(f"/cases/{number}").status_code == 200
    assert ApiClient(impostor).get(f"/cases/{number}").status_code == 404
    rows = AuditEvent.objects.filter(action__in=["set_trust_level", "link_applicant"])
    assert {r.action for r in rows} == {"set_trust_level", "link_applicant"}
    assert all(r.actor == world.user("421102-clerk") for r in rows)
    link = rows.get(action="link_applicant")
    assert link.data == {"user": real.pk, "previous_user": impostor.pk}


@pytest.mark.parametrize("who", ["420100Z01-officer", "applicant-1", None])
def test_only_a_window_clerk_checks_identity_in_person(world, impostor, who):
    actor = world.user(who) if who else None
    error = Forbidden if who else NotAuthenticated
    with pytest.raises(error):
        accounts.verify_identity_in_person(actor, "impostor", VICTIM_ID)
    impostor.refresh_from_db()
    assert impostor.trust_level == trust.SELF_ASSERTED


def test_the_trust_level_is_not_set_by_people(world, impostor):
    with pytest.raises(Forbidden):
        accounts.set_trust_level(world.user("platform-admin"), impostor.pk, 5, "window")


def test_typed_id_number_cannot_rate_a_case_filed_by_others(world, api, impostor):
    from tongban.core.errors import NotFound
    from tongban.ratings.actions import submit_rating
    from tongban.ratings.selectors import applicant_case

    number = _window_case_for_victim(world, api)
    with pytest.raises(NotFound):
        applicant_case(impostor, number)
    with pytest.raises(NotFound):
        submit_rating(impostor, number, level=1, comment="差")


@pytest.mark.parametrize(
    ("who", "status"),
    [("421102-clerk", 200), ("421102-officer", 403), ("impostor", 403), (None, 401)],
)
def test_identity_check_endpoint(world, impostor, who, status):
    client = ApiClient(impostor if who == "impostor" else world.user(who) if who else None)
    response = client.post(
        "/auth/identity-checks", {"username": "impostor", "id_number": VICTIM_ID}
    )
    assert response.status_code == status, response.content
    impostor.refresh_from_db()
    assert impostor.trust_level == (5 if status == 200 else 2)
    if status == 200:
        assert response.json()["trust_level"] == 5
