"""The client address every per-address limit counts under (sign-in lockout, look-up and
registration limits).

REMOTE_ADDR is the peer of the server process. Behind reverse proxies that peer is the
proxy, so TONGBAN_PROXY_COUNT names how many trusted proxies append to X-Forwarded-For;
the address they saw is taken from the right, where a client cannot forge it. Only a
valid IP address is returned (django-axes stores it in an inet column on PostgreSQL);
None when there is none (a unix socket, a request built in code)."""

from __future__ import annotations

import ipaddress

from django.conf import settings
from django.http import HttpRequest


def _valid(value: str) -> str | None:
    try:
        return str(ipaddress.ip_address(value.strip()))
    except ValueError:
        return None


def client_address(request: HttpRequest) -> str | None:
    proxies = getattr(settings, "TONGBAN_PROXY_COUNT", 0)
    if proxies > 0:
        hops = [h for h in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if h.strip()]
        if len(hops) >= proxies:
            seen = _valid(hops[-proxies])
            if seen is not None:
                return seen
    return _valid(str(request.META.get("REMOTE_ADDR") or ""))
