"""Findable work (issue 15 §6): the queue's case-number search, "待我处理" (the cases waiting
for the caller, from the transition table), the stages of the status filter and the
workbench's counts, through the API and the selector both surfaces use."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tongban.cases.models import Case, Status
from tongban.cases.selectors import work_counts
from tongban.cases.tests.conftest import TODAY, company_submission
from tongban.cases.workflow import STAGES, Leg, awaiting_states
from tongban.web.tests.conftest import advance, online_case, proxy_case

pytestmark = pytest.mark.django_db

CLERK, OFFICER = "421102-clerk", "420100Z01-officer"


def _numbers(response) -> list[str]:
    assert response.status_code == 200, response.content.decode()
    return [row["number"] for row in response.json()["items"]]


def test_awaiting_me_follows_the_case_from_leg_to_leg(world, api, today):
    case = proxy_case(world)
    other = proxy_case(world, receiving="420205")  # 开铁's own receipt
    clerk, officer = api(CLERK), api(OFFICER)
    assert _numbers(clerk.get("/cases", awaiting="me")) == [case.number]
    assert case.number not in _numbers(officer.get("/cases", awaiting="me"))
    # 开铁's clerk waits for his own receipt only
    assert _numbers(api("420205-clerk").get("/cases", awaiting="me")) == [other.number]

    advance(
        world,
        case.number,
        (CLERK, "check", {}),
        (CLERK, "transfer", {"carrier": "EMS", "waybill_number": "EMS1001"}),
    )
    # in transfer: the handling place's turn (接收电子材料), no longer the clerk's
    assert case.number not in _numbers(clerk.get("/cases", awaiting="me"))
    assert case.number in _numbers(officer.get("/cases", awaiting="me"))
    # the clerk's queue without the filter still has it
    assert case.number in _numbers(clerk.get("/cases"))


def test_awaiting_me_for_the_applicant_is_what_they_owe(world, api, today):
    case = online_case(world)
    applicant = api("applicant-1")
    assert _numbers(applicant.get("/cases", awaiting="me")) == []
    missing = [m.pk for m in case.materials.all()][:1]
    advance(world, case.number, (OFFICER, "request_supplement", {"missing": missing}))
    assert _numbers(applicant.get("/cases", awaiting="me")) == [case.number]
    # staff may record a supplement, but the case waits for the applicant, not for them
    assert case.number not in _numbers(api(OFFICER).get("/cases", awaiting="me"))
    assert _numbers(api("applicant-2").get("/cases", awaiting="me")) == []


def test_awaiting_states_come_from_the_transition_table():
    assert awaiting_states(Leg.RECEIVING, {"clerk"}) >= {"received", "checked"}
    assert "pending_acceptance" in awaiting_states(Leg.HANDLING, {"officer"})
    # a supervisor has no step of the table: nothing waits for them
    assert awaiting_states(Leg.HANDLING, {"supervisor"}) == frozenset()
    # an officer at a receiving place only hands results over there (窗口领取)
    assert awaiting_states(Leg.RECEIVING, {"officer"}) == {"awaiting_pickup"}
    # withdrawing is the applicant's choice, not work waiting for anybody
    assert "received" not in awaiting_states(Leg.APPLICANT, ())


def test_number_search_exact_prefix_and_scope(world, api, today):
    first, second = proxy_case(world), proxy_case(world)
    outside = proxy_case(world, receiving="420205", handling="420703400")
    clerk = api(CLERK)
    assert _numbers(clerk.get("/cases", number=first.number)) == [first.number]
    prefix = first.number.rsplit("-", 1)[0] + "-"
    assert set(_numbers(clerk.get("/cases", number=prefix))) == {first.number, second.number}
    # lower case typed is the same number
    assert _numbers(clerk.get("/cases", number=first.number.lower())) == [first.number]
    # another jurisdiction's case is not found, not even by its exact number
    assert _numbers(clerk.get("/cases", number=outside.number)) == []
    assert _numbers(api("420205-clerk").get("/cases", number=prefix)) == []


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"number": "4211%"}, "number"),
        ({"number": "x" * 33}, "number"),
        ({"awaiting": "you"}, "awaiting"),
        ({"stage": "limbo"}, "stage"),
    ],
)
def test_bad_filters_are_422_and_named(world, api, today, params, field):
    response = api(CLERK).get("/cases", **params)
    assert response.status_code == 422, response.content.decode()
    body = response.json()
    assert body["code"] in ("invalid_filter", "invalid_input", "too_long")
    if body["code"] == "invalid_filter":
        assert body["details"]["field"] == field


def test_unauthenticated_cannot_search(world, api):
    assert api(None).get("/cases", number="421102").status_code == 401
    assert api(None).get("/cases", awaiting="me").status_code == 401


def test_stage_groups_every_state_once_and_filters(world, api, today):
    grouped = [status for states in STAGES.values() for status in states]
    assert sorted(grouped) == sorted(Status) and len(grouped) == len(set(grouped))
    case = proxy_case(world)
    clerk = api(CLERK)
    assert _numbers(clerk.get("/cases", stage="intake")) == [case.number]
    assert _numbers(clerk.get("/cases", stage="review")) == []
    advance(world, case.number, (CLERK, "withdraw", {"reason": "申请人不再需要"}))
    assert _numbers(clerk.get("/cases", stage="ended")) == [case.number]


def test_work_counts_are_one_aggregate_over_the_cases_waiting_for_me(world, today):
    fresh, soon, late = proxy_case(world), proxy_case(world), proxy_case(world)
    elsewhere = proxy_case(world, receiving="420205")
    Case.objects.filter(pk=soon.pk).update(
        warn_on=TODAY - dt.timedelta(days=1), overdue_on=TODAY + dt.timedelta(days=1)
    )
    Case.objects.filter(pk__in=[late.pk, elsewhere.pk]).update(
        warn_on=TODAY - dt.timedelta(days=3), overdue_on=TODAY - dt.timedelta(days=1)
    )
    clerk = world.user(CLERK)
    work_counts(clerk)  # the role grants are read once per request and kept
    with CaptureQueriesContext(connection) as queries:
        counts = work_counts(clerk)
    assert (counts.awaiting, counts.due_soon, counts.overdue) == (3, 1, 1)
    # the user's applicant ids, then the one aggregate
    assert len(queries) == 2, [q["sql"] for q in queries]
    assert "COUNT" in queries[1]["sql"].upper()
    # 东湖's officer: nothing is in his hands yet; 开铁's clerk: his own late receipt
    assert work_counts(world.user(OFFICER)).awaiting == 0
    assert work_counts(world.user("420205-clerk")).overdue == 1
    assert fresh.number  # the green one counts as waiting only


def test_intake_with_the_formal_check_on_the_api(world, api, today):
    body = company_submission(world)
    body["check_at_receipt"] = True
    created = api(CLERK).post("/cases", body)
    assert created.status_code == 201, created.content.decode()
    number = created.json()["number"]
    assert created.json()["status"] == "checked"
    events = [e["action"] for e in api(CLERK).get(f"/cases/{number}").json()["events"]]
    assert events == ["submit", "check"]


def test_intake_with_the_check_follows_the_tables_rules(world, api, today):
    body = company_submission(world)
    body["check_at_receipt"] = True
    body["materials"][0]["state"] = "missing"  # the application form itself
    refused = api(CLERK).post("/cases", body)
    assert refused.status_code == 409 and refused.json()["code"] == "materials_incomplete"
    assert Case.objects.count() == 0
    # an online application has no window check: the table has no such move
    impl = world.implementations[("company", "420100Z01")]
    online = {
        "item": "ITEM-COMPANY",
        "handling": "420100Z01",
        "mode": "online",
        "channel": "web",
        "delivery_method": "electronic",
        "materials": [{"material_id": m.pk} for m in impl.materials.all()],
        "check_at_receipt": True,
    }
    response = api("applicant-1").post("/cases", online)
    assert response.status_code in (403, 409), response.content.decode()
    assert Case.objects.count() == 0


def test_awaiting_is_inside_the_readable_scope(world, api, today):
    """Counted without readable_cases (for the plan): nothing outside the scope may be."""
    from tongban.cases.selectors import awaiting_q, readable_cases

    proxy_case(world)
    proxy_case(world, receiving="420205")
    case = online_case(world)
    missing = [m.pk for m in case.materials.all()][:1]
    advance(world, case.number, (OFFICER, "request_supplement", {"missing": missing}))
    for name in (CLERK, OFFICER, "420205-clerk", "applicant-1", "applicant-2"):
        user = world.user(name)
        waiting = set(Case.objects.filter(awaiting_q(user)).values_list("pk", flat=True))
        assert waiting <= set(readable_cases(user).values_list("pk", flat=True)), name
