"""多地联办 when a part fails (ADR 0094): the lead completes with the failed parts
recorded and the applicant told, or is ended as a whole; it is never stuck."""

from __future__ import annotations

import io
import re

import pytest
from pypdf import PdfReader

from tongban.cases.models import Case, CaseEvent
from tongban.cases.tests.conftest import company_submission
from tongban.documents.notices import render_notice
from tongban.notifications.models import OutboxMessage

pytestmark = pytest.mark.django_db

LEAD = "420100Z01"  # 东湖 leads; 葛店 and 开铁 do the parts
PARTS = ("420703400", "420205")


def _pdf_text(pdf: bytes) -> str:
    reader = PdfReader(io.BytesIO(pdf))
    return re.sub(r"\s+", "", "".join(page.extract_text() for page in reader.pages))


def _ok(response, status=200):
    assert response.status_code == status, response.content.decode()
    return response.json()


def _error(response, status, code):
    assert response.status_code == status, response.content.decode()
    assert response.json()["code"] == code, response.json()
    return response.json()


def _accepted_lead(world, api, parts=PARTS) -> tuple[str, dict[str, str]]:
    """A joint case received at 黄州, accepted at 东湖: its parts are open."""
    clerk = api("421102-clerk")
    body = company_submission(
        world,
        mode="joint",
        joint_parts=[{"jurisdiction": code, "item": "ITEM-COMPANY"} for code in parts],
    )
    number = _ok(clerk.post("/cases", body), 201)["number"]
    _ok(clerk.act(number, "check"))
    _ok(clerk.act(number, "transfer", carrier="EMS", waybill_number="J1"))
    lead = api(f"{LEAD}-officer")
    _ok(lead.act(number, "receive_transfer"))
    _ok(lead.act(number, "accept"))
    case = _ok(lead.get(f"/cases/{number}"))
    subs = {Case.objects.get(number=n).handling_jurisdiction.code: n for n in case["subcases"]}
    assert set(subs) == set(parts)
    return number, subs


def _deliver_lead(api, number: str) -> dict:
    lead = api(f"{LEAD}-officer")
    _ok(lead.act(number, "approve"))
    _ok(lead.act(number, "issue_result"))
    return _ok(lead.act(number, "ship", method="electronic"))


def _refuse(api, code: str, sub: str) -> None:
    _ok(
        api(f"{code}-officer").act(
            sub, "refuse", reason="住所不在本辖区", competent_authority="某区市场监督管理局"
        )
    )


def _succeed(api, code: str, sub: str) -> None:
    part = api(f"{code}-officer")
    for action in ("accept", "approve", "issue_result", "ship", "complete"):
        _ok(part.act(sub, action))


def test_a_refused_part_no_longer_blocks_the_lead_which_completes_partially(world, api):
    number, subs = _accepted_lead(world, api)
    lead = api(f"{LEAD}-officer")
    case = _deliver_lead(api, number)
    assert case["status"] == "delivered"
    _error(lead.act(number, "complete"), 409, "subcases_open")
    assert "complete" not in case["available_actions"]
    _succeed(api, PARTS[1], subs[PARTS[1]])
    assert Case.objects.get(number=number).status == "delivered"  # 葛店 is still open
    _refuse(api, PARTS[0], subs[PARTS[0]])
    # the last part's end completes the lead by itself, recording which part failed
    case = _ok(lead.get(f"/cases/{number}"))
    assert case["status"] == "completed" and case["completed_at"] is not None
    assert case["part_outcomes"] == {subs[PARTS[0]]: "failed", subs[PARTS[1]]: "succeeded"}
    last = case["events"][-1]
    assert last["action"] == "complete" and last["actor_role"] == "system"
    assert last["actor"] is None and last["actor_jurisdiction"] is None  # nobody's move
    assert last["data"]["partial"] is True
    assert last["data"]["failed_parts"] == [subs[PARTS[0]]]
    assert "部分办结" in last["reason"]
    # the applicant is told which part failed and why
    notice = OutboxMessage.objects.get(case__number=number, template="completed")
    (line,) = notice.context["failed_parts"]
    assert subs[PARTS[0]] in line and "葛店" in line and "住所不在本辖区" in line
    # and the 办结通知书 lists how every part ended
    text = _pdf_text(render_notice(Case.objects.get(number=number), "completion"))
    assert "联办部分办理情况" in text and "部分办结" in text and "行政复议" in text
    assert subs[PARTS[0]] in text and "不予受理" in text
    assert subs[PARTS[1]] in text and "已办成" in text


