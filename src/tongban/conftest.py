"""Fixtures shared by every app's tests: a small but real world of jurisdictions, items,
an agreement and staff, built through the same code paths as the demo."""

from __future__ import annotations

import pytest
from django.db import connection


@pytest.fixture
def is_postgres() -> bool:
    return connection.vendor == "postgresql"


@pytest.fixture
def world(db):
    from tongban.testing.world import build_world

    return build_world()
