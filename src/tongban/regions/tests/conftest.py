from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from tongban.accounts.auth import hash_token
from tongban.accounts.models import ApiToken


class ApiClient:
    """Calls /api/v1 with a real bearer token of `user` (None: no credentials)."""

    def __init__(self, user: Any | None) -> None:
        self.client = Client()
        self.headers: dict[str, str] = {}
        if user is not None:
            key = secrets.token_urlsafe(32)
            ApiToken.objects.create(
                user=user,
                key_hash=hash_token(key),
                expires_at=timezone.now() + dt.timedelta(hours=1),
            )
            self.headers["Authorization"] = f"Bearer {key}"

    def get(self, path: str, **params: Any) -> Any:
        return self.client.get(f"/api/v1{path}", params, headers=self.headers)


@pytest.fixture
def api(world: Any) -> Callable[[str | None], ApiClient]:
    def make(username: str | None) -> ApiClient:
        return ApiClient(world.user(username) if username else None)

    return make
