from __future__ import annotations

import datetime as dt

import pytest

from tongban.agreements.models import Agreement
from tongban.catalog.tests.conftest import anonymous, login, superuser  # noqa: F401

TODAY_PAST = dt.date(2024, 1, 1)


def parties_of(world, *codes: str) -> list[dict]:
    return [
        {
            "jurisdiction": world.jurisdictions[code],
            "liaison_name": "张三",
            "liaison_phone": "13912345678",
        }
        for code in codes
    ]


@pytest.fixture
def wehh(world) -> Agreement:
    """The world's active four-party agreement (v1)."""
    assert world.agreement is not None
    return world.agreement
