"""The SQL statements of each case action through the API (issue 12 §2, ADR 0130),
pinned on both databases: a statement added to the action path fails here, and the
statements ADR 0130 took out (the lead's id, the chain head's digest, the full-row
UPDATE) stay out.

Counted: every statement the request sends, authentication included (the token with its
user: one, unless the process accepted that token in an earlier move, ADR 0148; the role
grants and master data come from the per-process caches of ADR 0119, warm after a first
walk), except the SAVEPOINTs of the test's own transaction, which
production does not send. The delivery nudge after commit (`wake_worker`) does not run
inside a test's transaction and is not counted."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tongban.cases.tests.conftest import company_submission

pytestmark = pytest.mark.django_db

CLERK, OFFICER, AGENT = "421102-clerk", "420100Z01-officer", "enterprise-1"

# example 1 of domain notes §6, as bench/profile_actions.py and the wrk walk run it
WALK: tuple[tuple[str, str, dict[str, Any]], ...] = (
    ("check", CLERK, {}),
    ("transfer", CLERK, {"carrier": "EMS", "waybill_number": "EMS1001"}),
    ("receive_transfer", OFFICER, {"discrepancies": ""}),
    ("accept", OFFICER, {}),
    ("approve", OFFICER, {}),
    ("issue_result", OFFICER, {}),
    ("ship", OFFICER, {"method": "post", "carrier": "EMS", "waybill_number": "EMS2002"}),
    ("sign_for", AGENT, {}),
    ("complete", OFFICER, {}),
)

# Every plain action: the token with its user; the lock (the case, its lead if it is a
# part, the master-data version, the chain head, the states of the paper originals); the
# event INSERT; the UPDATE of the columns that changed; the outbox INSERT when the
# applicant is told. Then what the move itself reads and writes (materials, shipments, the
# rating invitation, ...). Before ADR 0130 each of these was 2-3 more: the lead's id, the
# chain head, the second paper guard. The joint guards read the parts of a joint lead
# only (ADR 0137: one statement less for `complete`). The paper guards of the answer's
# available_actions, the "still in the post?" of receive_transfer and accept, and the
# 容缺 check of approve come with the lock (ADR 0143: one statement less for each answer
# of an officer, one more less for receive_transfer and for approve).
# Counted one by one as SQLite sends them; on PostgreSQL the event, the UPDATE and the
# outbox INSERT are one statement (ADR 0141): `TOGETHER` fewer.
EXPECTED = {
    # the submission's own pin and what it no longer reads: test_submission_statements.py
    # (here one more: the test's body reads the checklist inside the count)
    "submit": 11,
    "check": 6,
    "transfer": 7,
    "receive_transfer": 4,
    "accept": 7,
    "approve": 5,
    # the licence and the enterprise it establishes (licences, accounts): one statement
    # more on PostgreSQL than on SQLite, in the licence's issuance (the audit chain's
    # advisory lock). The issuance reads its facts in one statement, locks the case's
    # licences in one and draws the serial in one (ADR 0140: five fewer)
    "issue_result": 11 if connection.vendor == "postgresql" else 10,
    "ship": 6,
    "sign_for": 6,
    "complete": 5,
}


# the writes of each move that PostgreSQL takes in one statement with the event
TOGETHER = {
    "submit": 0,
    "check": 2,
    "transfer": 2,
    "receive_transfer": 1,  # no notification: the event and the UPDATE
    "accept": 2,
    "approve": 2,
    # the applicant is told when the licence is signed, by the worker: the event and
    # the UPDATE (the licence's rows go before, its audit row reads its chain's head)
    "issue_result": 1,
    "ship": 2,
    "sign_for": 2,
    "complete": 2,
}


# the moves whose token the process already accepted in an earlier move of the walk: the
# lock statement checks it, with no statement of its own (ADR 0148). Each walk signs in
# with new tokens, so a user's first move checks its token on its own.
REMEMBERED = {"transfer", "accept", "approve", "issue_result", "ship", "complete"}


def _statements(queries: CaptureQueriesContext) -> list[str]:
    return [
        q["sql"]
        for q in queries.captured_queries
        if not q["sql"].upper().startswith(("SAVEPOINT", "RELEASE SAVEPOINT"))
    ]


def _walk(world: Any, api: Any) -> dict[str, list[str]]:
    clients = {name: api(name) for name in (CLERK, OFFICER, AGENT)}
    seen: dict[str, list[str]] = {}
    with CaptureQueriesContext(connection) as queries:
        created = clients[CLERK].post("/cases", company_submission(world))
    assert created.status_code == 201, created.content.decode()
    seen["submit"] = _statements(queries)
    number = created.json()["number"]
    for action, user, body in WALK:
        with CaptureQueriesContext(connection) as queries:
            answer = clients[user].act(number, action, **body)
        assert answer.status_code == 200, (action, answer.content.decode())
        seen[action] = _statements(queries)
    return seen


def test_each_action_sends_its_pinned_statements(world, api):
    _walk(world, api)  # warms the grants, master data and calendar caches
    seen = _walk(world, api)
    counts = {action: len(sqls) for action, sqls in seen.items()}
    expected = {
        action: count
        - (TOGETHER[action] if connection.vendor == "postgresql" else 0)
        - (action in REMEMBERED)
        for action, count in EXPECTED.items()
    }
    assert counts == expected, (
        counts,
        "\n\n".join(f"{a}:\n" + "\n".join(s) for a, s in seen.items()),
    )


def test_an_action_reads_neither_the_leads_id_nor_the_chain_head_apart(world, api):
    _walk(world, api)
    seen = _walk(world, api)
    for action, sqls in seen.items():
        if action == "submit":
            continue
        # one statement finds the case by its number: the lock (on PostgreSQL: FOR UPDATE)
        case_reads = [s for s in sqls if s.startswith("SELECT") and '"cases_case"."number" =' in s]
        assert len(case_reads) == 1, (action, case_reads)
        if connection.vendor == "postgresql":
            assert "FOR UPDATE OF" in case_reads[0]
        digests = [s for s in sqls if s.startswith('SELECT "cases_caseevent"."digest" FROM')]
        assert digests == [], (action, digests)
        # the UPDATE writes what changed, not the fifty columns of the row (on PostgreSQL
        # inside the statement that writes the event too: ADR 0141)
        updates = [s for s in sqls if 'UPDATE "cases_case" SET' in s]
        assert len(updates) == 1 and '"form_data"' not in updates[0], (action, updates)
        # the paper's states and the 容缺 acceptance come with the lock (ADR 0143)
        apart = [
            s
            for s in sqls
            if s.startswith(
                (
                    'SELECT "cases_shipment"',
                    'SELECT 1 AS "a" FROM "cases_shipment"',
                    'SELECT "cases_caseevent"."id" FROM',
                )
            )
        ]
        assert apart == [], (action, apart)
