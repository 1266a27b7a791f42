"""The two hot reads of the API (issue 12 §4): the case look-up runs one statement of
its own whatever the case holds, the work queue one, in every variant; and the look-up
answers exactly what the detail of an action's answer shows. On both databases.

Every count includes the two statements of bearer authentication (the token with its
user, the role grants: accounts.auth), which are not the selectors' to save."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest

from tongban.api import JsonRenderer
from tongban.cases import actions, selectors
from tongban.cases.api import CaseDetailOut, CaseSummaryOut, detail, summary
from tongban.cases.models import Case, Shipment
from tongban.cases.tests.conftest import company_submission

pytestmark = pytest.mark.django_db

AUTH = 2  # token + grants (accounts.auth)


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


def test_lookup_runs_one_statement_of_its_own(world, api, django_assert_max_num_queries):
    number, _ = _walked_case(world, api)
    officer = api("420100Z01-officer")
    _ok(officer.get(f"/cases/{number}"))  # the connection's one-off checks (SQLite: JSON)
    # events in the case statement; the paper guards of available_actions answer from
    # the shipments it read (ADR 0155)
    with django_assert_max_num_queries(AUTH + 1):
        case = _ok(officer.get(f"/cases/{number}"))
    assert len(case["events"]) == 11 and len(case["shipments"]) == 2
    assert case["materials"] and case["agreement"]
    agent = api("enterprise-1")
    _ok(agent.get(f"/cases/{number}"))
    with django_assert_max_num_queries(AUTH + 1):
        _ok(agent.get(f"/cases/{number}"))


def _as_answered(body: Any) -> Any:
    """`body` as the API writes it: through its renderer, and read back."""
    return json.loads(JsonRenderer().render(None, body, response_status=200))


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
    assert looked_up == _as_answered(plain)
    shipment = looked_up["shipments"][0]
    assert shipment["purpose"] == "originals" and shipment["state"] == "signed"
    assert shipment["mismatch"] is False
    stored = Shipment.objects.filter(case__number=number).order_by("shipped_at", "id").first()
    assert stored is not None
    shipped_at = dt.datetime.fromisoformat(shipment["shipped_at"])  # to the microsecond
    assert shipped_at == stored.shipped_at
    assert {m["original_required"] for m in looked_up["materials"]} <= {True, False}


def test_lookup_offers_the_actions_the_paper_guards_read_allow(world, api):
    """At every step of the paper path, the look-up's actions (its paper guards answered
    from the shipments it read, ADR 0155) are those the guards' own statement allows."""
    clerk, officer = api("421102-clerk"), api("420100Z01-officer")
    users = [world.users["421102-clerk"], world.users["420100Z01-officer"]]
    number = _ok(clerk.post("/cases", company_submission(world)), 201)["number"]
    steps = [
        (clerk, "check", {}),
        (clerk, "transfer", {"carrier": "EMS", "waybill_number": "EMS1001"}),
        (officer, "receive_transfer", {"discrepancies": ""}),
        (officer, "accept", {}),
        (officer, "receive_originals", {}),
        (officer, "approve", {}),
    ]
    seen = set()
    for who, action, body in steps:
        _ok(who.act(number, action, **body))
        for user, client in zip(users, (clerk, officer), strict=True):
            looked_up = _ok(client.get(f"/cases/{number}"))["available_actions"]
            # a case loaded plainly, whose guards read the shipments themselves
            assert looked_up == actions.available_actions(user, Case.objects.get(number=number))
            seen.update(looked_up)
    # the walk passed both paper guards: originals in the post, then held
    assert {"receive_originals", "approve"} <= seen


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
    # the first read of a version fills the process's master-data cache (ADR 0131)
    _ok(officer.get("/cases", **params))
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


# -- the narrow queue rows and the cached master data (ADR 0131) --------------------------


def _person_submission(world):
    return company_submission(
        world,
        applicant={
            "kind": "person",
            "name": world.applicants["person"].name,
            "id_number": world.applicants["person"].id_number,
        },
    )


