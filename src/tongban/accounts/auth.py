"""API authentication: bearer tokens for programs, the Django session for the web UI."""

from __future__ import annotations

import hashlib
from typing import Any

from django.db.models import QuerySet
from django.db.models.functions import Now
from django.http import HttpRequest
from ninja.security import HttpBearer, SessionAuth

from tongban.accounts.models import ApiToken
from tongban.core.prepared import Prepared


def hash_token(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def _token_queryset(key: None, key_hash: str) -> QuerySet[ApiToken]:
    # the database's clock decides expiry: the statement then has one value, the hash, and
    # is compiled once per connection (ADR 0137); the nodes' clocks are kept by NTP
    tokens = ApiToken.objects.select_related("user")
    return tokens.filter(key_hash=key_hash, expires_at__gt=Now())[:1]


# every API request runs it: building and compiling it was a fifth of a case action's
# Python time. Never cached across requests: a revoked token fails on the next one.
_TOKEN = Prepared("api_token", _token_queryset)


class BearerTokenAuth(HttpBearer):
    def authenticate(self, request: HttpRequest, token: str) -> Any:
        row = next(iter(_TOKEN.fetch(None, key_hash=hash_token(token))), None)
        if row is None or not row.user.is_active:
            return None
        request.user = row.user
        # remembered so that DELETE /auth/token can revoke exactly this token
        request.api_token = row  # type: ignore[attr-defined]
        return row.user


api_auth = [BearerTokenAuth(), SessionAuth()]
