from __future__ import annotations

import pytest

from tongban.testing.licences import use_test_pki


@pytest.fixture(scope="session")
def pki_files(tmp_path_factory):
    return tmp_path_factory.mktemp("pki")


@pytest.fixture
def pki(world, settings, pki_files):
    return use_test_pki(settings, pki_files)
