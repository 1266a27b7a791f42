"""Case rules through the API: supplements, 容缺, refusal, pause/extend, withdrawal,
joint handling, idempotency and bad input."""

from __future__ import annotations

import datetime as dt

import pytest

from tongban.cases.models import Case, CaseEvent
from tongban.cases.tests.conftest import company_submission
from tongban.notifications.models import OutboxMessage
from tongban.testing.jobs import run_jobs

pytestmark = pytest.mark.django_db


def _ok(response, status=200):
    assert response.status_code == status, response.content.decode()
    return response.json()


def _error(response, status, code):
    assert response.status_code == status, response.content.decode()
    body = response.json()
    assert body["code"] == code, body
    return body


def _pending_case(world, api, **overrides):
    clerk = api("421102-clerk")
    number = _ok(clerk.post("/cases", company_submission(world, **overrides)), 201)["number"]
    _ok(clerk.act(number, "check"))
    _ok(clerk.act(number, "transfer", carrier="EMS", waybill_number="E1"))
    _ok(api("420100Z01-officer").act(number, "receive_transfer"))
    return number


def _material_ids(number: str) -> dict[str, int]:
    return {m.name: m.pk for m in Case.objects.get(number=number).materials.all()}


def test_one_time_notice_lists_every_missing_material_then_supplement(world, api):
    clerk = api("421102-clerk")
    impl = world.implementations[("company", "420100Z01")]
    first = impl.materials.order_by("position").first()
    body = company_submission(world, materials=[{"material_id": first.pk}])
    number = _ok(clerk.post("/cases", body), 201)["number"]
    # a window cannot pass the check while required materials are missing
    _error(clerk.act(number, "check"), 409, "materials_incomplete")
    ids = _material_ids(number)
    missing = [ids["公司章程"], ids["住所使用证明"]]
    case = _ok(clerk.act(number, "request_supplement", missing=missing, days=5))
    assert case["status"] == "supplement_at_receipt"
    assert case["supplement_due"] == "2024-10-10"
    assert case["event"]["data"]["missing"] == ["公司章程", "住所使用证明"]
    notice = OutboxMessage.objects.get(case__number=number, template="supplement_requested")
    assert notice.context["missing"] == ["公司章程", "住所使用证明"]
    # supplementing only part of a required list is refused and changes nothing
    _error(
        clerk.act(number, "supplement", provided=[ids["住所使用证明"]]), 409, "materials_incomplete"
    )
    assert Case.objects.get(number=number).status == "supplement_at_receipt"
    assert Case.objects.get(number=number).materials.get(name="住所使用证明").state == "missing"
    # the applicant may bring the materials back to the window, or supplement online
    case = _ok(api("enterprise-1").act(number, "supplement", provided=missing))
    assert case["status"] == "received"
    _ok(clerk.act(number, "check"))


def test_accept_with_commitment_then_terminate_when_not_made_good(world, api, monkeypatch):
    impl = world.implementations[("company", "420100Z01")]
    materials = [
        {"material_id": m.pk, "state": "missing" if m.requirement == "deferrable" else "provided"}
        for m in impl.materials.all()
    ]
    number = _pending_case(world, api, materials=materials)
    officer = api("420100Z01-officer")
    _error(officer.act(number, "accept"), 409, "materials_incomplete")
    case = _ok(officer.act(number, "accept_with_commitment", days=3))
    assert case["status"] == "accepted_conditionally"
    assert case["commitment_due"] == "2024-10-08"
    assert OutboxMessage.objects.filter(
        case__number=number, template="accepted_conditionally"
    ).exists()
    _error(officer.act(number, "approve"), 409, "illegal_transition")
    _error(officer.act(number, "terminate", reason="未按承诺补齐"), 409, "deadline_not_passed")
    monkeypatch.setattr("tongban.cases.deadlines.local_today", lambda: dt.date(2024, 10, 9))
    case = _ok(officer.act(number, "terminate", reason="未按承诺补齐"))
    assert case["status"] == "terminated" and case["practice_code"] == 15


