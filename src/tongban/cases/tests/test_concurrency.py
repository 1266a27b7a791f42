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
from tongban.cases.tests.conftest import company_submission
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
