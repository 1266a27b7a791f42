"""The electronic file and the paper originals are two deliveries (ADR 0094): receiving
the file never signs for the paper; acceptance waits for the paper only where the item
implementation says so; the paper's arrival is recorded when it comes, with a mismatch
flag, and originals go back in a shipment of their own."""

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


def _error(response, status, code):
    assert response.status_code == status, response.content.decode()
    assert response.json()["code"] == code, response.json()
    return response.json()


def _file_received(world, api, **overrides) -> str:
    """A 黄州 → 东湖 case whose electronic file has arrived; the paper is in the post."""
    clerk = api("421102-clerk")
    number = _ok(clerk.post("/cases", company_submission(world, **overrides)), 201)["number"]
    _ok(clerk.act(number, "check"))
    _ok(clerk.act(number, "transfer", carrier="EMS", waybill_number="EMS-P1"))
    case = _ok(api("420100Z01-officer").act(number, "receive_transfer"))
    assert case["status"] == "pending_acceptance"
    return number


def _paper(number: str) -> Shipment:
    return Shipment.objects.get(case__number=number, purpose="originals", return_of=None)


def test_receiving_the_file_leaves_the_paper_in_the_post_and_acceptance_goes_ahead(world, api):
    number = _file_received(world, api)
    officer = api("420100Z01-officer")
    assert _paper(number).state == Shipment.State.IN_TRANSIT
    event = CaseEvent.objects.get(case__number=number, action="receive_transfer")
    assert event.data["originals_in_transit"] is True
    # the implementation does not demand the paper first: accepted on the scanned copies
    case = _ok(officer.act(number, "accept"))
    assert case["status"] == "accepted"
    assert _ok(officer.get(f"/cases/{number}"))["shipments"][0]["state"] == "in_transit"
    assert "receive_originals" in case["available_actions"]
    assert "return_originals" not in case["available_actions"]


def test_the_paper_is_signed_for_when_it_arrives_with_a_mismatch_flag(world, api):
    number = _file_received(world, api)
    officer = api("420100Z01-officer")
    _ok(officer.act(number, "accept"))
    # a mismatch must say what differs; nothing is written without it
    _error(officer.act(number, "receive_originals", mismatch=True), 422, "missing_field")
    assert _paper(number).state == Shipment.State.IN_TRANSIT
    case = _ok(
        officer.act(number, "receive_originals", mismatch=True, discrepancies="申请书原件未签字")
    )
    assert case["status"] == "accepted"  # a fact about the paper, not a step of the case
    shipment = _ok(officer.get(f"/cases/{number}"))["shipments"][0]
    assert shipment["state"] == "signed" and shipment["signed_at"] is not None
    assert shipment["mismatch"] is True and shipment["note"] == "申请书原件未签字"
    event = case["event"]
    assert event["action"] == "receive_originals"
    assert event["from_status"] == event["to_status"] == "accepted"
    assert event["practice_code"] == 3  # the case keeps its status code
    assert event["data"]["mismatch"] is True and event["data"]["waybill_number"] == "EMS-P1"
    # there is nothing left in the post: a second signature is refused
    assert "receive_originals" not in case["available_actions"]
    _error(officer.act(number, "receive_originals"), 409, "no_originals_in_transit")


def test_the_papers_arrival_does_not_move_the_steps_deadline(world, api, monkeypatch):
    number = _file_received(world, api)
    before = Case.objects.get(number=number)
    assert before.step_due_date is not None
    # the paper arrives a week later: the 5-day acceptance step still counts from the file
    later = before.step_due_date + dt.timedelta(days=7)
    monkeypatch.setattr("tongban.cases.deadlines.local_today", lambda: later)
    _ok(api("420100Z01-officer").act(number, "receive_originals"))
    after = Case.objects.get(number=number)
    assert (after.step_due_date, after.overdue_on, after.warn_on) == (
        before.step_due_date,
        before.overdue_on,
        before.warn_on,
    )


def test_implementation_demanding_originals_first_blocks_acceptance_until_they_arrive(world, api):
    impl = world.implementations[("company", "420100Z01")]
    impl.originals_before_acceptance = True
    impl.save(update_fields=["originals_before_acceptance"])
    number = _file_received(world, api)
    officer = api("420100Z01-officer")
    _error(officer.act(number, "accept"), 409, "originals_not_received")
    _error(officer.act(number, "accept_with_commitment"), 409, "nothing_deferred")
    assert Case.objects.get(number=number).status == "pending_acceptance"
    _ok(officer.act(number, "receive_originals"))
    assert _ok(officer.act(number, "accept"))["status"] == "accepted"


