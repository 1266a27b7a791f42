"""Issue 8, part 4: time limits — the statutory joint limit (行政许可法 §42 ¶2) and
same-day items (即办件) with limits in hours (ADR 0093)."""

from __future__ import annotations

import pytest

from tongban.cases.models import Case
from tongban.cases.tests.conftest import company_submission

pytestmark = pytest.mark.django_db


def _ok(response, status=200):
    assert response.status_code == status, response.content.decode()
    return response.json()


def test_a_joint_case_runs_on_the_statutory_joint_limit(world, api):
    clerk = api("421102-clerk")
    body = company_submission(
        world, mode="joint", joint_parts=[{"jurisdiction": "420703400", "item": "ITEM-COMPANY"}]
    )
    number = _ok(clerk.post("/cases", body), 201)["number"]
    assert _ok(clerk.get(f"/cases/{number}"))["statutory_days"] == 45
    _ok(clerk.act(number, "check"))
    _ok(clerk.act(number, "transfer", carrier="EMS", waybill_number="J1"))
    lead = api("420100Z01-officer")
    _ok(lead.act(number, "receive_transfer"))
    sub_number = _ok(lead.act(number, "accept"))["subcases"][0]
    assert Case.objects.get(number=sub_number).statutory_days == 45
    for action in ("approve", "issue_result"):
        _ok(lead.act(number, action))
    case = _ok(lead.act(number, "ship", method="electronic"))
    # waiting for its part: due within 45 working days of acceptance on 2024-09-27, not 2
    assert case["status"] == "delivered"
    assert case["step_due_date"] == "2024-12-04"
    assert case["overdue_level"] == "green"