def test_commitment_made_good_returns_to_review(world, api):
    impl = world.implementations[("company", "420100Z01")]
    materials = [
        {"material_id": m.pk, "state": "missing" if m.requirement == "deferrable" else "provided"}
        for m in impl.materials.all()
    ]
    number = _pending_case(world, api, materials=materials)
    officer = api("420100Z01-officer")
    _ok(officer.act(number, "accept_with_commitment"))
    case = _ok(
        api("421102-clerk").act(
            number, "supplement", provided=[_material_ids(number)["住所使用证明"]]
        )
    )
    assert case["status"] == "accepted" and case["commitment_due"] is None


def test_bad_credit_applicant_cannot_be_accepted_conditionally(world, api):
    world.applicants["enterprise"].bad_credit = True
    world.applicants["enterprise"].save()
    impl = world.implementations[("company", "420100Z01")]
    materials = [
        {"material_id": m.pk, "state": "missing" if m.requirement == "deferrable" else "provided"}
        for m in impl.materials.all()
    ]
    number = _pending_case(world, api, materials=materials)
    _error(api("420100Z01-officer").act(number, "accept_with_commitment"), 409, "bad_credit")


def test_refusal_needs_reason_and_competent_authority(world, api):
    number = _pending_case(world, api)
    officer = api("420100Z01-officer")
    _error(officer.act(number, "refuse"), 422, "missing_field")
    _error(officer.act(number, "refuse", reason="不属于本机关职权范围"), 422, "missing_field")
    case = _ok(
        officer.act(
            number,
            "refuse",
            reason="不属于本机关职权范围",
            competent_authority="鄂州市市场监督管理局",
        )
    )
    assert case["status"] == "refused" and case["practice_code"] == 5
    assert case["competent_authority"] == "鄂州市市场监督管理局"
    assert case["due_date"] is None and case["overdue_level"] == "green"
    # a final state accepts nothing
    _error(officer.act(number, "accept"), 409, "illegal_transition")


def test_pause_excludes_days_and_extension_adds_days(world, api, monkeypatch):
    number = _pending_case(world, api)
    officer, head = api("420100Z01-officer"), api("420100Z01-head")
    assert _ok(officer.act(number, "accept"))["due_date"] == "2024-10-08"
    _error(officer.act(number, "pause"), 422, "missing_field")
    _ok(officer.act(number, "pause", reason="现场核查"))
    monkeypatch.setattr("tongban.cases.deadlines.local_today", lambda: dt.date(2024, 10, 10))
    case = _ok(officer.act(number, "resume"))
    # paused from Fri 09-27 to Thu 10-10: working days 09-29, 09-30, 10-08, 10-09, 10-10
    assert case["paused_working_days"] == 5
    # 3 + 5 working days after 09-27; Sat 10-12 is a make-up working day
    assert case["due_date"] == "2024-10-14"
    _error(officer.act(number, "extend", reason="情况复杂", days=3), 403, "action_not_permitted")
    _error(head.act(number, "extend", reason="情况复杂", days=11), 422, "invalid_days")
    case = _ok(head.act(number, "extend", reason="情况复杂", days=3))
    assert case["extension_days"] == 3 and case["due_date"] == "2024-10-17"


def test_supplement_during_review_restarts_the_count(world, api, monkeypatch):
    number = _pending_case(world, api)
    officer = api("420100Z01-officer")
    _ok(officer.act(number, "accept"))
    ids = _material_ids(number)
    _ok(officer.act(number, "request_supplement", missing=[ids["公司章程"]]))
    monkeypatch.setattr("tongban.cases.deadlines.local_today", lambda: dt.date(2024, 10, 14))
    case = _ok(api("enterprise-1").act(number, "supplement", provided=[ids["公司章程"]]))
    assert case["status"] == "accepted"
    assert case["due_date"] == "2024-10-17"


