"""The two example cases of domain notes §6, end to end through the API."""

from __future__ import annotations

import datetime as dt

import pytest

from tongban.cases.models import Case, CaseEvent, Shipment
from tongban.cases.tests.conftest import company_submission
from tongban.notifications.models import OutboxMessage

pytestmark = pytest.mark.django_db


def _ok(response, status=200):
    assert response.status_code == status, response.content.decode()
    return response.json()


def test_huangzhou_receives_company_registration_for_donghu_and_licence_is_mailed(world, api):
    clerk, officer = api("421102-clerk"), api("420100Z01-officer")
    agent = api("enterprise-1")

    case = _ok(clerk.post("/cases", company_submission(world)), 201)
    number = case["number"]
    assert number.startswith("421102-20240927-")
    # a plain window receipt is not 帮办代办 (that needs a record: tongban.assistance)
    assert case["status"] == "received" and case["assisted"] is False
    assert case["receiving"]["code"] == "421102" and case["handling"]["code"] == "420100Z01"
    assert "check" in case["available_actions"]

    _ok(clerk.act(number, "check"))
    # originals must travel: the transfer needs a waybill
    missing_waybill = clerk.act(number, "transfer")
    assert missing_waybill.status_code == 422
    assert missing_waybill.json()["code"] == "missing_field"
    case = _ok(clerk.act(number, "transfer", carrier="EMS", waybill_number="EMS1001"))
    assert case["status"] == "in_transfer"
    assert _ok(clerk.get(f"/cases/{number}"))["shipments"][0]["purpose"] == "originals"

    # the electronic file arrives at once; the paper is still in the post
    case = _ok(officer.act(number, "receive_transfer", discrepancies=""))
    assert case["status"] == "pending_acceptance"
    assert _ok(officer.get(f"/cases/{number}"))["shipments"][0]["state"] == "in_transit"
    assert "receive_originals" in case["available_actions"]
    # accepted on the electronic copies the same day
    case = _ok(officer.act(number, "accept"))
    assert case["status"] == "accepted"
    # 3 promised working days counted from the day after 2024-09-27 on the official
    # calendar: Sun 09-29 is a make-up working day, 10-01..07 are holidays
    assert case["due_date"] == "2024-10-08"
    # the paper arrives later and is signed for as what it is
    case = _ok(officer.act(number, "receive_originals"))
    assert case["status"] == "accepted" and case["event"]["action"] == "receive_originals"
    assert _ok(officer.get(f"/cases/{number}"))["shipments"][0]["state"] == "signed"
    assert "receive_originals" not in case["available_actions"]

    _ok(officer.act(number, "approve"))
    case = _ok(officer.act(number, "issue_result"))
    assert case["status"] == "result_issued"
    case = _ok(officer.act(number, "ship", method="post", carrier="EMS", waybill_number="EMS2002"))
    assert case["status"] == "in_delivery"
    case = _ok(agent.act(number, "sign_for"))
    assert case["status"] == "delivered"
    case = _ok(officer.act(number, "complete"))
    assert case["status"] == "completed" and case["practice_code"] == 11

    actions = [e["action"] for e in _ok(officer.get(f"/cases/{number}"))["events"]]
    assert actions == [
        "submit",
        "check",
        "transfer",
        "receive_transfer",
        "accept",
        "receive_originals",
        "approve",
        "issue_result",
        "ship",
        "sign_for",
        "complete",
    ]
    stored = Case.objects.get(number=number)
    assert stored.event_count == CaseEvent.objects.filter(case=stored).count() == 11
    assert Shipment.objects.filter(case=stored, purpose="result", state="signed").exists()
    templates = list(OutboxMessage.objects.filter(case=stored).values_list("template", flat=True))
    assert templates[0] == "submitted" and "shipped" in templates and templates[-1] == "completed"


def test_donghu_window_receives_gedian_registration_and_applicant_picks_up_at_donghu(world, api):
    clerk, officer = api("420100Z01-clerk"), api("420703400-officer")
    body = company_submission(
        world,
        receiving="420100Z01",
        handling="420703400",
        delivery_method="window",
        delivery_address="",
    )
    number = _ok(clerk.post("/cases", body), 201)["number"]
    assert number.startswith("420100Z01-")
    _ok(clerk.act(number, "check"))
    _ok(clerk.act(number, "transfer", carrier="同城专递", waybill_number="TC-1"))
    _ok(officer.act(number, "receive_transfer"))
    _ok(officer.act(number, "accept"))
    _ok(officer.act(number, "approve"))
    _ok(officer.act(number, "issue_result"))
    case = _ok(officer.act(number, "ship", carrier="同城专递", waybill_number="TC-2"))
    assert case["status"] == "to_window"
    # the parcel arrives at the 东湖 window: the clerk signs for it, the applicant is told
    case = _ok(clerk.act(number, "sign_for"))
    assert case["status"] == "awaiting_pickup"
    message = OutboxMessage.objects.filter(case__number=number, template="ready_for_pickup").get()
    code = message.context["pickup_code"]
    assert len(code) == 6
    # the pickup code never shows up in the case's events
    events = _ok(clerk.get(f"/cases/{number}"))["events"]
    assert all("pickup_code" not in e["data"] for e in events)

    wrong = clerk.act(
        number,
        "pickup",
        pickup_code="000000" if code != "000000" else "111111",
        picker_id_number=world.applicants["enterprise"].agent_id_number,
    )
    assert wrong.status_code == 422 and wrong.json()["code"] == "wrong_pickup_code"
    stranger = clerk.act(
        number, "pickup", pickup_code=code, picker_id_number=world.applicants["other"].id_number
    )
    assert stranger.status_code == 422 and stranger.json()["code"] == "identity_mismatch"
    case = _ok(
        clerk.act(
            number,
            "pickup",
            pickup_code=code,
            picker_id_number=world.applicants["enterprise"].agent_id_number,
        )
    )
    assert case["status"] == "delivered"
    # a one-time code: it cannot be used twice
    assert Case.objects.get(number=number).pickup_code_hash == ""
    case = _ok(officer.act(number, "complete"))
    assert case["status"] == "completed"


def test_online_case_skips_receiving_steps(world, api):
    applicant = api("applicant-1")
    impl = world.implementations[("company", "420100Z01")]
    body = {
        "item": "ITEM-COMPANY",
        "handling": "420100Z01",
        "mode": "online",
        "channel": "web",
        "delivery_method": "electronic",
        "materials": [{"material_id": m.pk} for m in impl.materials.all()],
    }
    case = _ok(applicant.post("/cases", body), 201)
    assert case["status"] == "pending_acceptance"
    assert case["receiving"] is None and case["assisted"] is False
    assert case["number"].startswith("420100Z01-")
    officer = api("420100Z01-officer")
    for action in ("accept", "approve", "issue_result"):
        _ok(officer.act(case["number"], action))
    case = _ok(officer.act(case["number"], "ship"))
    assert case["status"] == "delivered"
    case = _ok(officer.act(case["number"], "complete"))
    assert case["completed_at"] is not None
    assert dt.datetime.fromisoformat(case["completed_at"]).tzinfo is not None
