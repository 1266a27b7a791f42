"""Fixtures shared by every app's tests: a small but real world of jurisdictions, items,
an agreement and staff, built through the same code paths as the demo."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from hypothesis import HealthCheck, settings

# The property tests run two to a 2-core machine beside PostgreSQL. Hypothesis's
# "input generation is slow" check times the drawing of inputs by the wall clock, so a
# busy machine failed a pure function's test (the ID number generator, 1.5 s for four
# draws while a 10M-case benchmark was being generated). Slowness is the bench's business,
# not a test's; deadlines stay as each test sets them.
settings.register_profile("tongban", suppress_health_check=[HealthCheck.too_slow])
settings.load_profile("tongban")


def pytest_configure(config: pytest.Config) -> None:
    """The tests render pages without running collectstatic, so `{% static %}` cannot ask
    the compressed manifest storage for hashed names (it would raise "Missing staticfiles
    manifest entry"); as Django's documentation advises, they use the plain storage, and
    the live server of the browser journeys serves the files from the apps' folders.
    web/tests/test_static_files.py runs collectstatic with the real storage (ADR 0126)."""
    from django.conf import settings

    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }


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