def test_overdue_levels_follow_the_due_date(world, api, monkeypatch):
    number = _pending_case(world, api)
    officer = api("420100Z01-officer")
    _ok(officer.act(number, "accept"))  # due 2024-10-08
    levels = {}
    for day in (
        dt.date(2024, 9, 27),
        dt.date(2024, 9, 30),
        dt.date(2024, 10, 8),
        dt.date(2024, 10, 9),
    ):
        monkeypatch.setattr("tongban.cases.deadlines.local_today", lambda d=day: d)
        levels[day.isoformat()] = officer.get(f"/cases/{number}").json()["overdue_level"]
        queue = officer.get("/cases", overdue=levels[day.isoformat()]).json()["items"]
        assert number in [c["number"] for c in queue]
    assert levels == {
        "2024-09-27": "green",
        "2024-09-30": "yellow",
        "2024-10-08": "yellow",
        "2024-10-09": "red",
    }


def test_withdrawal_by_applicant_and_on_behalf(world, api):
    clerk = api("421102-clerk")
    number = _ok(clerk.post("/cases", company_submission(world)), 201)["number"]
    case = _ok(api("enterprise-1").act(number, "withdraw"))
    assert case["status"] == "withdrawn" and case["practice_code"] == 2
    number = _pending_case(world, api)
    _ok(api("420100Z01-officer").act(number, "accept"))
    _error(clerk.act(number, "withdraw"), 422, "missing_field")
    case = _ok(clerk.act(number, "withdraw", reason="申请人电话要求撤回"))
    assert case["practice_code"] == 14 and case["event"]["data"]["on_behalf"] is True


def test_joint_case_completes_when_every_subcase_completes(world, api):
    clerk = api("421102-clerk")
    body = company_submission(
        world, mode="joint", joint_parts=[{"jurisdiction": "420703400", "item": "ITEM-COMPANY"}]
    )
    number = _ok(clerk.post("/cases", body), 201)["number"]
    _ok(clerk.act(number, "check"))
    _ok(clerk.act(number, "transfer", carrier="EMS", waybill_number="J1"))
    lead = api("420100Z01-officer")
    _ok(lead.act(number, "receive_transfer"))
    _ok(lead.act(number, "accept"))
    case = _ok(lead.get(f"/cases/{number}"))
    assert len(case["subcases"]) == 1
    sub_number = case["subcases"][0]
    part = api("420703400-officer")
    sub = _ok(part.get(f"/cases/{sub_number}"))
    assert sub["parent"] == number and sub["status"] == "pending_acceptance"
    for action in ("approve", "issue_result"):
        _ok(lead.act(number, action))
    _ok(lead.act(number, "ship", method="electronic"))
    _error(lead.act(number, "complete"), 409, "subcases_open")
    for action in ("accept", "approve", "issue_result", "ship", "complete"):
        _ok(part.act(sub_number, action))
    parent = _ok(lead.get(f"/cases/{number}"))
    assert parent["status"] == "completed"
    assert parent["events"][-1]["actor_role"] == "system"


def test_joint_case_without_agreement_for_a_part_is_refused(world, api):
    body = company_submission(
        world, mode="joint", joint_parts=[{"jurisdiction": "420115", "item": "ITEM-COMPANY"}]
    )
    _error(api("421102-clerk").post("/cases", body), 422, "no_agreement")
    assert not Case.objects.exists()


def test_idempotency_key_returns_the_first_case(world, api):
    clerk = api("421102-clerk")
    body = company_submission(world)
    first = clerk.post("/cases", body, **{"Idempotency-Key": "k-1"})
    second = clerk.post("/cases", body, **{"Idempotency-Key": "k-1"})
    assert first.status_code == 201 and second.status_code == 200
    assert "Idempotent-Replayed" not in first.headers
    assert second.headers["Idempotent-Replayed"] == "true"
    assert first.json()["number"] == second.json()["number"]
    assert Case.objects.count() == 1
    other = dict(body, delivery_method="window")
    _error(clerk.post("/cases", other, **{"Idempotency-Key": "k-1"}), 409, "idempotency_key_reused")
    assert Case.objects.count() == 1


