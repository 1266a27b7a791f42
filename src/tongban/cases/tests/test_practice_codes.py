"""Issue 8, part 4: practice codes as in domain notes §3 (mapping in ADR 0093)."""

from __future__ import annotations

import datetime as dt

import pytest

from tongban.cases.models import Case
from tongban.cases.tests.conftest import company_submission
from tongban.cases.workflow import TRANSITIONS, practice_code_for

pytestmark = pytest.mark.django_db


def _ok(response, status=200):
    assert response.status_code == status, response.content.decode()
    return response.json()


def _pending_case(world, api, **overrides):
    clerk = api("421102-clerk")
    number = _ok(clerk.post("/cases", company_submission(world, **overrides)), 201)["number"]
    _ok(clerk.act(number, "check"))
    _ok(clerk.act(number, "transfer", carrier="EMS", waybill_number="E1"))
    _ok(api("420100Z01-officer").act(number, "receive_transfer"))
    return number


def _codes(number):
    return [
        (e.action, e.practice_code) for e in Case.objects.get(number=number).events.order_by("seq")
    ]


def _finish(api, number, decision="approve"):
    officer = api("420100Z01-officer")
    if decision == "approve":
        _ok(officer.act(number, "approve"))
    else:
        _ok(officer.act(number, "deny", reason="不符合条件"))
    _ok(officer.act(number, "issue_result"))
    _ok(officer.act(number, "ship", method="electronic"))
    return _ok(officer.act(number, "complete"))


def test_every_code_of_the_vendor_interface_is_used_except_8():
    # 8 部门开始办理 has no step of its own: acceptance (3) starts the handling
    codes = {t.practice_code for t in TRANSITIONS} | {1}
    assert codes - {None} == set(range(1, 16)) - {8, 12}
    assert (
        practice_code_for(
            next(t for t in TRANSITIONS if t.action == "approve"), 3, accepted_with_commitment=True
        )
        == 12
    )


def test_extend_keeps_the_case_code_and_is_never_8(world, api):
    number = _pending_case(world, api)
    _ok(api("420100Z01-officer").act(number, "accept"))
    case = _ok(api("420100Z01-head").act(number, "extend", reason="情况复杂", days=2))
    assert case["practice_code"] == 3
    assert _codes(number)[-1] == ("extend", 3)
    _ok(api("420100Z01-officer").act(number, "pause", reason="现场核查"))
    case = _ok(api("420100Z01-officer").act(number, "resume"))
    assert case["practice_code"] == 10
    assert [c for _a, c in _codes(number)][-2:] == [9, 10]


def test_an_approved_case_ends_under_11_and_a_denied_one_under_13(world, api):
    approved = _pending_case(world, api)
    _ok(api("420100Z01-officer").act(approved, "accept"))
    assert _finish(api, approved)["practice_code"] == 11
    assert [c for _a, c in _codes(approved)][-4:] == [11, 11, 11, 11]

    denied = _pending_case(world, api)
    _ok(api("420100Z01-officer").act(denied, "accept"))
    case = _finish(api, denied, "deny")
    assert case["status"] == "completed" and case["practice_code"] == 13
    assert [c for _a, c in _codes(denied)][-4:] == [13, 13, 13, 13]


def test_a_case_accepted_with_commitment_ends_under_12(world, api):
    impl = world.implementations[("company", "420100Z01")]
    materials = [
        {"material_id": m.pk, "state": "missing" if m.requirement == "deferrable" else "provided"}
        for m in impl.materials.all()
    ]
    number = _pending_case(world, api, materials=materials)
    officer = api("420100Z01-officer")
    assert _ok(officer.act(number, "accept_with_commitment"))["practice_code"] == 3
    deferred = Case.objects.get(number=number).materials.get(state="deferred").pk
    assert _ok(officer.act(number, "supplement", provided=[deferred]))["practice_code"] == 7
    assert _finish(api, number)["practice_code"] == 12


def test_the_receiving_window_declining_the_case_is_4(world, api, monkeypatch):
    clerk = api("421102-clerk")
    number = _ok(clerk.post("/cases", company_submission(world)), 201)["number"]
    material = Case.objects.get(number=number).materials.order_by("pk")[0]
    _ok(clerk.act(number, "request_supplement", missing=[material.pk], days=1))
    monkeypatch.setattr("tongban.cases.deadlines.local_today", lambda: dt.date(2024, 10, 31))
    case = _ok(clerk.act(number, "terminate", reason="逾期未补正"))
    assert case["status"] == "terminated" and case["practice_code"] == 4
    assert _codes(number)[-1] == ("terminate", 4)
