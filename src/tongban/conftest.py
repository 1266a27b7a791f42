"""Fixtures shared by every app's tests: a small but real world of jurisdictions, items,
an agreement and staff, built through the same code paths as the demo."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection


@pytest.fixture
def is_postgres() -> bool:
    return connection.vendor == "postgresql"


@pytest.fixture
def world(db):
    from tongban.testing.world import build_world

    return build_world()


class DemoWorld:
    """The demo world of `tongban seed-demo` (the article's agreements and catalogue),
    for tests that need it, e.g. the synthetic history of 2022."""

    def user(self, name: str) -> Any:
        from tongban.accounts.models import User

        return User.objects.get(username=name)


@pytest.fixture
def demo_world(db) -> DemoWorld:
    from tongban.demo.builder import build_demo

    build_demo()
    return DemoWorld()
