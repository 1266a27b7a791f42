"""Issue 9: no 500 from input. The case submission's strings have the length of their
column, refuse NUL and unpaired surrogates, and bad input changes nothing (ADR 0090)."""

from __future__ import annotations

import json

import pytest

from tongban.accounts.identifiers import make_uscc
from tongban.accounts.models import Applicant
from tongban.cases.models import Case, CaseEvent
from tongban.cases.tests.conftest import company_submission
from tongban.core.inputs import model_max_length


def _person(world, **fields):
    person = world.applicants["person"]
    applicant = {
        "kind": "person",
        "name": person.name,
        "id_number": person.id_number,
        "phone": "13800000000",
        "address": "湖北省黄冈市",
    }
    applicant.update(fields)
    return company_submission(world, applicant=applicant)


def _field_errors(response) -> list[tuple[list, str]]:
    """(location without the "body"/parameter prefix, type) of each refused field."""
    body = response.json()
    assert body["code"] == "invalid_input", body
    errors = []
    for e in body["details"]["errors"]:
        loc = [part for part in e["loc"] if part not in ("body", "payload")]
        errors.append((loc, e["type"]))
    return errors


@pytest.mark.parametrize(
    ("field", "value", "error"),
    [
        ("name", "名" * 129, "string_too_long"),
        ("phone", "1" * 21, "string_too_long"),
        ("address", "址" * 256, "string_too_long"),
        ("name", "张\x00三", "nul_character"),
        ("address", "", None),  # empty optional field: accepted (control row)
    ],
)
def test_applicant_strings_have_the_column_length_and_no_nul(world, api, field, value, error):
    response = api("421102-clerk").post("/cases", _person(world, **{field: value}))
    if error is None:
        assert response.status_code == 201, response.content
        return
    assert response.status_code == 422
    assert (["applicant", field], error) in _field_errors(response)
    assert not Case.objects.exists() and not CaseEvent.objects.exists()


def test_limits_follow_the_model_fields(world, api):
    """At the limit is accepted, one more is refused: the contract is the column."""
    name_max = model_max_length(Applicant, "name")
    phone_max = model_max_length(Applicant, "phone")
    address_max = model_max_length(Applicant, "address")
    assert (name_max, phone_max, address_max) == (128, 20, 255)
    clerk = api("421102-clerk")
    ok = clerk.post("/cases", _person(world, phone="1" * phone_max, address="址" * address_max))
    assert ok.status_code == 201, ok.content
    company = {
        "kind": "enterprise",
        "name": "企" * name_max,
        "uscc": make_uscc("421102", "MA4K00001"),
        "agent_name": "张三",
        "agent_id_number": world.applicants["person"].id_number,
    }
    ok = clerk.post("/cases", company_submission(world, applicant=company))
    assert ok.status_code == 201, ok.content
    assert Applicant.objects.filter(name="企" * name_max).exists()


def test_a_lone_surrogate_in_a_name_is_refused(world, api):
    clerk = api("421102-clerk")
    body = json.dumps(_person(world, name="PLACEHOLDER")).replace("PLACEHOLDER", "\\ud800")
    response = clerk.client.post(
        "/api/v1/cases", body, content_type="application/json", headers=clerk.headers
    )
    assert response.status_code == 422
    assert _field_errors(response)[0][1] == "unpaired_surrogate"
    assert not Case.objects.exists()


def test_huge_ids_and_days_are_refused_not_crashed(world, api):
    clerk = api("421102-clerk")
    body = company_submission(world, window_id=10**20)
    assert clerk.post("/cases", body).status_code == 422
    number = clerk.post("/cases", company_submission(world)).json()["number"]
    response = clerk.act(number, "request_supplement", missing=[10**30], days=10**12)
    assert response.status_code == 422
    types = {e["type"] for e in response.json()["details"]["errors"]}
    assert "less_than_equal" in types


def test_nul_in_the_queue_filters_is_a_400(world, api):
    response = api("421102-officer").client.get(
        "/api/v1/cases?item=A%00B", headers=api("421102-officer").headers
    )
    assert response.status_code == 400
    assert response.json()["code"] == "invalid_query"


def test_nul_in_the_idempotency_key_is_refused(world, api):
    response = api("421102-clerk").post(
        "/cases", company_submission(world), **{"Idempotency-Key": "k\x00"}
    )
    assert response.status_code == 422
    assert response.json()["code"] == "invalid_idempotency_key"


def test_validation_comes_after_authentication(world, api):
    """No token: 401 whatever the body, so input errors disclose nothing to strangers."""
    response = api(None).post("/cases", _person(world, name="名" * 500))
    assert response.status_code == 401


def test_out_of_scope_case_stays_404_with_valid_input(world, api):
    number = api("421102-clerk").post("/cases", company_submission(world)).json()["number"]
    # 江夏 is not party to the agreement: the case does not exist for its officer
    response = api("420115-officer").act(number, "accept", reason="x" * 10)
    assert response.status_code == 404
    long_reason = api("420115-officer").act(number, "accept", reason="x" * 2001)
    assert long_reason.status_code == 422
