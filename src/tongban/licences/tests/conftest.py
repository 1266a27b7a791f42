from __future__ import annotations

import pytest

from tongban.testing.licences import issue_signed, make_case, use_test_pki


@pytest.fixture(scope="session")
def pki_files(tmp_path_factory):
    """Key files made once per test session (key generation is the slow part); each
    test registers them in its own database."""
    return tmp_path_factory.mktemp("pki")


@pytest.fixture
def pki(world, settings, pki_files):
    return use_test_pki(settings, pki_files)


@pytest.fixture
def approved_case(world):
    """An enterprise's company registration received in 黄州, handled by 东湖, approved."""
    return make_case(world, status="approved")


@pytest.fixture
def licence(pki, approved_case, world):
    return issue_signed(approved_case, world.user("420100Z01-officer"))