def test_commitment_acceptance_also_waits_for_demanded_originals(world, api):
    impl = world.implementations[("company", "420100Z01")]
    impl.originals_before_acceptance = True
    impl.save(update_fields=["originals_before_acceptance"])
    materials = [
        {"material_id": m.pk, "state": "missing" if m.requirement == "deferrable" else "provided"}
        for m in impl.materials.all()
    ]
    number = _file_received(world, api, materials=materials)
    officer = api("420100Z01-officer")
    _error(officer.act(number, "accept_with_commitment", days=3), 409, "originals_not_received")
    _ok(officer.act(number, "receive_originals"))
    case = _ok(officer.act(number, "accept_with_commitment", days=3))
    assert case["status"] == "accepted_conditionally"


def test_originals_of_a_refused_case_go_back_in_their_own_shipment(world, api):
    number = _file_received(world, api)
    officer = api("420100Z01-officer")
    _ok(officer.act(number, "refuse", reason="不属于本机关职权", competent_authority="某局"))
    # nothing is held yet: nothing can be returned
    _error(
        officer.act(number, "return_originals", carrier="EMS", waybill_number="R1"),
        409,
        "no_originals_held",
    )
    # the paper still arrives after the refusal and is recorded on the ended case
    case = _ok(officer.act(number, "receive_originals"))
    assert case["status"] == "refused"
    assert case["available_actions"] == ["return_originals"]
    _error(officer.act(number, "return_originals", carrier="EMS"), 422, "missing_field")
    _error(
        officer.act(number, "return_originals", method="drone", carrier="EMS", waybill_number="R1"),
        422,
        "invalid_delivery_method",
    )
    case = _ok(officer.act(number, "return_originals", carrier="EMS", waybill_number="EMS-R1"))
    assert case["status"] == "refused" and case["practice_code"] == 5
    inbound = _paper(number)
    assert inbound.state == Shipment.State.RETURNED
    back = Shipment.objects.get(return_of=inbound)
    assert (back.purpose, back.destination, back.waybill_number) == (
        "originals",
        "applicant",
        "EMS-R1",
    )
    assert back.address == "湖北省黄冈市黄州区东门路1号"  # the case's delivery address
    assert case["event"]["data"]["destination"] == "applicant"
    notice = OutboxMessage.objects.get(case__number=number, template="originals_returned")
    assert notice.context["waybill_number"] == "EMS-R1"
    assert case["available_actions"] == []
    _error(
        officer.act(number, "return_originals", carrier="EMS", waybill_number="R2"),
        409,
        "no_originals_held",
    )


def test_originals_can_go_back_to_the_receiving_window(world, api):
    number = _file_received(world, api)
    officer = api("420100Z01-officer")
    _ok(officer.act(number, "receive_originals"))
    case = _ok(
        officer.act(
            number, "return_originals", method="window", carrier="同城专递", waybill_number="TC-R"
        )
    )
    assert case["status"] == "pending_acceptance"
    back = Shipment.objects.get(return_of=_paper(number))
    assert back.destination == "receiving_window" and back.address == ""
    notice = OutboxMessage.objects.get(case__number=number, template="originals_returned")
    assert notice.context["to_window"] is True


@pytest.mark.parametrize("action", ["receive_originals", "return_originals"])
@pytest.mark.parametrize(
    ("username", "status", "code"),
    [
        ("421102-clerk", 403, "action_not_permitted"),  # the receiving place posts, not signs
        ("420100Z01-clerk", 403, "action_not_permitted"),  # wrong role at the handling place
        ("420100Z01-supervisor", 403, "action_not_permitted"),  # supervisors only read
        ("enterprise-1", 403, "action_not_permitted"),  # the applicant
        ("420115-officer", 404, "not_found"),  # another jurisdiction
        (None, 401, "not_authenticated"),
    ],
)
def test_only_handling_officers_record_the_paper(world, api, action, username, status, code):
    number = _file_received(world, api)
    if action == "return_originals":
        _ok(api("420100Z01-officer").act(number, "receive_originals"))
    before = Shipment.objects.filter(case__number=number).values_list("state", flat=True)
    expected = list(before)
    response = api(username).act(number, action, carrier="EMS", waybill_number="X1")
    assert response.status_code == status, response.content
    assert response.json()["code"] == code
    assert list(Shipment.objects.filter(case__number=number).values_list("state", flat=True)) == (
        expected
    )


def test_online_cases_post_no_paper(world, api):
    impl = world.implementations[("company", "420100Z01")]
    body = {
        "item": "ITEM-COMPANY",
        "handling": "420100Z01",
        "mode": "online",
        "channel": "web",
        "delivery_method": "electronic",
        "materials": [{"material_id": m.pk} for m in impl.materials.all()],
    }
    number = _ok(api("applicant-1").post("/cases", body), 201)["number"]
    _error(api("420100Z01-officer").act(number, "receive_originals"), 409, "illegal_transition")