@pytest.mark.parametrize("ordering", ["received", "due"])
def test_queue_rows_equal_the_summary_of_the_whole_row(world, api, ordering):
    """The queue reads only SUMMARY_FIELDS and takes item and jurisdictions from the
    master-data cache; each row answers what the summary of the full case row answers
    (masking included), in the same order."""
    clerk = api("421102-clerk")
    numbers = [_ok(clerk.post("/cases", _person_submission(world)), 201)["number"]]
    numbers.append(_ok(clerk.post("/cases", company_submission(world)), 201)["number"])
    _ok(clerk.act(numbers[0], "check"))
    page = _ok(api("420100Z01-officer").get("/cases", limit=50, ordering=ordering))
    officer = world.users["420100Z01-officer"]
    full = list(selectors.page_after(
        selectors.case_queue(officer, selectors.QueueFilter()), None, 50, ordering
    )[0])  # fmt: skip
    expected = [CaseSummaryOut.model_validate(summary(case)).model_dump() for case in full]
    assert [row["number"] for row in page["items"]] == [case.number for case in full]
    assert sorted(row["number"] for row in page["items"]) == sorted(numbers)
    assert page["items"] == _as_answered(expected)
    person = next(row for row in page["items"] if row["applicant"]["kind"] == "person")
    assert person["applicant"]["identifier"] != world.applicants["person"].id_number
    assert person["applicant"]["name"] == "李*"
    assert person["receiving"] == {"code": "421102", "name": world.huangzhou.name}


def test_reads_see_an_edited_jurisdiction_at_once(world, api):
    """Item and jurisdictions of the look-up and the queue come from the per-process cache
    of master data: an edit is in the very next read, never a stale name."""
    clerk = api("421102-clerk")
    number = _ok(clerk.post("/cases", company_submission(world)), 201)["number"]
    officer = api("420100Z01-officer")
    assert _ok(officer.get(f"/cases/{number}"))["handling"]["name"] == world.donghu.name
    assert _ok(officer.get("/cases"))["items"][0]["item"]["name"] == world.items["company"].name
    world.donghu.name = "东湖高新区(新名称)"
    world.donghu.save(update_fields=["name"])
    item = world.items["company"]
    item.name = "公司设立登记(新名称)"
    item.save(update_fields=["name"])
    detail_now = _ok(officer.get(f"/cases/{number}"))
    assert detail_now["handling"]["name"] == "东湖高新区(新名称)"
    assert detail_now["item"]["name"] == "公司设立登记(新名称)"
    row = _ok(officer.get("/cases"))["items"][0]
    assert row["handling"]["name"] == "东湖高新区(新名称)"
    assert row["item"]["name"] == "公司设立登记(新名称)"
    # the events' jurisdictions come from the same cache
    assert {e["actor_jurisdiction"] for e in detail_now["events"]} == {"421102"}


def test_queue_by_due_date_keeps_its_scope_and_pages(world, api):
    clerk = api("421102-clerk")
    for _ in range(3):
        _ok(clerk.post("/cases", company_submission(world)), 201)
    officer = api("420100Z01-officer")
    first = _ok(officer.get("/cases", limit=2, ordering="due"))
    second = _ok(officer.get("/cases", limit=2, ordering="due", cursor=first["next_cursor"]))
    assert len(first["items"]) == 2 and len(second["items"]) == 1
    assert _ok(api("420703400-officer").get("/cases", ordering="due"))["items"] == []
    assert api(None).get("/cases", ordering="due").status_code == 401
    bad = officer.get("/cases", ordering="due", cursor=first["next_cursor"] + "x")
    assert bad.status_code == 422 and bad.json()["code"] == "invalid_cursor"


# -- the prepared queue page (ADR 0139) ---------------------------------------------------

QUEUE_VARIANTS = [
    selectors.QueueFilter(),
    selectors.QueueFilter(status=["received"]),
    selectors.QueueFilter(status=["received", "checked"]),
    selectors.QueueFilter(stage="intake"),
    selectors.QueueFilter(overdue="red"),
    selectors.QueueFilter(overdue="yellow"),
    selectors.QueueFilter(overdue="green"),
    selectors.QueueFilter(jurisdiction="421102"),
    selectors.QueueFilter(jurisdiction="420100Z01", side="handling"),
    selectors.QueueFilter(jurisdiction="421102", side="receiving", status=["checked"]),
    selectors.QueueFilter(item="no-such-item"),
]


