"""Two clerks calling at once never get the same ticket, and two kiosks never give out
the same number. Runs on PostgreSQL (SELECT ... FOR UPDATE SKIP LOCKED) and on SQLite
when the test database is a file (IMMEDIATE transactions); an in-memory SQLite database
cannot be shared between threads."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection, connections

from tongban.centres.models import Window
from tongban.hall import actions
from tongban.hall.models import BusinessLine, Ticket
from tongban.hall.tests.conftest import TODAY, Clock, standard_hours
from tongban.testing.world import build_world

pytestmark = pytest.mark.django_db(transaction=True)

CLERKS = 6


@pytest.fixture
def shared_hall(clock: Clock) -> dict[str, Any]:
    if connection.vendor == "sqlite" and connection.is_in_memory_db():  # type: ignore[attr-defined]
        pytest.skip("needs a database that several connections share")
    world = build_world()
    centre = world.windows["421102"].centre
    standard_hours(centre)
    line = BusinessLine.objects.create(centre=centre, prefix="A", name="跨域通办")
    windows = [world.windows["421102"]] + [
        Window.objects.create(centre=centre, code=f"K{n:02d}", name="专窗", kind="dedicated")
        for n in range(2, CLERKS + 1)
    ]
    line.windows.add(*windows)
    clock.set(TODAY, 9, 30)
    return {"world": world, "centre": centre, "windows": windows}


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


def test_two_clerks_calling_at_once_never_get_the_same_ticket(shared_hall):
    world, centre, windows = shared_hall["world"], shared_hall["centre"], shared_hall["windows"]
    for _ in range(CLERKS - 2):  # fewer tickets than clerks: some find nobody waiting
        actions.take_ticket(None, centre.pk, "A")
    clerk = world.user("421102-clerk")

    results = _in_parallel(CLERKS, lambda i: actions.call_next(clerk, windows[i].pk))

    errors = [r for r in results if isinstance(r, Exception)]
    assert not errors, errors
    called = [r.pk for r in results if r is not None]
    assert len(called) == len(set(called)) == CLERKS - 2
    assert results.count(None) == 2
    tickets = Ticket.objects.filter(status="called")
    assert tickets.count() == CLERKS - 2
    assert len({t.window_id for t in tickets}) == CLERKS - 2


def test_kiosks_never_give_out_the_same_number(shared_hall):
    centre = shared_hall["centre"]
    results = _in_parallel(CLERKS, lambda i: actions.take_ticket(None, centre.pk, "A"))
    assert not [r for r in results if isinstance(r, Exception)], results
    assert sorted(r.code for r in results) == [f"A{n:03d}" for n in range(1, CLERKS + 1)]
