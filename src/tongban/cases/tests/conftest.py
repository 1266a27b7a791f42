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

# A fixed "today" inside the packaged calendar's range keeps the deadline arithmetic
# reproducible; 2024-09-27 is a Friday before the National Day week.
TODAY = dt.date(2024, 9, 27)


class ApiClient:
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

    def get(self, path: str, **params: Any):
        return self.client.get(f"/api/v1{path}", params, headers=self.headers)

    def post(self, path: str, body: dict[str, Any] | None = None, **headers: str):
        return self.client.post(
            f"/api/v1{path}",
            body or {},
            content_type="application/json",
            headers={**self.headers, **headers},
        )

    def act(self, number: str, action: str, **body: Any):
        return self.post(f"/cases/{number}/actions/{action}", body)


@pytest.fixture
def today(monkeypatch: pytest.MonkeyPatch) -> dt.date:
    monkeypatch.setattr("tongban.cases.deadlines.local_today", lambda: TODAY)
    return TODAY


@pytest.fixture(scope="session")
def pki_files(tmp_path_factory: pytest.TempPathFactory) -> Any:
    return tmp_path_factory.mktemp("pki")


@pytest.fixture
def pki(world: Any, settings: Any, pki_files: Any) -> Any:
    from tongban.testing.licences import use_test_pki

    return use_test_pki(settings, pki_files)


@pytest.fixture
def api(world: Any, today: dt.date, pki: Any) -> Callable[[str | None], ApiClient]:
    def make(username: str | None) -> ApiClient:
        return ApiClient(world.user(username) if username else None)

    return make


def company_submission(
    world: Any, receiving: str = "421102", handling: str = "420100Z01", **overrides: Any
) -> dict[str, Any]:
    impl = world.implementations[("company", handling)]
    materials = [
        {"material_id": m.pk, "state": "provided"} for m in impl.materials.order_by("position")
    ]
    body: dict[str, Any] = {
        "item": "ITEM-COMPANY",
        "handling": handling,
        "receiving": receiving,
        "mode": "proxy",
        "channel": "window",
        "delivery_method": "post",
        "delivery_address": "湖北省黄冈市黄州区东门路1号",
        "applicant": {
            "kind": "enterprise",
            "name": world.applicants["enterprise"].name,
            "uscc": world.applicants["enterprise"].uscc,
            "agent_name": world.applicants["enterprise"].agent_name,
            "agent_id_number": world.applicants["enterprise"].agent_id_number,
        },
        "materials": materials,
    }
    body.update(overrides)
    return body