@pytest.mark.parametrize(
    ("change", "status", "code"),
    [
        ({"item": "NOPE"}, 422, "unknown_item"),
        ({"handling": "999999"}, 422, "unknown_jurisdiction"),
        ({"mode": "teleport"}, 422, "invalid_mode"),
        ({"delivery_method": "pigeon"}, 422, "invalid_delivery_method"),
        ({"delivery_address": ""}, 422, "missing_field"),
        ({"receiving": None}, 422, "missing_field"),
        ({"materials": [{"material_id": 999999}]}, 422, "unknown_material"),
        (
            {"applicant": {"kind": "person", "name": "张三", "id_number": "421102199901011234"}},
            422,
            "invalid_id_number",
        ),
        (
            {
                "applicant": {
                    "kind": "enterprise",
                    "name": "某公司",
                    "uscc": "91420100MA4K000010",
                    "agent_name": "张三",
                    "agent_id_number": "x",
                }
            },
            422,
            "invalid_uscc",
        ),
        ({"mode": "online", "channel": "web"}, 403, "online_needs_applicant"),
        (
            {"item": "ITEM-MARRIAGE", "delivery_method": "window", "channel": "terminal"},
            422,
            "channel_not_offered",
        ),
        ({"materials": "not a list"}, 422, "invalid_input"),
    ],
)
def test_bad_submissions_are_refused_and_change_nothing(world, api, change, status, code):
    body = company_submission(world)
    body.update(change)
    _error(api("421102-clerk").post("/cases", body), status, code)
    assert not Case.objects.exists()
    assert not CaseEvent.objects.exists()
    assert not OutboxMessage.objects.exists()


def test_malformed_json_and_unknown_action_are_clear_errors(world, api):
    clerk = api("421102-clerk")
    response = clerk.client.post(
        "/api/v1/cases", "{not json", content_type="application/json", headers=clerk.headers
    )
    assert response.status_code in (400, 422)
    assert "code" in response.json()
    number = _ok(clerk.post("/cases", company_submission(world)), 201)["number"]
    _error(clerk.act(number, "teleport"), 404, "unknown_action")
    _error(clerk.act(number, "submit"), 404, "unknown_action")


def test_errors_speak_english_on_request(world, api):
    clerk = api("421102-clerk")
    response = clerk.client.post(
        "/api/v1/cases",
        {**company_submission(world), "item": "NOPE"},
        content_type="application/json",
        headers={**clerk.headers, "Accept-Language": "en"},
    )
    assert response.json()["message"] == "Unknown item code: NOPE"
    response = clerk.post("/cases", {**company_submission(world), "item": "NOPE"})
    assert response.json()["message"] == "事项编码不存在:NOPE"


def test_valid_licences_spare_the_applicant_from_supplying_them_again(world, api):
    from tongban.catalog.models import Material
    from tongban.licences.models import Licence

    # the enterprise obtains its business licence through a first case
    officer = api("420100Z01-officer")
    number = _pending_case(world, api)
    for action in ("accept", "approve", "issue_result"):
        _ok(officer.act(number, action))
    licence = Licence.objects.get(case__number=number)
    # 免提交 counts a licence once it is signed (ADR 0121)
    assert licence.status == "signing"
    run_jobs()
    licence.refresh_from_db()
    assert licence.status == "valid"
    # a checklist elsewhere accepts that licence type instead of a paper copy
    gedian = world.implementations[("company", "420703400")]
    Material.objects.create(
        implementation=gedian,
        position=9,
        name="营业执照",
        requirement="required",
        form="copy",
        licence_type_code=licence.licence_type_code,
    )
    shared_material = gedian.materials.get(name="营业执照").pk
    body = company_submission(world, receiving="420100Z01", handling="420703400")
    body["materials"] = [m for m in body["materials"] if m["material_id"] != shared_material]
    case = _ok(api("420100Z01-clerk").post("/cases", body), 201)
    shared = next(m for m in case["materials"] if m["name"] == "营业执照")
    assert shared["state"] == "by_licence"
    assert shared["licence_reference"] == licence.identifier
    _ok(api("420100Z01-clerk").act(case["number"], "check"))
    # a revoked licence no longer counts, and nobody can claim a licence they lack
    licence.status = "revoked"
    licence.save(update_fields=["status"])
    body = company_submission(world, receiving="420100Z01", handling="420703400")
    body["materials"] = [m for m in body["materials"] if m["material_id"] != shared_material]
    case = _ok(api("420100Z01-clerk").post("/cases", body), 201)
    assert next(m for m in case["materials"] if m["name"] == "营业执照")["state"] == "missing"
    body["materials"].append({"material_id": shared_material, "state": "by_licence"})
    _error(api("420100Z01-clerk").post("/cases", body), 422, "licence_not_valid")


