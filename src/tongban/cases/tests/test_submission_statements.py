"""The SQL statements of a case submission (POST /api/v1/cases, issue 12, ADR 0138),
pinned on both databases: a statement added to the submission fails here, and the reads
ADR 0138 took out stay out.

Counted as cases/tests/test_action_statements.py counts: every statement of the request,
authentication included, except the SAVEPOINTs of the test's own transaction; the body
is built before counting. The delivery nudge after commit is not sent inside a test's
transaction and is not counted."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tongban.cases.models import Case
from tongban.cases.tests.conftest import company_submission

pytestmark = pytest.mark.django_db

CLERK = "421102-clerk"

# the token with its user; the master-data version (the item, the jurisdictions, the
# agreement that lets 黄州 receive for 东湖, the implementation with its checklist and the
# calendar then come from the per-process cache of that version); the applicant by its
# USCC; the running number; the case, its checklist, its event, the event count and the
# applicant's notification; the case in the caller's scope, for the answer. Before ADR
# 0138: 27.
EXPECTED = 10


def _submit(api: Any, body: dict[str, Any]) -> tuple[dict[str, Any], list[str]]:
    clerk = api(CLERK)
    with CaptureQueriesContext(connection) as queries:
        response = clerk.post("/cases", body)
    assert response.status_code == 201, response.content.decode()
    statements = [
        q["sql"]
        for q in queries.captured_queries
        if not q["sql"].upper().startswith(("SAVEPOINT", "RELEASE SAVEPOINT"))
    ]
    return response.json(), statements


def test_a_submission_sends_its_pinned_statements(world, api):
    body = company_submission(world)
    _submit(api, body)  # warms the grants and the master-data caches
    answer, statements = _submit(api, body)
    assert len(statements) == EXPECTED, (len(statements), "\n\n".join(statements))
    assert Case.objects.filter(number=answer["number"]).exists()


def test_the_reads_it_no_longer_sends_stay_out(world, api):
    body = company_submission(world)
    _submit(api, body)
    _answer, statements = _submit(api, body)
    text = "\n".join(statements)
    # master data from the per-process cache of its version (ADR 0119), the agreement too
    for table in (
        "agreements_agreementitem",
        "catalog_serviceitem",
        "regions_jurisdiction",
        "catalog_itemimplementation",
        "catalog_material",
        "regions_calendarday",
    ):
        assert f'FROM "{table}"' not in text, table
    # the running number in one statement
    counters = [s for s in statements if '"cases_casenumbercounter"' in s]
    assert len(counters) == 1, counters
    # a new case's first event links to nothing: no read of the link before it
    assert not [s for s in statements if s.startswith('SELECT "cases_caseevent"."digest"')]
    # the answer is built from the rows just written: the case row, its checklist and
    # its events are not read back (only its number within the caller's scope)
    case_reads = [s for s in statements if s.startswith("SELECT") and 'FROM "cases_case"' in s]
    assert len(case_reads) == 1 and '"cases_case"."number" =' in case_reads[0], case_reads
    for table in ("cases_casematerial", "cases_caseevent", "cases_shipment"):
        assert not [s for s in statements if s.startswith("SELECT") and f'FROM "{table}"' in s]


def test_the_answer_is_what_get_answers(world, api):
    body = company_submission(world)
    clerk = api(CLERK)
    created = clerk.post("/cases", body)
    assert created.status_code == 201, created.content.decode()
    fetched = clerk.get(f"/cases/{created.json()['number']}")
    assert fetched.status_code == 200
    assert created.json() == fetched.json()


# -- the running number in one statement (cases.actions.common.draw_running_number) -----


def test_the_running_number_starts_at_one_and_counts_up_in_one_statement(world):
    from tongban.cases.actions.common import draw_running_number
    from tongban.cases.models import CaseNumberCounter

    with CaptureQueriesContext(connection) as queries:
        first = draw_running_number("TEST-20260101")
    assert first == 1 and len(queries.captured_queries) == 1
    assert [draw_running_number("TEST-20260101") for _ in range(3)] == [2, 3, 4]
    CaseNumberCounter.objects.create(prefix="TEST-20260102", last=41)
    assert draw_running_number("TEST-20260102") == 42
    assert CaseNumberCounter.objects.get(prefix="TEST-20260101").last == 4
    assert CaseNumberCounter.objects.get(prefix="TEST-20260102").last == 42


# -- the cached master data is never stale (ADR 0119) -----------------------------------


def _error(response: Any, code: str) -> None:
    assert response.status_code == 422, response.content.decode()
    assert response.json()["code"] == code, response.json()


def test_a_changed_agreement_direction_is_seen_by_the_next_submission(world, api):
    clerk = api(CLERK)
    body = company_submission(world)
    assert clerk.post("/cases", body).status_code == 201  # the agreement is now cached
    agreement_item = world.agreement.items.get(item__code="ITEM-COMPANY")
    # only 鄂州 may receive now: a many-to-many change, no save of any row
    agreement_item.receiving_jurisdictions.set([world.jurisdictions["420703400"]])
    _error(clerk.post("/cases", body), "no_agreement")
    agreement_item.receiving_jurisdictions.clear()
    assert clerk.post("/cases", body).status_code == 201
    world.agreement.status = "suspended"
    world.agreement.save(update_fields=["status"])
    _error(clerk.post("/cases", body), "no_agreement")


def test_a_checklist_line_added_is_asked_by_the_next_submission(world, api):
    from tongban.catalog.models import Material

    clerk = api(CLERK)
    body = company_submission(world)
    assert clerk.post("/cases", body).status_code == 201  # the checklist is now cached
    implementation = world.implementations[("company", "420100Z01")]
    added = Material.objects.create(
        implementation=implementation, position=99, name="补充材料", requirement="required"
    )
    answer = clerk.post("/cases", body)
    assert answer.status_code == 201, answer.content.decode()
    lines = {m["name"]: m["state"] for m in answer.json()["materials"]}
    assert lines[added.name] == "missing"
