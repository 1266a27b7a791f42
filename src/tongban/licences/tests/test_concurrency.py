"""Parallel issuing and revoking on a real database: serials stay unique per issuer and
exactly one revocation wins. Runs on PostgreSQL, and on SQLite when the test database is
a file (an in-memory SQLite database cannot be shared between threads)."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection, connections

from tongban.core.errors import Conflict
from tongban.licences import actions
from tongban.testing.licences import make_case, use_test_pki
from tongban.testing.world import build_world

pytestmark = pytest.mark.django_db(transaction=True)

THREADS = 4


@pytest.fixture
def shared_world(settings, pki_files):
    if connection.vendor == "sqlite" and connection.is_in_memory_db():  # type: ignore[attr-defined]
        pytest.skip("needs a database that several connections share")
    world = build_world()
    use_test_pki(settings, pki_files)
    return world


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


def test_parallel_issues_get_distinct_serials(shared_world):
    cases = [make_case(shared_world, status="approved") for _ in range(THREADS)]
    results = _in_parallel(THREADS, lambda i: actions.issue_licence_for_case(cases[i], None))
    assert not [r for r in results if isinstance(r, Exception)], results
    serials = sorted(int(r.serial) for r in results)
    assert serials == list(range(serials[0], serials[0] + THREADS))


def test_parallel_revocations_exactly_one_wins(shared_world):
    licence = actions.issue_licence_for_case(make_case(shared_world, status="approved"), None)
    head = shared_world.user("420100Z01-head")
    results = _in_parallel(THREADS, lambda i: actions.revoke_licence(head, licence, f"理由{i}"))
    wins = [r for r in results if not isinstance(r, Exception)]
    assert len(wins) == 1
    assert all(isinstance(r, Conflict) for r in results if isinstance(r, Exception))
