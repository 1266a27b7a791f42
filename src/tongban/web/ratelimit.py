"""A fixed-window request counter on Django's cache (the `default` cache). With several
server processes the cache must be shared (e.g. Django's database or Redis cache) for
the limit to be global; with the per-process default it holds per process. See
docs/adr/0070-web-workbench.md."""

from __future__ import annotations

from django.core.cache import cache


def hit(key: str, limit: int, window_seconds: int) -> bool:
    """Count one attempt under `key`; True while the count is within `limit` in the
    current window (the window starts at the first attempt)."""
    cache_key = f"tongban:ratelimit:{key}"
    cache.add(cache_key, 0, timeout=window_seconds)
    try:
        count = cache.incr(cache_key)
    except ValueError:  # expired between add and incr
        cache.set(cache_key, 1, timeout=window_seconds)
        count = 1
    return count <= limit