@pytest.mark.parametrize(
    "username",
    ["420100Z01-officer", "421102-clerk", "420703400-clerk", "421102-supervisor", "applicant-1"],
)
def test_prepared_queue_pages_equal_the_queryset_pages(world, api, username):
    """`queue_page` (compiled once per scope and filter shape, the values swapped in)
    answers page by page what `summary_page(case_queue(…))` answers, for every role,
    filter, ordering and cursor; on a new shape, scope or value nothing stale is reused.
    The expected side reads its pages the plain way: the prepared red and yellow pages,
    looked up by ids first (ADR 0151), must answer the same."""
    clerk = api("421102-clerk")
    numbers = [_ok(clerk.post("/cases", _person_submission(world)), 201)["number"]]
    for _ in range(4):
        numbers.append(_ok(clerk.post("/cases", company_submission(world)), 201)["number"])
    _ok(clerk.act(numbers[0], "check"))
    today = selectors.deadlines.local_today()
    # two without a limit: the due ordering's third page starts from a cursor among them
    Case.objects.filter(number__in=numbers[3:]).update(
        overdue_on=None, warn_on=None, overdue_at=None, warn_at=None
    )
    Case.objects.filter(number=numbers[1]).update(overdue_on=today - dt.timedelta(days=2))
    Case.objects.filter(number=numbers[2]).update(
        warn_on=today - dt.timedelta(days=1), overdue_on=today + dt.timedelta(days=1)
    )
    user = world.user(username)
    for filters in QUEUE_VARIANTS:
        for ordering in ("received", "due"):
            cursor, pages = None, 0
            while True:
                got, got_cursor = selectors.queue_page(user, filters, cursor, 2, ordering)
                want, want_cursor = selectors.summary_page(
                    selectors.case_queue(user, filters), cursor, 2, ordering
                )
                assert [summary(c) for c in got] == [summary(c) for c in want], filters
                assert got_cursor == want_cursor
                pages += 1
                if got_cursor is None:
                    break
                cursor = got_cursor
            assert pages <= 3
            if filters == selectors.QueueFilter() and username == "421102-clerk":
                assert pages == 3
                if ordering == "due":  # the last page came from a cursor without a date
                    assert selectors._decode(cursor or "", ordering)[0] is None
    everything, _ = selectors.queue_page(user, selectors.QueueFilter(), None, 50)
    red, _ = selectors.queue_page(user, selectors.QueueFilter(overdue="red"), None, 50)
    if username == "420703400-clerk":  # 葛店: not a party to any of them
        assert everything == [] and red == []
    elif username != "applicant-1":
        assert sorted(c.number for c in everything) == sorted(numbers)
        assert [c.number for c in red] == [numbers[1]]


@pytest.mark.parametrize("level", ["red", "yellow"])
def test_red_and_yellow_pages_by_ids_answer_the_plain_pages(world, api, level):
    """A red or yellow page newest first takes its ids from a sub-select first (ADR 0151).
    With the cases of the level between others, in pages of one and of two, with other
    filters beside it, through the prepared page and the unprepared one (the web's queue,
    `awaiting`): the same cases, order and cursors as the plain page, and only those in
    scope."""
    clerk = api("421102-clerk")
    numbers = [
        _ok(clerk.post("/cases", company_submission(world)), 201)["number"] for _ in range(5)
    ]
    today = selectors.deadlines.local_today()
    day = dt.timedelta(days=1)
    Case.objects.filter(number__in=numbers).update(
        warn_on=today + 3 * day, overdue_on=today + 5 * day, warn_at=None, overdue_at=None
    )
    of_level = numbers[0::2]
    if level == "red":
        Case.objects.filter(number__in=of_level).update(overdue_on=today - 2 * day)
    else:
        Case.objects.filter(number__in=of_level).update(warn_on=today - day, overdue_on=today + day)
    newest_first = [n for n in reversed(numbers) if n in of_level]
    variants = [
        selectors.QueueFilter(overdue=level),
        selectors.QueueFilter(overdue=level, status=["received"]),
        selectors.QueueFilter(overdue=level, jurisdiction="421102", side="receiving"),
        selectors.QueueFilter(overdue=level, awaiting=True),
    ]
    for username, sees in (("421102-clerk", newest_first), ("420703400-clerk", [])):
        user = world.user(username)
        for filters in variants:
            for limit in (1, 2):
                cursor, seen = None, []
                while True:
                    got, got_cursor = selectors.queue_page(user, filters, cursor, limit)
                    want, want_cursor = selectors.page_after(
                        selectors.case_queue(user, filters), cursor, limit
                    )
                    assert [c.number for c in got] == [c.number for c in want], filters
                    assert got_cursor == want_cursor
                    # the unprepared page by ids, as the web's queue and `awaiting` read it
                    by_ids, by_ids_cursor = selectors.page_after(
                        selectors.case_queue(user, filters), cursor, limit, overdue=level
                    )
                    assert [c.number for c in by_ids] == [c.number for c in want]
                    assert by_ids_cursor == want_cursor
                    seen += [c.number for c in got]
                    if got_cursor is None:
                        break
                    cursor = got_cursor
                assert seen == sees, (username, filters, limit)
    page = _ok(clerk.get("/cases", overdue=level, limit=2))
    assert [c["number"] for c in page["items"]] == newest_first[:2]
    rest = _ok(clerk.get("/cases", overdue=level, limit=2, cursor=page["next_cursor"]))
    assert [c["number"] for c in rest["items"]] == newest_first[2:]
    assert rest["next_cursor"] is None
    assert _ok(api("420703400-officer").get("/cases", overdue=level))["items"] == []
