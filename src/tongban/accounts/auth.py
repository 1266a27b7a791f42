"""API authentication: bearer tokens for programs, the Django session for the web UI."""

from __future__ import annotations

import hashlib
from typing import Any

from django.http import HttpRequest
from django.utils import timezone
from ninja.security import HttpBearer, SessionAuth

from tongban.accounts.models import ApiToken


def hash_token(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


class BearerTokenAuth(HttpBearer):
    def authenticate(self, request: HttpRequest, token: str) -> Any:
        row = (
            ApiToken.objects.select_related("user")
            .filter(key_hash=hash_token(token), expires_at__gt=timezone.now())
            .first()
        )
        if row is None or not row.user.is_active:
            return None
        request.user = row.user
        # remembered so that DELETE /auth/token can revoke exactly this token
        request.api_token = row  # type: ignore[attr-defined]
        return row.user


api_auth = [BearerTokenAuth(), SessionAuth()]
