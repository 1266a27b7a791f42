from __future__ import annotations

from pathlib import Path

import pytest

from tongban.federation.testing import PASSPHRASE, act_as, make_federation


@pytest.fixture(scope="session")
def federation_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from django.conf import settings

    previous = settings.TONGBAN_PKI_PASSPHRASE
    settings.TONGBAN_PKI_PASSPHRASE = PASSPHRASE
    try:
        directory = tmp_path_factory.mktemp("federation")
        make_federation(directory, {})
    finally:
        settings.TONGBAN_PKI_PASSPHRASE = previous
    return directory


@pytest.fixture
def hubei(settings, federation_dir: Path) -> Path:
    """This test process is the Hubei node."""
    act_as(settings, federation_dir, "hubei")
    return federation_dir
