"""Copies of one message arriving at the same moment on separate connections: applied
once, the others answered `duplicate`, never a 500. PostgreSQL, and SQLite when the test
database is a file (an in-memory one cannot be shared between threads)."""

from __future__ import annotations

import datetime as dt
import threading
import uuid
from pathlib import Path
from typing import Any

import pytest
from django.db import connection, connections

from tongban.federation import actions, envelope
from tongban.federation.models import InboundMessage
from tongban.federation.testing import node_identity

pytestmark = pytest.mark.django_db(transaction=True)

THREADS = 4


def _in_parallel(count: int, work: Any) -> list[Any]:
    barrier = threading.Barrier(count)
    results: list[Any] = [None] * count

    def run(index: int) -> None:
        try:
            barrier.wait()
            results[index] = work(index)
        except Exception as error:
            results[index] = error
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return results


@pytest.mark.parametrize(("case", "seq"), [("", 0), ("HN-C", 1)])
def test_simultaneous_copies_are_applied_once(hubei: Path, case: str, seq: int) -> None:
    if connection.vendor == "sqlite" and connection.is_in_memory_db():  # type: ignore[attr-defined]
        pytest.skip("needs a database that several connections share")
    henan = node_identity(hubei, "henan")
    now = dt.datetime.now(dt.UTC)
    claims = {
        "v": 1,
        "id": str(uuid.uuid4()),
        "from": "henan",
        "to": "hubei",
        "kind": "ping",
        "case": case,
        "seq": seq,
        "jurisdiction": "411526",
        "agreement": None,
        "created": envelope.iso(now),
        "body": {},
    }
    token = envelope.sign_message(henan, claims, now)
    results = _in_parallel(THREADS, lambda _: actions.receive_message(token)[0].status)
    assert sorted(results) == ["applied"] + ["duplicate"] * (THREADS - 1), results
    assert InboundMessage.objects.count() == 1
