"""Issue 8, part 1: the residents the window used to turn away (422 invalid_id_number)
open cases now; a first-generation number is refused with its own code."""

from __future__ import annotations

import datetime as dt

import pytest

from tongban.accounts.identifiers import make_foreign_permanent_resident_number, make_id_number
from tongban.accounts.models import Applicant
from tongban.cases.models import Case
from tongban.cases.tests.conftest import company_submission
from tongban.core.crypto import blind_index


def _by_id(id_number: str) -> str:
    """The blind index of an ID number: encrypted columns are looked up by it (ADR 0098)."""
    return blind_index("identifier", id_number)


pytestmark = pytest.mark.django_db

WINDOW_RESIDENTS = [
    pytest.param(make_id_number("421102", dt.date(1980, 5, 17), 35), id="huangzhou-1980"),
    pytest.param(make_id_number("411526", dt.date(1985, 11, 2), 64), id="huangchuan-1985"),
    pytest.param(make_id_number("420111", dt.date(1970, 1, 9), 17), id="hongshan-1970"),
    pytest.param(make_id_number("810000", dt.date(1975, 7, 1), 3), id="hong-kong-permit"),
    pytest.param(
        make_foreign_permanent_resident_number("42", "840", dt.date(1979, 6, 15), 1),
        id="foreign-permanent-resident",
    ),
]


def _person(id_number: str) -> dict[str, str]:
    return {"kind": "person", "name": "王五", "id_number": id_number, "phone": "13800000000"}


@pytest.mark.parametrize("id_number", WINDOW_RESIDENTS)
def test_the_window_opens_a_case_for_every_real_resident(world, api, id_number):
    body = company_submission(world, applicant=_person(id_number))
    response = api("421102-clerk").post("/cases", body)
    assert response.status_code == 201, response.content.decode()
    case = Case.objects.get(number=response.json()["number"])
    assert case.applicant.id_number == id_number
    assert Applicant.objects.filter(id_number_index=_by_id(id_number)).count() == 1
    # lists still mask the number
    listed = api("421102-clerk").get("/cases").json()["items"][0]["applicant"]["identifier"]
    assert listed != id_number and listed.endswith(id_number[-4:])


def test_a_first_generation_number_is_refused_with_its_own_code(world, api):
    body = company_submission(world, applicant=_person("421102800517351"))
    response = api("421102-clerk").post("/cases", body)
    assert response.status_code == 422
    assert response.json()["code"] == "id_number_first_generation"
    english = api("421102-clerk").post("/cases", body, **{"Accept-Language": "en"})
    assert "first-generation" in english.json()["message"]
    assert not Case.objects.exists()


def test_a_number_of_a_region_that_never_existed_is_refused(world, api):
    body = company_submission(
        world, applicant=_person(make_id_number("429999", dt.date(1980, 1, 1), 11))
    )
    response = api("421102-clerk").post("/cases", body)
    assert response.status_code == 422 and response.json()["code"] == "invalid_id_number"
    assert not Case.objects.exists()


def test_the_clerk_page_check_accepts_a_retired_code_and_refuses_the_old_number(web_client):
    good = web_client.post(
        "/clerk/identifier/", {"id_number": make_id_number("110103", dt.date(1962, 4, 4), 19)}
    )
    assert "号码有效" in good.content.decode()
    old = web_client.post("/clerk/identifier/", {"id_number": "421102800517351"})
    assert "15位" in old.content.decode()


def test_the_identifier_check_page_needs_a_signed_in_clerk(world, client):
    response = client.post("/clerk/identifier/", {"id_number": "421102800517351"})
    assert response.status_code in (302, 403)


@pytest.fixture
def web_client(world, client):
    client.force_login(world.user("421102-clerk"))
    return client
