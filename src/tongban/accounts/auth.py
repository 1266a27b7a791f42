"""API authentication: bearer tokens for programs, the Django session for the web UI."""

from __future__ import annotations

import hashlib
from typing import Any

from django.db.models import QuerySet
from django.db.models.functions import Now
from django.http import HttpRequest
from ninja.security import HttpBearer, SessionAuth

from tongban.accounts import credentials
from tongban.accounts.credentials import Credential
from tongban.accounts.models import ApiToken, User
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
    """The token and its user, checked by a statement of their own on every request.
    `deferred=True`, for the case moves and the case look-up only: a token this process
    accepted before is taken as a `Credential` that the endpoint's own statement checks
    (ADR 0148, 0154); the endpoint must hand `unverified_credential(request)` to it."""

    def __init__(self, *, deferred: bool = False) -> None:
        super().__init__()
        self.deferred = deferred

    def authenticate(self, request: HttpRequest, token: str) -> Any:
        key_hash = hash_token(token)
        if self.deferred and (known := credentials.recall(key_hash)) is not None:
            credential, remembered = known
            request.tongban_credential = credential  # type: ignore[attr-defined]
            return _signed_in(request, remembered)
        row = next(iter(_TOKEN.fetch(None, key_hash=key_hash)), None)
        if row is None or not row.user.is_active:
            credentials.forget(key_hash)
            return None
        if self.deferred:
            credentials.remember(key_hash, row)
        return _signed_in(request, row)


def _signed_in(request: HttpRequest, row: ApiToken) -> User:
    request.user = row.user
    # remembered so that DELETE /auth/token can revoke exactly this token
    request.api_token = row  # type: ignore[attr-defined]
    return row.user


def unverified_credential(request: HttpRequest) -> Credential | None:
    """The credential a deferred check took from memory for this request, if any: the
    endpoint's statement must check it (`credentials.still_valid`)."""
    return getattr(request, "tongban_credential", None)


def check_again(request: HttpRequest) -> User | None:
    """After the endpoint's statement refused the remembered credential: the full check,
    as on any other endpoint (None: 401). The memory of that token is dropped first."""
    credential = unverified_credential(request)
    if credential is not None:
        credentials.forget(credential.key_hash)
        request.tongban_credential = None  # type: ignore[attr-defined]
    # deferred: having just forgotten it, a full check, remembered again if it passes
    user: User | None = BearerTokenAuth(deferred=True)(request)
    return user


api_auth = [BearerTokenAuth(), SessionAuth()]
# a case move and the case look-up: their own statement checks a remembered token
# (ADR 0148, 0154)
deferred_auth = [BearerTokenAuth(deferred=True), SessionAuth()]