def test_the_lead_completes_by_hand_when_the_parts_ended_first(world, api):
    number, subs = _accepted_lead(world, api, parts=PARTS[:1])
    sub = subs[PARTS[0]]
    part = api(f"{PARTS[0]}-officer")
    # a part whose decision is 不予许可 ends completed, but as a failed part
    _ok(part.act(sub, "accept"))
    _ok(part.act(sub, "deny", reason="经营范围涉及前置审批"))
    for action in ("issue_result", "ship", "complete"):
        _ok(part.act(sub, action))
    lead = api(f"{LEAD}-officer")
    assert _ok(lead.get(f"/cases/{number}"))["part_outcomes"] == {sub: "failed"}
    case = _deliver_lead(api, number)
    assert "complete" in case["available_actions"]
    case = _ok(lead.act(number, "complete"))
    assert case["status"] == "completed"
    assert case["event"]["data"] == {
        "parts": {sub: "failed"},
        "partial": True,
        "failed_parts": [sub],
    }


def test_a_fully_successful_joint_case_is_not_partial(world, api):
    number, subs = _accepted_lead(world, api, parts=PARTS[:1])
    _deliver_lead(api, number)
    _succeed(api, PARTS[0], subs[PARTS[0]])
    case = _ok(api(f"{LEAD}-officer").get(f"/cases/{number}"))
    assert case["status"] == "completed"
    assert case["events"][-1]["data"]["partial"] is False
    notice = OutboxMessage.objects.get(case__number=number, template="completed")
    assert "failed_parts" not in notice.context


def test_the_lead_is_ended_as_a_whole_when_an_essential_part_failed(world, api):
    number, subs = _accepted_lead(world, api)
    lead = api(f"{LEAD}-officer")
    # nothing has failed: the lead cannot be ended as a whole
    assert "terminate" not in _ok(lead.get(f"/cases/{number}"))["available_actions"]
    _error(lead.act(number, "terminate", reason="x"), 409, "no_failed_part")
    _ok(api(f"{PARTS[1]}-officer").act(subs[PARTS[1]], "accept"))
    _refuse(api, PARTS[0], subs[PARTS[0]])
    assert "terminate" in _ok(lead.get(f"/cases/{number}"))["available_actions"]
    _error(lead.act(number, "terminate"), 422, "missing_field")
    case = _ok(lead.act(number, "terminate", reason="葛店登记为必要部分,未能办理"))
    assert case["status"] == "terminated" and case["practice_code"] == 15
    assert case["event"]["data"]["as_a_whole"] is True
    assert case["event"]["data"]["failed_parts"] == [subs[PARTS[0]]]
    # the part still under review at 开铁 ends with its lead, by the table's row
    other = Case.objects.get(number=subs[PARTS[1]])
    assert other.status == "terminated" and other.overdue_on is None
    event = CaseEvent.objects.filter(case=other).order_by("-seq").first()
    assert event is not None
    assert (event.action, event.from_status, event.actor_id, event.actor_role) == (
        "terminate",
        "accepted",
        None,
        "system",
    )
    assert number in event.reason and event.data["lead"] == number
    assert OutboxMessage.objects.filter(case__number=number, template="terminated").exists()


