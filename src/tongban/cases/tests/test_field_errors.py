"""Every problem of a submission in one answer (ADR 0123): the API's 422 lists each field
with its code and message (details.fields), in the caller's language; nothing is written."""

from __future__ import annotations

import pytest

from tongban.cases.models import Case
from tongban.cases.tests.conftest import company_submission

pytestmark = pytest.mark.django_db


def test_the_api_answers_every_field_at_once(world, api):
    body = company_submission(world, delivery_address="")
    body["applicant"] = {
        "kind": "enterprise",
        "name": "某公司",
        "uscc": "91420100MA4K000000",
        "agent_name": "卫敏",
        "agent_id_number": "420111199606260000",
    }
    response = api("421102-clerk").post("/cases", body, **{"Accept-Language": "en"})
    assert response.status_code == 422, response.content.decode()
    answer = response.json()
    assert "fields" in answer["details"], answer
    fields = answer["details"]["fields"]
    # the checklist is checked against the applicant's licences: once the applicant is known
    assert set(fields) == {"delivery_address", "applicant.uscc", "applicant.agent_id_number"}
    assert fields["delivery_address"] == {
        "code": "missing_field",
        "message": "The delivery address is required.",
    }
    # the first problem stays the answer's own code and message, as before
    assert answer["code"] == "missing_field"
    assert answer["message"].startswith("3 entries need correcting.")
    assert not Case.objects.exists()


def test_the_checklist_lines_are_fields_too(world, api):
    body = company_submission(world, delivery_address="")
    for line in body["materials"][:2]:
        line["state"] = "by_licence"  # 免提交 without a licence
    response = api("421102-clerk").post("/cases", body)
    assert "fields" in response.json()["details"], response.json()
    fields = response.json()["details"]["fields"]
    lines = [f"materials.{line['material_id']}" for line in body["materials"][:2]]
    assert set(fields) == {"delivery_address", *lines}
    assert {fields[line]["code"] for line in lines} == {"licence_not_valid"}
    assert not Case.objects.exists()


def test_one_problem_is_answered_as_before(world, api):
    response = api("421102-clerk").post("/cases", company_submission(world, delivery_address=""))
    assert response.status_code == 422
    answer = response.json()
    assert answer["code"] == "missing_field" and answer["message"] == "请填写寄递地址。"
    assert answer["details"]["field"] == "delivery_address"
    assert answer["details"]["fields"] == {
        "delivery_address": {"code": "missing_field", "message": "请填写寄递地址。"}
    }


def test_unauthenticated_submission_is_refused_before_any_field(world, api):
    response = api(None).post("/cases", company_submission(world, delivery_address=""))
    assert response.status_code == 401


def test_unticked_lines_are_each_a_field(world):
    from tongban.cases import actions
    from tongban.core.errors import InvalidFields
    from tongban.web.tests.conftest import company_input

    data = company_input(world)
    lines = [m.material_id for m in data.materials[:2]]
    for entry in data.materials[:2]:
        entry.state = actions.NOT_CHECKED
    with pytest.raises(InvalidFields) as refused:
        actions.submit_case(world.user("421102-clerk"), data)
    assert set(refused.value.problems) == {f"materials.{pk}" for pk in lines}
    assert not Case.objects.exists()
