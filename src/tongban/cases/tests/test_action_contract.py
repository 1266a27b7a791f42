"""The action input contract is declared once (cases.actions.ActionInput): the API body,
the web parsing and the fields each move's dialog asks for all derive from it."""

from __future__ import annotations

import pytest

from tongban.cases.actions import ACTION_FIELDS, ActionInput, fields_of
from tongban.cases.actions.transitions import _HANDLERS
from tongban.cases.api import CaseActionIn
from tongban.cases.models import Case, CaseEvent
from tongban.cases.tests.conftest import company_submission
from tongban.cases.workflow import Action


def test_every_move_has_its_inputs_and_every_input_a_move():
    assert set(ACTION_FIELDS) == set(_HANDLERS) == set(Action) - {Action.SUBMIT}
    read = {name for fields in ACTION_FIELDS.values() for name in fields}
    assert read == set(ActionInput.model_fields)


@pytest.mark.parametrize(
    ("action", "fields"),
    [
        (Action.CHECK, ()),
        (Action.REQUEST_SUPPLEMENT, ("reason", "missing", "days")),
        (Action.SUPPLEMENT, ("provided",)),
        (Action.TRANSFER, ("carrier", "waybill_number")),
        (Action.RECEIVE_ORIGINALS, ("discrepancies", "mismatch")),
        (Action.RETURN_ORIGINALS, ("method", "carrier", "waybill_number", "address")),
        (Action.REFUSE, ("reason", "competent_authority")),
        (Action.EXTEND, ("reason", "days")),
        (Action.SHIP, ("method", "carrier", "waybill_number", "address")),
        (Action.PICKUP, ("pickup_code", "picker_id_number")),
        (Action.COMPLETE, ()),
    ],
)
def test_the_fields_of_a_move_are_the_inputs_its_handler_reads(action, fields):
    assert fields_of(action) == fields


def test_a_transfer_without_paper_originals_asks_for_no_waybill(world, api):
    number = api("421102-clerk").post("/cases", company_submission(world)).json()["number"]
    case = Case.objects.select_related("implementation").get(number=number)
    case.implementation.needs_originals = True
    assert fields_of(Action.TRANSFER, case) == ("carrier", "waybill_number")
    case.implementation.needs_originals = False
    assert fields_of(Action.TRANSFER, case) == ()


def test_the_api_body_is_the_contract():
    assert issubclass(CaseActionIn, ActionInput)
    assert CaseActionIn.model_fields.keys() == ActionInput.model_fields.keys()


@pytest.mark.parametrize(
    ("body", "error"),
    [
        ({"days": "abc"}, "int_parsing"),
        ({"days": 366}, "less_than_equal"),
        ({"missing": [0]}, "greater_than_equal"),
        ({"carrier": "c" * 65}, "string_too_long"),
        ({"discrepancies": "d" * 256}, "string_too_long"),
        ({"method": ""}, "string_too_short"),
        ({"reason": "a\x00b"}, "nul_character"),
    ],
)
def test_the_api_refuses_what_the_contract_refuses_and_changes_nothing(world, api, body, error):
    number = api("421102-clerk").post("/cases", company_submission(world)).json()["number"]
    response = api("421102-clerk").act(number, "request_supplement", **body)
    assert response.status_code == 422
    answer = response.json()
    assert answer["code"] == "invalid_input"
    assert error in {e["type"] for e in answer["details"]["errors"]}
    assert Case.objects.get(number=number).status == "received"
    assert CaseEvent.objects.filter(case__number=number).count() == 1
