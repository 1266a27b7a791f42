"""Parallel version changes on a real database: the item / agreement-code row locks make
exactly one of several simultaneous attempts win; the others get a clean Conflict (never
an IntegrityError). Runs on PostgreSQL, and on SQLite when the test database is a file;
an in-memory SQLite database cannot be shared between threads."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection, connections

from tongban.agreements import actions as agreement_actions
from tongban.agreements.models import Agreement
from tongban.catalog import actions
from tongban.catalog.models import ItemImplementation
from tongban.core.errors import Conflict
from tongban.testing.world import build_world

pytestmark = pytest.mark.django_db(transaction=True)

THREADS = 4


@pytest.fixture
def shared_world():
    if connection.vendor == "sqlite" and connection.is_in_memory_db():  # type: ignore[attr-defined]
        pytest.skip("needs a database that several connections share")
    return build_world()


def in_parallel(count: int, work: Callable[[], Any]) -> list[Any]:
    barrier = threading.Barrier(count)
    results: list[Any] = [None] * count

    def run(index: int) -> None:
        try:
            barrier.wait()
            results[index] = work()
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


def outcome(results: list[Any]) -> tuple[int, set[str]]:
    wins = [r for r in results if not isinstance(r, Exception)]
    errors = {getattr(r, "code", repr(r)) for r in results if isinstance(r, Exception)}
    assert all(isinstance(r, Conflict) for r in results if isinstance(r, Exception)), results
    return len(wins), errors


def test_parallel_new_versions_make_one_draft(shared_world):
    world = shared_world
    v1 = world.implementations[("company", "421102")]
    admin = world.user("421102-admin")
    results = in_parallel(THREADS, lambda: actions.new_implementation_version(admin, v1))
    assert outcome(results) == (1, {"implementation_draft_exists"})
    assert ItemImplementation.objects.filter(item=v1.item, status="draft").count() == 1


def test_parallel_publish_publishes_once(shared_world):
    world = shared_world
    v1 = world.implementations[("company", "421102")]
    admin = world.user("421102-admin")
    draft = actions.new_implementation_version(admin, v1)
    results = in_parallel(THREADS, lambda: actions.publish_implementation(admin, draft))
    assert outcome(results) == (1, {"implementation_not_draft"})
    statuses = dict(
        ItemImplementation.objects.filter(item=v1.item, jurisdiction=v1.jurisdiction).values_list(
            "version", "status"
        )
    )
    assert statuses == {1: "retired", 2: "published"}


def test_parallel_agreement_versions_and_activation(shared_world):
    world = shared_world
    platform = world.user("platform-admin")
    agreement = world.agreement
    results = in_parallel(
        THREADS, lambda: agreement_actions.new_agreement_version(platform, agreement)
    )
    assert outcome(results) == (1, {"agreement_draft_exists"})
    draft = Agreement.objects.get(code=agreement.code, status="draft")
    results = in_parallel(THREADS, lambda: agreement_actions.activate_agreement(platform, draft))
    assert outcome(results) == (1, {"agreement_not_draft"})
    assert dict(Agreement.objects.filter(code=agreement.code).values_list("version", "status")) == {
        1: "superseded",
        2: "active",
    }
