"""The client address every per-address limit counts under (login lockout, look-up limit).

REMOTE_ADDR is the peer of the server process. Behind reverse proxies that peer is the
proxy, so TONGBAN_PROXY_COUNT names how many trusted proxies append to X-Forwarded-For;
the address they saw is taken from the right, where a client cannot forge it."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest


def client_address(request: HttpRequest) -> str:
    proxies = getattr(settings, "TONGBAN_PROXY_COUNT", 0)
    if proxies > 0:
        hops = [h.strip() for h in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
        hops = [h for h in hops if h]
        if len(hops) >= proxies:
            return hops[-proxies]
    return str(request.META.get("REMOTE_ADDR") or "unknown")
