"""The two hot reads of the API (issue 12 §4): the case look-up runs two statements of
its own whatever the case holds, the work queue one, in every variant; and the look-up
answers exactly what the detail of an action's answer shows. On both databases.

Every count includes the two statements of bearer authentication (the token with its
user, the role grants: accounts.auth), which are not the selectors' to save."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from ninja.responses import NinjaJSONEncoder

from tongban.cases.api import CaseDetailOut, detail
from tongban.cases.models import Case, Shipment
from tongban.cases.tests.conftest import company_submission

pytestmark = pytest.mark.django_db

AUTH = 2  # token + grants (accounts.auth)
# available_actions asks two guards of the paper path (originals in transit / held) of a
# case on that path with its own statements (cases.actions.originals), one each
PAPER_GUARDS = 2


def _ok(response, status=200):
    assert response.status_code == status, response.content.decode()
    return response.json()


def _walked_case(world, api) -> tuple[str, dict]:
    """Example 1 of domain notes §6 to its end: agreement, materials, two shipments
    (the originals in, the licence out) and eleven events. Returns the number and the
    detail that the last action answered."""
    clerk, officer, agent = api("421102-clerk"), api("420100Z01-officer"), api("enterprise-1")
    number = _ok(clerk.post("/cases", company_submission(world)), 201)["number"]
    _ok(clerk.act(number, "check"))
    _ok(clerk.act(number, "transfer", carrier="EMS", waybill_number="EMS1001"))
    _ok(officer.act(number, "receive_transfer", discrepancies=""))
    _ok(officer.act(number, "accept"))
    _ok(officer.act(number, "receive_originals"))
    _ok(officer.act(number, "approve"))
    _ok(officer.act(number, "issue_result"))
    _ok(officer.act(number, "ship", method="post", carrier="EMS", waybill_number="EMS2002"))
    _ok(agent.act(number, "sign_for"))
    return number, _ok(officer.act(number, "complete"))


def test_lookup_runs_two_statements_of_its_own(world, api, django_assert_max_num_queries):
    number, _ = _walked_case(world, api)
    officer = api("420100Z01-officer")
    _ok(officer.get(f"/cases/{number}"))  # the connection's one-off checks (SQLite: JSON)
    with django_assert_max_num_queries(AUTH + 2 + PAPER_GUARDS):
        case = _ok(officer.get(f"/cases/{number}"))
    assert len(case["events"]) == 11 and len(case["shipments"]) == 2
    assert case["materials"] and case["agreement"]
    # the applicant's agent acts on no paper: no guard is asked
    agent = api("enterprise-1")
    _ok(agent.get(f"/cases/{number}"))
    with django_assert_max_num_queries(AUTH + 2):
        _ok(agent.get(f"/cases/{number}"))


def test_lookup_answers_what_the_action_answered(world, api):
    """The JSON sub-selects (materials, shipments) and the annotated codes give the same
    detail as the plain reads an action's answer uses: types, order, time zones."""
    number, after_complete = _walked_case(world, api)
    looked_up = _ok(api("420100Z01-officer").get(f"/cases/{number}"))
    # the action answers the case's state only (ADR 0119): those fields agree
    state = {k: v for k, v in after_complete.items() if k != "event"}
    assert {k: looked_up[k] for k in state} == state
    # and the whole detail equals the one built from plain reads (selectors.case_parts)
    officer = world.users["420100Z01-officer"]
    plain = CaseDetailOut.model_validate(
        detail(officer, Case.objects.get(number=number))
    ).model_dump()
    assert looked_up == json.loads(json.dumps(plain, cls=NinjaJSONEncoder))
    shipment = looked_up["shipments"][0]
    assert shipment["purpose"] == "originals" and shipment["state"] == "signed"
    assert shipment["mismatch"] is False
    stored = Shipment.objects.filter(case__number=number).order_by("shipped_at", "id").first()
    assert stored is not None
    shipped_at = dt.datetime.fromisoformat(shipment["shipped_at"])  # to the millisecond
    assert abs(shipped_at - stored.shipped_at) < dt.timedelta(milliseconds=1)
    assert {m["original_required"] for m in looked_up["materials"]} <= {True, False}


def test_lookup_keeps_its_scope(world, api):
    number, _ = _walked_case(world, api)
    outside = api("420703400-officer").get(f"/cases/{number}")  # 葛店: not a party
    assert outside.status_code == 404 and outside.json()["code"] == "not_found"
    assert api(None).get(f"/cases/{number}").status_code == 401
    assert api("420100Z01-officer").get("/cases/421102-20240927-999999").status_code == 404


@pytest.mark.parametrize(
    "params",
    [
        {"limit": 50},
        {"limit": 50, "overdue": "red"},
        {"limit": 50, "status": "received"},
        {"limit": 50, "ordering": "due"},
    ],
    ids=["plain", "overdue", "status", "due"],
)
def test_queue_page_runs_one_statement_of_its_own(
    world, api, params, django_assert_max_num_queries
):
    clerk = api("421102-clerk")
    for _ in range(3):
        _ok(clerk.post("/cases", company_submission(world)), 201)
    officer = api("420100Z01-officer")
    with django_assert_max_num_queries(AUTH + 1):
        page = _ok(officer.get("/cases", **params))
    if "overdue" not in params:
        assert len(page["items"]) == 3


def test_queue_second_page_runs_one_statement_of_its_own(world, api, django_assert_max_num_queries):
    clerk = api("421102-clerk")
    for _ in range(3):
        _ok(clerk.post("/cases", company_submission(world)), 201)
    officer = api("420100Z01-officer")
    first = _ok(officer.get("/cases", limit=2))
    with django_assert_max_num_queries(AUTH + 1):
        second = _ok(officer.get("/cases", limit=2, cursor=first["next_cursor"]))
    assert len(second["items"]) == 1
    assert not {c["number"] for c in first["items"]} & {c["number"] for c in second["items"]}


def test_queue_keeps_its_scope(world, api):
    _ok(api("421102-clerk").post("/cases", company_submission(world)), 201)
    assert _ok(api("420703400-officer").get("/cases"))["items"] == []
    assert api(None).get("/cases").status_code == 401