def test_denial_is_issued_and_delivered_like_an_approval(world, api):
    number = _pending_case(world, api)
    officer = api("420100Z01-officer")
    _ok(officer.act(number, "accept"))
    _error(officer.act(number, "deny"), 422, "missing_field")
    case = _ok(officer.act(number, "deny", reason="经营范围涉及前置许可,未取得许可"))
    assert case["status"] == "denied" and case["practice_code"] == 13
    case = _ok(officer.act(number, "issue_result"))
    assert case["status"] == "result_issued"
    # a denial issues no licence
    assert "licence" not in case["event"]["data"]
    case = _ok(officer.act(number, "ship", method="electronic"))
    assert case["status"] == "delivered"


def test_queue_pages_through_every_case_once_in_both_orderings(world, api, monkeypatch):
    clerk = api("421102-clerk")
    numbers = [
        _ok(clerk.post("/cases", company_submission(world)), 201)["number"] for _ in range(5)
    ]
    # give two of them a later step deadline by checking them
    for number in numbers[:2]:
        _ok(clerk.act(number, "check"))
    for ordering in ("received", "due"):
        seen: list[str] = []
        cursor = None
        while True:
            params = {"limit": 2, "ordering": ordering}
            if cursor:
                params["cursor"] = cursor
            page = _ok(clerk.get("/cases", **params))
            seen += [c["number"] for c in page["items"]]
            cursor = page["next_cursor"]
            if not cursor:
                break
        assert sorted(seen) == sorted(numbers), ordering
        assert len(seen) == len(set(seen))
    newest_first = [c["number"] for c in _ok(clerk.get("/cases", limit=5))["items"]]
    assert newest_first == list(reversed(numbers))
    _error(clerk.get("/cases", cursor="garbage"), 422, "invalid_cursor")
    received_cursor = _ok(clerk.get("/cases", limit=1))["next_cursor"]
    _error(clerk.get("/cases", cursor=received_cursor, ordering="due"), 422, "invalid_cursor")
    _error(clerk.get("/cases", ordering="sideways"), 422, "invalid_filter")
    _error(clerk.get("/cases", overdue="purple"), 422, "invalid_filter")


def test_a_new_agent_of_a_known_enterprise_is_found_by_the_agents_id_number(world, api):
    """The agent's ID number is encrypted (ADR 0098): the case look-up by it goes through
    the blind index, which must follow the agent recorded for the latest case."""
    from tongban.accounts.identifiers import make_id_number
    from tongban.web.selectors import public_lookup

    new_agent = make_id_number("420111", dt.date(1985, 5, 5), 77)
    enterprise = world.applicants["enterprise"]
    body = company_submission(world)
    body["applicant"].update(agent_name="刘新", agent_id_number=new_agent.lower())
    number = _ok(api("421102-clerk").post("/cases", body), 201)["number"]
    enterprise.refresh_from_db()
    assert enterprise.agent_id_number == new_agent
    assert public_lookup(number, new_agent) is not None
    assert public_lookup(number, make_id_number("420111", dt.date(1985, 5, 5), 78)) is None
