from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth.models import AnonymousUser

from tongban.accounts.models import User


@pytest.fixture
def anonymous() -> AnonymousUser:
    return AnonymousUser()


@pytest.fixture
def superuser(db) -> User:
    return User.objects.create_superuser(
        username="root", password="tongban-test-pw", email="root@example.test"
    )


@pytest.fixture
def login(client, world):
    """login("421102-clerk") → the Django test client logged in as that world user."""

    def as_user(name: str):
        client.force_login(world.user(name))
        return client

    return as_user


def company_fields(**overrides: Any) -> dict[str, Any]:
    """Valid fields for a draft implementation (as create_implementation_draft takes them)."""
    fields: dict[str, Any] = {
        "statutory_limit_days": 20,
        "promised_limit_days": 5,
        "result_type": "licence",
        "result_name": "营业执照",
        "modes": ["proxy", "online"],
        "channels": ["window", "web"],
        "delivery_methods": ["post"],
        "needs_originals": True,
    }
    fields.update(overrides)
    return fields


MATERIALS: list[dict[str, Any]] = [
    {"name": "申请书", "requirement": "required", "form": "original"},
    {"name": "章程", "requirement": "optional", "form": "copy", "copies": 2},
]
