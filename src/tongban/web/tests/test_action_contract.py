"""The web's action dialogs parse posted forms by the action input contract
(cases.actions.ActionInput): what the API refuses, the page refuses with the same code,
and what it accepts reaches the action as the API's body would."""

from __future__ import annotations

from urllib.parse import urlencode

import pytest
from django.http import QueryDict
from pydantic import ValidationError

from tongban.cases.actions import ActionInput
from tongban.cases.api import CaseActionIn
from tongban.cases.models import Case, CaseEvent
from tongban.core.errors import Invalid
from tongban.web.forms import action_input
from tongban.web.tests.conftest import proxy_case

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("form", "body"),
    [
        ({}, {}),
        ({"days": "5", "missing": ["3", "4"]}, {"days": 5, "missing": [3, 4]}),
        ({"days": " ", "missing": ["", "7"]}, {"missing": [7]}),
        (
            {"method": "post", "carrier": "EMS", "waybill_number": "E1"},
            {"method": "post", "carrier": "EMS", "waybill_number": "E1"},
        ),
        ({"method": ""}, {}),
        (
            {"mismatch": "on", "discrepancies": "少一页"},
            {"mismatch": True, "discrepancies": "少一页"},
        ),
        (
            {"reason": "理由", "competent_authority": "某局"},
            {"reason": "理由", "competent_authority": "某局"},
        ),
    ],
)
def test_a_posted_dialog_is_the_api_body(form, body):
    parsed = action_input(QueryDict(urlencode(form, doseq=True)))
    assert isinstance(parsed, ActionInput)
    assert parsed.model_dump() == CaseActionIn.model_validate(body).model_dump()


@pytest.mark.parametrize(
    ("form", "body", "error"),
    [
        ({"days": "366"}, {"days": 366}, "less_than_equal"),
        ({"provided": ["0"]}, {"provided": [0]}, "greater_than_equal"),
        ({"carrier": "c" * 65}, {"carrier": "c" * 65}, "string_too_long"),
        ({"discrepancies": "d" * 256}, {"discrepancies": "d" * 256}, "string_too_long"),
        ({"method": "m" * 17}, {"method": "m" * 17}, "string_too_long"),
    ],
)
def test_the_page_refuses_what_the_api_refuses_with_the_same_code(form, body, error):
    with pytest.raises(Invalid) as refused:
        action_input(QueryDict(urlencode(form, doseq=True)))
    assert refused.value.code == "invalid_input"
    assert [e["type"] for e in refused.value.details["errors"]] == [error]
    with pytest.raises(ValidationError) as api_refused:
        CaseActionIn.model_validate(body)
    assert [e["type"] for e in api_refused.value.errors()] == [error]


def test_a_number_that_is_no_number_is_named_in_chinese():
    with pytest.raises(Invalid) as refused:
        action_input(QueryDict("days=x"))
    assert refused.value.code == "invalid_number"
    assert refused.value.message("zh-hans") == "天数应为整数。"
    assert refused.value.details == {"field": "days"}


def test_a_refused_dialog_changes_nothing(web, world):
    case = proxy_case(world, missing=(3,))
    events = CaseEvent.objects.filter(case=case).count()
    missing = case.materials.get(name="住所使用证明")
    response = web("421102-clerk").post(
        f"/cases/{case.number}/act/request_supplement/", {"missing": [missing.pk], "days": "61"}
    )
    assert response.status_code == 422
    case = Case.objects.get(pk=case.pk)
    assert case.status == "received" and case.supplement_due is None
    assert CaseEvent.objects.filter(case=case).count() == events


def test_the_dialog_asks_for_what_the_move_reads(web, world):
    case = proxy_case(world, missing=(3,))
    dialog = web("421102-clerk").get(
        f"/cases/{case.number}/act/request_supplement/", headers={"HX-Request": "true"}
    )
    page = dialog.content.decode()
    assert 'name="missing"' in page and 'name="days"' in page and 'name="reason"' in page
    assert 'name="carrier"' not in page and 'name="pickup_code"' not in page