def test_a_decided_part_is_left_to_finish_when_the_lead_ends(world, api):
    number, subs = _accepted_lead(world, api)
    decided = api(f"{PARTS[1]}-officer")
    for action in ("accept", "approve"):
        _ok(decided.act(subs[PARTS[1]], action))
    _refuse(api, PARTS[0], subs[PARTS[0]])
    _ok(api(f"{LEAD}-officer").act(number, "terminate", reason="必要部分未能办理"))
    assert Case.objects.get(number=subs[PARTS[1]]).status == "approved"
    for action in ("issue_result", "ship", "complete"):
        _ok(decided.act(subs[PARTS[1]], action))
    # the lead stays terminated: a part's end never reopens it
    assert Case.objects.get(number=number).status == "terminated"


def test_withdrawing_the_lead_withdraws_its_undecided_parts(world, api):
    number, subs = _accepted_lead(world, api)
    _ok(api(f"{PARTS[1]}-officer").act(subs[PARTS[1]], "accept"))
    case = _ok(api("enterprise-1").act(number, "withdraw"))
    assert case["status"] == "withdrawn"
    parts = {
        c.number: (c.status, c.practice_code) for c in Case.objects.filter(parent__number=number)
    }
    assert parts == {subs[PARTS[0]]: ("withdrawn", 2), subs[PARTS[1]]: ("withdrawn", 14)}


def test_conditional_acceptance_of_the_lead_opens_its_parts(world, api):
    impl = world.implementations[("company", LEAD)]
    clerk = api("421102-clerk")
    body = company_submission(
        world,
        mode="joint",
        joint_parts=[{"jurisdiction": PARTS[0], "item": "ITEM-COMPANY"}],
        materials=[
            {
                "material_id": m.pk,
                "state": "missing" if m.requirement == "deferrable" else "provided",
            }
            for m in impl.materials.all()
        ],
    )
    number = _ok(clerk.post("/cases", body), 201)["number"]
    _ok(clerk.act(number, "check"))
    _ok(clerk.act(number, "transfer", carrier="EMS", waybill_number="J2"))
    lead = api(f"{LEAD}-officer")
    _ok(lead.act(number, "receive_transfer"))
    _ok(lead.act(number, "accept_with_commitment", days=3))
    case = _ok(lead.get(f"/cases/{number}"))
    assert len(case["subcases"]) == 1
    assert Case.objects.get(number=case["subcases"][0]).status == "pending_acceptance"


@pytest.mark.parametrize(
    ("username", "status", "code"),
    [
        (f"{LEAD}-clerk", 403, "action_not_permitted"),  # wrong role at the lead
        (f"{LEAD}-supervisor", 403, "action_not_permitted"),
        ("421102-officer", 403, "action_not_permitted"),  # the receiving place
        ("enterprise-1", 403, "action_not_permitted"),  # the applicant may only withdraw
        ("420115-officer", 404, "not_found"),  # not on the case
        (None, 401, "not_authenticated"),
    ],
)
def test_only_the_leads_officers_end_it_as_a_whole(world, api, username, status, code):
    number, subs = _accepted_lead(world, api)
    _refuse(api, PARTS[0], subs[PARTS[0]])
    _error(api(username).act(number, "terminate", reason="x"), status, code)
    assert Case.objects.get(number=number).status == "accepted"
    assert Case.objects.get(number=subs[PARTS[1]]).status == "pending_acceptance"


def test_a_parts_officer_cannot_end_a_part_through_the_joint_row(world, api):
    number, subs = _accepted_lead(world, api)
    part = api(f"{PARTS[1]}-officer")
    _ok(part.act(subs[PARTS[1]], "accept"))
    # the joint termination row needs a failed part of *this* case: a part has none
    assert "terminate" not in _ok(part.get(f"/cases/{subs[PARTS[1]]}"))["available_actions"]
    _error(part.act(subs[PARTS[1]], "terminate", reason="x"), 409, "no_failed_part")
    # and a part's officer does not see the lead's case at all
    _error(part.act(number, "terminate", reason="x"), 404, "not_found")
