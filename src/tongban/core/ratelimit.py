"""Fixed-window request counters in the database (core.RateLimitCounter), shared by every
server process and every thread: one row per key, incremented by a single UPDATE so that
concurrent requests are all counted (a read-then-write cache increment, as Django's
database cache does, would let a parallel burst count once). ADR 0091."""

from __future__ import annotations

import datetime as dt
import hashlib

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from tongban.core.errors import TooManyRequests
from tongban.core.models import RateLimitCounter


def _row_key(key: str) -> str:
    # keys may hold a case number or an address; hashed so that no identifier is stored
    # and any length fits
    return hashlib.sha256(key.encode()).hexdigest()


def hit(key: str, limit: int, window_seconds: int) -> tuple[bool, int]:
    """Count one attempt under `key`. Returns (allowed, retry_after): allowed while the
    count in the current window (it starts at the first attempt) is within `limit`;
    retry_after is the number of seconds until the window ends."""
    row_key = _row_key(key)
    now = timezone.now()
    ends = now + dt.timedelta(seconds=window_seconds)
    for _attempt in range(3):
        try:
            with transaction.atomic():
                updated = RateLimitCounter.objects.filter(key=row_key, window_ends__gt=now).update(
                    count=F("count") + 1
                )
                if not updated:
                    # no row, or its window is over: start a new window
                    restarted = RateLimitCounter.objects.filter(
                        key=row_key, window_ends__lte=now
                    ).update(count=1, window_ends=ends)
                    if not restarted:
                        RateLimitCounter.objects.create(key=row_key, window_ends=ends, count=1)
                        # new keys are where the table grows: drop the finished windows
                        RateLimitCounter.objects.filter(window_ends__lte=now).delete()
                row = RateLimitCounter.objects.get(key=row_key)
        except IntegrityError:
            continue  # a concurrent request created the row first: count in it
        retry_after = max(1, int((row.window_ends - now).total_seconds()))
        return row.count <= limit, retry_after
    raise RuntimeError("rate-limit counter kept conflicting")  # pragma: no cover


def check(key: str, limit: int, window_seconds: int) -> None:
    """`hit`, raising TooManyRequests (429 `too_many_requests`) beyond the limit."""
    allowed, retry_after = hit(key, limit, window_seconds)
    if not allowed:
        raise TooManyRequests(
            _("Too many requests; please try again later."), details={"retry_after": retry_after}
        )
