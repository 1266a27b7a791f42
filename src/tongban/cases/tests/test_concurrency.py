"""Parallel requests on a real database: exactly one `accept` wins, and simultaneous
submissions get distinct case numbers. Runs on PostgreSQL, and on SQLite when the test
database is a file (the Makefile sets TONGBAN_SQLITE_TEST_NAME); an in-memory SQLite
database cannot be shared between threads."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection, connections

from tongban.cases import actions
from tongban.cases.models import Case, CaseEvent
from tongban.cases.tests.conftest import ApiClient, company_submission
from tongban.core.errors import DomainError
from tongban.testing.world import build_world

pytestmark = pytest.mark.django_db(transaction=True)

THREADS = 8


@pytest.fixture
def shared_world(today):
    if connection.vendor == "sqlite" and connection.is_in_memory_db():  # type: ignore[attr-defined]
        pytest.skip("needs a database that several connections share")
    return build_world()


def _in_parallel(count: int, work: Callable[[int], Any]) -> list[Any]:
    barrier = threading.Barrier(count)
    results: list[Any] = [None] * count

    def run(index: int) -> None:
        try:
            barrier.wait()
            results[index] = work(index)
        except Exception as exc:  # collected and asserted on by the caller
            results[index] = exc
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return results


def _submit_input(world: Any) -> actions.SubmitInput:
    body = company_submission(world)
    return actions.SubmitInput(
        item=body["item"],
        handling=body["handling"],
        receiving=body["receiving"],
        mode=body["mode"],
        channel=body["channel"],
        delivery_method=body["delivery_method"],
        delivery_address=body["delivery_address"],
        applicant=actions.ApplicantInput(**body["applicant"]),
        materials=[actions.MaterialInput(**m) for m in body["materials"]],
    )


def test_parallel_accepts_exactly_one_wins(shared_world):
    world = shared_world
    clerk = world.user("421102-clerk")
    officer = world.user("420100Z01-officer")
    case = actions.submit_case(clerk, _submit_input(world))
    for action, data in (
        ("check", actions.ActionInput()),
        ("transfer", actions.ActionInput(carrier="EMS", waybill_number="1")),
    ):
        actions.perform_case_action(clerk, case.number, action, data)
    actions.perform_case_action(officer, case.number, "receive_transfer", actions.ActionInput())

    results = _in_parallel(
        THREADS,
        lambda _: actions.perform_case_action(
            type(officer).objects.get(pk=officer.pk),
            case.number,
            "accept",
            actions.ActionInput(),
        ),
    )
    winners = [r for r in results if isinstance(r, Case)]
    losers = [r for r in results if isinstance(r, DomainError)]
    assert len(winners) == 1, results
    assert len(losers) == THREADS - 1
    assert {e.code for e in losers} == {"illegal_transition"}
    assert CaseEvent.objects.filter(case__number=case.number, action="accept").count() == 1


def test_parallel_submissions_get_distinct_numbers(shared_world):
    world = shared_world
    clerk_pk = world.user("421102-clerk").pk
    data = _submit_input(world)
    results = _in_parallel(
        THREADS,
        lambda _: (
            actions.submit_case(
                type(world.user("421102-clerk")).objects.get(pk=clerk_pk), data
            ).number
        ),
    )
    assert all(isinstance(r, str) for r in results), results
    assert len(set(results)) == THREADS
    assert sorted(int(n.rsplit("-", 1)[1]) for n in results) == list(range(1, THREADS + 1))


def test_parallel_retries_with_one_idempotency_key_create_one_case(shared_world):
    world = shared_world
    clerk_pk = world.user("421102-clerk").pk
    data = _submit_input(world)
    results = _in_parallel(
        THREADS,
        lambda _: (
            actions.submit_case(
                type(world.user("421102-clerk")).objects.get(pk=clerk_pk),
                data,
                idempotency_key="retry-1",
            ).number
        ),
    )
    assert all(isinstance(r, str) for r in results), results
    assert len(set(results)) == 1
    assert Case.objects.count() == 1


def test_a_parts_end_and_its_leads_termination_at_once_never_deadlock(shared_world):
    """A part's end locks its lead (to complete it); the lead's termination locks its
    parts (to end them). Both lock the lead first (ADR 0094): whichever wins, the other
    gets a clean answer and the cases agree."""
    world = shared_world
    clerk = world.user("421102-clerk")
    lead_officer = world.user("420100Z01-officer")
    gedian, tieshan = world.user("420703400-officer"), world.user("420205-officer")
    for trial in range(3):
        data = _submit_input(world)
        data.mode = "joint"
        data.joint_parts = [
            actions.JointPartInput(jurisdiction="420703400", item="ITEM-COMPANY"),
            actions.JointPartInput(jurisdiction="420205", item="ITEM-COMPANY"),
        ]
        lead = actions.submit_case(clerk, data)
        for user, action, given in (
            (clerk, "check", actions.ActionInput()),
            (clerk, "transfer", actions.ActionInput(carrier="EMS", waybill_number=f"C{trial}")),
            (lead_officer, "receive_transfer", actions.ActionInput()),
            (lead_officer, "accept", actions.ActionInput()),
        ):
            actions.perform_case_action(user, lead.number, action, given)
        first = Case.objects.get(parent=lead, handling_jurisdiction__code="420703400")
        second = Case.objects.get(parent=lead, handling_jurisdiction__code="420205")
        refusal = actions.ActionInput(reason="不符合条件", competent_authority="某局")
        actions.perform_case_action(gedian, first.number, "refuse", refusal)

        def work(index: int, lead=lead, second=second, refusal=refusal) -> Any:
            if index == 0:
                ending = actions.ActionInput(reason="必要部分未能办理")
                return actions.perform_case_action(lead_officer, lead.number, "terminate", ending)
            return actions.perform_case_action(tieshan, second.number, "refuse", refusal)

        results = _in_parallel(2, work)
        errors = [r for r in results if isinstance(r, Exception)]
        assert all(isinstance(e, DomainError) for e in errors), errors
        assert Case.objects.get(pk=lead.pk).status == "terminated"
        part = Case.objects.get(pk=second.pk)
        # the part was refused first, or ended with its lead (and its refusal was a 409)
        assert part.status in ("refused", "terminated")
        assert (part.status == "terminated") == bool(errors)
        assert CaseEvent.objects.filter(case=part).count() == part.event_count


def test_parallel_submissions_with_one_key_open_one_case_and_replay_it(shared_world):
    """ADR 0091: the same Idempotency-Key in flight: one submission opens the case, every
    other one gets that case back marked replayed."""
    world = shared_world
    clerk_pk = world.user("421102-clerk").pk
    data = _submit_input(world)
    results = _in_parallel(
        THREADS,
        lambda _: actions.submit_case_once(
            type(world.user("421102-clerk")).objects.get(pk=clerk_pk),
            data,
            idempotency_key="in-flight-1",
        ),
    )
    assert all(isinstance(r, actions.Submitted) for r in results), results
    assert sorted(r.replayed for r in results) == [False] + [True] * (THREADS - 1)
    assert len({r.case.pk for r in results}) == 1
    assert Case.objects.count() == 1
    assert CaseEvent.objects.filter(action="submit").count() == 1


def test_parallel_api_posts_with_one_key_answer_one_201(shared_world):
    world = shared_world
    clients = [ApiClient(world.user("421102-clerk")) for _ in range(THREADS)]
    body = company_submission(world)
    results = _in_parallel(
        THREADS, lambda i: clients[i].post("/cases", body, **{"Idempotency-Key": "in-flight-2"})
    )
    assert sorted(r.status_code for r in results) == [200] * (THREADS - 1) + [201], results
    created = next(r for r in results if r.status_code == 201)
    assert "Idempotent-Replayed" not in created.headers
    for replay in (r for r in results if r.status_code == 200):
        assert replay.headers["Idempotent-Replayed"] == "true"
        assert replay.json() == created.json()
    assert Case.objects.count() == 1


def test_parallel_posts_with_one_key_but_different_content_conflict(shared_world):
    world = shared_world
    clients = [ApiClient(world.user("421102-clerk")) for _ in range(2)]
    bodies = [
        company_submission(world),
        company_submission(world, delivery_method="window", delivery_address=""),
    ]
    results = _in_parallel(
        2, lambda i: clients[i].post("/cases", bodies[i], **{"Idempotency-Key": "in-flight-3"})
    )
    assert sorted(r.status_code for r in results) == [201, 409], results
    loser = next(r for r in results if r.status_code == 409)
    assert loser.json()["code"] == "idempotency_key_reused"
    assert Case.objects.count() == 1
