"""The shared rate-limit counters (core.ratelimit, ADR 0091): in the database, so every
process counts in the same row; concurrent hits are all counted."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from django.db import connection, connections
from django.utils import timezone

from tongban.core import ratelimit
from tongban.core.errors import TooManyRequests
from tongban.core.models import RateLimitCounter


@pytest.mark.django_db
def test_counts_up_to_the_limit_then_refuses_until_the_window_ends():
    answers = [ratelimit.hit("lookup:ip:10.0.0.1", 3, 600) for _ in range(5)]
    assert [allowed for allowed, _ in answers] == [True, True, True, False, False]
    assert all(0 < retry <= 600 for _, retry in answers)
    # another key has its own count
    assert ratelimit.hit("lookup:ip:10.0.0.2", 3, 600)[0]
    # the window is over: counting starts again
    RateLimitCounter.objects.update(window_ends=timezone.now() - dt.timedelta(seconds=1))
    assert ratelimit.hit("lookup:ip:10.0.0.1", 3, 600)[0]
    row = RateLimitCounter.objects.get(key=ratelimit._row_key("lookup:ip:10.0.0.1"))
    assert row.count == 1


@pytest.mark.django_db
def test_check_raises_429_with_retry_after():
    ratelimit.check("register:ip:10.0.0.3", 1, 60)
    with pytest.raises(TooManyRequests) as info:
        ratelimit.check("register:ip:10.0.0.3", 1, 60)
    assert info.value.status == 429 and info.value.code == "too_many_requests"
    assert 0 < info.value.retry_after <= 60


@pytest.mark.django_db
def test_keys_are_stored_hashed():
    ratelimit.hit("lookup:case:420100-20240927-0001", 5, 60)
    (key,) = RateLimitCounter.objects.values_list("key", flat=True)
    assert "420100" not in key and len(key) == 64


@pytest.mark.django_db
def test_finished_windows_are_dropped_when_new_keys_arrive():
    ratelimit.hit("a", 5, 60)
    RateLimitCounter.objects.update(window_ends=timezone.now() - dt.timedelta(seconds=1))
    ratelimit.hit("b", 5, 60)
    assert RateLimitCounter.objects.count() == 1


@pytest.mark.django_db(transaction=True)
def test_concurrent_hits_are_all_counted():
    if connection.vendor == "sqlite" and connection.is_in_memory_db():  # type: ignore[attr-defined]
        pytest.skip("needs a database that several connections share")
    threads_count = 8
    barrier = threading.Barrier(threads_count)
    errors: list[BaseException] = []

    def work() -> None:
        try:
            barrier.wait()
            for _ in range(3):
                ratelimit.hit("burst", 1000, 600)
        except BaseException as exc:  # asserted on below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=work) for _ in range(threads_count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not errors, errors
    assert RateLimitCounter.objects.get(key=ratelimit._row_key("burst")).count == 24
